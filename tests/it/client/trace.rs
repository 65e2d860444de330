//! Message traces: a traced send and consume leave Pub, SubBefore and SubAfter records on the
//! trace topic, found by message id through the broker's index.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::trace::{self, TraceType};
use rmq_client::Message;
use rmq_tests::{start_broker, start_namesrv, BrokerSpec};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn traced_send_and_consume_are_queryable_by_message_id() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let spec = BrokerSpec {
        namesrv: Some(ns.addr()),
        store: dir.path().join("store"),
        port: 0,
        extra: "traceTopicEnable=true\n".into(),
    };
    let _broker = start_broker(&spec, dir.path());
    tokio::time::sleep(Duration::from_millis(800)).await;

    let mut pc = ProducerConfig::new("traced_pg", ns.addr());
    pc.client.instance_name = "traced_p".into();
    pc.trace.enabled = true;
    let p = Producer::start(pc).await.unwrap();
    let sent = p.send(Message::new("TracedTopic", "hello").with_tags("TagT").with_keys(["order-1"])).await.unwrap();

    let done: Arc<Mutex<bool>> = Arc::default();
    let d = Arc::clone(&done);
    let mut cc = ConsumerConfig::new("traced_cg", ns.addr());
    cc.client.instance_name = "traced_c".into();
    cc.from_where = ConsumeFromWhere::FirstOffset;
    cc.trace.enabled = true;
    let c = PushConsumer::start(
        cc,
        &[("TracedTopic", "*")],
        Listener::concurrent(move |_, _| {
            *d.lock() = true;
            ConsumeStatus::Success
        }),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let records = loop {
        let r = trace::query(p.instance(), trace::DEFAULT_TRACE_TOPIC, &sent.msg_id).await.unwrap_or_default();
        if r.iter().any(|x| x.kind == Some(TraceType::SubAfter)) && r.iter().any(|x| x.kind == Some(TraceType::Pub)) {
            break r;
        }
        assert!(Instant::now() < deadline, "no complete trace for {}: {r:?}", sent.msg_id);
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(*done.lock());
    let publ = records.iter().find(|r| r.kind == Some(TraceType::Pub)).unwrap();
    assert_eq!((publ.group.as_str(), publ.topic.as_str(), publ.tags.as_str()), ("traced_pg", "TracedTopic", "TagT"));
    assert_eq!(publ.keys, "order-1");
    assert_eq!(publ.offset_msg_id, sent.offset_msg_id);
    assert!(publ.success);
    let before = records.iter().find(|r| r.kind == Some(TraceType::SubBefore)).unwrap();
    let after = records.iter().find(|r| r.kind == Some(TraceType::SubAfter)).unwrap();
    assert_eq!(before.group, "traced_cg");
    assert_eq!(before.request_id, after.request_id);
    assert!(after.success);
    // Our admin CLI shows the whole path.
    let out = rmq_tests::mqadmin(&["-n", &ns.addr(), "queryMsgTraceById", "-i", &sent.msg_id]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for want in ["Pub", "traced_pg", "SubBefore", "SubAfter", "traced_cg", "topic=TracedTopic"] {
        assert!(out.stdout.contains(want), "{want} missing from:\n{}", out.stdout);
    }
    let json = rmq_tests::mqadmin(&["-n", &ns.addr(), "--json", "queryMsgTraceById", "-i", &sent.msg_id]).json();
    assert!(json.as_array().is_some_and(|a| a.len() >= 3), "{json}");
    let none = rmq_tests::mqadmin(&["-n", &ns.addr(), "queryMsgTraceById", "-i", "0000"]);
    assert_eq!(none.code, Some(3), "{}", none.stderr);
    c.shutdown().await;
    p.shutdown().await;
}
