//! Typed message ids: the client's unique id (UNIQ_KEY, 32 hex digits) and the broker's
//! offset id (store host + commit-log offset, 32 hex digits for IPv4).

use std::net::SocketAddr;

/// A message id as RocketMQ spells it: upper-case hex. Which kind it is depends on where it came
/// from ([`crate::producer::SendResult::msg_id`] is the unique id,
/// [`crate::producer::SendResult::offset_msg_id`] the offset id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(String);

impl MessageId {
    /// Wraps an id as received.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For an offset id: the broker that stored the message and its commit-log offset.
    #[must_use]
    pub fn store_location(&self) -> Option<(SocketAddr, i64)> {
        rmq_common::msgid::decode_offset_msg_id(&self.0)
    }
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for MessageId {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl From<String> for MessageId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl AsRef<str> for MessageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// One message's part of a batch send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchItemResult {
    /// Its unique id (UNIQ_KEY).
    pub msg_id: MessageId,
    /// The broker's offset id, when the broker returned one per message.
    pub offset_msg_id: Option<MessageId>,
    /// Its queue offset (the batch's are consecutive).
    pub queue_offset: i64,
}
