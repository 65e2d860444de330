//! The raw PULL_MESSAGE call and its result (one pair of types for the consumers and the
//! admin tools).

use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_remoting::body::MessageQueue;
use rmq_remoting::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use super::subscription::Subscription;
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

use rmq_common::pullflag::{
    COMMIT_OFFSET as FLAG_COMMIT_OFFSET, SUBSCRIPTION as FLAG_SUBSCRIPTION, SUSPEND as FLAG_SUSPEND,
};

/// What a pull found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum PullStatus {
    /// Messages.
    Found,
    /// Nothing new at this offset.
    NoNewMsg,
    /// Messages, but none matched the filter.
    NoMatchedMsg,
    /// The offset is outside the queue; restart from `next_begin_offset`.
    OffsetIllegal,
}

impl PullStatus {
    /// The status a PULL_MESSAGE response code stands for (None: an error).
    #[must_use]
    pub fn from_code(code: ResponseCode) -> Option<Self> {
        match code {
            ResponseCode::Success => Some(Self::Found),
            ResponseCode::PullNotFound => Some(Self::NoNewMsg),
            ResponseCode::PullRetryImmediately => Some(Self::NoMatchedMsg),
            ResponseCode::PullOffsetMoved => Some(Self::OffsetIllegal),
            _ => None,
        }
    }
}

/// A pull's outcome, with messages as `M` (decoded [`MessageExt`]s for the consumers).
#[derive(Debug, Clone)]
pub struct PullResult<M = MessageExt> {
    /// Status.
    pub status: PullStatus,
    /// Offset to pull from next.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Broker id the broker suggests for the next pull (a slave when the consumer lags).
    pub suggest_which_broker_id: i64,
    /// Messages (tag-filtered on the client too, bodies inflated).
    pub messages: Vec<M>,
}

impl<M> PullResult<M> {
    /// A result of `status` with the response header's offsets.
    #[must_use]
    pub fn new(status: PullStatus, rh: &PullMessageResponseHeader, messages: Vec<M>) -> Self {
        Self {
            status,
            next_begin_offset: rh.next_begin_offset,
            min_offset: rh.min_offset,
            max_offset: rh.max_offset,
            suggest_which_broker_id: rh.suggest_which_broker_id,
            messages,
        }
    }
}

/// One pull's parameters.
#[derive(Debug, Clone)]
pub struct PullRequest<'a> {
    /// Group.
    pub group: &'a str,
    /// Queue.
    pub queue: &'a MessageQueue,
    /// Subscription (tag filter).
    pub subscription: &'a Subscription,
    /// Offset to read from.
    pub offset: i64,
    /// At most this many messages (32).
    pub max_msgs: i32,
    /// Hold the pull up to this long when nothing is there (0 = answer at once).
    pub suspend: Duration,
    /// Offset to commit on the broker with the pull (clustering), if any.
    pub commit_offset: Option<i64>,
    /// Broker id to read from (0 = master).
    pub broker_id: i64,
}

impl PullRequest<'_> {
    /// The PULL_MESSAGE request.
    #[must_use]
    pub fn command(&self) -> RemotingCommand {
        let mut flag = FLAG_SUBSCRIPTION;
        if self.commit_offset.is_some() {
            flag |= FLAG_COMMIT_OFFSET;
        }
        if !self.suspend.is_zero() {
            flag |= FLAG_SUSPEND;
        }
        let h = PullMessageRequestHeader {
            consumer_group: self.group.to_owned(),
            topic: self.queue.topic.clone(),
            queue_id: self.queue.queue_id,
            queue_offset: self.offset,
            max_msg_nums: self.max_msgs,
            sys_flag: flag,
            commit_offset: Some(self.commit_offset.unwrap_or(0)),
            suspend_timeout_millis: Some(i64::try_from(self.suspend.as_millis()).unwrap_or(i64::MAX)),
            subscription: Some(self.subscription.expression.clone()),
            sub_version: Some(self.subscription.version),
            expression_type: Some(self.subscription.expression_type().into()),
            max_msg_bytes: None,
            broker_name: Some(self.queue.broker_name.clone()),
        };
        RemotingCommand::request_with_header(RequestCode::PullMessage, &h)
    }
}

/// Pulls once.
pub async fn pull(instance: &ClientInstance, req: &PullRequest<'_>) -> Result<PullResult> {
    let (addr, _id) = instance
        .broker_addr_for_read(&req.queue.broker_name, req.broker_id)
        .ok_or_else(|| ClientError::Invalid(format!("no address known for broker {}", req.queue.broker_name)))?;
    let timeout = req.suspend + instance.config().api_timeout + Duration::from_secs(2);
    let resp = instance.remoting().invoke(&addr, req.command(), timeout).await?;
    let Some(status) = PullStatus::from_code(resp.response_code()) else {
        return Err(ClientError::broker(addr, resp.code, resp.remark));
    };
    let rh = resp.header::<PullMessageResponseHeader>().map_err(|e| ClientError::Invalid(e.to_string()))?;
    let mut messages = Vec::new();
    if status == PullStatus::Found {
        let all =
            MessageExt::decode_all(&resp.body).map_err(|e| ClientError::Invalid(format!("bad pull body: {e}")))?;
        for mut m in all {
            if req.subscription.matches(rmq_common::property::get(&m.properties, rmq_common::property::TAGS)) {
                crate::message::decode_body(&mut m);
                messages.push(m);
            }
        }
    }
    let status = if status == PullStatus::Found && messages.is_empty() { PullStatus::NoMatchedMsg } else { status };
    Ok(PullResult::new(status, &rh, messages))
}
