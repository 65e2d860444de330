//! AckMessage and ChangeInvisibleDuration: the receipt handle (a POP `extraInfo` with the
//! message's queue offset) names the broker, queue, offset and checkpoint; the proxy turns it
//! into ACK_MESSAGE / CHANGE_MESSAGE_INVISIBLETIME. A malformed or expired handle is
//! INVALID_RECEIPT_HANDLE.

use rmq_client::ClientInstance;
use rmq_remoting::header::pop_info::{ExtraInfo, RetryMark};
use rmq_remoting::header::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::pb::{self, AckMessageResultEntry, Code};
use crate::{fault, status};

/// A receipt handle resolved to where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    /// The parsed handle.
    pub info: ExtraInfo,
    /// The topic the message was popped from (the POP retry topic for a retried one).
    pub real_topic: String,
    /// The message's queue offset.
    pub offset: i64,
}

/// Parses `text` for `topic` read by `group`.
pub fn resolve(text: &str, group: &str, topic: &str) -> Result<Handle, pb::Status> {
    let bad = || status::status(Code::InvalidReceiptHandle, format!("malformed receipt handle {text:?}"));
    let info = ExtraInfo::parse(text).map_err(|_| bad())?;
    let offset = info.queue_offset.ok_or_else(bad)?;
    let real_topic = match info.retry {
        RetryMark::Normal => topic.to_owned(),
        RetryMark::RetryV1 => rmq_common::topic::pop_retry_topic(group, topic),
        RetryMark::RetryV2 => rmq_common::topic::pop_retry_topic_v2(group, topic),
    };
    Ok(Handle { info, real_topic, offset })
}

/// An expired handle (its invisible time is over: the message may be someone else's now) is
/// INVALID_RECEIPT_HANDLE, as the official proxy answers, before the broker is asked.
fn unexpired(h: &Handle, text: &str) -> Result<(), pb::Status> {
    let visible_at = h.info.pop_time.saturating_add(h.info.invisible_time);
    if visible_at <= rmq_common::time::now_ms() {
        return Err(status::status(Code::InvalidReceiptHandle, format!("receipt handle is expired: {text:?}")));
    }
    Ok(())
}

fn names(group: Option<&pb::Resource>, topic: Option<&pb::Resource>) -> Result<(String, String), pb::Status> {
    let group = group.map(|g| g.name.clone()).filter(|g| !g.is_empty());
    let group = group.ok_or_else(|| status::status(Code::IllegalConsumerGroup, "consumer group is required"))?;
    let topic = topic.map(|t| t.name.clone()).filter(|t| !t.is_empty());
    let topic = topic.ok_or_else(|| status::status(Code::IllegalTopic, "topic is required"))?;
    Ok((group, topic))
}

async fn call(cluster: &ClientInstance, broker: &str, req: RemotingCommand) -> Result<RemotingCommand, pb::Status> {
    let Some(addr) = cluster.broker_addr(broker, 0) else {
        return Err(status::status(Code::InvalidReceiptHandle, format!("no broker named {broker:?}")));
    };
    cluster.invoke_ok(&addr, req).await.map_err(|e| fault::from_client(&e))
}

/// Acks each entry; the overall status is the entries' one code, or MULTIPLE_RESULTS.
pub async fn ack(cluster: &ClientInstance, req: &pb::AckMessageRequest) -> pb::AckMessageResponse {
    let (group, topic) = match names(req.group.as_ref(), req.topic.as_ref()) {
        Ok(n) => n,
        Err(s) => return pb::AckMessageResponse { status: Some(s), entries: Vec::new() },
    };
    let mut entries = Vec::with_capacity(req.entries.len());
    for e in &req.entries {
        let s = match ack_one(cluster, &group, &topic, &e.receipt_handle).await {
            Ok(()) => status::ok(),
            Err(s) => s,
        };
        entries.push(AckMessageResultEntry {
            message_id: e.message_id.clone(),
            receipt_handle: e.receipt_handle.clone(),
            status: Some(s),
        });
    }
    pb::AckMessageResponse { status: Some(overall(entries.iter().filter_map(|e| e.status.as_ref()))), entries }
}

/// The status of several results: their common one, MULTIPLE_RESULTS when they differ.
pub fn overall<'a>(statuses: impl Iterator<Item = &'a pb::Status>) -> pb::Status {
    let mut first: Option<&pb::Status> = None;
    for s in statuses {
        match first {
            None => first = Some(s),
            Some(f) if f.code != s.code => return status::status(Code::MultipleResults, "MULTIPLE_RESULTS"),
            Some(_) => {}
        }
    }
    first.cloned().unwrap_or_else(|| status::status(Code::BadRequest, "no entry to acknowledge"))
}

async fn ack_one(cluster: &ClientInstance, group: &str, topic: &str, text: &str) -> Result<(), pb::Status> {
    let h = resolve(text, group, topic)?;
    unexpired(&h, text)?;
    let header = AckMessageRequestHeader {
        consumer_group: group.to_owned(),
        topic: h.real_topic,
        queue_id: h.info.queue_id,
        extra_info: text.to_owned(),
        offset: h.offset,
        broker_name: Some(h.info.broker_name.clone()),
    };
    let req = RemotingCommand::request_with_header(RequestCode::AckMessage, &header);
    call(cluster, &h.info.broker_name, req).await.map(|_| ())
}

/// Changes a message's invisible time; answers the new receipt handle.
/// `max_ms` is the longest invisible time allowed (`maxInvisibleTimeMills`).
pub async fn change_invisible(
    cluster: &ClientInstance,
    req: &pb::ChangeInvisibleDurationRequest,
    max_ms: i64,
) -> pb::ChangeInvisibleDurationResponse {
    match change(cluster, req, max_ms).await {
        Ok(handle) => pb::ChangeInvisibleDurationResponse { status: Some(status::ok()), receipt_handle: handle },
        Err(s) => pb::ChangeInvisibleDurationResponse { status: Some(s), receipt_handle: String::new() },
    }
}

async fn change(
    cluster: &ClientInstance,
    req: &pb::ChangeInvisibleDurationRequest,
    max_ms: i64,
) -> Result<String, pb::Status> {
    let (group, topic) = names(req.group.as_ref(), req.topic.as_ref())?;
    let d = req.invisible_duration.unwrap_or_default();
    let ms = d.seconds.saturating_mul(1000).saturating_add(i64::from(d.nanos / 1_000_000));
    if !(0..=max_ms).contains(&ms) {
        return Err(status::status(Code::IllegalInvisibleTime, format!("invisible duration {ms} ms is out of range")));
    }
    let h = resolve(&req.receipt_handle, &group, &topic)?;
    unexpired(&h, &req.receipt_handle)?;
    let header = ChangeInvisibleTimeRequestHeader {
        consumer_group: group,
        topic: h.real_topic.clone(),
        queue_id: h.info.queue_id,
        extra_info: req.receipt_handle.clone(),
        offset: h.offset,
        invisible_time: ms,
        broker_name: Some(h.info.broker_name.clone()),
    };
    let cmd = RemotingCommand::request_with_header(RequestCode::ChangeMessageInvisibletime, &header);
    let resp = call(cluster, &h.info.broker_name, cmd).await?;
    let nh: ChangeInvisibleTimeResponseHeader =
        resp.header().map_err(|e| status::status(Code::InternalServerError, e.to_string()))?;
    let mut info = h.info;
    info.ck_queue_offset = h.offset;
    info.pop_time = nh.pop_time;
    info.invisible_time = nh.invisible_time;
    info.revive_qid = nh.revive_qid;
    Ok(info.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_resolve_or_are_invalid() {
        let h = resolve("5 1000 30000 2 0 broker-a 1 7", "G", "T").unwrap();
        assert_eq!((h.real_topic.as_str(), h.offset, h.info.queue_id), ("T", 7, 1));
        let retry = resolve("5 1000 30000 2 1 broker-a 0 9", "G", "T").unwrap();
        assert_eq!(retry.real_topic, rmq_common::topic::pop_retry_topic("G", "T"));
        for bad in ["", "garbage", "5 1000 30000 2 0 broker-a 1", "a b c d e f g h"] {
            assert_eq!(resolve(bad, "G", "T").unwrap_err().code, Code::InvalidReceiptHandle as i32, "{bad:?}");
        }
    }

    #[test]
    fn overall_status_is_common_or_multiple() {
        let ok = status::ok();
        let bad = status::status(Code::InvalidReceiptHandle, "x");
        assert_eq!(overall([&ok, &ok].into_iter()).code, Code::Ok as i32);
        assert_eq!(overall([&ok, &bad].into_iter()).code, Code::MultipleResults as i32);
    }
}
