//! Issue 28 against our cluster: the stream consumer (ack/nack, back-pressure, orderly), async
//! handlers with bounded concurrency, rebalance hooks, and send callbacks off the runtime workers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use parking_lot::Mutex;
use rmq_client::consumer::{
    ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Delivery, Listener, MessageSelector, PushConsumer,
    RebalanceListener, StreamOptions,
};
use rmq_client::producer::{select_by_hash, Producer, ProducerConfig};
use rmq_client::{Message, MessageQueue};
use rmq_tests::{single_broker, SingleBroker, FAST_RETRIES};

fn cluster() -> SingleBroker {
    single_broker(FAST_RETRIES)
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed))
}

async fn producer(ns: &str) -> Producer {
    let mut client = rmq_client::ClientConfig::builder().namesrv_addr(ns).instance_name(unique("p")).build();
    client.namesrv_endpoint = None;
    let cfg = ProducerConfig::builder(unique("pg")).client(client).default_topic_queue_nums(4).build();
    Producer::start(cfg).await.unwrap()
}

fn consumer_config(ns: &str) -> ConsumerConfig {
    let mut cfg =
        ConsumerConfig::builder(unique("cg")).namesrv_addr(ns).from_where(ConsumeFromWhere::FirstOffset).build();
    cfg.client.instance_name = unique("c");
    cfg
}

async fn wait_until(what: &str, secs: u64, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn body(d: &Delivery) -> String {
    String::from_utf8_lossy(&d.body).into_owned()
}

async fn send_n(p: &Producer, topic: &str, n: usize) {
    for i in 0..n {
        p.send(Message::new(topic, format!("m{i}"))).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_hands_out_at_most_its_buffer_and_redelivers_nacks() {
    let c = cluster();
    let p = producer(&c.ns).await;
    let topic = unique("Stream");
    send_n(&p, &topic, 100).await;
    let sub = [(topic.as_str(), MessageSelector::by_tag("*"))];
    let consumer = PushConsumer::start_stream(consumer_config(&c.ns), &sub, StreamOptions::buffer(5)).await.unwrap();
    let mut stream = consumer.messages().expect("the first call gets the stream");
    assert!(consumer.messages().is_none(), "the stream is handed out once");

    // A slow reader: five deliveries held, unacknowledged.
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(tokio::time::timeout(Duration::from_secs(20), stream.next()).await.unwrap().unwrap());
    }
    let sixth = tokio::time::timeout(Duration::from_secs(2), stream.next()).await;
    assert!(sixth.is_err(), "a sixth message was handed out with five unacknowledged");
    // Pulling paused too: per queue at most the threshold (5) plus one pull batch (5).
    assert!(consumer.buffered() <= 4 * 10, "buffered {}", consumer.buffered());

    // One nack comes back through the retry topic; the rest are acked.
    let nacked = body(&held[0]);
    held.remove(0).nack();
    let mut seen: BTreeSet<String> = held.iter().map(body).collect();
    held.into_iter().for_each(Delivery::ack);
    let mut nacked_again = false;
    while seen.len() < 100 || !nacked_again {
        let d = tokio::time::timeout(Duration::from_secs(30), stream.recv()).await.unwrap().unwrap();
        nacked_again |= body(&d) == nacked && d.reconsume_times > 0;
        seen.insert(body(&d));
        d.ack();
    }
    assert_eq!(seen.len(), 100);
    consumer.shutdown().await;
    assert!(stream.recv().await.is_none(), "the stream ends at shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orderly_stream_keeps_each_queue_in_order() {
    let c = cluster();
    let p = producer(&c.ns).await;
    let topic = unique("OrderStream");
    let keys = ["k0", "k1", "k2", "k3", "k4", "k5"];
    for i in 0..60 {
        let key = keys[i % keys.len()];
        p.send_with_selector(Message::new(&topic, format!("{key}:{i}")), &|qs, _| select_by_hash(qs, key))
            .await
            .unwrap();
    }
    let sub = [(topic.as_str(), MessageSelector::by_tag("*"))];
    let opts = StreamOptions::buffer(8).orderly();
    let consumer = PushConsumer::start_stream(consumer_config(&c.ns), &sub, opts).await.unwrap();
    let mut stream = consumer.messages().unwrap();
    let mut per_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut nacked_once = false;
    while per_key.values().map(Vec::len).sum::<usize>() < 60 {
        let d = tokio::time::timeout(Duration::from_secs(30), stream.next()).await.unwrap().unwrap();
        let b = body(&d);
        let (k, i) = b.split_once(':').unwrap();
        if !nacked_once && i == "7" {
            // Orderly nack: the same message again after a pause, before the queue moves on.
            nacked_once = true;
            d.nack();
            continue;
        }
        per_key.entry(k.to_owned()).or_default().push(i.parse().unwrap());
        d.ack();
    }
    for (k, v) in &per_key {
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(v, &sorted, "order of {k}");
        assert_eq!(v.len(), 10, "{k}");
    }
    consumer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_handler_runs_at_most_its_threads_at_once() {
    let c = cluster();
    let p = producer(&c.ns).await;
    let topic = unique("AsyncHandler");
    send_n(&p, &topic, 40).await;
    let (running, peak, done) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r, pk, dn) = (Arc::clone(&running), Arc::clone(&peak), Arc::clone(&done));
    let listener = Listener::concurrent_async(move |_m, _ctx| {
        let (r, pk, dn) = (Arc::clone(&r), Arc::clone(&pk), Arc::clone(&dn));
        async move {
            let now = r.fetch_add(1, Ordering::SeqCst) + 1;
            pk.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            r.fetch_sub(1, Ordering::SeqCst);
            dn.fetch_add(1, Ordering::SeqCst);
            ConsumeStatus::Success
        }
    });
    let mut cfg = consumer_config(&c.ns);
    cfg.consume.threads = 3;
    let consumer = PushConsumer::start(cfg, &[(&topic, "*")], listener).await.unwrap();
    wait_until("40 consumed", 30, || done.load(Ordering::SeqCst) >= 40).await;
    let peak = peak.load(Ordering::SeqCst);
    assert!((2..=3).contains(&peak), "peak concurrency {peak}, limit 3");
    consumer.shutdown().await;
}

#[derive(Debug, Default)]
struct Recorder {
    assigned: Mutex<Vec<MessageQueue>>,
    revoked: Mutex<Vec<MessageQueue>>,
}

impl RebalanceListener for Recorder {
    fn on_revoked(&self, _topic: &str, queues: &[MessageQueue]) {
        self.revoked.lock().extend_from_slice(queues);
    }
    fn on_assigned(&self, _topic: &str, queues: &[MessageQueue]) {
        self.assigned.lock().extend_from_slice(queues);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebalance_hooks_see_queues_come_and_go() {
    let c = cluster();
    let p = producer(&c.ns).await;
    let topic = unique("Hooks");
    send_n(&p, &topic, 1).await;
    let hook = Arc::new(Recorder::default());
    let mut cfg = consumer_config(&c.ns);
    cfg.rebalance_listener = Some(Arc::clone(&hook) as Arc<dyn RebalanceListener>);
    let group = cfg.group.clone();
    let listener = || Listener::concurrent(|_, _| ConsumeStatus::Success);
    let a = PushConsumer::start(cfg, &[(&topic, "*")], listener()).await.unwrap();
    let mine = |q: &MessageQueue| q.topic == topic;
    wait_until("four queues assigned", 20, || hook.assigned.lock().iter().filter(|q| mine(q)).count() == 4).await;
    let mut other = consumer_config(&c.ns);
    other.group = group;
    let b = PushConsumer::start(other, &[(&topic, "*")], listener()).await.unwrap();
    a.rebalance().await;
    wait_until("two queues revoked", 30, || hook.revoked.lock().iter().filter(|q| mine(q)).count() == 2).await;
    let left: Vec<MessageQueue> = a.assigned().into_iter().filter(|q| mine(q)).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(hook.revoked.lock().iter().all(|q| !left.contains(q)), "revoked queues are not held");
    b.shutdown().await;
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_send_callbacks_do_not_stall_other_sends() {
    let c = cluster();
    let p = producer(&c.ns).await;
    let topic = unique("Callbacks");
    send_n(&p, &topic, 1).await;
    let finished = Arc::new(AtomicUsize::new(0));
    // More blocking callbacks than runtime workers: on a worker, they would stall every send.
    for i in 0..4 {
        let f = Arc::clone(&finished);
        p.send_with_callback(Message::new(&topic, format!("cb{i}")), move |r| {
            assert!(r.is_ok());
            std::thread::sleep(Duration::from_secs(6));
            f.fetch_add(1, Ordering::SeqCst);
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..5 {
        p.send(Message::new(&topic, format!("after{i}"))).await.unwrap();
    }
    assert_eq!(finished.load(Ordering::SeqCst), 0, "the sends completed while every callback still blocked");
    wait_until("callbacks done", 30, || finished.load(Ordering::SeqCst) == 4).await;
}
