//! The proxy over an in-process name server and broker: QueryRoute and QueryAssignment name the
//! broker's queues, each served through the proxy's endpoint.

#![allow(clippy::unwrap_used)]

mod common;

use common::{res, start_cluster, start_proxy};

use std::time::Duration;

use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::{self, Code, Endpoints};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_and_assignment_name_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let namesrv = start_cluster(dir.path()).await;
    let addr = start_proxy(&namesrv, &[]).await;
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
