//! The broker's tables: what requests read and change, each behind its own lock, each persisted
//! (or not) by itself. Nothing here knows about requests or background services.

pub mod clients;
pub mod dirty;
pub mod filters;
pub mod groups;
pub mod locks;
pub mod offsets;
pub mod parking;
pub mod request_modes;
pub mod topics;

use std::sync::Arc;

use clients::ClientRegistry;
use filters::FilterCache;
use groups::GroupTable;
use locks::QueueLocks;
use offsets::ConsumerOffsets;
use request_modes::RequestModeTable;
use topics::TopicTable;

/// The tables, each shareable on its own so a service holds only those it uses.
#[derive(Debug, Clone)]
pub struct Tables {
    /// Topic configs (topics.json).
    pub topics: Arc<TopicTable>,
    /// Subscription groups (subscriptionGroup.json).
    pub groups: Arc<GroupTable>,
    /// Consumer offsets (consumerOffset.json).
    pub offsets: Arc<ConsumerOffsets>,
    /// Connected producers and consumers.
    pub clients: Arc<ClientRegistry>,
    /// Orderly consumers' queue locks.
    pub locks: Arc<QueueLocks>,
    /// Compiled subscription filters (TAG and SQL92).
    pub filters: Arc<FilterCache>,
    /// PULL/POP modes of groups on topics (messageRequestMode.json).
    pub request_modes: Arc<RequestModeTable>,
    /// Wakes the metadata writer when a persisted table changes.
    pub wake: Arc<dirty::Wake>,
}
