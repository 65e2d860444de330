//! Reading queues with raw PULL_MESSAGE calls (as the `TOOLS_CONSUMER` group, committing
//! nothing): queue ranges by offset or time, one message at an offset, a whole range in batches.

use rmq_remoting::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use serde::Serialize;

use super::message::{decode_records, MessageView};
use super::{route_addr, Admin, AdminError, Result};
use crate::ClientError;

/// The group the official tools pull as.
pub const TOOLS_CONSUMER: &str = rmq_common::group::TOOLS_CONSUMER;
use rmq_common::pullflag::SUBSCRIPTION as FLAG_SUBSCRIPTION;
/// Messages per pull.
const BATCH: i64 = 32;

/// Offsets `[from, to)` of one queue, and the broker address to read them from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRange {
    /// Topic.
    pub topic: String,
    /// Broker set name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Broker address (the master when there is one).
    pub addr: String,
    /// First offset.
    pub from: i64,
    /// One past the last offset.
    pub to: i64,
}

/// What a pull found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PullStatus {
    /// Messages.
    Found,
    /// Nothing at this offset yet.
    NoNewMsg,
    /// Messages, none matching the expression.
    NoMatchedMsg,
    /// The offset is outside the queue.
    OffsetIllegal,
}

/// A pull's outcome.
#[derive(Debug, Clone)]
pub struct PullOutcome {
    /// Status.
    pub status: PullStatus,
    /// Where the next pull starts.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Messages matching the expression.
    pub messages: Vec<MessageView>,
}

/// Whether a tag expression (`*`, or `a || b`) accepts `tag`.
fn matches(expression: &str, tag: Option<&str>) -> bool {
    let e = expression.trim();
    if e.is_empty() || e == "*" {
        return true;
    }
    tag.is_some_and(|t| e.split("||").any(|x| x.trim() == t))
}

impl Admin {
    /// Every readable queue of `topic` with its offsets: from the first message stored at or
    /// after `begin` (else the min offset) to the first at or after `end` (else the max offset).
    pub async fn queue_ranges(&self, topic: &str, begin: Option<i64>, end: Option<i64>) -> Result<Vec<QueueRange>> {
        let route = self.route(topic).await?;
        let mut queues = route.queue_datas.clone();
        queues.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
        let mut out = Vec::new();
        for q in queues {
            let Some(addr) = route_addr(&route, &q.broker_name, false) else { continue };
            for queue_id in 0..q.read_queue_nums {
                let from = match begin {
                    Some(t) => self.search_offset(&addr, topic, queue_id, t).await?,
                    None => self.min_offset(&addr, topic, queue_id).await?,
                };
                let to = match end {
                    Some(t) => self.search_offset(&addr, topic, queue_id, t).await?,
                    None => self.max_offset(&addr, topic, queue_id).await?,
                };
                out.push(QueueRange {
                    topic: topic.to_owned(),
                    broker_name: q.broker_name.clone(),
                    queue_id,
                    addr: addr.clone(),
                    from,
                    to,
                });
            }
        }
        Ok(out)
    }

    /// The range of one queue, `broker_name`'s `queue_id`.
    pub async fn queue_range(&self, topic: &str, broker_name: &str, queue_id: i32) -> Result<QueueRange> {
        let route = self.route(topic).await?;
        let addr = route_addr(&route, broker_name, false)
            .ok_or_else(|| AdminError::BrokerNotFound(format!("{broker_name} (not in the route of {topic})")))?;
        Ok(QueueRange {
            topic: topic.to_owned(),
            broker_name: broker_name.to_owned(),
            queue_id,
            from: self.min_offset(&addr, topic, queue_id).await?,
            to: self.max_offset(&addr, topic, queue_id).await?,
            addr,
        })
    }

    /// One pull of at most `max` messages at `offset` (no long polling, no commit).
    pub async fn pull_once(&self, range: &QueueRange, offset: i64, max: i32, expression: &str) -> Result<PullOutcome> {
        let h = PullMessageRequestHeader {
            consumer_group: TOOLS_CONSUMER.to_owned(),
            topic: range.topic.clone(),
            queue_id: range.queue_id,
            queue_offset: offset,
            max_msg_nums: max,
            sys_flag: FLAG_SUBSCRIPTION,
            commit_offset: Some(0),
            suspend_timeout_millis: Some(0),
            subscription: Some(expression.to_owned()),
            sub_version: Some(0),
            expression_type: Some("TAG".to_owned()),
            max_msg_bytes: None,
            broker_name: Some(range.broker_name.clone()),
        };
        let resp =
            self.broker_call(&range.addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h)).await?;
        let status = match resp.response_code() {
            ResponseCode::Success => PullStatus::Found,
            ResponseCode::PullNotFound => PullStatus::NoNewMsg,
            ResponseCode::PullRetryImmediately => PullStatus::NoMatchedMsg,
            ResponseCode::PullOffsetMoved => PullStatus::OffsetIllegal,
            _ => {
                return Err(AdminError::Client(ClientError::Broker {
                    addr: range.addr.clone(),
                    code: resp.code,
                    remark: resp.remark.unwrap_or_default(),
                }))
            }
        };
        let rh: PullMessageResponseHeader =
            resp.header().map_err(|e| AdminError::BadAnswer { addr: range.addr.clone(), reason: e.to_string() })?;
        let mut messages = Vec::new();
        if status == PullStatus::Found {
            messages = decode_records(&range.addr, &resp.body)?;
            messages.retain(|m| matches(expression, m.tags.as_deref()));
        }
        Ok(PullOutcome {
            status,
            next_begin_offset: rh.next_begin_offset,
            min_offset: rh.min_offset,
            max_offset: rh.max_offset,
            messages,
        })
    }

    /// Reads `range` (at most `limit` messages matching `expression`) in batches handed to
    /// `on_batch`; returns how many were read.
    pub async fn read_range(
        &self,
        range: &QueueRange,
        expression: &str,
        limit: usize,
        on_batch: &mut (dyn FnMut(&[MessageView]) + Send),
    ) -> Result<usize> {
        let mut offset = range.from;
        let mut count = 0usize;
        while offset < range.to && count < limit {
            let left = i64::try_from(limit - count).unwrap_or(i64::MAX);
            let max = i32::try_from(BATCH.min(range.to - offset).min(left)).unwrap_or(1);
            let got = self.pull_once(range, offset, max, expression).await?;
            match got.status {
                PullStatus::Found => {
                    let mut batch = got.messages;
                    batch.retain(|m| m.queue_offset < range.to);
                    batch.truncate(limit - count);
                    count += batch.len();
                    if !batch.is_empty() {
                        on_batch(&batch);
                    }
                }
                PullStatus::NoMatchedMsg => {}
                PullStatus::NoNewMsg | PullStatus::OffsetIllegal => break,
            }
            if got.next_begin_offset <= offset {
                break;
            }
            offset = got.next_begin_offset;
        }
        Ok(count)
    }

    /// The message at `offset` of `broker_name`'s queue `queue_id`.
    pub async fn message_at(&self, topic: &str, broker_name: &str, queue_id: i32, offset: i64) -> Result<MessageView> {
        let range = self.queue_range(topic, broker_name, queue_id).await?;
        let got = self.pull_once(&range, offset, 1, "*").await?;
        got.messages.into_iter().find(|m| m.queue_offset == offset).ok_or_else(|| {
            AdminError::MessageNotFound(format!("at offset {offset} of {topic} {broker_name}:{queue_id}"))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_expressions() {
        assert!(super::matches("*", None));
        assert!(super::matches("a || b", Some("b")));
        assert!(!super::matches("a || b", Some("c")));
        assert!(!super::matches("a", None));
    }
}
