//! What the proxy's integration tests share: an in-process name server and broker, and resource
//! names.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::TcpListener;

use rmq_proxy::pb::{self, Resource};

/// A free port whose successor is free too (the broker's HA port is listenPort + 1).
pub fn free_port_pair() -> u16 {
    loop {
        let p = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if p < u16::MAX && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

/// Starts a name server and broker `broker-a` (with `extra` broker keys) in this process; the
/// name server's address.
pub async fn start_cluster_with(dir: &std::path::Path, extra: &[(&str, &str)]) -> String {
    let ns_port = free_port_pair();
    let mut ns = rmq_nameserver::NamesrvConfig::default();
    for (k, v) in [("listenPort", ns_port.to_string()), ("bindAddress", "127.0.0.1".into())] {
        ns.set(k, &v).unwrap();
    }
    ns.kv_config_path = dir.join("kv.json").to_string_lossy().into_owned();
    tokio::spawn(rmq_nameserver::run(ns, std::future::pending()));
    let namesrv = format!("127.0.0.1:{ns_port}");
    let mut b = rmq_broker::BrokerConfig::default();
    let lines = [
        ("brokerName", "broker-a".to_owned()),
        ("brokerIP1", "127.0.0.1".into()),
        ("bindAddress", "127.0.0.1".into()),
        ("listenPort", free_port_pair().to_string()),
        ("fastListenEnable", "false".into()),
        ("storePathRootDir", dir.join("store").to_string_lossy().into_owned()),
        ("mappedFileSizeCommitLog", "16777216".into()),
        ("namesrvAddr", namesrv.clone()),
    ];
    let extra = extra.iter().map(|(k, v)| (*k, (*v).to_owned()));
    for (k, v) in lines.into_iter().chain(extra) {
        assert!(b.set(k, &v).unwrap(), "{k}");
    }
    tokio::spawn(rmq_broker::run(b, std::future::pending()));
    namesrv
}

/// [`start_cluster_with`] with no extra keys.
pub async fn start_cluster(dir: &std::path::Path) -> String {
    start_cluster_with(dir, &[]).await
}

/// A resource named `name` in the default namespace.
pub fn res(name: &str) -> Option<Resource> {
    Some(Resource { resource_namespace: String::new(), name: name.into() })
}

/// Any queue of `topic` on `broker-a`, as the SDKs name the queue of a receive.
pub fn any_queue(topic: &str) -> Option<pb::MessageQueue> {
    Some(pb::MessageQueue {
        topic: res(topic),
        id: -1,
        broker: Some(pb::Broker { name: "broker-a".into(), ..Default::default() }),
        ..Default::default()
    })
}

/// Starts an in-process proxy on a free loopback port over `namesrv`, with the config `keys`
/// applied on top of the defaults; returns its address.
pub async fn start_proxy(namesrv: &str, keys: &[(&str, &str)]) -> std::net::SocketAddr {
    let mut cfg = rmq_proxy::ProxyConfig {
        grpc_bind_address: "127.0.0.1".into(),
        grpc_server_port: 0,
        namesrv_addr: namesrv.into(),
        ..Default::default()
    };
    let pairs = keys.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    cfg.apply(&pairs).unwrap();
    let (addr, serve) = rmq_proxy::bind(cfg, std::future::pending()).await.unwrap();
    tokio::spawn(serve);
    addr
}
