//! Name server discovery order (config, then NAMESRV_ADDR, then the HTTP endpoint) and routes
//! served from cache while every name server is down. One test in its own test binary: it changes
//! the environment.
// Process-level scenarios: a failed step panics with its reason, and a scenario reads top to bottom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::time::Duration;

use rmq_client::producer::{Producer, ProducerConfig, SendStatus};
use rmq_client::{ClientConfig, ClientInstance, Message, NameServerSource};
use rmq_tests::{start_broker, start_namesrv, BrokerSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `body` to every GET.
async fn endpoint(body: String) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            let body = body.clone();
            tokio::spawn(async move {
                let mut b = [0u8; 1024];
                let _ = s.read(&mut b).await;
                let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/rocketmq/nsaddr")
}

fn config(instance: &str) -> ClientConfig {
    let mut c = ClientConfig::builder().instance_name(instance).build();
    c.namesrv_addr = None;
    c.namesrv_endpoint = None;
    c
}

fn with_endpoint(url: &str, instance: &str) -> ClientConfig {
    let mut c = config(instance);
    c.namesrv_endpoint = Some(url.to_owned());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_order_and_cached_routes() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let spec = BrokerSpec { namesrv: Some(ns.addr()), store: dir.path().join("store"), port: 0, extra: String::new() };
    let _broker = start_broker(&spec, dir.path());
    tokio::time::sleep(Duration::from_millis(800)).await;

    std::env::remove_var("NAMESRV_ADDR");
    assert!(ClientInstance::start(config("none")).await.is_err(), "no source at all is an error");

    // The HTTP endpoint, used when nothing else is given.
    let url = endpoint(format!("{};", ns.addr())).await;
    let i = ClientInstance::start(with_endpoint(&url, "http")).await.unwrap();
    assert_eq!(i.namesrv_addrs(), vec![ns.addr()]);
    assert_eq!(i.namesrv_source(), &NameServerSource::Http(url.clone()));
    i.shutdown();

    // NAMESRV_ADDR wins over the endpoint; config wins over both.
    std::env::set_var("NAMESRV_ADDR", ns.addr());
    let i = ClientInstance::start(with_endpoint(&url, "env")).await.unwrap();
    assert_eq!(i.namesrv_source(), &NameServerSource::Env);
    i.shutdown();
    let given = ClientConfig::builder().instance_name("cfg").namesrv_addr("127.0.0.1:1").build();
    let i = ClientInstance::start(given).await.unwrap();
    assert_eq!(i.namesrv_source(), &NameServerSource::Config);
    assert_eq!(i.namesrv_addrs(), vec!["127.0.0.1:1"]);
    i.shutdown();
    std::env::remove_var("NAMESRV_ADDR");

    // A producer found through the endpoint sends; with the name server gone, the cached route
    // keeps it sending.
    let pc = ProducerConfig::builder("ns_test").client(with_endpoint(&url, "producer")).build();
    let p = Producer::start(pc).await.unwrap();
    assert_eq!(p.send(Message::new("NsTopic", "one")).await.unwrap().status, SendStatus::SendOk);
    ns.kill();
    tokio::time::sleep(Duration::from_millis(200)).await;
    p.instance().refresh_routes().await; // fails quietly, keeps the cache
    assert_eq!(p.send(Message::new("NsTopic", "two")).await.unwrap().status, SendStatus::SendOk);
}
