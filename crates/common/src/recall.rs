//! Recall handles (RocketMQ 5.3.1+ `RecallMessageHandle.HandleV1`): what a send of a timer
//! message answers (`recallHandle` of the send response) and RECALL_MESSAGE takes back. The text
//! `v1 <topic> <brokerName> <timestamp> <messageId>`, base64url-encoded with padding; the
//! timestamp is the due time plus one ms (the official broker adds it against flooring).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};

/// base64url that reads handles with or without padding (as Java's URL decoder).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The only handle version.
const VERSION_1: &str = "v1";

/// What a recall handle names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallHandle {
    /// The real topic of the timer message.
    pub topic: String,
    /// The broker set that stores it.
    pub broker_name: String,
    /// The handle's timestamp, ms: the due time plus one.
    pub timestamp: i64,
    /// The message's unique id (UNIQ_KEY).
    pub message_id: String,
}

/// Why a handle cannot be read (the official broker's remark).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recall handle is invalid")]
pub struct InvalidHandle;

impl RecallHandle {
    /// The handle of a timer message due at `due_ms`.
    #[must_use]
    pub fn for_timer(topic: &str, broker_name: &str, due_ms: i64, message_id: &str) -> Self {
        Self {
            topic: topic.to_owned(),
            broker_name: broker_name.to_owned(),
            timestamp: due_ms.saturating_add(1),
            message_id: message_id.to_owned(),
        }
    }

    /// The encoded handle.
    #[must_use]
    pub fn encode(&self) -> String {
        let raw = format!("{VERSION_1} {} {} {} {}", self.topic, self.broker_name, self.timestamp, self.message_id);
        URL_SAFE.encode(raw)
    }

    /// Reads an encoded handle (a timestamp that is not a number reads as -1, as the official
    /// broker's `NumberUtils.toLong`, and so is refused as in the past).
    pub fn decode(text: &str) -> Result<Self, InvalidHandle> {
        let raw = LENIENT.decode(text.trim()).map_err(|_| InvalidHandle)?;
        let raw = String::from_utf8(raw).map_err(|_| InvalidHandle)?;
        let items: Vec<&str> = raw.split(' ').collect();
        if items.len() < 5 || items[0] != VERSION_1 {
            return Err(InvalidHandle);
        }
        Ok(Self {
            topic: items[1].to_owned(),
            broker_name: items[2].to_owned(),
            timestamp: items[3].parse().unwrap_or(-1),
            message_id: items[4].to_owned(),
        })
    }

    /// The due time the handle was made for.
    #[must_use]
    pub fn due_ms(&self) -> i64 {
        self.timestamp.saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_the_official_handle() {
        let h = RecallHandle::for_timer("T", "broker-a", 1_700_000_000_000, "ID1");
        // base64url("v1 T broker-a 1700000000001 ID1"), as HandleV1.buildHandle writes it.
        assert_eq!(h.encode(), "djEgVCBicm9rZXItYSAxNzAwMDAwMDAwMDAxIElEMQ==");
        assert_eq!(RecallHandle::decode(&h.encode()), Ok(h.clone()));
        assert_eq!(RecallHandle::decode(h.encode().trim_end_matches('=')), Ok(h.clone()), "padding optional");
        assert_eq!(h.due_ms(), 1_700_000_000_000);
    }

    #[test]
    fn refuses_what_is_not_a_v1_handle() {
        assert_eq!(RecallHandle::decode(""), Err(InvalidHandle));
        assert_eq!(RecallHandle::decode("not base64!"), Err(InvalidHandle));
        assert_eq!(RecallHandle::decode(&URL_SAFE.encode("v2 T b 1 id")), Err(InvalidHandle));
        assert_eq!(RecallHandle::decode(&URL_SAFE.encode("v1 T b 1")), Err(InvalidHandle));
        assert_eq!(RecallHandle::decode(&URL_SAFE.encode("v1 T b x id")).map(|h| h.timestamp), Ok(-1));
    }
}
