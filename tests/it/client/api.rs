//! The client against a real name server and broker (processes on free loopback ports): send
//! modes, tag filtering, clustering and broadcasting, rebalancing on join and leave, orderly
//! consumption, retry and DLQ, lite pull with seek.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_client::consumer::{
    ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, LitePullConfig, LitePullConsumer, MessageModel,
    OrderlyStatus, PushConsumer,
};
use rmq_client::producer::{select_by_hash, Producer, ProducerConfig, SendStatus};
use rmq_client::{Message, MessageExt};
use rmq_tests::{single_broker, SingleBroker, FAST_RETRIES};

fn cluster() -> SingleBroker {
    single_broker(FAST_RETRIES)
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed))
}

async fn producer(ns: &str, queues: i32) -> Producer {
    let mut cfg = ProducerConfig::new(unique("pg"), ns);
    cfg.client.instance_name = unique("p");
    cfg.default_topic_queue_nums = queues;
    Producer::start(cfg).await.unwrap()
}

fn consumer_config(ns: &str, group: &str) -> ConsumerConfig {
    let mut cfg = ConsumerConfig::new(group, ns);
    cfg.client.instance_name = unique("c");
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    cfg
}

type Seen = Arc<Mutex<Vec<MessageExt>>>;

fn collector(seen: &Seen) -> Listener {
    let seen = Arc::clone(seen);
    Listener::concurrent(move |msgs, _| {
        seen.lock().extend(msgs.iter().cloned());
        ConsumeStatus::Success
    })
}

async fn wait_until(what: &str, secs: u64, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn bodies(v: &[MessageExt]) -> BTreeSet<String> {
    v.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_send_mode_arrives_with_tags_keys_properties_and_big_bodies() {
    let c = cluster();
    let p = producer(&c.ns, 4).await;
    let topic = unique("Sends");
    let mut expected = BTreeSet::new();
    let r = p
        .send(Message::new(&topic, "sync").with_tags("a").with_keys(["k1", "k2"]).with_property("p", "v"))
        .await
        .unwrap();
    assert_eq!(r.status, SendStatus::SendOk);
    assert_eq!(r.msg_id.len(), 32, "client unique id");
    assert_eq!(r.offset_msg_id.len(), 32, "offset message id");
    expected.insert("sync".to_owned());
    assert_eq!(p.send_async(Message::new(&topic, "async").with_tags("a")).await.unwrap().status, SendStatus::SendOk);
    expected.insert("async".to_owned());
    let (tx, rx) = tokio::sync::oneshot::channel();
    p.send_with_callback(Message::new(&topic, "callback").with_tags("a"), move |r| {
        let _ = tx.send(r.map(|r| r.status));
    });
    assert_eq!(rx.await.unwrap().unwrap(), SendStatus::SendOk);
    expected.insert("callback".to_owned());
    p.send_oneway(Message::new(&topic, "oneway").with_tags("a")).await.unwrap();
    expected.insert("oneway".to_owned());
    let batch: Vec<Message> = (0..5).map(|i| Message::new(&topic, format!("batch{i}")).with_tags("a")).collect();
    let r = p.send_batch(batch).await.unwrap();
    assert_eq!(r.msg_id.split(',').count(), 5);
    expected.extend((0..5).map(|i| format!("batch{i}")));
    let queues = p.queues(&topic).await.unwrap();
    assert_eq!(queues.len(), 4);
    let r = p.send_to_queue(Message::new(&topic, "queue2").with_tags("a"), &queues[2]).await.unwrap();
    assert_eq!(r.queue, queues[2]);
    expected.insert("queue2".to_owned());
    let r = p
        .send_with_selector(Message::new(&topic, "selected").with_tags("a"), &|qs, _| select_by_hash(qs, "order-7"))
        .await
        .unwrap();
    assert_eq!(r.queue, queues[select_by_hash(&queues, "order-7")]);
    expected.insert("selected".to_owned());
    let big = "x".repeat(20_000);
    p.send(Message::new(&topic, big.clone()).with_tags("a").with_property("big", "yes")).await.unwrap();
    expected.insert(big.clone());

    let seen: Seen = Arc::default();
    let group = unique("cg");
    let consumer =
        PushConsumer::start(consumer_config(&c.ns, &group), &[(&topic, "*")], collector(&seen)).await.unwrap();
    wait_until("all sends consumed", 30, || bodies(&seen.lock()).len() >= expected.len()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = seen.lock().clone();
    assert_eq!(bodies(&got), expected);
    assert_eq!(got.len(), expected.len(), "no duplicates");
    let sync = got.iter().find(|m| &m.body[..] == b"sync").unwrap();
    assert_eq!(rmq_common::property::get(&sync.properties, "TAGS"), Some("a"));
    assert_eq!(rmq_common::property::get(&sync.properties, "KEYS"), Some("k1 k2"));
    assert_eq!(rmq_common::property::get(&sync.properties, "p"), Some("v"));
    let bigm = got.iter().find(|m| m.body.len() == big.len()).unwrap();
    assert_eq!(rmq_common::property::get(&bigm.properties, "big"), Some("yes"));
    consumer.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filter_and_clustering_and_broadcasting_split_nine_messages() {
    let c = cluster();
    let p = producer(&c.ns, 3).await;
    let topic = unique("Split");
    // The topic exists (3 queues) before the consumers start.
    p.send(Message::new(&topic, "warm-up").with_tags("w")).await.unwrap();
    // Clustering: three instances, three queues, three messages each.
    let group = unique("split");
    let mut seens = Vec::new();
    let mut consumers = Vec::new();
    for _ in 0..3 {
        let seen: Seen = Arc::default();
        consumers.push(
            PushConsumer::start(consumer_config(&c.ns, &group), &[(&topic, "*")], collector(&seen)).await.unwrap(),
        );
        seens.push(seen);
    }
    // Each instance rebalances on its own view of the group (the broker's consumer list); under
    // load a view can lag a heartbeat, so rebalance until the views agree (the client does the
    // same every 20 s and on the broker's change notice).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        for cons in &consumers {
            cons.rebalance().await;
        }
        let counts: Vec<usize> =
            consumers.iter().map(|c| c.assigned().iter().filter(|q| q.topic == topic).count()).collect();
        if counts == [1, 1, 1] {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "one queue each, got {counts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for s in &seens {
        s.lock().clear(); // the warm-up message
    }
    for i in 0..9 {
        p.send(Message::new(&topic, format!("m{i}")).with_tags(if i % 3 == 2 { "c" } else { "a" })).await.unwrap();
    }
    // The warm-up message may arrive again after the clear (a queue that moved before its
    // offset was committed is read again: at-least-once), so only the nine count.
    let nine = |s: &Seen| s.lock().iter().filter(|m| m.body[..] != b"warm-up"[..]).cloned().collect::<Vec<_>>();
    wait_until("9 consumed by the group", 30, || seens.iter().map(|s| nine(s).len()).sum::<usize>() >= 9).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all: Vec<MessageExt> = seens.iter().flat_map(nine).collect();
    assert_eq!(all.len(), 9, "each message once");
    assert_eq!(bodies(&all), (0..9).map(|i| format!("m{i}")).collect::<BTreeSet<_>>());
    for s in &seens {
        assert_eq!(nine(s).len(), 3, "even split");
    }
    let retry_owners = consumers.iter().filter(|c| c.assigned().iter().any(|q| q.topic.starts_with("%RETRY%"))).count();
    assert_eq!(retry_owners, 1, "the group's single retry queue has one owner");
    for cons in consumers {
        cons.shutdown().await;
    }
    // Broadcasting: each instance gets all nine; tag filter "a || b" keeps six.
    let bgroup = unique("bcast");
    let mut bseens = Vec::new();
    let mut bcons = Vec::new();
    for _ in 0..3 {
        let seen: Seen = Arc::default();
        let mut cfg = consumer_config(&c.ns, &bgroup);
        cfg.model = MessageModel::Broadcasting;
        cfg.local_offset_dir = Some(c.dir.path().join("offsets"));
        bcons.push(PushConsumer::start(cfg, &[(&topic, "a || b")], collector(&seen)).await.unwrap());
        bseens.push(seen);
    }
    wait_until("broadcast", 30, || bseens.iter().all(|s| s.lock().len() >= 6)).await;
    // The warm-up message has tag "w": filtered out by "a || b".
    tokio::time::sleep(Duration::from_millis(500)).await;
    let want: BTreeSet<String> = (0..9).filter(|i| i % 3 != 2).map(|i| format!("m{i}")).collect();
    for s in &bseens {
        let got = s.lock().clone();
        assert_eq!(got.len(), 6);
        assert_eq!(bodies(&got), want);
    }
    for cons in bcons {
        cons.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn members_join_and_leave_and_every_message_is_consumed() {
    let c = cluster();
    let p = producer(&c.ns, 4).await;
    let topic = unique("Churn");
    let group = unique("churn");
    let seen: Seen = Arc::default();
    let first = PushConsumer::start(consumer_config(&c.ns, &group), &[(&topic, "*")], collector(&seen)).await.unwrap();
    let mut sent = BTreeSet::new();
    let mut second = None;
    for i in 0..200 {
        let body = format!("c{i}");
        p.send(Message::new(&topic, body.clone())).await.unwrap();
        sent.insert(body);
        if i == 50 {
            second = Some(
                PushConsumer::start(consumer_config(&c.ns, &group), &[(&topic, "*")], collector(&seen)).await.unwrap(),
            );
        }
        if i == 150 {
            second.take().unwrap().shutdown().await;
        }
    }
    wait_until("all 200", 40, || bodies(&seen.lock()).len() >= 200).await;
    assert_eq!(bodies(&seen.lock()), sent, "nothing lost (duplicates allowed across a rebalance)");
    first.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orderly_consumption_keeps_queue_order_under_eight_workers() {
    let c = cluster();
    let p = producer(&c.ns, 4).await;
    let topic = unique("Order");
    let keys = ["k0", "k1", "k2", "k3", "k4", "k5"];
    for i in 0..60 {
        let key = keys[i % keys.len()];
        p.send_with_selector(Message::new(&topic, format!("{key}:{i}")), &|qs, _| select_by_hash(qs, key))
            .await
            .unwrap();
    }
    let per_key: Arc<Mutex<BTreeMap<String, Vec<usize>>>> = Arc::default();
    let pk = Arc::clone(&per_key);
    let mut cfg = consumer_config(&c.ns, &unique("order"));
    cfg.consume.threads = 8;
    let consumer = PushConsumer::start(
        cfg,
        &[(&topic, "*")],
        Listener::orderly(move |msgs, _| {
            for m in msgs {
                let b = String::from_utf8_lossy(&m.body).into_owned();
                let (k, i) = b.split_once(':').unwrap();
                std::thread::sleep(Duration::from_millis(2));
                pk.lock().entry(k.to_owned()).or_default().push(i.parse().unwrap());
            }
            OrderlyStatus::Success
        }),
    )
    .await
    .unwrap();
    wait_until("60 ordered", 30, || per_key.lock().values().map(Vec::len).sum::<usize>() >= 60).await;
    for (k, v) in per_key.lock().iter() {
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(v, &sorted, "order of {k}");
        assert_eq!(v.len(), 10);
    }
    consumer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconsume_later_retries_then_dead_letters() {
    let c = cluster();
    let p = producer(&c.ns, 1).await;
    let topic = unique("Retry");
    p.send(Message::new(&topic, "flaky")).await.unwrap();
    let doomed = p.send(Message::new(&topic, "doomed")).await.unwrap();
    let attempts: Arc<Mutex<HashMap<String, Vec<i32>>>> = Arc::default();
    let a = Arc::clone(&attempts);
    let group = unique("retry");
    let mut cfg = consumer_config(&c.ns, &group);
    cfg.consume.max_reconsume_times = 2;
    let consumer = PushConsumer::start(
        cfg,
        &[(&topic, "*")],
        Listener::concurrent(move |msgs, _| {
            let mut a = a.lock();
            let mut status = ConsumeStatus::Success;
            for m in msgs {
                assert!(!m.topic.starts_with("%RETRY%"), "the original topic is shown");
                let b = String::from_utf8_lossy(&m.body).into_owned();
                let v = a.entry(b.clone()).or_default();
                v.push(m.reconsume_times);
                if b == "doomed" || v.len() <= 2 {
                    status = ConsumeStatus::ReconsumeLater;
                }
            }
            status
        }),
    )
    .await
    .unwrap();
    wait_until("retries", 60, || {
        let a = attempts.lock();
        a.get("flaky").is_some_and(|v| v.len() >= 3) && a.get("doomed").is_some_and(|v| v.len() >= 3)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    {
        let a = attempts.lock();
        assert_eq!(a["flaky"], vec![0, 1, 2], "two failures then success");
        assert_eq!(a["doomed"], vec![0, 1, 2], "first delivery plus maxReconsumeTimes");
    }
    consumer.shutdown().await;
    // The DLQ holds the doomed message.
    let dlq = format!("%DLQ%{group}");
    let mut cfg = LitePullConfig::new(unique("dlqreader"), &c.ns);
    cfg.client.instance_name = unique("l");
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    let reader = LitePullConsumer::subscribe(cfg, &[(&dlq, "*")]).await.unwrap();
    let got = reader.poll(Duration::from_secs(10)).await.unwrap();
    assert_eq!(bodies(&got), BTreeSet::from(["doomed".to_owned()]));
    // As RocketMQ stamps them: the original's offset id (kept over every retry) and topic.
    let props = &got[0].properties;
    assert_eq!(rmq_common::property::get(props, "ORIGIN_MESSAGE_ID"), Some(doomed.offset_msg_id.as_str()));
    assert_eq!(rmq_common::property::get(props, "RETRY_TOPIC"), Some(topic.as_str()));
    reader.shutdown().await;
    // The admin CLI reads the DLQ, and brokerStatus shows the delay and timer backlogs.
    let out = rmq_tests::mqadmin(&["-n", &c.ns, "printMsg", "-t", &dlq, "-d", "true"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("doomed"), "{}", out.stdout);
    let status = rmq_tests::mqadmin(&["-n", &c.ns, "--json", "brokerStatus", "-b", &c.broker.addr()]).json();
    let text = status.to_string();
    assert!(text.contains("scheduleMessageBacklog") && text.contains("timerBacklog"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lite_pull_assign_poll_seek_and_commit() {
    let c = cluster();
    let p = producer(&c.ns, 1).await;
    let topic = unique("Lite");
    for i in 0..20 {
        p.send(Message::new(&topic, format!("l{i}"))).await.unwrap();
    }
    let group = unique("lite");
    let mut cfg = LitePullConfig::new(&group, &c.ns);
    cfg.client.instance_name = unique("l");
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    cfg.auto_commit = false;
    let probe = LitePullConsumer::assign(cfg.clone(), Vec::new()).await.unwrap();
    let mqs = probe.fetch_queues(&topic).await.unwrap();
    assert_eq!(mqs.len(), 1);
    let consumer = LitePullConsumer::assign(cfg, mqs.clone()).await.unwrap();
    let mut got = Vec::new();
    while got.len() < 20 {
        let batch = consumer.poll(Duration::from_secs(5)).await.unwrap();
        assert!(!batch.is_empty(), "poll returned nothing with {} read", got.len());
        got.extend(batch);
    }
    assert_eq!(got.iter().map(|m| m.queue_offset).collect::<Vec<_>>(), (0..20).collect::<Vec<i64>>());
    consumer.seek(&mqs[0], 15).unwrap();
    let again = consumer.poll(Duration::from_secs(5)).await.unwrap();
    assert_eq!(again[0].queue_offset, 15);
    assert_eq!(&again[0].body[..], b"l15");
    consumer.seek(&mqs[0], 7).unwrap();
    consumer.commit().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(consumer.committed(&mqs[0]).await.unwrap(), Some(7));
    consumer.shutdown().await;
}
