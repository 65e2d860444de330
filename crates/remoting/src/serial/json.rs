//! The JSON header, written as fastjson writes it (keys in alphabetical order, nulls omitted)
//! and read leniently: every key but `code` may be absent (C++, Go and JS clients omit some).

use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::command::{ExtFields, RemotingCommand, SerializeType};
use crate::error::FrameError;
use crate::LanguageCode;

/// Appends the JSON header of `cmd` to `dst`.
pub(crate) fn encode(cmd: &RemotingCommand, dst: &mut BytesMut) {
    dst.put_slice(b"{\"code\":");
    put_int(dst, i64::from(cmd.code));
    // Responses always carry an extFields object: 4.9.x clients dereference it unconditionally.
    if !cmd.ext_fields.is_empty() || cmd.is_response() {
        dst.put_slice(b",\"extFields\":{");
        for (i, (k, v)) in cmd.ext_fields.iter().enumerate() {
            if i > 0 {
                dst.put_u8(b',');
            }
            put_str(dst, k);
            dst.put_u8(b':');
            put_str(dst, v);
        }
        dst.put_u8(b'}');
    }
    dst.put_slice(b",\"flag\":");
    put_int(dst, i64::from(cmd.flag));
    dst.put_slice(b",\"language\":\"");
    dst.put_slice(cmd.language.as_str().as_bytes());
    dst.put_slice(b"\",\"opaque\":");
    put_int(dst, i64::from(cmd.opaque));
    if let Some(remark) = &cmd.remark {
        dst.put_slice(b",\"remark\":");
        put_str(dst, remark);
    }
    dst.put_slice(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    put_int(dst, i64::from(cmd.version));
    dst.put_u8(b'}');
}

fn put_int(dst: &mut BytesMut, v: i64) {
    let mut buf = itoa_buf(v);
    dst.put_slice(buf.as_bytes_mut_str());
}

/// Small stack formatter for integers (avoids a `String` per field).
struct IntBuf {
    bytes: [u8; 20],
    start: usize,
}

impl IntBuf {
    fn as_bytes_mut_str(&mut self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

fn itoa_buf(v: i64) -> IntBuf {
    let mut out = IntBuf { bytes: [0; 20], start: 20 };
    let negative = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        out.start -= 1;
        out.bytes[out.start] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        out.start -= 1;
        out.bytes[out.start] = b'-';
    }
    out
}

/// Writes a JSON string literal with the escapes fastjson and serde_json both accept.
fn put_str(dst: &mut BytesMut, s: &str) {
    dst.put_u8(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            _ if b < 0x20 => None,
            _ => continue,
        };
        dst.put_slice(&bytes[start..i]);
        match escape {
            Some(e) => dst.put_slice(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                dst.put_slice(b"\\u00");
                dst.put_u8(HEX[usize::from(b >> 4)]);
                dst.put_u8(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    dst.put_slice(&bytes[start..]);
    dst.put_u8(b'"');
}

#[derive(Deserialize)]
struct JsonHeader {
    code: i32,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    version: Option<i32>,
    #[serde(default)]
    opaque: Option<i32>,
    #[serde(default)]
    flag: Option<i32>,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default, rename = "extFields", deserialize_with = "lenient_map")]
    ext_fields: ExtFields,
}

/// Decodes a JSON header into a command (body left empty).
pub(crate) fn decode(header: &[u8]) -> Result<RemotingCommand, FrameError> {
    let parsed: JsonHeader = serde_json::from_slice(header).map_err(|e| {
        if std::str::from_utf8(header).is_err() {
            FrameError::InvalidUtf8
        } else {
            FrameError::InvalidJson(e.to_string())
        }
    })?;
    Ok(RemotingCommand {
        code: parsed.code,
        language: parsed.language.as_deref().map_or(LanguageCode::Java, LanguageCode::from_name),
        version: parsed.version.unwrap_or(0),
        opaque: parsed.opaque.unwrap_or(0),
        flag: parsed.flag.unwrap_or(0),
        remark: parsed.remark,
        ext_fields: parsed.ext_fields,
        body: bytes::Bytes::new(),
        body_parts: Vec::new(),
        serialize_type: SerializeType::Json,
    })
}

/// extFields values are strings from Java, but be lenient: numbers and booleans become their
/// text, nulls are dropped (as Java drops null fields), and a null map is an empty map.
fn lenient_map<'de, D: Deserializer<'de>>(d: D) -> Result<ExtFields, D::Error> {
    struct MapVisitor;
    impl<'de> Visitor<'de> for MapVisitor {
        type Value = ExtFields;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of string values, or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<ExtFields, E> {
            Ok(ExtFields::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<ExtFields, E> {
            Ok(ExtFields::new())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<ExtFields, D2::Error> {
            d.deserialize_map(MapVisitor)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExtFields, A::Error> {
            let mut out = ExtFields::new();
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                let text = match v {
                    serde_json::Value::Null => continue,
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(b) => b.to_string(),
                    serde_json::Value::Number(n) => n.to_string(),
                    other => other.to_string(),
                };
                out.insert(k, text);
            }
            Ok(out)
        }
    }
    d.deserialize_option(MapVisitor)
}
