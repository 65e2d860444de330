//! The proxy's data path over an in-process name server and broker: SendMessage (ids, tags,
//! keys, properties kept; batches), ReceiveMessage (status first, then the messages, receipt
//! handles), AckMessage, ChangeInvisibleDuration, and bad input answered with protocol codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{res, start_cluster, start_proxy};

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::receive_message_response::Content;
use rmq_proxy::pb::{self, Code};
use tonic::transport::Channel;

type Client = MessagingServiceClient<Channel>;

/// Creates `topic` on the cluster and waits until the proxy routes it.
async fn create_topic(namesrv: &str, c: &mut Client, topic: &str) {
    let admin = rmq_admin::Admin::connect(Some(namesrv), Duration::from_secs(3)).await.unwrap();
    let topics = rmq_admin::topic::Topics::new(&admin);
    let mut spec = rmq_admin::topic::TopicSpec::new(topic);
    spec.read_queue_nums = 2;
    spec.write_queue_nums = 2;
    for _ in 0..100 {
        if topics.create_topic(&rmq_admin::Target::Cluster("DefaultCluster".into()), &spec).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..100 {
        let r = c.query_route(pb::QueryRouteRequest { topic: res(topic), endpoints: None }).await.unwrap();
        if r.into_inner().status.unwrap().code == Code::Ok as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("topic {topic} not routed");
}

fn sdk_message(topic: &str, id: &str, tag: &str) -> pb::Message {
    pb::Message {
        topic: res(topic),
        user_properties: HashMap::from([("color".to_owned(), "red".to_owned())]),
        system_properties: Some(pb::SystemProperties {
            tag: Some(tag.into()),
            keys: vec![format!("key-{id}")],
            message_id: id.into(),
            ..Default::default()
        }),
        body: format!("body-{id}").into_bytes(),
    }
}

async fn receive(c: &mut Client, topic: &str, group: &str, tag: &str, invisible_s: i64) -> (i32, Vec<pb::Message>) {
    let req = pb::ReceiveMessageRequest {
        group: res(group),
        message_queue: common::any_queue(topic),
        filter_expression: Some(pb::FilterExpression { r#type: pb::FilterType::Tag as i32, expression: tag.into() }),
        batch_size: 32,
        invisible_duration: Some(prost_types::Duration { seconds: invisible_s, nanos: 0 }),
        long_polling_timeout: Some(prost_types::Duration { seconds: 5, nanos: 0 }),
        ..Default::default()
    };
    let mut stream = c.receive_message(req).await.unwrap().into_inner();
    let mut status = None;
    let mut msgs = Vec::new();
    let mut delivered = false;
    while let Some(item) = stream.message().await.unwrap() {
        assert!(!delivered, "the delivery timestamp comes last");
        match item.content.unwrap() {
            Content::Status(s) => {
                assert!(status.is_none() && msgs.is_empty(), "the status comes first, once");
                status = Some(s.code);
            }
            Content::Message(m) => msgs.push(m),
            Content::DeliveryTimestamp(_) => delivered = true,
        }
    }
    assert_eq!(delivered, !msgs.is_empty(), "messages end with a delivery timestamp");
    (status.expect("a status item"), msgs)
}

async fn receive_all(c: &mut Client, topic: &str, group: &str, tag: &str, want: usize) -> Vec<pb::Message> {
    let mut got = Vec::new();
    for _ in 0..20 {
        let (_, msgs) = receive(c, topic, group, tag, 30).await;
        got.extend(msgs);
        if got.len() >= want {
            break;
        }
    }
    got
}

fn sys(m: &pb::Message) -> &pb::SystemProperties {
    m.system_properties.as_ref().unwrap()
}

async fn ack(c: &mut Client, topic: &str, group: &str, handle: &str) -> pb::AckMessageResponse {
    let entries = vec![pb::AckMessageEntry { message_id: "x".into(), receipt_handle: handle.into(), lite_topic: None }];
    c.ack_message(pb::AckMessageRequest { group: res(group), topic: res(topic), entries }).await.unwrap().into_inner()
}

async fn start() -> (tempfile::TempDir, String, Client) {
    let dir = tempfile::tempdir().unwrap();
    let namesrv = start_cluster(dir.path()).await;
    let addr = start_proxy(&namesrv, &[]).await;
    let c = MessagingServiceClient::connect(format!("http://{addr}")).await.unwrap();
    (dir, namesrv, c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_receive_ack_and_change_invisible_duration() {
    let (_dir, namesrv, mut c) = start().await;
    create_topic(&namesrv, &mut c, "ProxyT").await;
    let mut sent = BTreeSet::new();
    for i in 0..4 {
        let id = format!("ID{i:04}");
        let tag = if i % 2 == 0 { "A" } else { "B" };
        let r = c
            .send_message(pb::SendMessageRequest { messages: vec![sdk_message("ProxyT", &id, tag)] })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status.unwrap().code, Code::Ok as i32);
        assert_eq!(r.entries[0].message_id, id, "the SDK's id is kept");
        sent.insert(id);
    }
    let batch = vec![sdk_message("ProxyT", "ID0100", "A"), sdk_message("ProxyT", "ID0101", "A")];
    let r = c.send_message(pb::SendMessageRequest { messages: batch }).await.unwrap().into_inner();
    assert_eq!(r.status.unwrap().code, Code::Ok as i32);
    let ids: Vec<&str> = r.entries.iter().map(|e| e.message_id.as_str()).collect();
    assert_eq!(ids, ["ID0100", "ID0101"]);
    sent.extend(["ID0100".to_owned(), "ID0101".to_owned()]);

    let got = receive_all(&mut c, "ProxyT", "G1", "*", sent.len()).await;
    let got_ids: BTreeSet<String> = got.iter().map(|m| sys(m).message_id.clone()).collect();
    assert_eq!(got_ids, sent);
    assert_eq!(got.len(), sent.len());
    let m = got.iter().find(|m| sys(m).message_id == "ID0001").unwrap();
    assert_eq!(sys(m).tag.as_deref(), Some("B"));
    assert_eq!(sys(m).keys, vec!["key-ID0001"]);
    assert_eq!(m.user_properties.get("color").map(String::as_str), Some("red"));
    assert_eq!(m.body, b"body-ID0001");
    assert_eq!(sys(m).delivery_attempt, Some(1));

    // Ack all but one; change that one's invisible time to 1 s: it comes back, a second attempt.
    let (keep, rest) = got.split_first().unwrap();
    for m in rest {
        let a = ack(&mut c, "ProxyT", "G1", sys(m).receipt_handle.as_deref().unwrap()).await;
        assert_eq!(a.status.unwrap().code, Code::Ok as i32);
    }
    let change = pb::ChangeInvisibleDurationRequest {
        group: res("G1"),
        topic: res("ProxyT"),
        receipt_handle: sys(keep).receipt_handle.clone().unwrap(),
        invisible_duration: Some(prost_types::Duration { seconds: 1, nanos: 0 }),
        message_id: sys(keep).message_id.clone(),
        ..Default::default()
    };
    let changed = c.change_invisible_duration(change).await.unwrap().into_inner();
    assert_eq!(changed.status.unwrap().code, Code::Ok as i32);
    assert!(!changed.receipt_handle.is_empty());
    let again = receive_all(&mut c, "ProxyT", "G1", "*", 1).await;
    assert_eq!(again.len(), 1);
    assert_eq!(sys(&again[0]).message_id, sys(keep).message_id);
    assert_eq!(sys(&again[0]).delivery_attempt, Some(2));
    let a = ack(&mut c, "ProxyT", "G1", sys(&again[0]).receipt_handle.as_deref().unwrap()).await;
    assert_eq!(a.status.unwrap().code, Code::Ok as i32);
    let (status, none) = receive(&mut c, "ProxyT", "G1", "*", 30).await;
    assert_eq!((status, none.len()), (Code::MessageNotFound as i32, 0), "all acked");

    // A tag filter: a new group reading tag A sees only those.
    let a_only = receive_all(&mut c, "ProxyT", "G2", "A", 4).await;
    let a_ids: BTreeSet<String> = a_only.iter().map(|m| sys(m).message_id.clone()).collect();
    let want: BTreeSet<String> = ["ID0000", "ID0002", "ID0100", "ID0101"].iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(a_ids, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_protocol_codes() {
    let (_dir, namesrv, mut c) = start().await;
    create_topic(&namesrv, &mut c, "ProxyBad").await;
    let r = c
        .send_message(pb::SendMessageRequest { messages: vec![sdk_message("NoSuchTopic", "I1", "A")] })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, Code::TopicNotFound as i32);
    let r = c.send_message(pb::SendMessageRequest { messages: Vec::new() }).await.unwrap().into_inner();
    assert_eq!(r.status.unwrap().code, Code::IllegalTopic as i32);
    let mut no_id = sdk_message("ProxyBad", "", "A");
    no_id.body = b"x".to_vec();
    let r = c.send_message(pb::SendMessageRequest { messages: vec![no_id] }).await.unwrap().into_inner();
    assert_eq!(r.status.unwrap().code, Code::IllegalMessageId as i32);
    let (status, _) = receive(&mut c, "NoSuchTopic", "G", "*", 30).await;
    assert_eq!(status, Code::TopicNotFound as i32);
    let a = ack(&mut c, "ProxyBad", "G", "not a handle").await;
    assert_eq!(a.status.unwrap().code, Code::InvalidReceiptHandle as i32);
    let a = ack(&mut c, "ProxyBad", "G", "1 2 3 4 0 no-such-broker 0 5").await;
    assert_eq!(a.status.unwrap().code, Code::InvalidReceiptHandle as i32);
    let change = pb::ChangeInvisibleDurationRequest {
        group: res("G"),
        topic: res("ProxyBad"),
        receipt_handle: "garbage".into(),
        invisible_duration: Some(prost_types::Duration { seconds: 1, nanos: 0 }),
        ..Default::default()
    };
    let r = c.change_invisible_duration(change).await.unwrap().into_inner();
    assert_eq!(r.status.unwrap().code, Code::InvalidReceiptHandle as i32);
    // An abandoned long poll: the client drops the stream; the proxy keeps serving.
    let req = pb::ReceiveMessageRequest {
        group: res("G"),
        message_queue: Some(pb::MessageQueue {
            topic: res("ProxyBad"),
            broker: Some(pb::Broker { name: "broker-a".into(), ..Default::default() }),
            ..Default::default()
        }),
        batch_size: 1,
        long_polling_timeout: Some(prost_types::Duration { seconds: 20, nanos: 0 }),
        ..Default::default()
    };
    let stream = c.receive_message(req).await.unwrap();
    drop(stream);
    let r = c.query_route(pb::QueryRouteRequest { topic: res("ProxyBad"), endpoints: None }).await.unwrap();
    assert_eq!(r.into_inner().status.unwrap().code, Code::Ok as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_group_pops_a_message_group_in_order() {
    let (_dir, namesrv, mut c) = start().await;
    create_topic(&namesrv, &mut c, "ProxyFifo").await;
    let admin = rmq_admin::Admin::connect(Some(&namesrv), Duration::from_secs(3)).await.unwrap();
    let spec = rmq_admin::group::GroupSpec { consume_message_orderly: Some(true), ..Default::default() };
    let target = rmq_admin::Target::Cluster("DefaultCluster".into());
    rmq_admin::group::Groups::new(&admin).update_sub_group(&target, "GF", &spec).await.unwrap();
    for id in ["F1", "F2", "F3"] {
        let mut m = sdk_message("ProxyFifo", id, "A");
        m.system_properties.as_mut().unwrap().message_group = Some("order-1".into());
        let r = c.send_message(pb::SendMessageRequest { messages: vec![m] }).await.unwrap().into_inner();
        assert_eq!(r.status.unwrap().code, Code::Ok as i32);
    }
    let first = receive_all(&mut c, "ProxyFifo", "GF", "*", 1).await;
    let ids: Vec<&str> = first.iter().map(|m| sys(m).message_id.as_str()).collect();
    assert_eq!(ids, ["F1", "F2", "F3"], "one message group: one queue, in send order");
    assert_eq!(sys(&first[0]).message_group.as_deref(), Some("order-1"));
    // The group is orderly, so the proxy popped orderly: the handles name the orderly revive
    // queue (999), which a normal pop never uses.
    for m in &first {
        let handle = sys(m).receipt_handle.clone().unwrap();
        assert_eq!(handle.split(' ').nth(3), Some("999"), "{handle}");
    }
    let (status, none) = receive(&mut c, "ProxyFifo", "GF", "*", 30).await;
    assert_eq!((status, none.len()), (Code::MessageNotFound as i32, 0), "unacked: nothing more");
}
