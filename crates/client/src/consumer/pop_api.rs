//! The raw POP calls of a 5.x consumer: POP_MESSAGE (messages with their receipt handles, built
//! as `MQClientAPIImpl.processPopResponse` builds them), ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME,
//! and QUERY_ASSIGNMENT (which queues the broker gives this client, and how to read them).

use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_remoting::body::{MessageQueueAssignment, QueryAssignmentRequestBody, QueryAssignmentResponseBody};
use rmq_remoting::header::pop_info::{parse_start_offset_info, ExtraInfo, RetryMark};
use rmq_remoting::header::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
    PopMessageRequestHeader, PopMessageResponseHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::error::{ClientError, Result};
use crate::instance::{expect_ok, ClientInstance};

/// One POP_MESSAGE.
#[derive(Debug, Clone)]
pub struct PopRequest {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Broker set name (written into the handles).
    pub broker_name: String,
    /// Queue id, -1 for every queue of the broker.
    pub queue_id: i32,
    /// At most this many messages (1..=32).
    pub max: i32,
    /// How long popped messages stay invisible, ms.
    pub invisible_ms: i64,
    /// Long polling: how long the broker may hold the pop, ms.
    pub poll_ms: i64,
    /// Filter expression (a tag expression unless `exp_type` says `SQL92`).
    pub tags: String,
    /// `TAG` or `SQL92`.
    pub exp_type: String,
    /// Orderly pop (a FIFO group): one queue's messages in order, the next after the ack.
    pub order: bool,
    /// Orderly pop attempt id (5.x SDKs retry a receive with the same one).
    pub attempt_id: Option<String>,
    /// `ConsumeInitMode` of a group's first pop: 0 = MIN, 1 = MAX.
    pub init_mode: i32,
}

/// A popped message and the handle that acks it.
#[derive(Debug, Clone)]
pub struct Popped {
    /// The message (under the topic popped, also when it came from the POP retry topic).
    pub message: MessageExt,
    /// Receipt handle (`extraInfo`).
    pub handle: String,
}

/// Pops from the broker at `addr`; an empty list when nothing arrived within the poll time.
pub async fn pop(instance: &ClientInstance, addr: &str, r: &PopRequest) -> Result<Vec<Popped>> {
    let h = PopMessageRequestHeader {
        consumer_group: r.group.clone(),
        topic: r.topic.clone(),
        queue_id: r.queue_id,
        max_msg_nums: r.max,
        invisible_time: r.invisible_ms,
        poll_time: r.poll_ms,
        born_time: rmq_common::time::now_ms(),
        init_mode: r.init_mode,
        exp_type: Some(r.exp_type.clone()),
        exp: Some(r.tags.clone()),
        order: Some(r.order),
        attempt_id: r.attempt_id.clone(),
        broker_name: None,
    };
    let timeout = instance.config().api_timeout + Duration::from_millis(u64::try_from(r.poll_ms).unwrap_or(0));
    let req = RemotingCommand::request_with_header(RequestCode::PopMessage, &h);
    let resp = instance.remoting().invoke(addr, req, timeout).await?;
    match resp.response_code() {
        ResponseCode::Success => with_handles(&resp, r),
        ResponseCode::PollingTimeout | ResponseCode::PullNotFound | ResponseCode::PollingFull => Ok(Vec::new()),
        _ => expect_ok(addr, resp).map(|_| Vec::new()),
    }
}

/// The messages of a pop answer with their handles: a retried message carries its handle in
/// POP_CK; the others get one from startOffsetInfo and the answer's times.
fn with_handles(resp: &RemotingCommand, r: &PopRequest) -> Result<Vec<Popped>> {
    let h: PopMessageResponseHeader = resp.header().map_err(|e| ClientError::Invalid(e.to_string()))?;
    let starts = parse_start_offset_info(h.start_offset_info.as_deref().unwrap_or("")).unwrap_or_default();
    let msgs = MessageExt::decode_all(&resp.body).map_err(|e| ClientError::Invalid(e.to_string()))?;
    let mut out = Vec::with_capacity(msgs.len());
    for message in msgs {
        if let Some(ck) = rmq_common::property::get(&message.properties, "POP_CK") {
            let handle = ck.to_owned();
            out.push(Popped { message, handle });
            continue;
        }
        let key = format!("0@{}", message.queue_id);
        let start = starts.iter().find(|(k, _)| *k == key).map_or(message.queue_offset, |s| s.1);
        let info = ExtraInfo {
            ck_queue_offset: start,
            pop_time: h.pop_time,
            invisible_time: h.invisible_time,
            revive_qid: h.revive_qid,
            retry: RetryMark::Normal,
            broker_name: r.broker_name.clone(),
            queue_id: message.queue_id,
            queue_offset: Some(message.queue_offset),
        };
        out.push(Popped { message, handle: info.to_string() });
    }
    Ok(out)
}

/// The topic and queue a handle names (`ExtraInfoUtil.getRealTopic`: the POP retry topic for a
/// retried message).
fn handle_target(group: &str, topic: &str, p: &Popped) -> (String, i32) {
    match ExtraInfo::parse(&p.handle) {
        Ok(i) => {
            let real = match i.retry {
                RetryMark::Normal => topic.to_owned(),
                RetryMark::RetryV1 => rmq_common::topic::pop_retry_topic(group, topic),
                RetryMark::RetryV2 => rmq_common::topic::pop_retry_topic_v2(group, topic),
            };
            (real, i.queue_id)
        }
        Err(_) => (topic.to_owned(), p.message.queue_id),
    }
}

/// Acks a popped message.
pub async fn ack(instance: &ClientInstance, addr: &str, group: &str, topic: &str, p: &Popped) -> Result<()> {
    let (real, queue_id) = handle_target(group, topic, p);
    let h = AckMessageRequestHeader {
        consumer_group: group.to_owned(),
        topic: real,
        queue_id,
        extra_info: p.handle.clone(),
        offset: p.message.queue_offset,
        broker_name: None,
    };
    instance.invoke_ok(addr, RemotingCommand::request_with_header(RequestCode::AckMessage, &h)).await.map(|_| ())
}

/// Makes a popped message visible again `invisible_ms` from now; returns its new handle.
pub async fn change_invisible_time(
    instance: &ClientInstance,
    addr: &str,
    group: &str,
    topic: &str,
    p: &Popped,
    invisible_ms: i64,
) -> Result<String> {
    let (real, queue_id) = handle_target(group, topic, p);
    let h = ChangeInvisibleTimeRequestHeader {
        consumer_group: group.to_owned(),
        topic: real,
        queue_id,
        extra_info: p.handle.clone(),
        offset: p.message.queue_offset,
        invisible_time: invisible_ms,
        broker_name: None,
    };
    let req = RemotingCommand::request_with_header(RequestCode::ChangeMessageInvisibletime, &h);
    let resp = instance.invoke_ok(addr, req).await?;
    let nh: ChangeInvisibleTimeResponseHeader = resp.header().map_err(|e| ClientError::Invalid(e.to_string()))?;
    let mut info = ExtraInfo::parse(&p.handle).map_err(|e| ClientError::Invalid(e.to_string()))?;
    info.ck_queue_offset = p.message.queue_offset;
    info.pop_time = nh.pop_time;
    info.invisible_time = nh.invisible_time;
    info.revive_qid = nh.revive_qid;
    Ok(info.to_string())
}

/// QUERY_ASSIGNMENT: this client's queues and their modes; `None` when the broker gives no list.
pub async fn query_assignment(
    instance: &ClientInstance,
    addr: &str,
    body: &QueryAssignmentRequestBody,
) -> Result<Option<Vec<MessageQueueAssignment>>> {
    let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Invalid(e.to_string()))?;
    let req = RemotingCommand::request(RequestCode::QueryAssignment).with_body(bytes);
    let resp = instance.invoke_ok(addr, req).await?;
    let answer: QueryAssignmentResponseBody =
        rmq_remoting::body::decode(&resp.body).map_err(|e| ClientError::Invalid(e.to_string()))?;
    Ok(answer.message_queue_assignments)
}
