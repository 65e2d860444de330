//! SQL92 selectors through our client: a push consumer and a lite pull consumer receive only the
//! messages whose properties match; a malformed selector fails at start with the broker's
//! position and reason.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_client::consumer::{
    ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, LitePullConfig, LitePullConsumer, MessageSelector,
    PushConsumer,
};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::{Message, MessageExt};
use rmq_tests::{start_broker, start_namesrv, BrokerSpec};

fn bodies(v: &[MessageExt]) -> BTreeSet<String> {
    v.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sql92_selectors_on_push_and_lite_pull() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let extra = "enablePropertyFilter=true\n".into();
    let spec = BrokerSpec { namesrv: Some(ns.addr()), store: dir.path().join("store"), port: 0, extra };
    let _broker = start_broker(&spec, dir.path());
    std::thread::sleep(Duration::from_millis(800));
    let mut pcfg = ProducerConfig::new("sql_pg", ns.addr());
    pcfg.client.instance_name = "sql_p".into();
    // Four queues, two of them holding no match first: every queue must be polled.
    pcfg.default_topic_queue_nums = 4;
    let p = Producer::start(pcfg).await.unwrap();
    let topic = "SqlClientT";
    for i in 0..6 {
        let m = Message::new(topic, format!("m{i}")).with_tags("t").with_property("a", &i.to_string());
        p.send(m).await.unwrap();
    }

    let seen: Arc<Mutex<Vec<MessageExt>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let listener = Listener::concurrent(move |msgs, _| {
        sink.lock().extend(msgs.iter().cloned());
        ConsumeStatus::Success
    });
    let mut cfg = ConsumerConfig::new("sql_push", ns.addr());
    cfg.client.instance_name = "sql_c".into();
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    let selectors = [(topic, MessageSelector::by_sql("a >= 3"))];
    let consumer = PushConsumer::start_with_selectors(cfg, &selectors, listener).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(bodies(&seen.lock()), set(&["m3", "m4", "m5"]));
    consumer.shutdown().await;

    let mut lcfg = LitePullConfig::new("sql_lite", ns.addr());
    lcfg.client.instance_name = "sql_l".into();
    lcfg.from_where = ConsumeFromWhere::FirstOffset;
    let lite =
        LitePullConsumer::subscribe_with_selector(lcfg, &[(topic, MessageSelector::by_sql("a < 2"))]).await.unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(40);
    while got.len() < 2 && Instant::now() < deadline {
        got.extend(lite.poll(Duration::from_secs(1)).await.unwrap());
    }
    let placed: Vec<(String, i32, i64)> =
        got.iter().map(|m| (String::from_utf8_lossy(&m.body).into_owned(), m.queue_id, m.queue_offset)).collect();
    assert_eq!(bodies(&got), set(&["m0", "m1"]), "{placed:?} from {:?}", lite.assignment());

    let mut bad = ConsumerConfig::new("sql_bad", ns.addr());
    bad.client.instance_name = "sql_b".into();
    let noop = Listener::concurrent(|_, _| ConsumeStatus::Success);
    let err = PushConsumer::start_with_selectors(bad, &[(topic, MessageSelector::by_sql("a > "))], noop)
        .await
        .expect_err("a malformed selector fails at start");
    let text = err.to_string();
    assert!(text.contains("line 1, column 4"), "{text}");
}
