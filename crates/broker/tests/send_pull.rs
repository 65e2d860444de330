//! In-process broker: raw send and pull over the wire, long polling, tag filter, offsets.
// Test and example code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::time::{Duration, Instant};

use rmq_common::message::MessageExt;
use rmq_remoting::body::{ConsumerData, HeartbeatData, SubscriptionData};
use rmq_remoting::header::{
    OffsetResponseHeader, PullMessageRequestHeader, PullMessageResponseHeader, QueryConsumerOffsetRequestHeader,
    SendMessageRequestHeaderV2, SendMessageResponseHeader, TopicQueueRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

mod common;
use common::start;

const T: Duration = Duration::from_secs(5);

fn send_request(topic: &str, queue: i32, body: &str, tag: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        g: 1,
        i: Some(format!("TAGS\u{1}{tag}\u{2}KEYS\u{1}key-{body}")),
        ..common::send_header(topic, queue)
    };
    common::send_request(&h, body.as_bytes())
}

fn pull_request(topic: &str, queue: i32, offset: i64, suspend_ms: i64, sub: &str) -> RemotingCommand {
    pull_n(topic, queue, offset, suspend_ms, sub, 32)
}

fn pull_n(topic: &str, queue: i32, offset: i64, suspend_ms: i64, sub: &str, max: i32) -> RemotingCommand {
    let h = PullMessageRequestHeader {
        consumer_group: "cg".into(),
        topic: topic.into(),
        queue_id: queue,
        queue_offset: offset,
        max_msg_nums: max,
        sys_flag: 0x2 | 0x4,
        commit_offset: Some(0),
        suspend_timeout_millis: Some(suspend_ms),
        subscription: Some(sub.into()),
        sub_version: Some(0),
        expression_type: Some("TAG".into()),
        ..PullMessageRequestHeader::default()
    };
    RemotingCommand::request_with_header(RequestCode::PullMessage, &h)
}

#[tokio::test]
async fn send_then_pull_with_tags_and_long_polling() {
    let b = start(|_| {}).await;
    let c = RemotingClient::default();
    // Auto-created topic from TBW102.
    for i in 0..6 {
        let resp = c
            .invoke(&b.addr, send_request("TopicA", 1, &format!("m{i}"), if i % 2 == 0 { "a" } else { "b" }), T)
            .await
            .unwrap();
        assert_eq!(resp.code, 0, "{:?}", resp.remark);
        let h: SendMessageResponseHeader = resp.header().unwrap();
        assert_eq!(h.queue_offset, i);
        assert_eq!(h.queue_id, 1);
        assert_eq!(h.msg_id.len(), 32);
        assert_eq!(resp.ext_fields.get("MSG_REGION"), Some("DefaultRegion"));
    }
    let resp = c.invoke(&b.addr, pull_request("TopicA", 1, 0, 0, "a"), T).await.unwrap();
    assert_eq!(resp.code, 0);
    let h: PullMessageResponseHeader = resp.header().unwrap();
    assert_eq!(h.next_begin_offset, 6);
    assert_eq!(h.max_offset, 6);
    let msgs = MessageExt::decode_all(&resp.body).unwrap();
    let bodies: Vec<String> = msgs.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect();
    assert_eq!(bodies, vec!["m0", "m2", "m4"]);
    assert_eq!(msgs[1].queue_offset, 2);

    // Nothing new: a short hold answers PULL_NOT_FOUND.
    let resp = c.invoke(&b.addr, pull_request("TopicA", 1, 6, 300, "*"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::PullNotFound);

    // Long polling wakes soon after a send.
    let c2 = c.clone();
    let addr = b.addr.clone();
    let started = Instant::now();
    let waiter = tokio::spawn(async move { c2.invoke(&addr, pull_request("TopicA", 1, 6, 10_000, "*"), T * 3).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent_at = Instant::now();
    c.invoke(&b.addr, send_request("TopicA", 1, "late", "a"), T).await.unwrap();
    let resp = waiter.await.unwrap().unwrap();
    assert_eq!(resp.code, 0);
    assert!(sent_at.elapsed() < Duration::from_millis(100), "woke {:?} after send", sent_at.elapsed());
    assert!(started.elapsed() < Duration::from_secs(5));
    b.stop().await;
}

#[tokio::test]
async fn offsets_and_errors() {
    let b = start(|cfg| cfg.topics.auto_create_topic_enable = false).await;
    let c = RemotingClient::default();
    let resp = c.invoke(&b.addr, send_request("NoSuchTopic", 0, "x", "a"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::TopicNotExist);
    let resp = c.invoke(&b.addr, send_request("bad topic!", 0, "x", "a"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::MessageIllegal);
    let resp = c.invoke(&b.addr, send_request("SCHEDULE_TOPIC_XXXX", 0, "x", "a"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::NoPermission);
    let unknown = RemotingCommand::request(RequestCode::Unknown(9999));
    let resp = c.invoke(&b.addr, unknown, T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::RequestCodeNotSupported);
    assert!(resp.remark_str().contains("9999"));

    let upd = UpdateConsumerOffsetRequestHeader {
        consumer_group: "g".into(),
        topic: "T".into(),
        queue_id: 2,
        commit_offset: 17,
    };
    let resp = c
        .invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &upd), T)
        .await
        .unwrap();
    assert_eq!(resp.code, 0);
    let q = QueryConsumerOffsetRequestHeader {
        consumer_group: "g".into(),
        topic: "T".into(),
        queue_id: 2,
        set_zero_if_not_found: None,
    };
    let resp =
        c.invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::QueryConsumerOffset, &q), T).await.unwrap();
    assert_eq!(resp.header::<OffsetResponseHeader>().unwrap().offset, 17);
    let m = TopicQueueRequestHeader { topic: "T".into(), queue_id: 2, committed: None };
    let resp = c.invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::GetMaxOffset, &m), T).await.unwrap();
    assert_eq!(resp.header::<OffsetResponseHeader>().unwrap().offset, 0);

    // Heartbeat registers a consumer; the group list answers with it.
    let hb = HeartbeatData {
        client_id: "127.0.0.1@test".into(),
        consumer_data_set: vec![ConsumerData {
            group_name: "g".into(),
            consume_type: rmq_remoting::body::ConsumeType::Passively,
            message_model: rmq_remoting::body::MessageModel::Clustering,
            consume_from_where: rmq_remoting::body::ConsumeFromWhere::LastOffset,
            subscription_data_set: vec![SubscriptionData {
                topic: "T".into(),
                sub_string: "*".into(),
                expression_type: "TAG".into(),
                ..SubscriptionData::default()
            }],
            unit_mode: false,
        }],
        producer_data_set: vec![],
    };
    let resp = c
        .invoke(
            &b.addr,
            RemotingCommand::request(RequestCode::HeartBeat).with_body(serde_json::to_vec(&hb).unwrap()),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, 0);
    assert_eq!(resp.version, rmq_remoting::CURRENT_VERSION);
    b.stop().await;
}

#[tokio::test]
async fn delayed_messages_arrive_after_their_level() {
    let b = start(|cfg| cfg.delay.message_delay_level = "1s 2s".into()).await;
    let c = RemotingClient::default();
    let mut req = send_request("Delayed", 0, "later", "a");
    // Append DELAY=2 (2 s) to the properties.
    let props = req.ext_fields.get("i").unwrap_or_default().to_owned();
    req.ext_fields.insert("i".into(), format!("{props}\u{2}DELAY\u{1}2"));
    let sent = Instant::now();
    let resp = c.invoke(&b.addr, req, T).await.unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    // Not visible at once.
    let resp = c.invoke(&b.addr, pull_request("Delayed", 0, 0, 0, "*"), T).await.unwrap();
    assert_ne!(resp.code, 0);
    // Long-poll until it arrives.
    let resp = c.invoke(&b.addr, pull_request("Delayed", 0, 0, 10_000, "*"), T * 3).await.unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let elapsed = sent.elapsed();
    assert!(elapsed >= Duration::from_millis(1900), "delivered after {elapsed:?}");
    assert!(elapsed < Duration::from_millis(3500), "delivered after {elapsed:?}");
    let m = &MessageExt::decode_all(&resp.body).unwrap()[0];
    assert_eq!(&m.body[..], b"later");
    assert_eq!(m.topic, "Delayed");
    // The delivered message keeps its level, as on Apache RocketMQ (getDelayTimeLevel()).
    assert_eq!(rmq_common::property::get(&m.properties, "DELAY"), Some("2"));
    assert!(rmq_common::property::get(&m.properties, "REAL_TOPIC").is_none());
    b.stop().await;
}

#[tokio::test]
async fn a_pull_returns_at_most_max_transfer_count_messages() {
    let b = start(|_| {}).await;
    let c = RemotingClient::default();
    for i in 0..37 {
        let resp = c.invoke(&b.addr, send_request("Bounded", 0, &format!("m{i}"), "a"), T).await.unwrap();
        assert_eq!(resp.code, 0, "{:?}", resp.remark);
    }
    // A pull of 50 from a queue of 37 returns 32 (maxTransferCountOnMessageInMemory), then 5.
    let resp = c.invoke(&b.addr, pull_n("Bounded", 0, 0, 0, "*", 50), T).await.unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let got = MessageExt::decode_all(&resp.body).unwrap();
    assert_eq!(got.len(), 32);
    let next = resp.header::<PullMessageResponseHeader>().unwrap().next_begin_offset;
    assert_eq!(next, 32);
    let resp = c.invoke(&b.addr, pull_n("Bounded", 0, next, 0, "*", 50), T).await.unwrap();
    let rest = MessageExt::decode_all(&resp.body).unwrap();
    let bodies: Vec<String> = got.iter().chain(&rest).map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect();
    assert_eq!(bodies, (0..37).map(|i| format!("m{i}")).collect::<Vec<_>>());
    b.stop().await;
}

#[tokio::test]
async fn a_configured_transfer_limit_applies() {
    let b = start(|cfg| cfg.pull.max_transfer_count_on_message_in_memory = 5).await;
    let c = RemotingClient::default();
    for i in 0..7 {
        c.invoke(&b.addr, send_request("Five", 0, &format!("m{i}"), "a"), T).await.unwrap();
    }
    let resp = c.invoke(&b.addr, pull_n("Five", 0, 0, 0, "*", 32), T).await.unwrap();
    assert_eq!(MessageExt::decode_all(&resp.body).unwrap().len(), 5);
    b.stop().await;
}

#[tokio::test]
async fn unserved_codes_and_missing_headers_are_answered_at_the_edge() {
    let b = start(|_| {}).await;
    let c = RemotingClient::default();
    // Codes the broker knows but does not serve (a name-server code, POP_ROLLBACK), and one it
    // does not know: the same answer, with the official remark.
    for code in [RequestCode::RegisterBroker, RequestCode::PopRollback, RequestCode::Unknown(424_242)] {
        let resp = c.invoke(&b.addr, RemotingCommand::request(code), T).await.unwrap();
        assert_eq!(resp.response_code(), ResponseCode::RequestCodeNotSupported, "{code}");
        assert_eq!(resp.remark_str(), format!(" request type {} not supported", code.value()));
    }
    // A served code without its required header is refused before any handler runs.
    let resp = c.invoke(&b.addr, RemotingCommand::request(RequestCode::QueryConsumerOffset), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::SystemError);
    assert!(resp.remark_str().contains("consumerGroup"), "{}", resp.remark_str());
    b.stop().await;
}
