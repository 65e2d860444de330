//! Reading queues with raw PULL_MESSAGE calls (as the `TOOLS_CONSUMER` group, committing
//! nothing): queue ranges by offset or time, one message at an offset, a whole range in batches.

use std::time::Duration;

use rmq_remoting::body::MessageQueue;
use rmq_remoting::header::PullMessageResponseHeader;
use serde::Serialize;

use crate::message::{decode_records, MessageView};
use crate::offset::Offsets;
use crate::{route_addr, Admin, AdminError, Result};
use rmq_client::consumer::{PullRequest, PullResult, PullStatus, Subscription};
use rmq_client::ClientError;

/// The group the official tools pull as.
pub const TOOLS_CONSUMER: &str = rmq_common::group::TOOLS_CONSUMER;
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

/// The admin calls on queue ranges and raw pulls (`Queues::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Queues<'a> {
    pub(crate) admin: &'a Admin,
}

impl<'a> Queues<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// Every readable queue of `topic` with its offsets: from the first message stored at or
    /// after `begin` (else the min offset) to the first at or after `end` (else the max offset).
    pub async fn queue_ranges(&self, topic: &str, begin: Option<i64>, end: Option<i64>) -> Result<Vec<QueueRange>> {
        let route = self.admin.route(topic).await?;
        let mut queues = route.queue_datas.clone();
        queues.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
        let mut out = Vec::new();
        for q in queues {
            let Some(addr) = route_addr(&route, &q.broker_name, false) else { continue };
            for queue_id in 0..q.read_queue_nums {
                let from = match begin {
                    Some(t) => Offsets::new(self.admin).search_offset(&addr, topic, queue_id, t).await?,
                    None => Offsets::new(self.admin).min_offset(&addr, topic, queue_id).await?,
                };
                let to = match end {
                    Some(t) => Offsets::new(self.admin).search_offset(&addr, topic, queue_id, t).await?,
                    None => Offsets::new(self.admin).max_offset(&addr, topic, queue_id).await?,
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
        let route = self.admin.route(topic).await?;
        let addr = route_addr(&route, broker_name, false)
            .ok_or_else(|| AdminError::BrokerNotFound(format!("{broker_name} (not in the route of {topic})")))?;
        Ok(QueueRange {
            topic: topic.to_owned(),
            broker_name: broker_name.to_owned(),
            queue_id,
            from: Offsets::new(self.admin).min_offset(&addr, topic, queue_id).await?,
            to: Offsets::new(self.admin).max_offset(&addr, topic, queue_id).await?,
            addr,
        })
    }

    /// One pull of at most `max` messages at `offset` (no long polling, no commit).
    pub async fn pull_once(
        &self,
        range: &QueueRange,
        offset: i64,
        max: i32,
        expression: &str,
    ) -> Result<PullResult<MessageView>> {
        let queue = MessageQueue {
            topic: range.topic.clone(),
            broker_name: range.broker_name.clone(),
            queue_id: range.queue_id,
        };
        let subscription = Subscription::new(&range.topic, expression);
        let req = PullRequest {
            group: TOOLS_CONSUMER,
            queue: &queue,
            subscription: &subscription,
            offset,
            max_msgs: max,
            suspend: Duration::ZERO,
            commit_offset: None,
            broker_id: 0,
        };
        let resp = self.admin.broker_call(&range.addr, req.command()).await?;
        let Some(status) = PullStatus::from_code(resp.response_code()) else {
            return Err(AdminError::Client(ClientError::broker(range.addr.clone(), resp.code, resp.remark)));
        };
        let rh: PullMessageResponseHeader =
            resp.header().map_err(|e| AdminError::BadAnswer { addr: range.addr.clone(), reason: e.to_string() })?;
        let mut messages = Vec::new();
        if status == PullStatus::Found {
            messages = decode_records(&range.addr, &resp.body)?;
            messages.retain(|m| subscription.matches(m.tags.as_deref()));
        }
        Ok(PullResult::new(status, &rh, messages))
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
                _ => break,
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
