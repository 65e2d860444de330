//! What a request handler works with: the config, the store, the tables, the parking lot of
//! long polls, the counters and the stop signal. Background services are not reachable from
//! here; the few handlers that need one get it from the dispatcher by name.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use rmq_store::MessageStore;
use tokio_util::sync::CancellationToken;

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
    /// When the broker started.
    pub started: Instant,
}

impl Default for BrokerStats {
    fn default() -> Self {
        Self { put_total: AtomicU64::new(0), get_total: AtomicU64::new(0), started: Instant::now() }
    }
}

/// The request-facing context, shared by every connection's handlers.
#[derive(Debug)]
pub struct BrokerContext {
    /// Effective configuration.
    pub config: Arc<BrokerConfig>,
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
}
