//! What a send returns, read from the broker's answer, and which failures deserve another try.

use rmq_remoting::body::MessageQueue;
use rmq_remoting::header::SendMessageResponseHeader;
use rmq_remoting::{RemotingCommand, ResponseCode};

use super::message_id::{BatchItemResult, MessageId};
use crate::error::{ClientError, Result};

/// Outcome of a send the broker stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The unique id, typed (for a batch: the ids joined; see [`SendResult::batch_items`]).
    #[must_use]
    pub fn message_id(&self) -> MessageId {
        MessageId::new(self.msg_id.clone())
    }

    /// Per message of a batch (one item for a single message), in the order sent: its id and
    /// queue offset.
    #[must_use]
    pub fn batch_items(&self) -> Vec<BatchItemResult> {
        let offset_ids: Vec<&str> = self.offset_msg_id.split(',').filter(|s| !s.is_empty()).collect();
        self.msg_id
            .split(',')
            .zip(0_i64..)
            .map(|(id, i)| BatchItemResult {
                msg_id: MessageId::new(id),
                offset_msg_id: usize::try_from(i).ok().and_then(|i| offset_ids.get(i)).map(|o| MessageId::new(*o)),
                queue_offset: self.queue_offset + i,
            })
            .collect()
    }

    /// Reads the broker `addr`'s answer to a send of message `id` to `mq`.
    pub(crate) fn from_response(addr: String, resp: RemotingCommand, id: &str, mq: &MessageQueue) -> Result<Self> {
        let status = match resp.response_code() {
            ResponseCode::Success => SendStatus::SendOk,
            ResponseCode::FlushDiskTimeout => SendStatus::FlushDiskTimeout,
            ResponseCode::FlushSlaveTimeout => SendStatus::FlushSlaveTimeout,
            ResponseCode::SlaveNotAvailable => SendStatus::SlaveNotAvailable,
            _ => {
                return Err(ClientError::broker(addr, resp.code, resp.remark));
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
        .any(|c| c == code),
        _ => false,
    }
}

/// Whether the broker said the topic does not exist (the cached publish info is stale).
pub(crate) fn topic_missing(e: &ClientError) -> bool {
    matches!(e, ClientError::Broker { code, .. } if *code == ResponseCode::TopicNotExist)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_items_split_ids_and_number_offsets() {
        let r = SendResult {
            status: SendStatus::SendOk,
            msg_id: "A,B,C".into(),
            offset_msg_id: "X,Y,Z".into(),
            queue: MessageQueue::default(),
            queue_offset: 10,
            transaction_id: None,
            region_id: None,
        };
        let items = r.batch_items();
        assert_eq!(items.len(), 3);
        assert_eq!(items[2].msg_id.as_str(), "C");
        assert_eq!(items[2].offset_msg_id.as_ref().map(MessageId::as_str), Some("Z"));
        assert_eq!(items.iter().map(|i| i.queue_offset).collect::<Vec<_>>(), vec![10, 11, 12]);
        let single = SendResult { msg_id: "A".into(), offset_msg_id: "X".into(), ..r };
        assert_eq!(single.batch_items().len(), 1);
        assert_eq!(single.message_id().to_string(), "A");
    }
}
