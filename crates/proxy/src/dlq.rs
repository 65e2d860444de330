//! ForwardMessageToDeadLetterQueue: as the official proxy, a CONSUMER_SEND_MSG_BACK with delay
//! level -1 (straight to `%DLQ%group`) for the message the receipt handle names, then an ACK of
//! that handle so the message is not delivered again.

use rmq_client::ClientInstance;
use rmq_common::topic;
use rmq_remoting::header::pop_info::{ExtraInfo, RetryMark};
use rmq_remoting::header::{AckMessageRequestHeader, ConsumerSendMsgBackRequestHeader};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::pb::{self, Code};
use crate::status;

/// A gRPC receipt handle: the broker's POP `extraInfo` and, as the official proxy appends it,
/// the message's commit-log offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptHandle {
    /// The POP handle (the first eight fields).
    pub extra: ExtraInfo,
    /// The message's commit-log offset (the ninth field), when present.
    pub commit_log_offset: Option<i64>,
}

impl ReceiptHandle {
    /// Parses a handle; None when it is malformed or lacks the message's queue offset.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let extra = ExtraInfo::parse(text).ok()?;
        extra.queue_offset?;
        let commit_log_offset = match text.split(' ').nth(8) {
            Some(f) => Some(f.parse::<i64>().ok().filter(|o| *o >= 0)?),
            None => None,
        };
        Some(Self { extra, commit_log_offset })
    }

    /// The topic the message was read from (the group's retry topic for a retried message).
    #[must_use]
    pub fn real_topic(&self, topic: &str, group: &str) -> String {
        match self.extra.retry {
            RetryMark::Normal => topic.to_owned(),
            RetryMark::RetryV1 => topic::pop_retry_topic(group, topic),
            RetryMark::RetryV2 => topic::pop_retry_topic_v2(group, topic),
        }
    }

    /// The POP handle text the broker's ACK takes.
    #[must_use]
    pub fn extra_info(&self) -> String {
        self.extra.to_string()
    }
}

/// The validated parts of a request.
struct Target {
    group: String,
    topic: String,
    handle: ReceiptHandle,
}

fn validate(req: &pb::ForwardMessageToDeadLetterQueueRequest) -> Result<Target, pb::Status> {
    let Some(group) = req.group.as_ref().filter(|g| !g.name.is_empty()) else {
        return Err(status::status(Code::IllegalConsumerGroup, "group is required"));
    };
    let Some(topic) = req.topic.as_ref().filter(|t| !t.name.is_empty()) else {
        return Err(status::status(Code::IllegalTopic, "topic is required"));
    };
    let Some(handle) = ReceiptHandle::parse(&req.receipt_handle) else {
        return Err(status::status(
            Code::InvalidReceiptHandle,
            format!("malformed receipt handle {:?}", req.receipt_handle),
        ));
    };
    Ok(Target { group: group.name.clone(), topic: topic.name.clone(), handle })
}

/// Forwards the message to the group's DLQ: the status to answer.
pub async fn forward(cluster: &ClientInstance, req: &pb::ForwardMessageToDeadLetterQueueRequest) -> pb::Status {
    let t = match validate(req) {
        Ok(t) => t,
        Err(s) => return s,
    };
    let broker = &t.handle.extra.broker_name;
    if cluster.broker_addr(broker, 0).is_none() {
        let _ = cluster.update_route(&t.topic).await;
    }
    let Some(addr) = cluster.broker_addr(broker, 0) else {
        return status::status(Code::InvalidReceiptHandle, format!("the handle names unknown broker {broker}"));
    };
    let real_topic = t.handle.real_topic(&t.topic, &t.group);
    let Some(offset) = commit_log_offset(cluster, &t, &real_topic).await else {
        return status::status(Code::MessageNotFound, "the handle's message is not in the queue");
    };
    let back = ConsumerSendMsgBackRequestHeader {
        offset,
        group: t.group.clone(),
        delay_level: -1,
        origin_msg_id: Some(req.message_id.clone()),
        origin_topic: Some(real_topic.clone()),
        unit_mode: Some(false),
        max_reconsume_times: Some(0),
    };
    let cmd = RemotingCommand::request_with_header(RequestCode::ConsumerSendMsgBack, &back);
    if let Err(e) = cluster.invoke_ok(&addr, cmd).await {
        return crate::pull::broker_status(&e);
    }
    ack(cluster, &addr, &t, real_topic).await
}

/// The handle's commit-log offset, else the one of the message at its queue offset.
async fn commit_log_offset(cluster: &ClientInstance, t: &Target, real_topic: &str) -> Option<i64> {
    if let Some(o) = t.handle.commit_log_offset {
        return Some(o);
    }
    let queue_offset = t.handle.extra.queue_offset?;
    let q = rmq_client::MessageQueue {
        topic: real_topic.to_owned(),
        broker_name: t.handle.extra.broker_name.clone(),
        queue_id: t.handle.extra.queue_id,
    };
    let m = crate::pull::read_at(cluster, &t.group, &q, queue_offset).await?;
    Some(m.commit_log_offset)
}

async fn ack(cluster: &ClientInstance, addr: &str, t: &Target, real_topic: String) -> pb::Status {
    let h = AckMessageRequestHeader {
        consumer_group: t.group.clone(),
        topic: real_topic,
        queue_id: t.handle.extra.queue_id,
        extra_info: t.handle.extra_info(),
        offset: t.handle.extra.queue_offset.unwrap_or(t.handle.extra.ck_queue_offset),
        broker_name: Some(t.handle.extra.broker_name.clone()),
    };
    let cmd = RemotingCommand::request_with_header(RequestCode::AckMessage, &h);
    match cluster.invoke_ok(addr, cmd).await {
        Ok(_) => status::ok(),
        Err(e) => crate::pull::broker_status(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_parse_with_and_without_the_commit_log_offset() {
        let h = ReceiptHandle::parse("10 1700000000000 30000 0 0 broker-a 1 12 4096").unwrap();
        assert_eq!(h.commit_log_offset, Some(4096));
        assert_eq!(h.extra.queue_offset, Some(12));
        assert_eq!(h.extra_info(), "10 1700000000000 30000 0 0 broker-a 1 12");
        assert_eq!(h.real_topic("T", "G"), "T");
        let r = ReceiptHandle::parse("10 1700000000000 30000 0 1 broker-a 1 12").unwrap();
        assert_eq!(r.commit_log_offset, None);
        assert_eq!(r.real_topic("T", "G"), "%RETRY%G_T");
        for bad in ["", "x", "10 1 2 3 0 b 1", "10 1 2 3 0 b 1 12 nope", "a b c d e f g h"] {
            assert!(ReceiptHandle::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn requests_without_group_topic_or_handle_are_refused() {
        let res = |n: &str| Some(pb::Resource { resource_namespace: String::new(), name: n.into() });
        let code = |r: &pb::ForwardMessageToDeadLetterQueueRequest| validate(r).err().map(|s| s.code);
        let mut r = pb::ForwardMessageToDeadLetterQueueRequest::default();
        assert_eq!(code(&r), Some(Code::IllegalConsumerGroup as i32));
        r.group = res("G");
        assert_eq!(code(&r), Some(Code::IllegalTopic as i32));
        r.topic = res("T");
        r.receipt_handle = "garbage".into();
        assert_eq!(code(&r), Some(Code::InvalidReceiptHandle as i32));
        r.receipt_handle = "10 1 30000 0 0 broker-a 1 12".into();
        assert!(validate(&r).is_ok());
    }
}
