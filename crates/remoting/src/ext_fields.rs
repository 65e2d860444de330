//! `ExtFields`: the "custom header" of a command, string keys to string values.
//!
//! Decoded fields stay slices of the received header bytes (no allocation per key and value:
//! a send carries 13 of them); fields set in code are owned strings. Kept sorted by key, so
//! encoding is deterministic (golden vectors, reproducible captures) and equality ignores the
//! order the peer sent them in.

use bytes::Bytes;

/// One key or value: a range of the decoded header, or an owned string.
#[derive(Clone)]
enum Text {
    /// `raw[start..end]`, checked to be UTF-8 when decoded.
    Raw {
        start: u32,
        end: u32,
    },
    Owned(String),
}

/// The custom header of a command; see the module docs.
#[derive(Clone, Default)]
pub struct ExtFields {
    /// The header bytes `Text::Raw` ranges point into.
    raw: Bytes,
    /// Sorted by key, keys unique.
    fields: Vec<(Text, Text)>,
}

impl ExtFields {
    /// No fields.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Fields that will be slices of `raw` (see [`Self::push_raw`]).
    pub(crate) fn with_raw(raw: Bytes, capacity: usize) -> Self {
        Self { raw, fields: Vec::with_capacity(capacity) }
    }

    fn text<'a>(&'a self, t: &'a Text) -> &'a str {
        match t {
            // Checked when decoded (push_raw), so this does not fail.
            Text::Raw { start, end } => std::str::from_utf8(&self.raw[*start as usize..*end as usize]).unwrap_or(""),
            Text::Owned(s) => s,
        }
    }

    fn bytes<'a>(&'a self, t: &'a Text) -> &'a [u8] {
        match t {
            Text::Raw { start, end } => self.raw.get(*start as usize..*end as usize).unwrap_or_default(),
            Text::Owned(s) => s.as_bytes(),
        }
    }

    /// Byte order is `str` order for UTF-8, and skips re-checking the keys.
    fn find(&self, key: &str) -> Result<usize, usize> {
        let key = key.as_bytes();
        self.fields.binary_search_by(|(k, _)| {
            let k = self.bytes(k);
            // Keys mostly differ in their first byte (a send's are single letters): decide
            // those without a memcmp call.
            match (k.first(), key.first()) {
                (Some(a), Some(b)) if a != b => a.cmp(b),
                _ => k.cmp(key),
            }
        })
    }

    /// The value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|i| self.text(&self.fields[i].1))
    }

    /// Whether `key` is set.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` (replacing its value); returns the previous value.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        let value = Text::Owned(value);
        match self.find(&key) {
            Ok(i) => {
                let old = std::mem::replace(&mut self.fields[i].1, value);
                Some(match old {
                    Text::Owned(s) => s,
                    raw @ Text::Raw { .. } => self.text(&raw).to_owned(),
                })
            }
            Err(i) => {
                self.fields.insert(i, (Text::Owned(key), value));
                None
            }
        }
    }

    /// Adds a decoded field whose key and value are the given ranges of the raw header; a later
    /// duplicate key replaces the earlier value (as a Java map would). `None` when a range is
    /// not UTF-8 or out of bounds.
    pub(crate) fn push_raw(&mut self, key: std::ops::Range<usize>, value: std::ops::Range<usize>) -> Option<()> {
        let raw = &self.raw;
        let k = std::str::from_utf8(raw.get(key.clone())?).ok()?;
        std::str::from_utf8(raw.get(value.clone())?).ok()?;
        let range = |r: std::ops::Range<usize>| -> Option<Text> {
            Some(Text::Raw { start: u32::try_from(r.start).ok()?, end: u32::try_from(r.end).ok()? })
        };
        let (kt, vt) = (range(key)?, range(value)?);
        match self.find(k) {
            Ok(i) => self.fields[i].1 = vt,
            Err(i) => self.fields.insert(i, (kt, vt)),
        }
        Some(())
    }

    /// Number of fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// No fields.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.fields.iter().map(|(k, v)| (self.text(k), self.text(v)))
    }

    /// The fields as bytes, sorted by key (byte order, which is `str` order), without checking
    /// UTF-8 again: e.g. to feed a request signature.
    pub fn iter_bytes(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.fields.iter().map(|(k, v)| (self.bytes(k), self.bytes(v)))
    }
}

impl<'a> IntoIterator for &'a ExtFields {
    type Item = (&'a str, &'a str);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a str)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut e = Self::new();
        for (k, v) in iter {
            e.insert(k.into(), v.into());
        }
        e
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for ExtFields {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}
impl Eq for ExtFields {}

impl std::fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_unique_and_equal_regardless_of_origin() {
        let raw = Bytes::from_static(b"topicTqueueId3topicU");
        let mut decoded = ExtFields::with_raw(raw, 4);
        decoded.push_raw(0..5, 5..6).unwrap(); // topic = T
        decoded.push_raw(6..13, 13..14).unwrap(); // queueId = 3
        decoded.push_raw(14..19, 19..20).unwrap(); // topic = U (a later duplicate wins)
        assert_eq!(decoded.get("topic"), Some("U"));
        assert_eq!(decoded.get("queueId"), Some("3"));
        assert_eq!(decoded.get("b"), None);
        assert_eq!(decoded.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["queueId", "topic"]);

        let built: ExtFields = [("topic", "U"), ("queueId", "3")].into();
        assert_eq!(decoded, built);
        let mut changed = decoded.clone();
        assert_eq!(changed.insert("topic".into(), "V".into()), Some("U".to_owned()));
        assert_ne!(changed, built);
        assert_eq!(format!("{built:?}"), r#"{"queueId": "3", "topic": "U"}"#);
    }

    #[test]
    fn refuses_bad_ranges_and_utf8() {
        let mut e = ExtFields::with_raw(Bytes::from_static(b"k\xff"), 1);
        assert!(e.push_raw(0..1, 1..2).is_none());
        assert!(e.push_raw(0..1, 1..9).is_none());
        assert!(e.is_empty());
    }
}
