//! Raw POP calls and the handle building the official Java client does.

use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_remoting::header::pop_info::{parse_msg_offset_info, parse_start_offset_info, ExtraInfo, RetryMark};
use rmq_remoting::header::{
    AckMessageRequestHeader, OffsetResponseHeader, PopMessageRequestHeader, PopMessageResponseHeader,
    QueryConsumerOffsetRequestHeader, SendMessageRequestHeaderV2,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};

pub const T: Duration = Duration::from_secs(10);

pub use rmq_common::time::now_ms;

/// The topic a handle's retry mark names (the broker's `services::pop::marked_topic`; this
/// crate does not link the broker).
fn marked_topic(mark: RetryMark, topic: &str, group: &str) -> String {
    match mark {
        RetryMark::Normal => topic.to_owned(),
        RetryMark::RetryV1 => rmq_common::topic::pop_retry_topic(group, topic),
        RetryMark::RetryV2 => rmq_common::topic::pop_retry_topic_v2(group, topic),
    }
}

pub async fn send(c: &RemotingClient, addr: &str, topic: &str, body: &str, tag: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: topic.into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 4,
        e: 0,
        i: Some(format!("TAGS\u{1}{tag}")),
        ..SendMessageRequestHeaderV2::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(body.as_bytes().to_vec());
    c.invoke(addr, req, T).await.unwrap()
}

/// A POP_MESSAGE request.
#[derive(Debug, Clone)]
pub struct Pop {
    pub group: String,
    pub topic: String,
    pub queue_id: i32,
    pub max: i32,
    pub invisible: i64,
    pub poll: i64,
    pub order: bool,
    pub exp_type: Option<String>,
    pub exp: Option<String>,
    pub born_time: Option<i64>,
}

impl Pop {
    pub fn new(group: &str, topic: &str) -> Self {
        Self {
            group: group.into(),
            topic: topic.into(),
            queue_id: -1,
            max: 32,
            invisible: 60_000,
            poll: 0,
            order: false,
            exp_type: Some("TAG".into()),
            exp: Some("*".into()),
            born_time: None,
        }
    }
}

pub async fn pop(c: &RemotingClient, addr: &str, p: &Pop) -> RemotingCommand {
    let h = PopMessageRequestHeader {
        consumer_group: p.group.clone(),
        topic: p.topic.clone(),
        queue_id: p.queue_id,
        max_msg_nums: p.max,
        invisible_time: p.invisible,
        poll_time: p.poll,
        born_time: p.born_time.unwrap_or_else(now_ms),
        init_mode: 0,
        exp_type: p.exp_type.clone(),
        exp: p.exp.clone(),
        order: Some(p.order),
        attempt_id: None,
        broker_name: None,
    };
    let timeout = T + Duration::from_millis(u64::try_from(p.poll).unwrap_or(0));
    c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PopMessage, &h), timeout).await.unwrap()
}

/// The messages of a pop answer with their handles, built as `MQClientAPIImpl.processPopResponse`
/// builds them: a retried message carries its handle in POP_CK; the others get one from
/// startOffsetInfo and msgOffsetInfo.
pub fn handles(resp: &RemotingCommand, topic: &str) -> Vec<(MessageExt, String)> {
    assert_eq!(resp.code, 0, "pop answered {} {:?}", resp.code, resp.remark);
    let h = resp.header::<PopMessageResponseHeader>().unwrap();
    let starts = parse_start_offset_info(h.start_offset_info.as_deref().unwrap_or("")).unwrap();
    let offsets = parse_msg_offset_info(h.msg_offset_info.as_deref().unwrap_or("")).unwrap();
    let msgs = MessageExt::decode_all(&resp.body).unwrap();
    msgs.into_iter()
        .map(|m| {
            assert_eq!(m.topic, topic, "messages come back under the topic popped");
            if let Some(ck) = rmq_common::property::get(&m.properties, "POP_CK") {
                let ck = ck.to_owned();
                return (m, ck);
            }
            let key = format!("0@{}", m.queue_id);
            let start = starts.iter().find(|(k, _)| *k == key).expect("start offset of the queue").1;
            let listed = &offsets.iter().find(|(k, _)| *k == key).expect("offsets of the queue").1;
            assert!(listed.contains(&m.queue_offset), "{} not in {listed:?}", m.queue_offset);
            let info = ExtraInfo {
                ck_queue_offset: start,
                pop_time: h.pop_time,
                invisible_time: h.invisible_time,
                revive_qid: h.revive_qid,
                retry: RetryMark::Normal,
                broker_name: "broker-a".into(),
                queue_id: m.queue_id,
                queue_offset: Some(m.queue_offset),
            };
            (m, info.to_string())
        })
        .collect()
}

pub fn bodies(hs: &[(MessageExt, String)]) -> Vec<String> {
    hs.iter().map(|(m, _)| String::from_utf8_lossy(&m.body).into_owned()).collect()
}

/// ACK_MESSAGE of a handle, as the Java push consumer sends it: the topic the handle names
/// (`ExtraInfoUtil.getRealTopic`: the retry topic for a retried message) and its queue id.
pub async fn ack(
    c: &RemotingClient,
    addr: &str,
    group: &str,
    topic: &str,
    handle: &str,
    offset: i64,
) -> RemotingCommand {
    let queue_id = handle.split(' ').nth(6).and_then(|q| q.parse().ok()).unwrap_or(0);
    let real = ExtraInfo::parse(handle).map_or_else(|_| topic.to_owned(), |i| marked_topic(i.retry, topic, group));
    let h = AckMessageRequestHeader {
        consumer_group: group.into(),
        topic: real,
        queue_id,
        extra_info: handle.into(),
        offset,
        broker_name: None,
    };
    c.invoke(addr, RemotingCommand::request_with_header(RequestCode::AckMessage, &h), T).await.unwrap()
}

/// Acks a popped message by its handle.
pub async fn ack_msg(c: &RemotingClient, addr: &str, group: &str, topic: &str, hm: &(MessageExt, String)) {
    let r = ack(c, addr, group, topic, &hm.1, hm.0.queue_offset).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
}

pub async fn committed_of(c: &RemotingClient, addr: &str, group: &str, topic: &str, queue_id: i32) -> i64 {
    let q = QueryConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        set_zero_if_not_found: None,
    };
    let resp =
        c.invoke(addr, RemotingCommand::request_with_header(RequestCode::QueryConsumerOffset, &q), T).await.unwrap();
    resp.header::<OffsetResponseHeader>().map_or(-1, |h| h.offset)
}

pub async fn committed(c: &RemotingClient, addr: &str, group: &str, topic: &str) -> i64 {
    committed_of(c, addr, group, topic, 0).await
}
