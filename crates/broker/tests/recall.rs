//! RECALL_MESSAGE (5.3.1+): the recall handle a timer send answers, the official broker's
//! checks, and a recalled message that is never delivered while its neighbour is.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_common::recall::RecallHandle;
use rmq_common::time::now_ms;
use rmq_remoting::header::{
    PullMessageRequestHeader, RecallMessageRequestHeader, RecallMessageResponseHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

mod common;

const T: Duration = Duration::from_secs(5);
const TOPIC: &str = "RecallT";

async fn send(c: &RemotingClient, addr: &str, body: &str, props: &str) -> SendMessageResponseHeader {
    let h = SendMessageRequestHeaderV2 { i: Some(format!("TAGS\u{1}t{props}")), ..common::send_header(TOPIC, 0) };
    let req = common::send_request(&h, body.as_bytes());
    let r = c.invoke(addr, req, T).await.unwrap();
    assert_eq!(r.code, 0, "{:?}", r.remark);
    r.header().unwrap()
}

async fn recall(c: &RemotingClient, addr: &str, topic: &str, handle: &str) -> RemotingCommand {
    let h = RecallMessageRequestHeader {
        producer_group: Some("pg".into()),
        topic: topic.into(),
        recall_handle: handle.into(),
        broker_name: None,
    };
    c.invoke(addr, RemotingCommand::request_with_header(RequestCode::RecallMessage, &h), T).await.unwrap()
}

async fn bodies(c: &RemotingClient, addr: &str) -> Vec<String> {
    let h = PullMessageRequestHeader {
        consumer_group: "cg".into(),
        topic: TOPIC.into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 100,
        sys_flag: 0x4,
        subscription: Some("*".into()),
        ..PullMessageRequestHeader::default()
    };
    let resp = c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await.unwrap();
    if resp.code != 0 {
        return Vec::new();
    }
    let all = MessageExt::decode_all(&resp.body).unwrap();
    all.into_iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect()
}

#[tokio::test]
async fn recall_is_refused_unless_enabled() {
    let b = common::start(|_| {}).await;
    let c = RemotingClient::default();
    let sent = send(&c, &b.addr, "x", "\u{2}TIMER_DELAY_MS\u{1}5000").await;
    let handle = sent.recall_handle.expect("a timer send answers a recall handle");
    let r = recall(&c, &b.addr, TOPIC, &handle).await;
    assert_eq!(r.response_code(), ResponseCode::NoPermission, "{:?}", r.remark);
    b.stop().await;
}

#[tokio::test]
async fn a_recalled_timer_message_is_never_delivered() {
    let b = common::start(|cfg| cfg.send.recall_message_enable = true).await;
    let c = RemotingClient::default();
    let plain = send(&c, &b.addr, "plain", "").await;
    assert_eq!(plain.recall_handle, None, "only timer messages have one");
    let t0 = now_ms();
    let keep = send(&c, &b.addr, "keep", "\u{2}TIMER_DELAY_MS\u{1}1500").await;
    let gone = send(&c, &b.addr, "gone", "\u{2}TIMER_DELAY_MS\u{1}1500").await;
    let handle_text = gone.recall_handle.clone().unwrap();
    let handle = RecallHandle::decode(&handle_text).unwrap();
    assert_eq!((handle.topic.as_str(), handle.broker_name.as_str()), (TOPIC, "broker-a"));
    assert_eq!(Some(&handle.message_id), gone.transaction_id.as_ref(), "the message's UNIQ_KEY");
    assert!((t0 + 1500..now_ms() + 1502).contains(&handle.timestamp), "due + 1: {}", handle.timestamp);

    // The official broker's refusals.
    let r = recall(&c, &b.addr, "NoSuchTopic", &handle_text).await;
    assert_eq!(r.response_code(), ResponseCode::TopicNotExist);
    let r = recall(&c, &b.addr, TOPIC, "bm90IGEgaGFuZGxl").await;
    assert_eq!(r.response_code(), ResponseCode::IllegalOperation);
    assert_eq!(r.remark.as_deref(), Some("recall handle is invalid"));
    let other = RecallHandle { topic: "Other".into(), ..handle.clone() }.encode();
    assert_eq!(recall(&c, &b.addr, TOPIC, &other).await.response_code(), ResponseCode::IllegalOperation);
    let elsewhere = RecallHandle { broker_name: "broker-b".into(), ..handle.clone() }.encode();
    assert_eq!(recall(&c, &b.addr, TOPIC, &elsewhere).await.response_code(), ResponseCode::IllegalOperation);
    let past = RecallHandle { timestamp: now_ms() - 10, ..handle.clone() }.encode();
    let r = recall(&c, &b.addr, TOPIC, &past).await;
    assert_eq!(r.remark.as_deref(), Some("recall failed, timestamp invalid"));

    let r = recall(&c, &b.addr, TOPIC, &handle_text).await;
    assert_eq!(r.response_code(), ResponseCode::Success, "{:?}", r.remark);
    assert_eq!(r.header::<RecallMessageResponseHeader>().unwrap().msg_id, handle.message_id);

    let deadline = now_ms() + 10_000;
    while !bodies(&c, &b.addr).await.contains(&"keep".to_owned()) {
        assert!(now_ms() < deadline, "the kept timer message is delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(keep.recall_handle.is_some());
    // Both were due in the same tick: the recalled one and its marker are gone for good.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(bodies(&c, &b.addr).await, vec!["plain".to_owned(), "keep".to_owned()]);
    b.stop().await;
}
