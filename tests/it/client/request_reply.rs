//! Request-reply with our client against our name server and broker processes: a responder
//! answering with `reply::create_reply_message`, requests sync, with a callback and with a
//! selector (5 of 5 replies, exact bodies), a request nobody answers timing out, and replies the
//! broker cannot deliver answered with RocketMQ's remark.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::{reply, ClientError, Message, MessageExt};
use rmq_tests::{single_broker, SingleBroker};

const N: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(10);

fn cluster() -> SingleBroker {
    single_broker("")
}

async fn producer(ns: &str, name: &str) -> Producer {
    let mut cfg = ProducerConfig::new(format!("{name}_pg_{}", std::process::id()), ns);
    cfg.client.instance_name = format!("{name}_{}", std::process::id());
    Producer::start(cfg).await.unwrap()
}

/// A responder on `topic` answering `reply-<body>@<queue id>`.
async fn responder(ns: &str, topic: &str) -> (PushConsumer, Producer) {
    let replier = producer(ns, "rr_replier").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<MessageExt>();
    let sender = replier.clone();
    tokio::spawn(async move {
        while let Some(req) = rx.recv().await {
            let body = format!("reply-{}@{}", String::from_utf8_lossy(&req.body), req.queue_id);
            let r = reply::create_reply_message(&req, body).unwrap();
            sender.send(r).await.unwrap();
        }
    });
    let mut cfg = ConsumerConfig::new(format!("rr_responder_{}", std::process::id()), ns);
    cfg.client.instance_name = format!("rr_responder_{}", std::process::id());
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    let listener = Listener::concurrent(move |msgs, _| {
        for m in msgs.iter().filter(|m| reply::reply_to_client(m).is_some()) {
            tx.send(m.clone()).unwrap();
        }
        ConsumeStatus::Success
    });
    let consumer = PushConsumer::start(cfg, &[(topic, "*")], listener).await.unwrap();
    (consumer, replier)
}

fn text(m: &MessageExt) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}

/// The reply body without its `@<queue>` suffix.
fn stem(m: &MessageExt) -> String {
    let t = text(m);
    t.rsplit_once('@').map_or(t.clone(), |(a, _)| a.to_owned())
}

#[tokio::test]
async fn requests_get_their_replies() {
    let c = cluster();
    let topic = "rr_rust_topic";
    let requester = producer(&c.ns, "rr_requester").await;
    // The topic exists before the responder subscribes.
    requester.send(Message::new(topic, "warm-up")).await.unwrap();
    let (consumer, replier) = responder(&c.ns, topic).await;

    // Sync.
    for i in 0..N {
        let body = format!("req-{i}");
        let r = requester.request(Message::new(topic, body.clone()), TIMEOUT).await.unwrap();
        assert_eq!(stem(&r), format!("reply-{body}"));
        assert_eq!(r.topic, "DefaultCluster_REPLY_TOPIC");
        assert!(r.properties.iter().any(|(k, _)| k == "ARRIVE_TIME"));
    }

    // With a callback.
    let got: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    for i in 0..N {
        let body = format!("areq-{i}");
        let got = Arc::clone(&got);
        requester.request_with_callback(Message::new(topic, body.clone()), TIMEOUT, move |r| {
            got.lock().insert(body, r.map_or_else(|e| format!("error: {e}"), |m| stem(&m)));
        });
    }
    let deadline = Instant::now() + TIMEOUT * 2;
    while got.lock().len() < N && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let want: BTreeMap<String, String> = (0..N).map(|i| (format!("areq-{i}"), format!("reply-areq-{i}"))).collect();
    assert_eq!(*got.lock(), want);

    // With a selector: the request lands on the chosen queue.
    let queues = requester.queues(topic).await.unwrap();
    for i in 0..N {
        let pick = move |qs: &[rmq_client::MessageQueue], _: &Message| qs.len() - 1 - (i % qs.len());
        let chosen = &queues[queues.len() - 1 - (i % queues.len())];
        let r =
            requester.request_with_selector(Message::new(topic, format!("sreq-{i}")), &pick, TIMEOUT).await.unwrap();
        assert_eq!(text(&r), format!("reply-sreq-{i}@{}", chosen.queue_id));
    }

    // Nobody answers on another topic: the request times out after its timeout.
    requester.send(Message::new("rr_rust_silent", "warm-up")).await.unwrap();
    let started = Instant::now();
    let err =
        requester.request(Message::new("rr_rust_silent", "hello?"), Duration::from_millis(1500)).await.unwrap_err();
    assert!(matches!(err, ClientError::RequestTimeout { .. }), "{err}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(1400) && waited < Duration::from_secs(5), "{waited:?}");

    // A reply for a client the broker does not know: SYSTEM_ERROR with RocketMQ's remark.
    let mut bogus = Message::new("DefaultCluster_REPLY_TOPIC", "lost");
    for (k, v) in [("MSG_TYPE", "reply"), ("CORRELATION_ID", "c-x"), ("REPLY_TO_CLIENT", "10.1.1.1@nobody")] {
        bogus = bogus.with_property(k, v);
    }
    let err = replier.send(bogus).await.unwrap_err();
    assert_eq!(err.code(), Some(rmq_remoting::ResponseCode::SystemError), "{err}");
    assert!(err.to_string().ends_with("push reply message fail, channel of <10.1.1.1@nobody> not found."), "{err}");

    consumer.shutdown().await;
    replier.shutdown().await;
    requester.shutdown().await;
}
