//! The proxy over an in-process name server and broker: QueryRoute and QueryAssignment name the
//! broker's queues, each served through the proxy's endpoint.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::time::Duration;

use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::{self, Code, Endpoints, Resource};
use rmq_proxy::ProxyConfig;

/// A free port whose successor is free too (the broker's HA port is listenPort + 1).
fn free_port_pair() -> u16 {
    loop {
        let p = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if p < u16::MAX && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

async fn start_cluster(dir: &std::path::Path) -> String {
    let ns_port = free_port_pair();
    let mut ns = rmq_nameserver::NamesrvConfig::default();
    for (k, v) in [("listenPort", ns_port.to_string()), ("bindAddress", "127.0.0.1".into())] {
        ns.set(k, &v).unwrap();
    }
    ns.kv_config_path = dir.join("kv.json").to_string_lossy().into_owned();
    tokio::spawn(rmq_nameserver::run(ns, std::future::pending()));
    let namesrv = format!("127.0.0.1:{ns_port}");
    let mut b = rmq_broker::BrokerConfig::default();
    let store = dir.join("store").to_string_lossy().into_owned();
    let lines = [
        ("brokerName", "broker-a".to_owned()),
        ("brokerIP1", "127.0.0.1".into()),
        ("bindAddress", "127.0.0.1".into()),
        ("listenPort", free_port_pair().to_string()),
        ("fastListenEnable", "false".into()),
        ("storePathRootDir", store),
        ("mappedFileSizeCommitLog", "16777216".into()),
        ("namesrvAddr", namesrv.clone()),
    ];
    for (k, v) in lines {
        assert!(b.set(k, &v).unwrap(), "{k}");
    }
    tokio::spawn(rmq_broker::run(b, std::future::pending()));
    namesrv
}

fn res(name: &str) -> Option<Resource> {
    Some(Resource { resource_namespace: String::new(), name: name.into() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_and_assignment_name_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let namesrv = start_cluster(dir.path()).await;
    let cfg = ProxyConfig {
        grpc_bind_address: "127.0.0.1".into(),
        grpc_server_port: 0,
        namesrv_addr: namesrv,
        ..Default::default()
    };
    let (addr, serve) = rmq_proxy::bind(cfg, std::future::pending()).await.unwrap();
    tokio::spawn(serve);
    let mut c = MessagingServiceClient::connect(format!("http://{addr}")).await.unwrap();
    let ep = Endpoints {
        scheme: pb::AddressScheme::IPv4 as i32,
        addresses: vec![pb::Address { host: "127.0.0.1".into(), port: i32::from(addr.port()) }],
    };
    let mut route = None;
    for _ in 0..100 {
        let r =
            c.query_route(pb::QueryRouteRequest { topic: res("TBW102"), endpoints: Some(ep.clone()) }).await.unwrap();
        let r = r.into_inner();
        if r.status.as_ref().unwrap().code == Code::Ok as i32 {
            route = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let route = route.expect("the broker registered TBW102 within 10 s");
    assert!(!route.message_queues.is_empty());
    for q in &route.message_queues {
        let broker = q.broker.as_ref().unwrap();
        assert_eq!(broker.name, "broker-a");
        assert_eq!(broker.endpoints.as_ref(), Some(&ep), "every queue is served through the proxy");
    }
    let a = c
        .query_assignment(pb::QueryAssignmentRequest {
            topic: res("TBW102"),
            group: res("G"),
            endpoints: Some(ep.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.status.unwrap().code, Code::Ok as i32);
    let ids: Vec<(String, i32)> = a
        .assignments
        .iter()
        .map(|x| x.message_queue.as_ref().unwrap())
        .map(|q| (q.broker.as_ref().unwrap().name.clone(), q.id))
        .collect();
    assert_eq!(ids, vec![("broker-a".to_owned(), -1)]);
    let missing =
        c.query_route(pb::QueryRouteRequest { topic: res("NoSuchTopic"), endpoints: Some(ep) }).await.unwrap();
    assert_eq!(missing.into_inner().status.unwrap().code, Code::TopicNotFound as i32);
}
