//! What a request handler works with: the config, the store, the tables, the parking lot of
//! long polls, the counters and the stop signal. Background services are not reachable from
//! here; the few handlers that need one get it from the dispatcher by name.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rmq_common::msgid::UniqueIdGenerator;
use rmq_remoting::body::TopicConfig;
use rmq_store::MessageStore;
use tokio_util::sync::CancellationToken;

use crate::config::live::LiveConfig;
use crate::config::BrokerConfig;
use crate::metrics::Meters;
use crate::services::retention_watch::RetentionLosses;
use crate::state::parking::PullHold;
use crate::state::Tables;
use crate::windows::{names, Rate, StatsTable};

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
    /// Unconsumed messages retention deleted.
    pub retention: Arc<RetentionLosses>,
    /// Per-item minute/hour/day windows (VIEW_BROKER_STATS_DATA).
    pub windows: StatsTable,
    /// Messages stored per second, recent windows (`putTps`).
    pub put_rate: Rate,
    /// Messages pulled per second, recent windows (`getTransferredTps`).
    pub get_rate: Rate,
    /// Prometheus meters (recording nothing unless metrics are exported).
    pub meters: Arc<Meters>,
}

impl BrokerStats {
    /// Counts `msgs` messages (`bytes` long in all) stored on `topic`.
    pub fn count_put(&self, cluster: &str, topic: &str, msgs: u64, bytes: u64) {
        let now = now_u64();
        self.put_total.fetch_add(msgs, Ordering::Relaxed);
        self.put_rate.add(msgs, now);
        self.windows.add(names::TOPIC_PUT_NUMS, topic, msgs, now);
        self.windows.add(names::TOPIC_PUT_SIZE, topic, bytes, now);
        self.windows.add(names::BROKER_PUT_NUMS, cluster, msgs, now);
    }

    /// Counts `msgs` messages (`bytes` long in all) that `group` pulled from `topic`.
    pub fn count_get(&self, cluster: &str, topic: &str, group: &str, msgs: u64, bytes: u64) {
        let now = now_u64();
        self.get_total.fetch_add(msgs, Ordering::Relaxed);
        self.get_rate.add(msgs, now);
        let key = format!("{topic}@{group}");
        self.windows.add(names::GROUP_GET_NUMS, &key, msgs, now);
        self.windows.add(names::GROUP_GET_SIZE, &key, bytes, now);
        self.windows.add(names::BROKER_GET_NUMS, cluster, msgs, now);
    }
}

/// Wall-clock ms as the windows count them.
pub fn now_u64() -> u64 {
    u64::try_from(crate::now_ms()).unwrap_or(0)
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
            retention: Arc::default(),
            windows: StatsTable::default(),
            put_rate: Rate::default(),
            get_rate: Rate::default(),
            meters: Arc::default(),
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
    /// The ACL 1.0 check, when `aclEnable` is on (its guard is in front of the ports; the ACL
    /// admin codes change its file).
    pub acl: Option<Arc<rmq_acl::AclValidator>>,
}

impl BrokerContext {
    /// The config of `topic`. A slave that does not know it yet (its copy of the master's table
    /// comes every 10 s) learns it from the replicated records it dispatched, so it serves a
    /// topic created just before its master died.
    #[must_use]
    pub fn topic(&self, topic: &str) -> Option<TopicConfig> {
        if let Some(t) = self.tables.topics.get(topic) {
            return Some(t);
        }
        if self.config.is_master() {
            return None;
        }
        let queues = self.store.queue_count(topic)?;
        let rw = crate::state::topics::perm::READ | crate::state::topics::perm::WRITE;
        tracing::info!(topic, queues, "slave learned a topic from replicated records");
        self.tables.topics.add_missing([crate::state::topics::topic_config(topic, queues, queues, rw)]);
        self.tables.topics.get(topic)
    }
}
