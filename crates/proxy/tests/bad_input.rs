//! Bad input over gRPC: oversized and malformed messages get a gRPC status and the connection and
//! server live on; an unknown consumer group, a receive's invisible time below
//! `minInvisibleTimeMillsForRecv` and an expired receipt handle get the protocol codes the
//! official proxy answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{res, start_cluster, start_cluster_with, start_proxy};
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::receive_message_response::Content;
use rmq_proxy::pb::{self, Code};
use tonic::transport::Channel;

type Client = MessagingServiceClient<Channel>;

async fn proxy(namesrv: &str, keys: &[(&str, &str)]) -> Client {
    proxy_channel(namesrv, keys).await.0
}

/// A proxy with `keys` over `namesrv`; a client and the channel (one connection) under it.
async fn proxy_channel(namesrv: &str, keys: &[(&str, &str)]) -> (Client, Channel) {
    let addr = start_proxy(namesrv, keys).await;
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    (MessagingServiceClient::new(channel.clone()), channel)
}

async fn heartbeat_ok(c: &mut Client) {
    let hb = c.heartbeat(pb::HeartbeatRequest { group: res("G"), client_type: 1 }).await.unwrap();
    assert_eq!(hb.into_inner().status.unwrap().code, Code::Ok as i32);
}

fn message(topic: &str, id: &str, body: Vec<u8>) -> pb::Message {
    pb::Message {
        topic: res(topic),
        system_properties: Some(pb::SystemProperties { message_id: id.into(), ..Default::default() }),
        body,
        ..Default::default()
    }
}

/// What the malformed call sends: field 1 as a varint where SendMessageRequest has a message.
#[derive(Clone, PartialEq, prost::Message)]
struct Bogus {
    #[prost(uint64, tag = "1")]
    messages: u64,
}

async fn malformed_send(channel: Channel) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/apache.rocketmq.v2.MessagingService/SendMessage");
    let codec = tonic_prost::ProstCodec::<Bogus, pb::SendMessageResponse>::default();
    grpc.unary(tonic::Request::new(Bogus { messages: 7 }), path, codec).await.unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_messages_get_a_grpc_status_and_the_server_lives_on() {
    // No name server: these calls fail before any route is asked.
    let (mut c, channel) = proxy_channel("127.0.0.1:1", &[("grpcMaxInboundMessageSize", "65536")]).await;
    let big = pb::SendMessageRequest { messages: vec![message("T", "ID1", vec![b'x'; 100_000])] };
    let e = c.send_message(big).await.unwrap_err();
    assert!(matches!(e.code(), tonic::Code::ResourceExhausted | tonic::Code::OutOfRange), "{e:?}");
    heartbeat_ok(&mut c).await;

    let e = malformed_send(channel).await;
    assert_ne!(e.code(), tonic::Code::Ok);
    assert_ne!(e.code(), tonic::Code::Unavailable, "the server is still there: {e:?}");
    heartbeat_ok(&mut c).await;

    // An oversized command on a Telemetry stream ends that stream with a status, not the server.
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let mut answers = c.telemetry(tokio_stream::wrappers::ReceiverStream::new(rx)).await.unwrap().into_inner();
    let huge = pb::Settings {
        user_agent: Some(pb::Ua { hostname: "h".repeat(100_000), ..Default::default() }),
        ..Default::default()
    };
    use pb::telemetry_command::Command;
    tx.send(pb::TelemetryCommand { status: None, command: Some(Command::Settings(huge)) }).await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(20), answers.message()).await.expect("the stream ends");
    assert!(end.is_err(), "a gRPC status ends the stream: {end:?}");
    heartbeat_ok(&mut c).await;
}

async fn receive(c: &mut Client, topic: &str, group: &str, invisible_ms: i64) -> (i32, Vec<pb::Message>) {
    let req = pb::ReceiveMessageRequest {
        group: res(group),
        message_queue: common::any_queue(topic),
        batch_size: 32,
        invisible_duration: Some(prost_types::Duration {
            seconds: invisible_ms / 1000,
            nanos: i32::try_from(invisible_ms % 1000).unwrap() * 1_000_000,
        }),
        long_polling_timeout: Some(prost_types::Duration { seconds: 5, nanos: 0 }),
        ..Default::default()
    };
    let mut stream = c.receive_message(req).await.unwrap().into_inner();
    let (mut status, mut msgs) = (None, Vec::new());
    while let Some(item) = stream.message().await.unwrap() {
        match item.content.unwrap() {
            Content::Status(s) => status = Some(s.code),
            Content::Message(m) => msgs.push(m),
            Content::DeliveryTimestamp(_) => {}
        }
    }
    (status.expect("a status item"), msgs)
}

/// Creates `topic` and sends one message with id `id` through the proxy.
async fn topic_with_one_message(namesrv: &str, c: &mut Client, topic: &str, id: &str) {
    let admin = rmq_admin::Admin::connect(Some(namesrv), Duration::from_secs(3)).await.unwrap();
    let topics = rmq_admin::topic::Topics::new(&admin);
    let spec = rmq_admin::topic::TopicSpec::new(topic);
    for _ in 0..100 {
        if topics.create_topic(&rmq_admin::Target::Cluster("DefaultCluster".into()), &spec).await.is_ok() {
            let r = c.send_message(pb::SendMessageRequest { messages: vec![message(topic, id, b"b".to_vec())] }).await;
            if r.unwrap().into_inner().status.unwrap().code == Code::Ok as i32 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not send to {topic}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_group_gets_consumer_group_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let namesrv = start_cluster_with(dir.path(), &[("autoCreateSubscriptionGroup", "false")]).await;
    let mut c = proxy(&namesrv, &[]).await;
    topic_with_one_message(&namesrv, &mut c, "BadGroupT", "B1").await;
    let (status, msgs) = receive(&mut c, "BadGroupT", "NoSuchGroup", 30_000).await;
    assert_eq!(status, Code::ConsumerGroupNotFound as i32);
    assert!(msgs.is_empty());
}

async fn ack(c: &mut Client, topic: &str, group: &str, handle: &str) -> i32 {
    let entries = vec![pb::AckMessageEntry { message_id: "x".into(), receipt_handle: handle.into(), lite_topic: None }];
    let r = c.ack_message(pb::AckMessageRequest { group: res(group), topic: res(topic), entries }).await.unwrap();
    r.into_inner().status.unwrap().code
}

async fn change(c: &mut Client, topic: &str, group: &str, handle: &str) -> i32 {
    let req = pb::ChangeInvisibleDurationRequest {
        group: res(group),
        topic: res(topic),
        receipt_handle: handle.into(),
        invisible_duration: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
        ..Default::default()
    };
    c.change_invisible_duration(req).await.unwrap().into_inner().status.unwrap().code
}

async fn receive_one(c: &mut Client, topic: &str, group: &str, invisible_ms: i64) -> pb::Message {
    for _ in 0..20 {
        let (_, mut msgs) = receive(c, topic, group, invisible_ms).await;
        if let Some(m) = msgs.pop() {
            return m;
        }
    }
    panic!("no message on {topic}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_invisible_time_and_expired_handles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let namesrv = start_cluster(dir.path()).await;
    let mut strict = proxy(&namesrv, &[]).await;
    topic_with_one_message(&namesrv, &mut strict, "ExpiryT", "E1").await;
    // The official default: at least 10 s.
    let (status, msgs) = receive(&mut strict, "ExpiryT", "GE", 5_000).await;
    assert_eq!(status, Code::IllegalInvisibleTime as i32);
    assert!(msgs.is_empty());

    let mut c = proxy(&namesrv, &[("minInvisibleTimeMillsForRecv", "1000")]).await;
    let m = receive_one(&mut c, "ExpiryT", "GE", 1_000).await;
    let handle = m.system_properties.unwrap().receipt_handle.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(ack(&mut c, "ExpiryT", "GE", &handle).await, Code::InvalidReceiptHandle as i32);
    assert_eq!(change(&mut c, "ExpiryT", "GE", &handle).await, Code::InvalidReceiptHandle as i32);
    // Visible again: received once more, and this live handle acks.
    let again = receive_one(&mut c, "ExpiryT", "GE", 30_000).await;
    let sys = again.system_properties.unwrap();
    assert_eq!(sys.message_id, "E1");
    assert_eq!(ack(&mut c, "ExpiryT", "GE", &sys.receipt_handle.unwrap()).await, Code::Ok as i32);
}
