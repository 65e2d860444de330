//! The message a producer sends, and body compression.

use std::io::{Read, Write};

use bytes::Bytes;
use rmq_common::property;

/// A message to send: topic, body, flag and properties (tags, keys, user properties...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Topic.
    pub topic: String,
    /// Body.
    pub body: Bytes,
    /// User flag (opaque to the broker).
    pub flag: i32,
    /// Properties in insertion order.
    pub properties: Vec<(String, String)>,
}

impl Message {
    /// A message for `topic` with `body`.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self { topic: topic.into(), body: body.into(), ..Self::default() }
    }

    /// Sets the tag (server-side filtering).
    #[must_use]
    pub fn with_tags(mut self, tags: &str) -> Self {
        property::set(&mut self.properties, property::TAGS, tags);
        self
    }

    /// Sets the keys (indexed by the broker; query with the admin API).
    #[must_use]
    pub fn with_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined: Vec<String> = keys.into_iter().map(|k| k.as_ref().to_owned()).collect();
        property::set(&mut self.properties, property::KEYS, &joined.join(" "));
        self
    }

    /// Sets a user property.
    #[must_use]
    pub fn with_property(mut self, key: &str, value: &str) -> Self {
        property::set(&mut self.properties, key, value);
        self
    }

    /// Delivers after delay level `level` (1-based, the broker's messageDelayLevel).
    #[must_use]
    pub fn with_delay_level(mut self, level: i32) -> Self {
        property::set(&mut self.properties, property::DELAY, &level.to_string());
        self
    }

    /// Delivers at `at_ms` (epoch ms), as 5.x timer messages.
    #[must_use]
    pub fn with_deliver_time_ms(mut self, at_ms: i64) -> Self {
        property::set(&mut self.properties, property::TIMER_DELIVER_MS, &at_ms.to_string());
        self
    }

    /// The tag, if set.
    #[must_use]
    pub fn tags(&self) -> Option<&str> {
        property::get(&self.properties, property::TAGS)
    }

    /// The keys.
    #[must_use]
    pub fn keys(&self) -> Vec<&str> {
        property::get(&self.properties, property::KEYS).map_or_else(Vec::new, |k| k.split(' ').collect())
    }

    /// A property.
    #[must_use]
    pub fn property(&self, key: &str) -> Option<&str> {
        property::get(&self.properties, key)
    }
}

/// zlib-compresses a body (as `java.util.zip.Deflater` at level 5).
pub(crate) fn compress(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::with_capacity(body.len() / 2), flate2::Compression::new(5));
    enc.write_all(body)?;
    enc.finish()
}

/// Inflates a zlib body.
pub(crate) fn decompress(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() * 3);
    flate2::read::ZlibDecoder::new(body).read_to_end(&mut out)?;
    Ok(out)
}

/// Undoes client-side compression of a received message (sys flag bit 0x1).
pub fn decode_body(m: &mut rmq_common::message::MessageExt) {
    if m.sys_flag & rmq_common::sysflag::COMPRESSED != 0 {
        match decompress(&m.body) {
            Ok(b) => {
                m.body = Bytes::from(b);
                m.sys_flag &= !rmq_common::sysflag::COMPRESSED;
            }
            Err(e) => tracing::warn!(msg_id = %m.msg_id, cause = %e, "could not inflate a compressed body"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_zlib_round_trip() {
        let m = Message::new("T", "body").with_tags("a").with_keys(["k1", "k2"]).with_property("p", "v");
        assert_eq!(m.tags(), Some("a"));
        assert_eq!(m.keys(), vec!["k1", "k2"]);
        assert_eq!(m.property("p"), Some("v"));
        let big = "abc".repeat(5000);
        let z = compress(big.as_bytes()).unwrap();
        assert!(z.len() < big.len() / 10);
        assert_eq!(z[0], 0x78, "zlib header, as Java's Deflater writes");
        assert_eq!(decompress(&z).unwrap(), big.as_bytes());
    }
}
