//! The consumers' shared vocabulary: start point, message model, listener verdicts, the retry
//! topic prefix.

/// Where a group with no committed offset starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsumeFromWhere {
    /// The queue's max offset (new messages only).
    #[default]
    LastOffset,
    /// The queue's min offset.
    FirstOffset,
    /// The first message stored at or after this time (epoch ms).
    Timestamp(i64),
}

impl ConsumeFromWhere {
    /// The official constant sent in heartbeats.
    #[must_use]
    pub fn wire(self) -> rmq_remoting::body::ConsumeFromWhere {
        use rmq_remoting::body::ConsumeFromWhere as Wire;
        match self {
            Self::LastOffset => Wire::LastOffset,
            Self::FirstOffset => Wire::FirstOffset,
            Self::Timestamp(_) => Wire::Timestamp,
        }
    }
}

pub use rmq_remoting::body::MessageModel;

/// A concurrent listener's verdict on a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsumeStatus {
    /// Consumed.
    Success,
    /// Deliver again later (via the group's retry topic).
    ReconsumeLater,
}

/// An orderly listener's verdict on a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderlyStatus {
    /// Consumed.
    Success,
    /// Retry the same batch after a pause, keeping the queue's order.
    SuspendCurrentQueueAMoment,
}
