//! What a send returns, read from the broker's answer, and which failures deserve another try.

use rmq_remoting::body::MessageQueue;
use rmq_remoting::header::SendMessageResponseHeader;
use rmq_remoting::{RemotingCommand, ResponseCode};

use crate::error::{ClientError, Result};

/// Outcome of a send the broker stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Stored (and flushed/replicated as the broker's role promises).
    SendOk,
    /// Stored, but the SYNC_FLUSH disk flush timed out.
    FlushDiskTimeout,
    /// Stored, but the SYNC_MASTER slave did not confirm in time.
    FlushSlaveTimeout,
    /// Stored on a SYNC_MASTER with no slave connected.
    SlaveNotAvailable,
}

/// What a send returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// Status.
    pub status: SendStatus,
    /// The client-generated unique id (UNIQ_KEY); comma-joined for a batch.
    pub msg_id: String,
    /// The broker's offset message id (store host + commit-log offset).
    pub offset_msg_id: String,
    /// The queue it went to.
    pub queue: MessageQueue,
    /// Its queue offset (the first, for a batch).
    pub queue_offset: i64,
    /// Transaction id, for half messages.
    pub transaction_id: Option<String>,
    /// The broker's region.
    pub region_id: Option<String>,
}

impl SendResult {
    /// Reads the broker `addr`'s answer to a send of message `id` to `mq`.
    pub(crate) fn from_response(addr: String, resp: RemotingCommand, id: &str, mq: &MessageQueue) -> Result<Self> {
        let status = match resp.response_code() {
            ResponseCode::Success => SendStatus::SendOk,
            ResponseCode::FlushDiskTimeout => SendStatus::FlushDiskTimeout,
            ResponseCode::FlushSlaveTimeout => SendStatus::FlushSlaveTimeout,
            ResponseCode::SlaveNotAvailable => SendStatus::SlaveNotAvailable,
            _ => {
                return Err(ClientError::Broker { addr, code: resp.code, remark: resp.remark.unwrap_or_default() });
            }
        };
        let h = resp.header::<SendMessageResponseHeader>().map_err(|e| ClientError::Invalid(e.to_string()))?;
        Ok(Self {
            status,
            msg_id: id.to_owned(),
            offset_msg_id: h.msg_id,
            queue: MessageQueue { queue_id: h.queue_id, ..mq.clone() },
            queue_offset: h.queue_offset,
            transaction_id: h.transaction_id,
            region_id: h.msg_region,
        })
    }
}

/// Failures worth another attempt on another broker (as the official client's list).
pub(crate) fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Remoting(_) => true,
        ClientError::Broker { code, .. } => [
            ResponseCode::TopicNotExist,
            ResponseCode::ServiceNotAvailable,
            ResponseCode::SystemError,
            ResponseCode::NoPermission,
            ResponseCode::SystemBusy,
        ]
        .iter()
        .any(|c| *c == ResponseCode::from_value(*code)),
        _ => false,
    }
}

/// Whether the broker said the topic does not exist (the cached publish info is stale).
pub(crate) fn topic_missing(e: &ClientError) -> bool {
    matches!(e, ClientError::Broker { code, .. } if ResponseCode::from_value(*code) == ResponseCode::TopicNotExist)
}
