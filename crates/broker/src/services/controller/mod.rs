//! Controller mode (`enableControllerMode=true`), the broker side of RocketMQ 5's automatic
//! failover: the broker takes its id from the controllers ([`join`]), registers its address,
//! and runs as the master or a slave the controllers name ([`role::Decision`]). While it runs
//! it sends BROKER_HEARTBEAT to the controller leader every second and checks its set's master
//! every `syncBrokerMetadataPeriod` and at each NOTIFY_BROKER_ROLE_CHANGED; when the master or
//! its epoch changed, the broker closes and opens again in the new role, in the same process
//! (`lifecycle::run`). A master records its epoch in the epoch file, a slave first aligns its log with
//! the master's epochs ([`epochs`]).

pub mod client;
pub mod epochs;
pub mod join;
pub mod role;
pub mod sync_set;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmq_remoting::header::BrokerHeartbeatRequestHeader;
use rmq_remoting::transport::{ClientConfig, Dispatcher, RemotingClient};
use rmq_remoting::{RemotingCommand, RequestCode};
use rmq_store::ha_epoch::EpochFile;
use rmq_store::MessageStore;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::BrokerConfig;
use crate::error::StartError;
use crate::services::ha::Replication;
use client::ControllerClient;
use epochs::Epochs;
use join::Who;
use role::Decision;

/// Heartbeat period to the controller leader (RocketMQ's brokerHeartbeatInterval).
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Pause before joining again after a failed attempt.
pub const RETRY: Duration = Duration::from_secs(1);

/// This broker's membership of its set: the controllers, its id, the role it runs with.
#[derive(Debug)]
pub struct Membership {
    /// The controllers.
    pub ctl: ControllerClient,
    /// Who this broker is.
    pub who: Who,
    /// The id the controllers gave.
    pub broker_id: i64,
    /// The epoch file.
    pub epochs: Epochs,
    /// The decision the current incarnation runs with.
    current: Mutex<Option<Decision>>,
    /// NOTIFY_BROKER_ROLE_CHANGED arrived: check now.
    poke: Notify,
    /// `controllerHeartBeatTimeoutMills`.
    heartbeat_timeout: u64,
    /// `syncBrokerMetadataPeriod`.
    sync_period: Duration,
    /// `checkSyncStateSetPeriod`.
    check_sync_state_set_period: Duration,
    /// `haMaxTimeSlaveNotCatchup`.
    max_lag_ms: u64,
}

impl Membership {
    /// The decision the broker runs with now.
    #[must_use]
    pub fn current(&self) -> Option<Decision> {
        self.current.lock().clone()
    }

    /// The decision a new incarnation runs with.
    pub fn set_current(&self, d: Decision) {
        *self.current.lock() = Some(d);
    }

    /// The SyncStateSet as the controllers last answered it.
    pub fn set_sync_state_set(&self, set: rmq_remoting::body::SyncStateSet) {
        if let Some(d) = self.current.lock().as_mut() {
            d.sync_state_set = set;
        }
    }

    /// A NOTIFY_BROKER_ROLE_CHANGED arrived: look at the controllers' state now.
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    async fn heartbeat(&self, store: &MessageStore) {
        let h = BrokerHeartbeatRequestHeader {
            cluster_name: self.who.cluster.clone(),
            broker_addr: self.who.addr.clone(),
            broker_name: self.who.broker_name.clone(),
            broker_id: Some(self.broker_id),
            epoch: self.epochs.lock().cache().last_epoch().and_then(|e| i32::try_from(e).ok()),
            max_offset: i64::try_from(store.commit_log_max_offset()).ok(),
            confirm_offset: i64::try_from(store.commit_log_max_offset()).ok(),
            heartbeat_timeout_mills: i64::try_from(self.heartbeat_timeout).ok(),
            election_priority: None,
        };
        let req = RemotingCommand::request_with_header(RequestCode::BrokerHeartbeat, &h);
        if let Err(e) = self.ctl.call(req).await {
            tracing::debug!(cause = %e, "heartbeat to the controller failed");
        }
    }

    /// Heartbeats and role checks for one incarnation; cancels `changed` when the role must change.
    fn spawn_watch(self: &Arc<Self>, store: Arc<MessageStore>, stop: CancellationToken, changed: CancellationToken) {
        let follow = (Arc::clone(&store), self.current().filter(|d| !d.is_master()).and_then(|d| d.master_addr));
        let this = Arc::clone(self);
        let beat_stop = stop.clone();
        tokio::spawn(async move {
            while !beat_stop.is_cancelled() {
                this.heartbeat(&store).await;
                tokio::select! {
                    () = tokio::time::sleep(HEARTBEAT) => {}
                    () = beat_stop.cancelled() => return,
                }
            }
        });
        let this = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(this.sync_period) => {}
                    () = this.poke.notified() => {}
                    () = stop.cancelled() => return,
                }
                if this.role_changed().await {
                    changed.cancel();
                    return;
                }
                if let (store, Some(master)) = &follow {
                    this.adopt_epochs(store, master).await;
                }
            }
        });
    }

    async fn role_changed(&self) -> bool {
        let Some(now) = self.current() else { return false };
        let next = match join::replica_info(&self.ctl, &self.who, self.broker_id).await {
            Ok(d) if d.master_id.is_none() => join::elect(&self.ctl, &self.who, self.broker_id).await,
            other => other,
        };
        match next {
            Ok(next) if now.must_change_to(&next) => {
                tracing::info!(from = ?now, to = ?next, "the controllers changed this broker set's master");
                true
            }
            Ok(next) => {
                self.set_sync_state_set(next.sync_state_set);
                false
            }
            Err(e) => {
                tracing::debug!(cause = %e, "asking the controller for the master failed");
                false
            }
        }
    }

    /// A slave records the master's epochs its log has reached.
    async fn adopt_epochs(&self, store: &MessageStore, master: &str) {
        let client = self.ctl.remoting();
        match epochs::fetch(client, master).await {
            Ok(theirs) => {
                if let Err(e) = epochs::adopt(&self.epochs, store, &theirs) {
                    tracing::warn!(cause = %e, "recording the master's epochs failed");
                }
            }
            Err(e) => tracing::debug!(%master, cause = %e, "fetching the master's epochs failed"),
        }
    }

    /// Called once the incarnation's store is open: the master records its epoch, a slave
    /// aligns its log with the master's epochs.
    async fn on_open(&self, d: &Decision, store: &MessageStore, client: &RemotingClient) -> Result<(), String> {
        if d.is_master() {
            return epochs::take_office(&self.epochs, d.master_epoch, store);
        }
        let master = d.master_addr.as_deref().ok_or("no master address")?;
        let theirs = epochs::fetch(client, master).await?;
        epochs::align(&self.epochs, store, &theirs).map(drop)
    }
}

/// Joins through the controllers, retrying until it works or `stop` is cancelled.
pub async fn join_set(m: &Membership, stop: &CancellationToken) -> Option<Decision> {
    loop {
        match join::register(&m.ctl, &m.who, m.broker_id).await {
            Ok(d) if d.master_id.is_some() => return Some(d),
            Ok(_) => tracing::info!("no master elected yet"),
            Err(e) => tracing::warn!(cause = %e, "registering with the controller failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            () = stop.cancelled() => return None,
        }
    }
}

/// Opens the membership: the controllers, the id (applied for on first start), the epoch file.
pub async fn open(config: &BrokerConfig, stop: &CancellationToken) -> Result<Option<Arc<Membership>>, StartError> {
    let client = RemotingClient::new(ClientConfig::default(), Dispatcher::new());
    let ctl = ControllerClient::new(client, config.controller_list());
    let who = Who {
        cluster: config.identity.broker_cluster_name.clone(),
        broker_name: config.identity.broker_name.clone(),
        addr: config.broker_addr(),
    };
    let root = config.store_root();
    let epochs = EpochFile::load(&root).map_err(|e| StartError::Store(format!("reading the epoch file: {e}")))?;
    let broker_id = loop {
        match join::broker_id(&ctl, &who, &root).await {
            Ok(id) => break id,
            Err(e) => tracing::warn!(cause = %e, "getting a broker id from the controller failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            () = stop.cancelled() => return Ok(None),
        }
    };
    Ok(Some(Arc::new(Membership {
        ctl,
        who,
        broker_id,
        epochs: Arc::new(Mutex::new(epochs)),
        current: Mutex::new(None),
        poke: Notify::new(),
        heartbeat_timeout: config.controller.controller_heart_beat_timeout_mills,
        sync_period: Duration::from_millis(config.controller.sync_broker_metadata_period),
        check_sync_state_set_period: Duration::from_millis(config.controller.check_sync_state_set_period),
        max_lag_ms: config.controller.ha_max_time_slave_not_catchup,
    })))
}

/// What one incarnation is told: its membership and when to close for a role change.
#[derive(Debug, Clone)]
pub struct Incarnation {
    /// The membership.
    pub membership: Arc<Membership>,
    /// Cancelled when the role must change.
    pub changed: CancellationToken,
}

impl Incarnation {
    /// The incarnation's store is open: record or align epochs, start heartbeats and checks.
    pub async fn started(
        &self,
        store: &Arc<MessageStore>,
        client: &RemotingClient,
        stop: &CancellationToken,
        replication: &Replication,
    ) -> Result<(), StartError> {
        let m = &self.membership;
        let d = m.current().ok_or_else(|| StartError::Store("no role decided".into()))?;
        m.on_open(&d, store, client).await.map_err(StartError::Store)?;
        m.spawn_watch(Arc::clone(store), stop.clone(), self.changed.clone());
        if let Replication::Master(master) = replication {
            master.set_sync_state_set(d.sync_state_set.sync_state_set.clone());
            let (period, lag) = (m.check_sync_state_set_period, m.max_lag_ms);
            sync_set::spawn(Arc::clone(m), Arc::clone(master), stop.clone(), period, lag);
        }
        Ok(())
    }
}
