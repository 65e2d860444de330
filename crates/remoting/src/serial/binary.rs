//! The ROCKETMQ binary header (big-endian): code i16, language u8, version i16, opaque i32,
//! flag i32, remark (i32 length + UTF-8), extFields (i32 total length, then entries of
//! i16 key length + key, i32 value length + value).

use bytes::{BufMut, Bytes, BytesMut};

use crate::command::{ExtFields, RemotingCommand, SerializeType};
use crate::error::FrameError;
use crate::LanguageCode;

/// Appends the binary header of `cmd` to `dst`.
pub(crate) fn encode(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), FrameError> {
    let code = i16::try_from(cmd.code)
        .map_err(|_| FrameError::Unencodable(format!("code {} does not fit ROCKETMQ's int16", cmd.code)))?;
    let version = i16::try_from(cmd.version).unwrap_or(i16::MAX);
    dst.put_i16(code);
    dst.put_u8(cmd.language.as_byte());
    dst.put_i16(version);
    dst.put_i32(cmd.opaque);
    dst.put_i32(cmd.flag);
    match &cmd.remark {
        Some(r) if !r.is_empty() => {
            dst.put_i32(len_i32(r.len())?);
            dst.put_slice(r.as_bytes());
        }
        _ => dst.put_i32(0),
    }
    let ext_len: usize = cmd.ext_fields.iter().map(|(k, v)| 2 + k.len() + 4 + v.len()).sum();
    dst.put_i32(len_i32(ext_len)?);
    for (k, v) in cmd.ext_fields.iter() {
        let klen = i16::try_from(k.len()).map_err(|_| FrameError::Unencodable(format!("ext key {k:?} too long")))?;
        dst.put_i16(klen);
        dst.put_slice(k.as_bytes());
        dst.put_i32(len_i32(v.len())?);
        dst.put_slice(v.as_bytes());
    }
    Ok(())
}

fn len_i32(len: usize) -> Result<i32, FrameError> {
    i32::try_from(len).map_err(|_| FrameError::Unencodable(format!("length {len} too large")))
}

/// A bounds-checked big-endian reader over the header bytes.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FrameError> {
        if self.buf.len() < n {
            return Err(FrameError::InvalidBinaryHeader(what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn i16(&mut self, what: &'static str) -> Result<i16, FrameError> {
        let b = self.take(2, what)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self, what: &'static str) -> Result<i32, FrameError> {
        let b = self.take(4, what)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, FrameError> {
        Ok(self.take(1, what)?[0])
    }
    fn len(&mut self, signed: i64, what: &'static str) -> Result<usize, FrameError> {
        let n = usize::try_from(signed).map_err(|_| FrameError::InvalidBinaryHeader(what))?;
        if n > self.buf.len() {
            return Err(FrameError::InvalidBinaryHeader(what));
        }
        Ok(n)
    }
    fn text(&mut self, n: usize, what: &'static str) -> Result<String, FrameError> {
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| FrameError::InvalidUtf8)
    }
}

/// Decodes a binary header into a command (body left empty). Keys and values of the extFields
/// stay slices of `header`.
pub(crate) fn decode(header: &Bytes) -> Result<RemotingCommand, FrameError> {
    let mut r = Reader { buf: header };
    let code = i32::from(r.i16("code")?);
    let language = LanguageCode::from_byte(r.u8("language")?);
    let version = i32::from(r.i16("version")?);
    let opaque = r.i32("opaque")?;
    let flag = r.i32("flag")?;
    let remark_len = r.i32("remark length")?;
    let remark_len = r.len(i64::from(remark_len), "remark length")?;
    let remark = if remark_len == 0 { None } else { Some(r.text(remark_len, "remark")?) };
    let ext_len = r.i32("extFields length")?;
    let ext_len = r.len(i64::from(ext_len), "extFields length")?;
    let mut ext = Reader { buf: r.take(ext_len, "extFields")? };
    // Offset of what `ext` has left, in `header`.
    let at = |ext: &Reader<'_>| header.len() - r.buf.len() - ext.buf.len();
    // A send request carries 13 fields; most others fewer.
    let mut ext_fields = ExtFields::with_raw(header.clone(), 16);
    while !ext.buf.is_empty() {
        let klen = ext.i16("ext key length")?;
        let klen = ext.len(i64::from(klen), "ext key length")?;
        let key = at(&ext)..at(&ext) + klen;
        ext.take(klen, "ext key")?;
        let vlen = ext.i32("ext value length")?;
        let vlen = ext.len(i64::from(vlen), "ext value length")?;
        let value = at(&ext)..at(&ext) + vlen;
        ext.take(vlen, "ext value")?;
        ext_fields.push_raw(key, value).ok_or(FrameError::InvalidUtf8)?;
    }
    Ok(RemotingCommand {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
        body: bytes::Bytes::new(),
        body_parts: Vec::new(),
        serialize_type: SerializeType::RocketMq,
    })
}
