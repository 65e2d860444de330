//! Results of puts and gets.

use bytes::Bytes;

/// Outcome of a put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutStatus {
    /// Stored (and flushed when SYNC_FLUSH).
    Ok,
    /// Stored, but the flush did not finish within syncFlushTimeout.
    FlushDiskTimeout,
    /// Stored, but no slave confirmed in time (SYNC_MASTER).
    FlushSlaveTimeout,
    /// Stored, but no slave is connected (SYNC_MASTER).
    SlaveNotAvailable,
    /// Refused: too large, bad fields.
    MessageIllegal,
    /// Refused: disk full, shutting down, I/O error.
    ServiceNotAvailable,
    /// Refused: something else.
    Error,
}

/// Result of a put.
#[derive(Debug, Clone)]
pub struct PutMessageResult {
    /// Outcome.
    pub status: PutStatus,
    /// Offset message ids, one per stored message.
    pub msg_ids: Vec<String>,
    /// Queue offset of the first message.
    pub queue_offset: i64,
    /// Commit-log offset of the first message.
    pub phy_offset: i64,
    /// Transaction id (half messages).
    pub transaction_id: Option<String>,
    /// Why, for refusals.
    pub remark: String,
    /// Commit-log end after the put.
    pub end_offset: i64,
}

impl PutMessageResult {
    /// A refusal.
    #[must_use]
    pub fn refused(status: PutStatus, remark: impl Into<String>) -> Self {
        Self {
            status,
            msg_ids: Vec::new(),
            queue_offset: 0,
            phy_offset: 0,
            transaction_id: None,
            remark: remark.into(),
            end_offset: 0,
        }
    }
}

/// Outcome of a get, as RocketMQ's GetMessageStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetMessageStatus {
    /// At least one message.
    Found,
    /// Units scanned, all filtered out.
    NoMatchedMessage,
    /// The commit log behind the units was deleted.
    MessageWasRemoving,
    /// The queue is empty.
    NoMessageInQueue,
    /// No such queue.
    NoMatchedLogicQueue,
    /// Offset below the queue's min.
    OffsetTooSmall,
    /// Offset equals the queue's max.
    OffsetOverflowOne,
    /// Offset beyond the queue's max.
    OffsetOverflowBadly,
    /// A hole in the queue.
    OffsetFoundNull,
}

impl GetMessageStatus {
    /// The official name (used as the pull response remark).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Found => "FOUND",
            Self::NoMatchedMessage => "NO_MATCHED_MESSAGE",
            Self::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
            Self::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
            Self::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
            Self::OffsetTooSmall => "OFFSET_TOO_SMALL",
            Self::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
            Self::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
            Self::OffsetFoundNull => "OFFSET_FOUND_NULL",
        }
    }
}

/// Result of a get.
#[derive(Debug, Clone)]
pub struct GetMessageResult {
    /// Outcome.
    pub status: GetMessageStatus,
    /// Where the next pull should start.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Stored records, back to back when concatenated.
    pub messages: Vec<Bytes>,
    /// The reader is far behind (data likely on disk): suggest a slave.
    pub suggest_pull_from_slave: bool,
}

/// Result of a key query.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    /// Stored records.
    pub messages: Vec<Bytes>,
    /// Last index update time.
    pub index_last_update_timestamp: i64,
    /// Last indexed commit-log offset.
    pub index_last_update_phy_offset: i64,
}
