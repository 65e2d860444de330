//! RecallMessage through the broker's RECALL_MESSAGE: a delay message's send entry carries the
//! broker's recall handle; a recall with it takes the message back (the other one is delivered);
//! a broker with recall off (the default) answers FORBIDDEN.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{res, start_cluster_with, start_proxy};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;
use rmq_common::recall::RecallHandle;
use rmq_common::time::now_ms;
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::{self, Code};
use tonic::transport::Channel;

type Client = MessagingServiceClient<Channel>;

async fn start(extra: &[(&str, &str)], topic: &str) -> (tempfile::TempDir, Client) {
    let dir = tempfile::tempdir().unwrap();
    let namesrv = start_cluster_with(dir.path(), extra).await;
    let addr = start_proxy(&namesrv, &[]).await;
    // The topic, created by a first send.
    let mut pc = ProducerConfig::new("recall_pg", namesrv);
    pc.client.instance_name = format!("recall-{topic}"); // one client instance per test's cluster
    let producer = Producer::start(pc).await.unwrap();
    for _ in 0..100 {
        if producer.send(Message::new(topic, "first")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut c = MessagingServiceClient::connect(format!("http://{addr}")).await.unwrap();
    for _ in 0..200 {
        let r = c.query_route(pb::QueryRouteRequest { topic: res(topic), endpoints: None }).await.unwrap();
        if r.into_inner().status.unwrap().code == Code::Ok as i32 {
            return (dir, c);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("topic {topic} not routed");
}

/// Sends a message due at `due_ms`; its send entry.
async fn send_delayed(c: &mut Client, topic: &str, id: &str, due_ms: i64) -> pb::SendResultEntry {
    let m = pb::Message {
        topic: res(topic),
        system_properties: Some(pb::SystemProperties {
            message_id: id.into(),
            delivery_timestamp: Some(prost_types::Timestamp { seconds: due_ms / 1000, nanos: 0 }),
            ..Default::default()
        }),
        body: id.as_bytes().to_vec(),
        ..Default::default()
    };
    for _ in 0..50 {
        let r = c.send_message(pb::SendMessageRequest { messages: vec![m.clone()] }).await.unwrap().into_inner();
        if r.status.as_ref().unwrap().code == Code::Ok as i32 {
            return r.entries.into_iter().next().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = c.send_message(pb::SendMessageRequest { messages: vec![m] }).await.unwrap().into_inner();
    panic!("{id} was never sent: {:?}", r.status);
}

async fn recall(c: &mut Client, topic: &str, handle: &str) -> pb::RecallMessageResponse {
    let req = pb::RecallMessageRequest { topic: res(topic), recall_handle: handle.into() };
    c.recall_message(req).await.unwrap().into_inner()
}

/// The ids received from `topic` until `until_ms`.
async fn received(c: &mut Client, topic: &str, until_ms: i64) -> Vec<String> {
    let mut ids = Vec::new();
    while now_ms() < until_ms {
        let req = pb::ReceiveMessageRequest {
            group: res("recall_g"),
            message_queue: common::any_queue(topic),
            filter_expression: Some(pb::FilterExpression {
                r#type: pb::FilterType::Tag as i32,
                expression: "*".into(),
            }),
            batch_size: 32,
            invisible_duration: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
            long_polling_timeout: Some(prost_types::Duration { seconds: 5, nanos: 0 }),
            ..Default::default()
        };
        let mut stream = c.receive_message(req).await.unwrap().into_inner();
        while let Some(item) = stream.message().await.unwrap() {
            if let Some(pb::receive_message_response::Content::Message(m)) = item.content {
                ids.push(m.system_properties.unwrap().message_id);
            }
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recalled_delay_message_is_taken_back_by_the_broker() {
    let topic = "RecallT";
    let (_dir, mut c) = start(&[("recallMessageEnable", "true")], topic).await;
    let due = (now_ms() / 1000 + 4) * 1000;
    let gone = send_delayed(&mut c, topic, "GONE1", due).await;
    send_delayed(&mut c, topic, "KEPT1", due).await;
    let handle = RecallHandle::decode(&gone.recall_handle).expect("the broker's handle");
    assert_eq!((handle.topic.as_str(), handle.message_id.as_str(), handle.due_ms()), (topic, "GONE1", due));

    let r = recall(&mut c, topic, &gone.recall_handle).await;
    assert_eq!(r.status.unwrap().code, Code::Ok as i32);
    assert_eq!(r.message_id, "GONE1");
    let r = recall(&mut c, "OtherTopic", &gone.recall_handle).await;
    assert_ne!(r.status.unwrap().code, Code::Ok as i32, "another topic's recall is refused");

    let ids = received(&mut c, topic, due + 4000).await;
    let delayed: Vec<&String> = ids.iter().filter(|i| *i == "GONE1" || *i == "KEPT1").collect();
    assert_eq!(delayed, vec!["KEPT1"], "only the message not recalled: {ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recall_is_forbidden_where_the_broker_has_it_off() {
    let topic = "RecallOff";
    let (_dir, mut c) = start(&[], topic).await;
    let entry = send_delayed(&mut c, topic, "OFF1", now_ms() + 10_000).await;
    let r = recall(&mut c, topic, &entry.recall_handle).await;
    assert_eq!(r.status.unwrap().code, Code::Forbidden as i32);
}
