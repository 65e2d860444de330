//! The Prometheus endpoints (`metricsExporterType=PROM`) of a broker and a name server,
//! scraped and parsed as Prometheus reads them, checked against known traffic: messages in and
//! out, consumer lag, request latencies by code, topic counts; off by default.

use std::time::{Duration, Instant};

use rmq_client::consumer::{ConsumeFromWhere, LitePullConfig, LitePullConsumer};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;
use rmq_tests::prom::{get, scrape, Scrape};
use rmq_tests::{free_port, start_broker, start_namesrv_with, wait_port, BrokerSpec};

const SENT: usize = 20;
const LATE: usize = 5;

fn prom(port: u16) -> String {
    format!("metricsExporterType=PROM\nmetricsPromExporterHost=127.0.0.1\nmetricsPromExporterPort={port}\n")
}

async fn wait_scrape(addr: &str, what: &str, f: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = scrape(addr);
        if f(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; last scrape: {s:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broker_and_name_server_export_what_the_traffic_did() {
    let dir = tempfile::tempdir().unwrap();
    let ns_port = free_port();
    let ns = start_namesrv_with(dir.path(), &prom(ns_port));
    let b_port = free_port();
    let spec = BrokerSpec { namesrv: Some(ns.addr()), store: dir.path().join("store"), port: 0, extra: prom(b_port) };
    let _broker = start_broker(&spec, dir.path());
    let b_addr = format!("127.0.0.1:{b_port}");
    assert!(wait_port(b_port, Duration::from_secs(10)), "broker metrics port");
    tokio::time::sleep(Duration::from_millis(800)).await;

    let topics_before = scrape(&b_addr).sum("rocketmq_topic_number", &[]);
    assert!(topics_before > 0.0, "system topics are counted");
    let mut pcfg = ProducerConfig::new("metrics_pg", ns.addr());
    pcfg.default_topic_queue_nums = 1;
    let producer = Producer::start(pcfg).await.unwrap();
    for i in 0..SENT {
        producer.send(Message::new("MetricsTopic", format!("m{i}"))).await.unwrap();
    }
    let s = scrape(&b_addr);
    let topic = [("topic", "MetricsTopic")];
    assert_eq!(s.sum("rocketmq_messages_in_total", &topic), SENT as f64);
    assert_eq!(
        s.sum("rocketmq_messages_in_total", &[("topic", "MetricsTopic"), ("message_type", "normal")]),
        SENT as f64
    );
    let bodies: usize = (0..SENT).map(|i| format!("m{i}").len()).sum();
    assert_eq!(s.sum("rocketmq_throughput_in_total", &topic), bodies as f64, "body bytes of m0..m19");
    assert_eq!(s.sum("rocketmq_message_size_count", &topic), SENT as f64);
    assert_eq!(s.sum("rocketmq_topic_number", &[]), topics_before + 1.0);
    let node = [("cluster", "DefaultCluster"), ("node_type", "broker"), ("node_id", "broker-a")];
    assert!(!s.find("rocketmq_messages_in_total", &node).is_empty(), "node labels on every series");
    let sends = s
        .sum("rocketmq_rpc_latency_count", &[("request_code", "send_message_v2"), ("response_code", "success")])
        + s.sum("rocketmq_rpc_latency_count", &[("request_code", "send_message"), ("response_code", "success")]);
    assert_eq!(sends, SENT as f64);
    assert_eq!(s.types.get("rocketmq_rpc_latency").map(String::as_str), Some("histogram"));

    consume_all(&ns.addr()).await;
    for i in 0..LATE {
        producer.send(Message::new("MetricsTopic", format!("late{i}"))).await.unwrap();
    }
    let group = [("consumer_group", "metrics_cg"), ("topic", "MetricsTopic")];
    let s = wait_scrape(&b_addr, "the committed offset", |s| {
        s.sum("rocketmq_consumer_lag_messages", &group) == LATE as f64
    })
    .await;
    assert_eq!(s.sum("rocketmq_messages_out_total", &group), SENT as f64);
    assert_eq!(s.sum("rocketmq_messages_in_total", &topic), (SENT + LATE) as f64);
    let lag_ms = s.sum("rocketmq_consumer_lag_latency", &group);
    assert!((0.0..60_000.0).contains(&lag_ms), "lag latency {lag_ms}");
    let producers = s.find("rocketmq_producer_connections", &[]);
    assert!(!producers.is_empty(), "{producers:#?}");
    assert!(
        producers.iter().all(|p| p.labels["version"].starts_with('v') && p.labels["protocol_type"] == "remoting"),
        "{producers:#?}"
    );
    producer.shutdown().await;

    let n = scrape(&format!("127.0.0.1:{ns_port}"));
    let reg = [("node_type", "namesrv"), ("request_code", "register_broker"), ("response_code", "success")];
    assert!(n.sum("rocketmq_rpc_latency_count", &reg) >= 1.0, "{n:#?}");
    assert!(n.sum("rocketmq_topic_number", &[]) >= 1.0);
    assert_eq!(get(&b_addr, "/nothing").0, 404);
}

/// Pulls all SENT messages as `metrics_cg` and commits them, then stops.
async fn consume_all(ns: &str) {
    let mut cfg = LitePullConfig::new("metrics_cg", ns);
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    cfg.auto_commit = false;
    let probe = LitePullConsumer::assign(cfg.clone(), Vec::new()).await.unwrap();
    let mqs = probe.fetch_queues("MetricsTopic").await.unwrap();
    probe.shutdown().await;
    let consumer = LitePullConsumer::assign(cfg, mqs).await.unwrap();
    let mut got = 0;
    while got < SENT {
        let batch = consumer.poll(Duration::from_secs(5)).await.unwrap();
        assert!(!batch.is_empty(), "poll returned nothing with {got} read");
        got += batch.len();
    }
    consumer.commit().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    consumer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let spec = BrokerSpec {
        namesrv: None,
        store: dir.path().join("store"),
        port: 0,
        extra: format!("metricsPromExporterHost=127.0.0.1\nmetricsPromExporterPort={port}\n"),
    };
    let _broker = start_broker(&spec, dir.path());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "no endpoint unless metricsExporterType=PROM");
}
