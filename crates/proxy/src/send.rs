//! SendMessage: the SDK's messages to a broker over SEND_MESSAGE_V2 (SEND_BATCH_MESSAGE for a
//! request of several), as the official proxy sends them: a FIFO message goes to the writable
//! queue its message group hashes to, other messages round-robin over the writable queues; each
//! entry answers with the SDK's message id, its queue offset and a status code.

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use rmq_client::ClientInstance;
use rmq_common::message::{encode_batch, BatchItem};
use rmq_common::perm;
use rmq_common::property;
use rmq_remoting::body::TopicRouteData;
use rmq_remoting::header::{SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::fault;
use crate::message::{self, Outgoing};
use crate::pb::{self, Code, SendResultEntry};
use crate::status;

/// Round-robin position of non-FIFO sends.
static NEXT_QUEUE: AtomicUsize = AtomicUsize::new(0);

/// A writable queue: broker set and queue id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Broker set.
    pub broker: String,
    /// Queue id.
    pub queue_id: i32,
}

/// The writable queues of a route, in route order.
#[must_use]
pub fn writable_queues(route: &TopicRouteData) -> Vec<Target> {
    let mut datas: Vec<_> = route.queue_datas.iter().filter(|q| perm::writable(q.perm)).collect();
    datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    datas
        .iter()
        .flat_map(|q| (0..q.write_queue_nums.max(0)).map(|id| Target { broker: q.broker_name.clone(), queue_id: id }))
        .collect()
}

/// Java's `String.hashCode`, so a message group maps to the queue it would in Java.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The queue for a message: its group's queue (stable while the queue count is), else the next
/// in round robin.
#[must_use]
pub fn select(queues: &[Target], group: Option<&str>) -> Option<Target> {
    if queues.is_empty() {
        return None;
    }
    let n = queues.len();
    let i = match group.filter(|g| !g.is_empty()) {
        Some(g) => usize::try_from(java_hash(g).unsigned_abs()).unwrap_or(0) % n,
        None => NEXT_QUEUE.fetch_add(1, Ordering::Relaxed) % n,
    };
    queues.get(i).cloned()
}

/// The answer to a request that failed as a whole.
#[must_use]
pub fn failed(s: pb::Status) -> pb::SendMessageResponse {
    pb::SendMessageResponse { status: Some(s), entries: Vec::new() }
}

/// Sends the request's messages (all of one topic) through `cluster`; `peer` is the SDK's
/// address.
pub async fn send(
    cluster: &ClientInstance,
    route: &TopicRouteData,
    req: &pb::SendMessageRequest,
    peer: &str,
) -> pb::SendMessageResponse {
    match prepare(req, peer) {
        Ok((topic, out)) => deliver(cluster, route, &topic, &out, req_bodies(req, &out)).await,
        Err(s) => failed(s),
    }
}

/// The topic and the converted messages, or why the request is refused.
fn prepare(req: &pb::SendMessageRequest, peer: &str) -> Result<(String, Vec<Outgoing>), pb::Status> {
    let Some(first) = req.messages.first() else {
        return Err(status::status(Code::BadRequest, "no message to send"));
    };
    let topic = first.topic.as_ref().map(|t| t.name.clone()).unwrap_or_default();
    let now = rmq_common::time::now_ms();
    let mut out = Vec::with_capacity(req.messages.len());
    for m in &req.messages {
        if m.topic.as_ref().map(|t| t.name.as_str()) != Some(topic.as_str()) {
            return Err(status::status(Code::MessageCorrupted, "the messages of one request must share a topic"));
        }
        out.push(message::outgoing(m, peer, &topic, now)?);
    }
    Ok((topic, out))
}

async fn deliver(
    cluster: &ClientInstance,
    route: &TopicRouteData,
    topic: &str,
    out: &[Outgoing],
    body: Bytes,
) -> pb::SendMessageResponse {
    let group = out.first().and_then(|o| property::get(&o.properties, message::SHARDING_KEY));
    let Some(target) = select(&writable_queues(route), group) else {
        return failed(status::status(Code::Forbidden, format!("topic {topic} has no writable queue")));
    };
    let Some(addr) = cluster.broker_addr(&target.broker, 0) else {
        return failed(status::status(Code::InternalServerError, format!("no master of {}", target.broker)));
    };
    let req = command(topic, &target, out, &body);
    let timeout = cluster.config().api_timeout;
    match cluster.remoting().invoke(&addr, req, timeout).await {
        Ok(resp) => answer(&resp, out, topic, &target.broker),
        Err(e) => failed(status::status(Code::ProxyTimeout, format!("send to {addr}: {e}"))),
    }
}

/// The body: the SDK's body for one message, an encoded batch for several.
fn req_bodies(req: &pb::SendMessageRequest, out: &[Outgoing]) -> Bytes {
    if let [one] = req.messages.as_slice() {
        return Bytes::from(one.body.clone());
    }
    let items: Vec<BatchItem> = req
        .messages
        .iter()
        .zip(out)
        .map(|(m, o)| BatchItem { flag: 0, body: Bytes::from(m.body.clone()), properties: o.properties.clone() })
        .collect();
    Bytes::from(encode_batch(&items))
}

/// The SEND_MESSAGE_V2 or SEND_BATCH_MESSAGE request for `target`.
fn command(topic: &str, target: &Target, out: &[Outgoing], body: &Bytes) -> RemotingCommand {
    let batch = out.len() > 1;
    let first = out.first();
    let h = SendMessageRequestHeader {
        producer_group: topic.to_owned(),
        topic: topic.to_owned(),
        default_topic: rmq_common::topic::AUTO_CREATE.to_owned(),
        default_topic_queue_nums: 4,
        queue_id: target.queue_id,
        sys_flag: if batch { 0 } else { first.map_or(0, |o| o.sys_flag) },
        born_timestamp: rmq_common::time::now_ms(),
        flag: 0,
        properties: Some(if batch {
            String::new()
        } else {
            first.map(|o| property::encode(&o.properties)).unwrap_or_default()
        }),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(batch),
        broker_name: Some(target.broker.clone()),
    };
    let code = if batch { RequestCode::SendBatchMessage } else { RequestCode::SendMessageV2 };
    RemotingCommand::request_with_header(code, &SendMessageRequestHeaderV2::from(h)).with_body(body.to_vec())
}

/// Per-entry results from the broker's answer, with the overall status as the official proxy
/// sets it (the entries' one code, or MULTIPLE_RESULTS); a timer message's entry carries its
/// recall handle: the broker's (RocketMQ 5.3.1+ `recallHandle`), else the proxy's own.
fn answer(resp: &RemotingCommand, out: &[Outgoing], topic: &str, broker: &str) -> pb::SendMessageResponse {
    let code = fault::broker_code(resp.response_code());
    if code != Code::Ok {
        let s = status::status(code, format!("send failed: {}", resp.remark_str()));
        let entries = out.iter().map(|_| SendResultEntry { status: Some(s.clone()), ..Default::default() }).collect();
        return pb::SendMessageResponse { status: Some(s), entries };
    }
    let h: SendMessageResponseHeader = resp.header().unwrap_or_default();
    let entries = out
        .iter()
        .zip(0i64..)
        .map(|(o, i)| SendResultEntry {
            status: Some(status::ok()),
            message_id: o.id.clone(),
            transaction_id: transaction_id(&h, o),
            offset: h.queue_offset + i,
            recall_handle: h
                .recall_handle
                .clone()
                .filter(|r| out.len() == 1 && !r.is_empty())
                .unwrap_or_else(|| crate::recall::handle_for(topic, broker, &o.properties, &o.id)),
        })
        .collect();
    pb::SendMessageResponse { status: Some(status::ok()), entries }
}

/// A half message's transaction id: the broker's, else its offset message id (what ends the
/// transaction: the broker address and commit log offset are in it).
fn transaction_id(h: &SendMessageResponseHeader, o: &Outgoing) -> String {
    if property::get(&o.properties, property::TRAN_MSG) != Some("true") {
        return String::new();
    }
    h.transaction_id.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| h.msg_id.clone())
}
