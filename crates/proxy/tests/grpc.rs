//! The proxy over gRPC, through a tonic client: Heartbeat, Telemetry settings, termination, and
//! QueryRoute's status when the name server knows no route.

#![allow(clippy::unwrap_used)]

mod common;

use common::res;
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::{self, settings::PubSub, telemetry_command::Command, Code};
use rmq_proxy::ProxyConfig;
use tonic::transport::Channel;

async fn start() -> (MessagingServiceClient<Channel>, tokio::sync::oneshot::Sender<()>) {
    // A name server that is not there: routes fail, local RPCs still answer.
    let cfg = ProxyConfig {
        grpc_bind_address: "127.0.0.1".into(),
        grpc_server_port: 0,
        namesrv_addr: "127.0.0.1:1".into(),
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, serve) = rmq_proxy::bind(cfg, async move {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    tokio::spawn(serve);
    let client = MessagingServiceClient::connect(format!("http://{addr}")).await.unwrap();
    (client, stop)
}

#[tokio::test]
async fn heartbeat_and_termination_answer_ok() {
    let (mut c, _stop) = start().await;
    let hb = c.heartbeat(pb::HeartbeatRequest { group: res("G"), client_type: 1 }).await.unwrap().into_inner();
    assert_eq!(hb.status.unwrap().code, Code::Ok as i32);
    let t = c.notify_client_termination(pb::NotifyClientTerminationRequest { group: res("G") }).await.unwrap();
    assert_eq!(t.into_inner().status.unwrap().code, Code::Ok as i32);
}

#[tokio::test]
async fn telemetry_answers_settings() {
    let (mut c, _stop) = start().await;
    let settings = pb::Settings {
        client_type: Some(pb::ClientType::Producer as i32),
        pub_sub: Some(PubSub::Publishing(pb::Publishing { topics: vec![res("T").unwrap()], ..Default::default() })),
        ..Default::default()
    };
    let first = pb::TelemetryCommand { status: None, command: Some(Command::Settings(settings)) };
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(first).await.unwrap();
    let mut answers = c.telemetry(tokio_stream::wrappers::ReceiverStream::new(rx)).await.unwrap().into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    assert_eq!(answer.status.unwrap().code, Code::Ok as i32);
    let Some(Command::Settings(s)) = answer.command else { panic!("no settings back") };
    let Some(PubSub::Publishing(p)) = s.pub_sub else { panic!("no publishing back") };
    assert_eq!(p.topics[0].name, "T");
    assert_eq!(p.max_body_size, rmq_proxy::telemetry::MAX_BODY_SIZE);
    drop(tx);
    assert!(answers.message().await.unwrap().is_none(), "stream ends when the client closes");
}

#[tokio::test]
async fn query_route_without_name_server_is_a_status_not_a_crash() {
    let (mut c, _stop) = start().await;
    let r = c.query_route(pb::QueryRouteRequest { topic: res("T"), endpoints: None }).await.unwrap().into_inner();
    assert_ne!(r.status.unwrap().code, Code::Ok as i32);
    assert!(r.message_queues.is_empty());
    let r = c.query_route(pb::QueryRouteRequest { topic: None, endpoints: None }).await.unwrap().into_inner();
    assert_eq!(r.status.unwrap().code, Code::IllegalTopic as i32);
}
