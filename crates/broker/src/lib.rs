//! The broker: serves sends, pulls (with long polling), offsets, consumer groups and admin
//! requests on top of [`rmq_store::MessageStore`], and registers with the name servers.
//!
//! [`run`] starts everything and returns after a graceful shutdown.

mod broker;
mod clients;
pub mod config;
mod delay;
mod error;
mod groups;
mod ha;

mod locks;
mod long_poll;
mod offsets;
mod persist;
mod processor;
mod register;
mod schedule;
mod store_config;
mod timer;
mod topics;
mod transaction;
mod wire;

pub use broker::{run, Broker};
pub use config::{BrokerConfig, BrokerRole, FlushDiskType};
pub use error::BrokerError;
pub use rmq_common::logging;
pub use rmq_common::logging::default_log_dir;

pub(crate) use rmq_common::time::now_ms;
