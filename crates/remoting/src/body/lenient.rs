//! Reading request and response bodies the way fastjson (the Java broker's parser) does.
//!
//! Clients of every family write bodies slightly differently: the C++ core writes enums as
//! ordinals (`"messageModel":1`) and longs as strings (`"subVersion":"1796226882518"`), the Go
//! client writes tag hash codes as strings, fastjson itself writes map keys that are numbers or
//! whole objects. fastjson reads all of these, so we must too. [`decode`] parses the body into a
//! JSON tree (after [`normalize`](super::fastjson::normalize) when fastjson's key extensions
//! make it invalid JSON) and deserializes the target type through [`Lenient`], a deserializer
//! that converts between JSON kinds the way fastjson does:
//!
//! * numbers from JSON strings (`"12"`), strings from numbers and booleans;
//! * booleans from `"true"`/`"false"` and from numbers (non-zero is true);
//! * enums by name or by Java ordinal (the position in the variant list, which our wire enums
//!   declare in Java's order);
//! * `null` as the type's empty value (0, false, "", empty list or map);
//! * unknown fields ignored; a missing field takes its `#[serde(default)]` value (every body
//!   type is declared with one, like a Java field's initial value).
//!
//! A body that still cannot be read fails with a [`BodyError`] naming the field's path
//! (`consumerDataSet[0].consumeFromWhere`).

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::{Map, Number, Value};

/// A body that no lenient reading makes sense of: what was wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("field `{path}`: ") })]
pub struct BodyError {
    /// Path of the offending field, e.g. `consumerDataSet[0].messageModel` (empty: the body).
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl BodyError {
    fn within(mut self, segment: &str) -> Self {
        self.path = if self.path.is_empty() {
            segment.to_owned()
        } else if self.path.starts_with('[') {
            format!("{segment}{}", self.path)
        } else {
            format!("{segment}.{}", self.path)
        };
        self
    }
}

impl de::Error for BodyError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self { path: String::new(), message: msg.to_string() }
    }
}

/// Decodes a JSON body leniently (see the module docs).
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    let value = parse(body)?;
    from_value(value)
}

/// Deserializes a parsed JSON tree leniently.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, BodyError> {
    T::deserialize(Lenient(value))
}

/// Parses body bytes into a JSON tree, accepting fastjson's non-string map keys.
pub fn parse(body: &[u8]) -> Result<Value, BodyError> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(trimmed)
        .or_else(|_| serde_json::from_str(&super::fastjson::normalize(trimmed)))
        .map_err(|e| BodyError { path: String::new(), message: format!("not JSON: {e}") })
}

/// A deserializer over a JSON tree that converts between kinds the way fastjson does.
#[derive(Debug)]
pub struct Lenient(pub Value);

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn mismatch(v: &Value, want: &str) -> BodyError {
    de::Error::custom(format!("expected {want}, found {} `{}`", kind(v), short(v)))
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// The value as a JSON number, reading numeric strings and booleans too.
fn as_number(v: &Value) -> Option<Number> {
    match v {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                Some(Number::from(i))
            } else if let Ok(u) = s.parse::<u64>() {
                Some(Number::from(u))
            } else {
                s.parse::<f64>().ok().and_then(Number::from_f64)
            }
        }
        Value::Bool(b) => Some(Number::from(u8::from(*b))),
        Value::Null => Some(Number::from(0)),
        _ => None,
    }
}

fn as_i64(v: &Value) -> Result<i64, BodyError> {
    let n = as_number(v).ok_or_else(|| mismatch(v, "an integer"))?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        #[allow(clippy::cast_possible_truncation)] // checked: integral and in range
        Some(f) if f.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&f) => Ok(f as i64),
        _ => Err(mismatch(v, "an integer in range")),
    }
}

fn as_u64(v: &Value) -> Result<u64, BodyError> {
    let n = as_number(v).ok_or_else(|| mismatch(v, "an integer"))?;
    n.as_u64()
        .or_else(|| n.as_i64().and_then(|i| u64::try_from(i).ok()))
        .ok_or_else(|| mismatch(v, "an unsigned integer"))
}

fn as_f64(v: &Value) -> Result<f64, BodyError> {
    as_number(v).and_then(|n| n.as_f64()).ok_or_else(|| mismatch(v, "a number"))
}

fn as_bool(v: &Value) -> Result<bool, BodyError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") || s.trim() == "1" => Ok(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") || s.trim() == "0" || s.trim().is_empty() => {
            Ok(false)
        }
        _ => Err(mismatch(v, "a boolean")),
    }
}

fn as_string(v: Value) -> Result<String, BodyError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Null => Ok(String::new()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(mismatch(&other, "a string")),
    }
}

macro_rules! lenient_int {
    ($($method:ident => $visit:ident : $ty:ty, $conv:ident,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
            let wide = $conv(&self.0)?;
            let narrow = <$ty>::try_from(wide).map_err(|_| mismatch(&self.0, stringify!($ty)))?;
            visitor.$visit(narrow)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Lenient {
    type Error = BodyError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, f) => visitor.visit_f64(f.unwrap_or_default()),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(a) => visitor.visit_seq(Seq { items: a.into_iter(), index: 0 }),
            Value::Object(m) => visitor.visit_map(Fields::new(m)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        visitor.visit_bool(as_bool(&self.0)?)
    }

    lenient_int! {
        deserialize_i8 => visit_i8: i8, as_i64,
        deserialize_i16 => visit_i16: i16, as_i64,
        deserialize_i32 => visit_i32: i32, as_i64,
        deserialize_i64 => visit_i64: i64, as_i64,
        deserialize_u8 => visit_u8: u8, as_u64,
        deserialize_u16 => visit_u16: u16, as_u64,
        deserialize_u32 => visit_u32: u32, as_u64,
        deserialize_u64 => visit_u64: u64, as_u64,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        visitor.visit_f64(as_f64(&self.0)?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        visitor.visit_string(as_string(self.0)?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.0 {
            Value::Array(a) => visitor.visit_seq(Seq { items: a.into_iter(), index: 0 }),
            other => visitor.visit_byte_buf(as_string(other)?.into_bytes()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Lenient(other)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, BodyError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, BodyError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.0 {
            Value::Array(a) => visitor.visit_seq(Seq { items: a.into_iter(), index: 0 }),
            Value::Null => visitor.visit_seq(Seq { items: Vec::new().into_iter(), index: 0 }),
            other => Err(mismatch(&other, "an array")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, BodyError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, BodyError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.0 {
            Value::Object(m) => visitor.visit_map(Fields::new(m)),
            Value::Null => visitor.visit_map(Fields::new(Map::new())),
            other => Err(mismatch(&other, "an object")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BodyError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BodyError> {
        let name = match self.0 {
            Value::Object(m) if m.len() == 1 => {
                // Externally tagged {"Variant": value}: not written by fastjson, kept for serde's own shape.
                return de::Deserializer::deserialize_any(Lenient(Value::Object(m)), visitor);
            }
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => {
                let index = n.as_u64().and_then(|i| usize::try_from(i).ok());
                match index.and_then(|i| variants.get(i)) {
                    Some(v) => (*v).to_owned(),
                    None => return Err(de::Error::custom(format!("ordinal {n} is not one of {variants:?}"))),
                }
            }
            other => return Err(mismatch(&other, "an enum name or ordinal")),
        };
        visitor.visit_enum(name.into_deserializer())
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        visitor.visit_unit()
    }
}

struct Seq {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for Seq {
    type Error = BodyError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, BodyError> {
        let Some(item) = self.items.next() else { return Ok(None) };
        let index = self.index;
        self.index += 1;
        seed.deserialize(Lenient(item)).map(Some).map_err(|e| e.within(&format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Fields {
    entries: serde_json::map::IntoIter,
    value: Option<(String, Value)>,
}

impl Fields {
    fn new(map: Map<String, Value>) -> Self {
        Self { entries: map.into_iter(), value: None }
    }
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = BodyError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, BodyError> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        let k = seed.deserialize(Lenient(Value::String(key.clone()))).map_err(|e| e.within(&key))?;
        self.value = Some((key, value));
        Ok(Some(k))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, BodyError> {
        let (key, value) = self.value.take().ok_or_else(|| de::Error::custom("value before key"))?;
        seed.deserialize(Lenient(value)).map_err(|e| e.within(&key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
#[path = "lenient_tests.rs"]
mod tests;
