//! Our POP consumer against a name server and a broker: two members of a group switched to POP
//! with `mqadmin setConsumeMode` are listed by `consumerConnection`, both get the broker's whole topic from QUERY_ASSIGNMENT, every
//! message is consumed, and a RECONSUME_LATER comes back (CHANGE_MESSAGE_INVISIBLETIME) and is
//! then acked.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_client::consumer::{ConsumeStatus, PopConfig, PopConsumer, PopListener};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;
use rmq_tests::{mqadmin, start_broker, start_namesrv, BrokerSpec};

const TOPIC: &str = "PopClientT";
const GROUP: &str = "pop_client_g";

async fn consumer(ns: &str, name: &str, seen: Arc<Mutex<BTreeMap<String, usize>>>) -> PopConsumer {
    let mut cfg = PopConfig::new(GROUP, TOPIC, ns);
    cfg.client.instance_name = format!("{name}_{}", std::process::id());
    cfg.retry_delay_ms = 1000;
    cfg.poll_ms = 1000;
    let listener: PopListener = Arc::new(move |m| {
        let body = String::from_utf8_lossy(&m.body).into_owned();
        let mut seen = seen.lock();
        let n = seen.entry(body.clone()).or_insert(0);
        *n += 1;
        if body == "p3" && *n == 1 {
            ConsumeStatus::ReconsumeLater
        } else {
            ConsumeStatus::Success
        }
    });
    PopConsumer::start(cfg, listener).await.unwrap()
}

#[tokio::test]
async fn pop_consumers_share_a_topic_and_redeliver_reconsume_later() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let spec = BrokerSpec { namesrv: Some(ns.addr()), store: dir.path().join("store"), port: 0, extra: String::new() };
    let broker = start_broker(&spec, dir.path());
    let (nsa, addr) = (ns.addr(), broker.addr());
    assert_eq!(mqadmin(&["-n", &nsa, "updateTopic", "-b", &addr, "-t", TOPIC, "-r", "4", "-w", "4"]).code, Some(0));
    assert_eq!(mqadmin(&["-n", &nsa, "updateSubGroup", "-b", &addr, "-g", GROUP]).code, Some(0));
    let out = mqadmin(&["-n", &nsa, "setConsumeMode", "-b", &addr, "-t", TOPIC, "-g", GROUP, "-m", "POP", "-q", "0"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    tokio::time::sleep(Duration::from_millis(800)).await;

    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let a = consumer(&nsa, "pop_a", Arc::clone(&seen)).await;
    let b = consumer(&nsa, "pop_b", Arc::clone(&seen)).await;
    for c in [&a, &b] {
        let q: Vec<(String, i32)> = c.assignment().into_iter().map(|q| (q.broker_name, q.queue_id)).collect();
        assert_eq!(q, [("broker-a".to_owned(), -1)]);
    }
    // Both are members of the group, as the official broker lists POP consumers.
    let out = mqadmin(&["-n", &nsa, "consumerConnection", "-g", GROUP]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("pop_a_") && out.stdout.contains("pop_b_"), "{}", out.stdout);
    let mut pcfg = ProducerConfig::new(format!("pop_client_pg_{}", std::process::id()), nsa.clone());
    pcfg.client.instance_name = format!("pop_client_p_{}", std::process::id());
    let producer = Producer::start(pcfg).await.unwrap();
    for i in 0..20 {
        producer.send(Message::new(TOPIC, format!("p{i}"))).await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    while Instant::now() < deadline {
        let done = {
            let s = seen.lock();
            s.len() == 20 && s.get("p3") == Some(&2)
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = seen.lock().clone();
    assert_eq!(s.len(), 20, "{s:?}");
    assert_eq!(s.get("p3"), Some(&2), "RECONSUME_LATER comes back once, then is acked: {s:?}");
    assert!(s.iter().filter(|(k, _)| *k != "p3").all(|(_, n)| *n == 1), "acked messages stay acked: {s:?}");
    a.shutdown().await;
    b.shutdown().await;
    producer.shutdown().await;
}
