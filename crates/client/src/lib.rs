//! The RocketMQ client for Rust: producers, push and pull consumers, speaking the remoting
//! protocol to name servers and brokers (ours or Apache RocketMQ's). The admin API built on it
//! is the `rmq-admin` crate.
//!
//! Everything hangs off a [`ClientInstance`] (one per process and instance name, shared by the
//! producers and consumers created with the same [`ClientConfig`]): it resolves name servers,
//! caches topic routes (refreshed every 30 s), sends heartbeats and answers the broker's calls.

mod config;
pub mod consumer;
mod error;
mod instance;
mod message;
mod namesrv;
pub mod producer;
pub mod reply;
pub mod trace;

pub use config::ClientConfig;
pub use error::{ClientError, Result};
pub use instance::{expect_ok, ClientInstance, Member};
pub use message::{decode_body, Message};
pub use namesrv::NameServerSource;
pub use rmq_common::message::MessageExt;
pub use rmq_remoting::body::MessageQueue;
pub use rmq_remoting::body::TopicRouteData;
