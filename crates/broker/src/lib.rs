//! The broker: serves sends, pulls (with long polling), offsets, consumer groups and admin
//! requests on top of [`rmq_store::MessageStore`], and registers with the name servers.
//!
//! [`run`] starts everything and returns after a graceful shutdown. Inside, three rooms:
//! `state` (the tables), `services` (background services, each owning its state) and
//! `processor` (request handlers, working on a `context::BrokerContext`).

mod acl;
mod auth;
pub mod config;
mod context;
mod error;
mod lifecycle;
mod metrics;
mod persist;
mod processor;
mod services;
mod state;
mod store_config;
mod windows;
mod wire;

pub use config::{BrokerConfig, BrokerRole, FlushDiskType};
pub use error::{BrokerError, StartError};
pub use lifecycle::run;

pub(crate) use rmq_common::time::now_ms;
