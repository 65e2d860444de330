//! The tokio transport: connections that carry requests both ways, a server that dispatches by
//! request code, and a client with pooled connections.
//!
//! Both sides of a connection are a [`Channel`]: either side may send requests (the broker
//! calls consumers with NOTIFY_CONSUMER_IDS_CHANGED, producers with CHECK_TRANSACTION_STATE),
//! and responses are matched to calls by opaque.

mod batch;
mod budget;
mod channel;
mod client;
mod dial;
mod dispatch;
mod server;
mod stream;
pub mod tls;

pub use channel::{Channel, ONEWAY_WAIT};
pub use client::{ClientConfig, RemotingClient, RequestHook};
pub use dial::dial;
pub use dispatch::{ChannelEventListener, Dispatcher, ProcessorFuture, RequestContext, RequestProcessor};
pub use server::{
    RemotingServer, ServerConfig, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_TOTAL_WRITE_BUDGET,
    DEFAULT_WRITE_BUDGET,
};
pub use stream::{Conn, ReadHalf, WriteHalf};
pub use tls::{ClientAuth, ClientTls, ClientTlsOptions, ServerTls, ServerTlsOptions, TlsError, TlsMode};
