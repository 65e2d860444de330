//! Framing: `int32 length | int32 (serializeType << 24 | headerLength) | header | body`.
//!
//! The length counts every byte after itself. Lengths are checked against the configured
//! maximum before anything is allocated, so a hostile peer cannot make us reserve memory.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::command::{RemotingCommand, SerializeType};
use crate::error::{FrameError, RemotingError};
use crate::serial::{binary, json};

/// Default maximum frame size: 16 MiB, as `com.rocketmq.remoting.frameMaxLength`.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;

impl RemotingCommand {
    /// Appends the whole frame (length prefix included) to `dst`.
    pub fn encode_into(&self, dst: &mut BytesMut) -> Result<(), FrameError> {
        dst.reserve(8 + 128 + self.body_len());
        self.encode_head_into(dst)?;
        dst.put_slice(&self.body);
        for part in &self.body_parts {
            dst.put_slice(part);
        }
        Ok(())
    }

    /// Appends the frame up to its body (length prefix, header-length word, header) to `dst`;
    /// the body (`body`, then `body_parts`) must follow it on the wire.
    pub fn encode_head_into(&self, dst: &mut BytesMut) -> Result<(), FrameError> {
        let start = dst.len();
        dst.put_i32(0); // total length, patched below
        dst.put_i32(0); // header length word, patched below
        let header_start = dst.len();
        match self.serialize_type {
            SerializeType::Json => json::encode(self, dst),
            SerializeType::RocketMq => {
                if let Err(e) = binary::encode(self, dst) {
                    dst.truncate(start);
                    return Err(e);
                }
            }
        }
        let header_len = dst.len() - header_start;
        if header_len > 0x00FF_FFFF {
            dst.truncate(start);
            return Err(FrameError::Unencodable(format!("header of {header_len} bytes exceeds 24 bits")));
        }
        let total = 4 + header_len + self.body_len();
        let Ok(total) = i32::try_from(total) else {
            dst.truncate(start);
            return Err(FrameError::Unencodable(format!("frame of {total} bytes exceeds int32")));
        };
        let word = (u32::from(self.serialize_type.as_byte()) << 24) | u32::try_from(header_len).unwrap_or(0);
        dst[start..start + 4].copy_from_slice(&total.to_be_bytes());
        dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
        Ok(())
    }

    /// Encodes the whole frame, length prefix included.
    pub fn encode_frame(&self) -> Result<BytesMut, FrameError> {
        let mut dst = BytesMut::new();
        self.encode_into(&mut dst)?;
        Ok(dst)
    }

    /// Decodes one whole frame (length prefix included); trailing bytes are an error.
    pub fn decode_frame(frame: &[u8]) -> Result<Self, FrameError> {
        if frame.len() < 4 {
            return Err(FrameError::Truncated { needed: 4, available: frame.len() });
        }
        let len = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let len = check_length(len, usize::MAX)?;
        if frame.len() - 4 != len {
            if frame.len() - 4 < len {
                return Err(FrameError::Truncated { needed: len + 4, available: frame.len() });
            }
            return Err(FrameError::InvalidLength(i64::try_from(frame.len() - 4).unwrap_or(i64::MAX)));
        }
        decode_payload(Bytes::copy_from_slice(&frame[4..]))
    }
}

fn check_length(len: i32, max: usize) -> Result<usize, FrameError> {
    if len < 4 {
        return Err(FrameError::InvalidLength(i64::from(len)));
    }
    let len = usize::try_from(len).map_err(|_| FrameError::InvalidLength(i64::from(len)))?;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    Ok(len)
}

/// Decodes the part of a frame after the length prefix. The body is a zero-copy slice.
fn decode_payload(mut payload: Bytes) -> Result<RemotingCommand, FrameError> {
    let frame_len = payload.len();
    let word = payload.get_u32();
    let ser = u8::try_from(word >> 24).unwrap_or(u8::MAX);
    let header_len = usize::try_from(word & 0x00FF_FFFF).unwrap_or(usize::MAX);
    if header_len > payload.len() {
        return Err(FrameError::HeaderTooLong { header: header_len, frame: frame_len });
    }
    let serialize_type = SerializeType::from_byte(ser).ok_or(FrameError::UnknownSerializeType(ser))?;
    let header = payload.split_to(header_len);
    let mut cmd = match serialize_type {
        SerializeType::Json => json::decode(&header)?,
        SerializeType::RocketMq => binary::decode(&header)?,
    };
    cmd.body = payload;
    Ok(cmd)
}

/// A `tokio_util` codec for `RemotingCommand` frames with a maximum frame size.
#[derive(Debug, Clone, Copy)]
pub struct RemotingCodec {
    max_frame_size: usize,
}

impl RemotingCodec {
    /// A codec that rejects frames whose length field exceeds `max_frame_size`.
    #[must_use]
    pub const fn new(max_frame_size: usize) -> Self {
        Self { max_frame_size }
    }

    /// The configured limit.
    #[must_use]
    pub const fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }
}

impl Default for RemotingCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_SIZE)
    }
}

impl Decoder for RemotingCodec {
    type Item = RemotingCommand;
    type Error = RemotingError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>, RemotingError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let len = i32::from_be_bytes([src[0], src[1], src[2], src[3]]);
        let len = check_length(len, self.max_frame_size)?;
        if src.len() < 4 + len {
            // Reserve what the frame still needs (bounded by the limit checked above).
            src.reserve(4 + len - src.len());
            return Ok(None);
        }
        src.advance(4);
        let payload = src.split_to(len).freeze();
        Ok(Some(decode_payload(payload)?))
    }
}

impl Encoder<RemotingCommand> for RemotingCodec {
    type Error = RemotingError;

    fn encode(&mut self, cmd: RemotingCommand, dst: &mut BytesMut) -> Result<(), RemotingError> {
        Encoder::<&RemotingCommand>::encode(self, &cmd, dst)
    }
}

impl Encoder<&RemotingCommand> for RemotingCodec {
    type Error = RemotingError;

    fn encode(&mut self, cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), RemotingError> {
        cmd.encode_into(dst)?;
        Ok(())
    }
}
