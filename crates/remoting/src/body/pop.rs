//! BATCH_ACK_MESSAGE (200151) body: `BatchAckMessageRequestBody` of `BatchAck`s. fastjson writes
//! a `BatchAck` with short keys (`c`, `t`, `r`, `so`, `q`, `rq`, `pt`, `it`, `b`) and reads the
//! long ones too; the bit set `b` is `java.util.BitSet.toByteArray()` as a base64 string (bit
//! `i` = the message at `startOffset + i`).

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// BATCH_ACK_MESSAGE request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchAckMessageRequestBody {
    /// Broker the handles came from.
    pub broker_name: String,
    /// One entry per checkpoint acked.
    pub acks: Vec<BatchAck>,
}

/// The acks of one checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BatchAck {
    /// Consumer group.
    #[serde(rename = "c", alias = "consumerGroup")]
    pub consumer_group: String,
    /// Topic (the original one).
    #[serde(rename = "t", alias = "topic")]
    pub topic: String,
    /// Retry mark: `0`, `1` or `2` (see `header::pop_info::RetryMark`).
    #[serde(rename = "r", alias = "retry")]
    pub retry: String,
    /// Checkpoint start offset.
    #[serde(rename = "so", alias = "startOffset")]
    pub start_offset: i64,
    /// Queue id.
    #[serde(rename = "q", alias = "queueId")]
    pub queue_id: i32,
    /// Revive queue id.
    #[serde(rename = "rq", alias = "reviveQueueId")]
    pub revive_queue_id: i32,
    /// Checkpoint pop time, ms.
    #[serde(rename = "pt", alias = "popTime")]
    pub pop_time: i64,
    /// Invisible time, ms.
    #[serde(rename = "it", alias = "invisibleTime")]
    pub invisible_time: i64,
    /// Acked offsets relative to `start_offset`.
    #[serde(rename = "b", alias = "bitSet")]
    pub bit_set: AckBits,
}

/// A `java.util.BitSet` as its `toByteArray()` bytes (little-endian bit order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckBits(pub Vec<u8>);

impl AckBits {
    /// A set with the given bit indexes.
    pub fn from_indexes(indexes: impl IntoIterator<Item = usize>) -> Self {
        let mut bytes = Vec::new();
        for i in indexes {
            if bytes.len() <= i / 8 {
                bytes.resize(i / 8 + 1, 0u8);
            }
            bytes[i / 8] |= 1 << (i % 8);
        }
        Self(bytes)
    }

    /// The set bit indexes, ascending.
    pub fn indexes(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for (byte_index, byte) in self.0.iter().enumerate() {
            for bit in 0..8 {
                if byte & (1 << bit) != 0 {
                    out.push(byte_index * 8 + bit);
                }
            }
        }
        out
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)?;
        acc = (acc << 6) | u32::try_from(v).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

impl Serialize for AckBits {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64_encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for AckBits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BitsVisitor;
        impl<'de> Visitor<'de> for BitsVisitor {
            type Value = AckBits;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a base64 string or an array of bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AckBits, E> {
                base64_decode(v).map(AckBits).ok_or_else(|| E::custom("invalid base64"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<AckBits, E> {
                Ok(AckBits::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<AckBits, E> {
                Ok(AckBits::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AckBits, A::Error> {
                let mut bytes = Vec::new();
                while let Some(b) = seq.next_element::<i64>()? {
                    // Java bytes are signed: -1 is 0xff.
                    bytes.push(u8::try_from(b & 0xff).map_err(de::Error::custom)?);
                }
                Ok(AckBits(bytes))
            }
        }
        deserializer.deserialize_any(BitsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_through_base64() {
        for set in [vec![], vec![0], vec![0, 1, 2], vec![3, 9, 17, 31], (0..32).collect::<Vec<_>>()] {
            let bits = AckBits::from_indexes(set.clone());
            assert_eq!(bits.indexes(), set);
            let text = base64_encode(&bits.0);
            assert_eq!(base64_decode(&text), Some(bits.0.clone()));
        }
        // java.util.BitSet {0, 2} -> toByteArray [5] -> "BQ==" (as fastjson writes it).
        assert_eq!(base64_encode(&AckBits::from_indexes([0, 2]).0), "BQ==");
        assert_eq!(base64_encode(&[1, 2, 3, 4]), "AQIDBA==");
        assert_eq!(base64_decode("AQIDBA=="), Some(vec![1, 2, 3, 4]));
        assert_eq!(base64_decode("A*=="), None);
    }

    #[test]
    fn body_reads_short_and_long_keys() {
        let short = br#"{"acks":[{"b":"BQ==","c":"g","it":30000,"pt":1700,"q":1,"r":"0","rq":2,"so":10,"t":"T"}],"brokerName":"broker-a"}"#;
        let body: BatchAckMessageRequestBody = crate::body::decode(short).expect("short keys");
        assert_eq!(body.broker_name, "broker-a");
        let ack = &body.acks[0];
        assert_eq!((ack.consumer_group.as_str(), ack.topic.as_str(), ack.retry.as_str()), ("g", "T", "0"));
        assert_eq!((ack.start_offset, ack.queue_id, ack.revive_queue_id), (10, 1, 2));
        assert_eq!((ack.pop_time, ack.invisible_time), (1700, 30000));
        assert_eq!(ack.bit_set.indexes(), vec![0, 2]);
        let long = br#"{"acks":[{"bitSet":[5],"consumerGroup":"g","invisibleTime":"30000","popTime":1700,"queueId":1,"retry":"0","reviveQueueId":2,"startOffset":10,"topic":"T"}],"brokerName":"broker-a"}"#;
        let body2: BatchAckMessageRequestBody = crate::body::decode(long).expect("long keys");
        assert_eq!(body2, body);
        let written = serde_json::to_string(&body).expect("encode");
        assert_eq!(
            written,
            r#"{"brokerName":"broker-a","acks":[{"c":"g","t":"T","r":"0","so":10,"q":1,"rq":2,"pt":1700,"it":30000,"b":"BQ=="}]}"#
        );
    }
}
