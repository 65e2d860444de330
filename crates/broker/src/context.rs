//! What a request handler works with: the config, the store, the tables, the parking lot of
//! long polls, the counters and the stop signal. Background services are not reachable from
//! here; the few handlers that need one get it from the dispatcher by name.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use rmq_common::msgid::UniqueIdGenerator;
use rmq_store::MessageStore;
use tokio_util::sync::CancellationToken;

use crate::config::live::LiveConfig;
use crate::config::BrokerConfig;
use crate::state::parking::PullHold;
use crate::state::Tables;

/// Counters for runtime info and admin tools.
#[derive(Debug)]
pub struct BrokerStats {
    /// Messages stored.
    pub put_total: AtomicU64,
    /// Messages handed out by pulls.
    pub get_total: AtomicU64,
    /// Pulls that found messages.
    pub pulls_found: AtomicU64,
    /// Pulls that found none.
    pub pulls_missed: AtomicU64,
    /// Longest store read of a pull, ms.
    pub get_time_max_ms: AtomicU64,
    /// Sends the store refused or failed.
    pub put_failed: AtomicU64,
    /// When the broker started.
    pub started: Instant,
}

impl Default for BrokerStats {
    fn default() -> Self {
        Self {
            put_total: AtomicU64::new(0),
            get_total: AtomicU64::new(0),
            pulls_found: AtomicU64::new(0),
            pulls_missed: AtomicU64::new(0),
            get_time_max_ms: AtomicU64::new(0),
            put_failed: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

/// The request-facing context, shared by every connection's handlers.
#[derive(Debug)]
pub struct BrokerContext {
    /// Configuration as started. Keys that change at run time
    /// ([`crate::config::live::LIVE_KEYS`]) are read from `live`.
    pub config: Arc<BrokerConfig>,
    /// Current configuration (UPDATE_BROKER_CONFIG).
    pub live: Arc<LiveConfig>,
    /// The message store.
    pub store: Arc<MessageStore>,
    /// Topics, groups, offsets, clients, locks.
    pub tables: Tables,
    /// Parked pulls, woken when a message reaches their queue.
    pub parking: Arc<PullHold>,
    /// Counters.
    pub stats: BrokerStats,
    /// Cancelled at shutdown.
    pub stop: CancellationToken,
    /// Unique ids for messages sent without one (raw senders), in the client's layout.
    pub unique_ids: UniqueIdGenerator,
}
