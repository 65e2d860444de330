//! The broker's shared state and its lifecycle.

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use rmq_remoting::transport::{ClientConfig, Dispatcher, RemotingClient, ServerConfig};
use rmq_store::MessageStore;
use tokio_util::sync::CancellationToken;

use crate::clients::{ClientRegistry, CHANNEL_EXPIRED};
use crate::config::BrokerConfig;
use crate::groups::GroupTable;
use crate::locks::QueueLocks;
use crate::long_poll::PullHold;
use crate::offsets::ConsumerOffsets;
use crate::topics::TopicTable;

/// Counters for runtime info and admin tools.
#[derive(Debug, Default)]
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
}

/// Everything a request handler may need.
pub struct Broker {
    /// Effective configuration.
    pub config: BrokerConfig,
    /// The message store.
    pub store: Arc<MessageStore>,
    /// Topic configs.
    pub topics: TopicTable,
    /// Subscription groups.
    pub groups: GroupTable,
    /// Consumer offsets.
    pub offsets: ConsumerOffsets,
    /// Connected producers and consumers.
    pub clients: ClientRegistry,
    /// Orderly consumers' queue locks.
    pub locks: QueueLocks,
    /// Parked pulls.
    pub pull_hold: PullHold,
    /// Client for name servers (and, on a slave, the master).
    pub namesrv_client: RemotingClient,
    /// The master's address (a slave learns it from the name server).
    pub master_addr: RwLock<Option<String>>,
    /// The master's HA address.
    pub ha_master_addr: RwLock<Option<String>>,
    /// Counters.
    pub stats: BrokerStats,
    /// Delay levels.
    pub delay_levels: Vec<Duration>,
    /// Delivery progress per delay level.
    pub delay_offsets: crate::schedule::DelayOffsets,
    /// Transaction decisions.
    pub transactions: crate::transaction::TransactionState,
    /// Replication state.
    pub ha: crate::ha::HaState,
    /// Timer messages (None when timerWheelEnable=false).
    pub timer: Option<crate::timer::TimerService>,
    /// Start time.
    pub started: Instant,
    /// Cancelled at shutdown.
    pub stop: CancellationToken,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("name", &self.config.broker_name)
            .field("id", &self.config.broker_id)
            .finish_non_exhaustive()
    }
}

/// Errors that stop the broker from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not open.
    #[error("message store: {0}")]
    Store(String),
    /// A config file could not be loaded or written.
    #[error(transparent)]
    Persist(#[from] crate::persist::PersistError),
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        cause: std::io::Error,
    },
}

impl Broker {
    /// Opens the store and the config tables.
    pub fn open(config: BrokerConfig) -> Result<Arc<Self>, StartError> {
        let config_dir = config.config_dir();
        let store = MessageStore::open(crate::store_config::store_config(&config))
            .map_err(|e| StartError::Store(e.to_string()))?;
        let topics = TopicTable::load(&config, &config_dir)?;
        let groups = GroupTable::load(&config_dir)?;
        let offsets = ConsumerOffsets::load(&config_dir);
        let delay_offsets = crate::schedule::DelayOffsets::load(&config_dir);
        let delay_levels = crate::delay::parse_delay_levels(&config.message_delay_level).unwrap_or_default();
        let timer = if config.timer_wheel_enable {
            let max_delay_ms = i64::try_from(config.timer_max_delay_sec).unwrap_or(i64::MAX / 2000) * 1000;
            let precision = i64::try_from(config.timer_precision_ms).unwrap_or(1000);
            let t = crate::timer::TimerService::open(
                std::path::Path::new(&config.store_path_root_dir),
                precision,
                max_delay_ms,
            )
            .map_err(|e| StartError::Store(format!("opening the timer wheel: {e}")))?;
            Some(t)
        } else {
            None
        };
        let master_addr = if config.is_master() { Some(config.broker_addr()) } else { None };
        Ok(Arc::new(Self {
            ha_master_addr: RwLock::new(config.ha_master_address.clone()),
            namesrv_client: RemotingClient::new(ClientConfig::default(), Dispatcher::new()),
            store,
            topics,
            groups,
            offsets,
            clients: ClientRegistry::default(),
            locks: QueueLocks::default(),
            pull_hold: PullHold::default(),
            master_addr: RwLock::new(master_addr),
            stats: BrokerStats::default(),
            delay_levels,
            delay_offsets,
            timer,
            ha: crate::ha::HaState::default(),
            transactions: crate::transaction::TransactionState::default(),
            started: Instant::now(),
            stop: CancellationToken::new(),
            config,
        }))
    }

    /// Wakes parked pulls when a message reaches their queue.
    fn spawn_arrival_listener(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        self.store.set_arrival_listener(Arc::new(move |topic: &str, queue_id: i32, _offset: i64| {
            if let Some(b) = weak.upgrade() {
                b.pull_hold.arrived(topic, queue_id);
                b.ha.data.notify_waiters();
            }
        }));
    }

    fn spawn_housekeeping(self: &Arc<Self>) {
        // Offsets every 5 s.
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = this.stop.cancelled() => break,
                }
                // File I/O and fsync stay off the request workers.
                let b = Arc::clone(&this);
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || b.offsets.persist()).await {
                    tracing::error!(cause = %e, "persisting consumer offsets failed");
                }
            }
        });
        // Silent clients every 10 s.
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = this.stop.cancelled() => break,
                }
                for group in this.clients.expire(CHANNEL_EXPIRED) {
                    this.notify_consumer_ids_changed(&group);
                }
            }
        });
    }
}

/// Runs a broker until `shutdown` resolves, then stops gracefully: stop accepting, answer or
/// fail requests in flight, persist offsets, unregister, flush and close the store.
pub async fn run(config: BrokerConfig, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
    let broker = Broker::open(config)?;
    let servers = crate::processor::start_servers(&broker).await?;
    if broker.config.is_master() {
        let listener = crate::ha::master::bind(&broker)
            .await
            .map_err(|cause| StartError::Bind { addr: broker.config.ha_addr(), cause })?;
        tokio::spawn(crate::ha::master::serve(Arc::clone(&broker), listener));
    } else {
        tokio::spawn(crate::ha::slave::run(Arc::clone(&broker)));
        tokio::spawn(crate::ha::sync::run(Arc::clone(&broker)));
    }
    broker.spawn_arrival_listener();
    broker.spawn_housekeeping();
    broker.spawn_registration(broker.stop.clone());
    broker.spawn_schedule();
    broker.spawn_timer();
    broker.spawn_transaction_checker();
    tracing::info!(
        name = %broker.config.broker_name, id = broker.config.broker_id, addr = %broker.config.broker_addr(),
        role = ?broker.config.broker_role, "broker started"
    );
    shutdown.await;
    tracing::info!("broker shutting down");
    broker.stop.cancel();
    broker.pull_hold.wake_all();
    for s in &servers {
        s.shutdown().await;
    }
    if let Err(e) = broker.offsets.persist() {
        tracing::error!(cause = %e, "persisting consumer offsets failed");
    }
    broker.delay_offsets.persist();
    if let Some(t) = &broker.timer {
        t.persist();
    }
    broker.unregister_all().await;
    broker.store.shutdown();
    broker.namesrv_client.shutdown();
    tracing::info!("broker stopped");
    Ok(())
}

/// Server settings from the broker config.
#[must_use]
pub fn server_config(config: &BrokerConfig) -> ServerConfig {
    ServerConfig { max_frame_size: config.max_frame_size, ..ServerConfig::default() }
}
