//! The RocketMQ remoting protocol, the only crate that knows bytes on the wire of a command.
//!
//! - [`RemotingCommand`]: a request or response (code, flags, opaque, remark, extFields, body).
//! - [`RemotingCodec`]: the `tokio_util` framing with a maximum frame size.
//! - [`RequestCode`], [`ResponseCode`], [`LanguageCode`]: typed codes with their wire values.
//! - [`header`]: typed request/response headers converted to and from extFields.
//! - [`transport`]: a tokio server that hands every request to its one processor, and a client with
//!   request/response, one-way and async calls over pooled connections.
//!
//! Invariant: this crate depends on nothing else of ours.

pub mod body;
pub mod code;
mod codec;
mod command;
mod error;
mod ext_fields;
pub mod header;
mod serial;
pub mod transport;

pub use code::{LanguageCode, RequestCode, ResponseCode};
pub use codec::{RemotingCodec, DEFAULT_MAX_FRAME_SIZE};
pub use command::{
    next_opaque, ExtFields, RemotingCommand, SerializeType, CURRENT_VERSION, FLAG_ONEWAY, FLAG_RESPONSE,
};
pub use error::{FrameError, HeaderError, RemotingError};
pub use header::{CommandHeader, EmptyHeader};
