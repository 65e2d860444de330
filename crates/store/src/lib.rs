//! The message store: a memory-mapped commit log that feeds per-queue consume queues and a key
//! index, with async or sync (group commit) flush and crash recovery.
//!
//! Invariant: only `mapped_file` has `unsafe`.
mod checkpoint;
mod commit_log;
mod config;
mod consume_queue;
mod file_queue;
pub mod ha_epoch;
mod index;
mod leftover;
mod mapped_file;
mod metrics;
mod offset;
mod result;
mod store;

pub use checkpoint::Checkpoint;
pub use commit_log::DeletedLogFile;
pub use config::{
    FileConfig, FlushConfig, FlushMode, IndexConfig, RetentionConfig, StoreConfig, TopicRules, TransferLimit,
    TransferLimits,
};
pub use offset::PhyOffset;
pub use result::{GetMessageResult, GetMessageStatus, PutMessageResult, PutStatus, QueryResult};
pub use rmq_common::message::StoreMessage;
pub use store::{ArrivalListener, MessageStore, QueueCut, ReadFilter, RecoveryStats, RetentionListener, StoreError};
