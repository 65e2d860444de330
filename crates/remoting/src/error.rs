//! Errors of the remoting layer.

use std::time::Duration;

/// Why a frame could not be decoded. Every variant means the connection must be closed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The total length is negative or smaller than the 4-byte header-length word.
    #[error("invalid frame length {0}")]
    InvalidLength(i64),
    /// The frame is larger than the configured maximum.
    #[error("frame of {len} bytes exceeds the maximum of {max} bytes")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// Configured limit.
        max: usize,
    },
    /// The header length does not fit inside the frame.
    #[error("header length {header} exceeds frame length {frame}")]
    HeaderTooLong {
        /// Announced header length.
        header: usize,
        /// Frame length after the length field.
        frame: usize,
    },
    /// The serialize-type byte is neither 0 (JSON) nor 1 (ROCKETMQ).
    #[error("unknown serialize type {0}")]
    UnknownSerializeType(u8),
    /// The JSON header could not be parsed.
    #[error("invalid JSON header: {0}")]
    InvalidJson(String),
    /// A ROCKETMQ binary header ended early or announced impossible lengths.
    #[error("invalid ROCKETMQ header: {0}")]
    InvalidBinaryHeader(&'static str),
    /// A header string is not valid UTF-8.
    #[error("header text is not valid UTF-8")]
    InvalidUtf8,
    /// The input ended before the frame was complete (only from whole-buffer decoding).
    #[error("truncated frame: need {needed} bytes, have {available}")]
    Truncated {
        /// Bytes the frame announces.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// A value cannot be represented in the chosen serialization (e.g. code > i16 in ROCKETMQ).
    #[error("cannot encode: {0}")]
    Unencodable(String),
}

/// A typed header could not be built from a command's extFields.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum HeaderError {
    /// A required field is absent.
    #[error("the custom field <{0}> is null")]
    Missing(&'static str),
    /// A field is present but does not parse as its type.
    #[error("the custom field <{field}> has invalid value {value:?}: expected {expected}")]
    Invalid {
        /// Field name on the wire.
        field: &'static str,
        /// The text received.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// Errors of the transport: connecting, calling, serving.
#[derive(Debug, thiserror::Error)]
pub enum RemotingError {
    /// Socket-level failure.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A malformed frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// Could not connect within the timeout.
    #[error("connect to {addr} failed: {reason}")]
    Connect {
        /// Target address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// No response within the call's timeout.
    #[error("wait response on {addr} timed out after {timeout:?}")]
    Timeout {
        /// Target address.
        addr: String,
        /// The call's timeout.
        timeout: Duration,
    },
    /// The connection closed while the call was in flight, or before it could be sent.
    #[error("connection to {addr} closed")]
    ConnectionClosed {
        /// Peer address.
        addr: String,
    },
    /// An address string could not be parsed.
    #[error("invalid address {0:?}")]
    InvalidAddress(String),
    /// The peer answered with an error code.
    #[error("{code}: {remark}")]
    Response {
        /// The response code.
        code: crate::ResponseCode,
        /// The remark, or an empty string.
        remark: String,
    },
    /// A typed header was malformed.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// A JSON body was malformed.
    #[error("invalid body: {0}")]
    Body(String),
    /// The peer does not read what is sent to it: its connection is over its write budget.
    #[error("connection to {addr} is over its write budget: the peer is not reading")]
    Busy {
        /// Peer address.
        addr: String,
    },
    /// The transport is shutting down.
    #[error("remoting client or server is shut down")]
    Shutdown,
}
