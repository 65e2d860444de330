//! The producer: sync, async and one-way sends, batches, queue selectors, retries on another
//! broker, latency fault tolerance and body compression, as the official clients do.
//!
//! Files by concern: `handle` ([`Producer`] and its send paths), `config` (settings), `prepare`
//! (a message made ready for the wire and its request), `outcome` (the broker's answer,
//! retryable failures), `publish` (a topic's writable queues), `fault` (latency fault
//! tolerance), `select` (queue selectors), `request` (request-reply), `trace_hook` (the `Pub`
//! trace records), `check` and `transaction` (half messages, the local transaction and the
//! broker's checks).

mod check;
mod config;
mod fault;
mod handle;
mod message_id;
mod outcome;
mod prepare;
mod publish;
mod request;
mod select;
mod trace_hook;
mod transaction;

pub use check::{LocalTransactionState, TransactionListener};
pub use config::{ProducerConfig, ProducerConfigBuilder};
pub use fault::FaultTolerance;
pub use handle::Producer;
pub use message_id::{BatchItemResult, MessageId};
pub use outcome::{SendResult, SendStatus};
pub use select::{select_by_hash, QueueSelector};
pub use transaction::{TransactionProducer, TransactionSendResult};
