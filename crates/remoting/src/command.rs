//! `RemotingCommand`: the one message type of the RocketMQ remoting protocol.

use std::sync::atomic::{AtomicI32, Ordering};

use bytes::Bytes;

use crate::error::HeaderError;
use crate::header::CommandHeader;
use crate::{LanguageCode, RequestCode, ResponseCode};

pub use crate::ext_fields::ExtFields;

/// Flag bit 0: the command is a response.
pub const FLAG_RESPONSE: i32 = 0x1;
/// Flag bit 1: a one-way request; the receiver must not answer.
pub const FLAG_ONEWAY: i32 = 0x2;

/// The version ordinal we put in every command we create: `V4_9_8`.
///
/// Official clients store the broker's version from the HEART_BEAT response and gate features on
/// it, and name servers answer standard JSON routes only to callers at 4.9.4 or later.
pub const CURRENT_VERSION: i32 = 409;

/// How the header of a frame is serialized (the high byte of the header-length word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SerializeType {
    /// fastjson-compatible JSON text (type byte 0). What normal clients speak.
    #[default]
    Json,
    /// RocketMQ's compact binary header (type byte 1).
    RocketMq,
}

impl SerializeType {
    /// The type byte on the wire.
    #[must_use]
    pub const fn as_byte(self) -> u8 {
        match self {
            Self::Json => 0,
            Self::RocketMq => 1,
        }
    }

    /// The enum name used by Java (`JSON` / `ROCKETMQ`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::RocketMq => "ROCKETMQ",
        }
    }

    /// Parses the type byte.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Self::Json),
            1 => Some(Self::RocketMq),
            _ => None,
        }
    }
}

static NEXT_OPAQUE: AtomicI32 = AtomicI32::new(0);

/// A fresh request id, unique within this process (wrapping).
#[must_use]
pub fn next_opaque() -> i32 {
    NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed)
}

/// A request or response of the remoting protocol.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemotingCommand {
    /// Request code, or response code when [`FLAG_RESPONSE`] is set.
    pub code: i32,
    /// The sender's language.
    pub language: LanguageCode,
    /// The sender's version ordinal.
    pub version: i32,
    /// Correlation id: a response echoes its request's opaque.
    pub opaque: i32,
    /// Flag bits ([`FLAG_RESPONSE`], [`FLAG_ONEWAY`]).
    pub flag: i32,
    /// Free text, usually the reason of an error response.
    pub remark: Option<String>,
    /// The custom header.
    pub ext_fields: ExtFields,
    /// The payload (its first part, when `body_parts` is not empty).
    pub body: Bytes,
    /// More payload after `body`, kept as separate buffers (e.g. slices of mapped files) that the
    /// connection writes as they are, with vectored writes, instead of copying them into one.
    /// Decoding never fills it; [`Self::full_body`] gives the whole payload as one buffer.
    pub body_parts: Vec<Bytes>,
    /// How the header was (or will be) serialized.
    pub serialize_type: SerializeType,
}

impl RemotingCommand {
    /// A new request with a fresh opaque, our language and version.
    #[must_use]
    pub fn request(code: RequestCode) -> Self {
        Self {
            code: code.value(),
            language: LanguageCode::Java,
            version: CURRENT_VERSION,
            opaque: next_opaque(),
            ..Self::default()
        }
    }

    /// A new request carrying a typed header.
    #[must_use]
    pub fn request_with_header(code: RequestCode, header: &impl CommandHeader) -> Self {
        let mut cmd = Self::request(code);
        header.write(&mut cmd.ext_fields);
        cmd
    }

    /// A new response (opaque 0 until [`Self::answering`] or the server fills it in).
    #[must_use]
    pub fn response(code: ResponseCode, remark: impl Into<Option<String>>) -> Self {
        Self {
            code: code.value(),
            language: LanguageCode::Java,
            version: CURRENT_VERSION,
            flag: FLAG_RESPONSE,
            remark: remark.into(),
            ..Self::default()
        }
    }

    /// A SUCCESS response with no remark.
    #[must_use]
    pub fn success() -> Self {
        Self::response(ResponseCode::Success, None)
    }

    /// An error response with the given code and remark.
    #[must_use]
    pub fn error(code: ResponseCode, remark: impl Into<String>) -> Self {
        Self::response(code, Some(remark.into()))
    }

    /// Makes this response answer `request`: same opaque and serialization, response bit set.
    #[must_use]
    pub fn answering(mut self, request: &RemotingCommand) -> Self {
        self.opaque = request.opaque;
        self.serialize_type = request.serialize_type;
        self.flag |= FLAG_RESPONSE;
        self
    }

    /// Replaces the custom header with the fields of a typed header.
    #[must_use]
    pub fn with_header(mut self, header: &impl CommandHeader) -> Self {
        header.write(&mut self.ext_fields);
        self
    }

    /// Adds one extField.
    #[must_use]
    pub fn with_ext(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ext_fields.insert(key.into(), value.into());
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the body from parts written one after the other without being copied together.
    #[must_use]
    pub fn with_body_parts(mut self, mut parts: Vec<Bytes>) -> Self {
        if parts.is_empty() {
            self.body = Bytes::new();
        } else {
            self.body = parts.remove(0);
        }
        self.body_parts = parts;
        self
    }

    /// Bytes of the whole payload (`body` and `body_parts`).
    #[must_use]
    pub fn body_len(&self) -> usize {
        self.body.len() + self.body_parts.iter().map(Bytes::len).sum::<usize>()
    }

    /// The whole payload as one buffer (copied together only when it has parts).
    #[must_use]
    pub fn full_body(&self) -> Bytes {
        if self.body_parts.is_empty() {
            return self.body.clone();
        }
        let mut all = bytes::BytesMut::with_capacity(self.body_len());
        all.extend_from_slice(&self.body);
        for p in &self.body_parts {
            all.extend_from_slice(p);
        }
        all.freeze()
    }

    /// Sets the remark.
    #[must_use]
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Marks a request one-way.
    #[must_use]
    pub fn oneway(mut self) -> Self {
        self.flag |= FLAG_ONEWAY;
        self
    }

    /// Decodes the custom header into a typed header.
    pub fn header<H: CommandHeader>(&self) -> Result<H, HeaderError> {
        H::read(&self.ext_fields)
    }

    /// Whether the response bit is set.
    #[must_use]
    pub const fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// Whether the one-way bit is set.
    #[must_use]
    pub const fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// The code read as a request code.
    #[must_use]
    pub const fn request_code(&self) -> RequestCode {
        RequestCode::from_value(self.code)
    }

    /// The code read as a response code.
    #[must_use]
    pub const fn response_code(&self) -> ResponseCode {
        ResponseCode::from_value(self.code)
    }

    /// The remark, or `""`.
    #[must_use]
    pub fn remark_str(&self) -> &str {
        self.remark.as_deref().unwrap_or("")
    }

    /// Turns a non-SUCCESS response into [`crate::RemotingError::Response`].
    pub fn into_success(self) -> Result<Self, crate::RemotingError> {
        if self.code == ResponseCode::Success.value() {
            Ok(self)
        } else {
            Err(crate::RemotingError::Response { code: self.response_code(), remark: self.remark.unwrap_or_default() })
        }
    }
}
