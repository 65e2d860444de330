//! The master side: accepts slaves on the HA port, streams its commit log to each and tracks
//! what each has acknowledged (SYNC_MASTER waits on that). With the broker's TLS on
//! (`tls.server.mode` permissive or enforcing), the HA port takes TLS slaves as the remoting
//! ports do: told apart by the first byte, plaintext refused in enforcing mode.
//!
//! In controller mode the link is fenced by the master's epoch: a slave announces, after its
//! id, the epoch of the master it follows, and the master closes the link unless that is its own
//! epoch (a slave from a newer epoch means this master is stale: [`HaMaster::newer_epoch_seen`]
//! wakes its role check); every header the master sends carries its epoch, so the slave takes
//! data only from the master of the epoch it follows.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmq_remoting::transport::{Conn, ReadHalf, ServerTls, WriteHalf};
use rmq_store::{MessageStore, PutStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use super::{HEARTBEAT, TRANSFER_BATCH};

/// A slave more than this far behind does not count for SYNC_MASTER (haSlaveFallbehindMax).
pub const SLAVE_FALL_BEHIND_MAX: u64 = 256 * 1024 * 1024;

/// A slave within this many bytes of the master's end counts as caught up (controller mode).
pub const CATCH_UP_GAP: u64 = 1024 * 1024;

/// One connected slave.
#[derive(Debug, Clone)]
struct Link {
    addr: String,
    ack: u64,
    /// The broker id the slave announced (controller mode).
    broker_id: Option<i64>,
    /// When its ack was last within [`CATCH_UP_GAP`] of the master's end, ms.
    caught_up_ms: i64,
}

/// The SyncStateSet as the master knows it (controller mode), RocketMQ's
/// `AutoSwitchHAService` local and remote sets.
#[derive(Debug, Default)]
struct SyncSetView {
    /// This broker's own id.
    own_id: i64,
    /// The set the controllers last answered.
    ids: BTreeSet<i64>,
    /// A change asked of the controllers and not answered yet.
    pending: Option<BTreeSet<i64>>,
}

/// The master's replication service: connected slaves and their acknowledged offsets.
#[derive(Debug)]
pub struct HaMaster {
    /// Connected slaves by connection id.
    slaves: Mutex<HashMap<u64, Link>>,
    next_id: AtomicU64,
    /// A slave acknowledged more.
    acked: Notify,
    /// New data to ship (shared with the store's arrival listener).
    data: Arc<Notify>,
    store: Arc<MessageStore>,
    /// TLS on the HA port (the broker's `tls.server.*` setup).
    tls: Option<ServerTls>,
    stop: CancellationToken,
    /// Controller mode: this master's epoch, carried by every header.
    epoch: Option<i32>,
    /// Controller mode: the SyncStateSet.
    sync_set: Mutex<SyncSetView>,
    /// A slave following a newer epoch knocked.
    stale: Notify,
}

impl HaMaster {
    /// A master with no slave yet.
    #[must_use]
    pub fn new(store: Arc<MessageStore>, stop: CancellationToken) -> Self {
        Self {
            slaves: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            acked: Notify::new(),
            data: Arc::new(Notify::new()),
            store,
            tls: None,
            stop,
            epoch: None,
            sync_set: Mutex::new(SyncSetView::default()),
            stale: Notify::new(),
        }
    }

    /// Controller mode: the master of `epoch`, whose id is `own_id`.
    #[must_use]
    pub fn with_epoch(mut self, epoch: i32, own_id: i64) -> Self {
        self.epoch = Some(epoch);
        self.sync_set.get_mut().own_id = own_id;
        self.sync_set.get_mut().ids = BTreeSet::from([own_id]);
        self
    }

    /// Resolves when a slave following a newer epoch than this master's connected.
    pub async fn newer_epoch_seen(&self) {
        self.stale.notified().await;
    }

    /// The SyncStateSet the controllers answered (ends a pending change).
    pub fn set_sync_state_set(&self, ids: BTreeSet<i64>) {
        let mut v = self.sync_set.lock();
        v.ids = ids;
        v.pending = None;
    }

    /// A change of the SyncStateSet is being asked of the controllers.
    pub fn propose_sync_state_set(&self, ids: BTreeSet<i64>) {
        self.sync_set.lock().pending = Some(ids);
    }

    /// Replicas in the SyncStateSet, the master included (while a change is pending, the larger
    /// of the two sets, as RocketMQ's `inSyncReplicasNums`).
    #[must_use]
    pub fn in_sync_replicas(&self) -> usize {
        let v = self.sync_set.lock();
        v.ids.len().max(v.pending.as_ref().map_or(0, BTreeSet::len)).max(1)
    }

    /// Serves the HA port with `tls` (plaintext when `None`).
    #[must_use]
    pub fn with_tls(mut self, tls: Option<ServerTls>) -> Self {
        self.tls = tls;
        self
    }
    /// The wake-up point of the senders, for whoever learns of new data first.
    #[must_use]
    pub fn data_signal(&self) -> Arc<Notify> {
        Arc::clone(&self.data)
    }

    /// Wakes the senders.
    pub fn new_data(&self) {
        self.data.notify_waiters();
    }

    fn add_slave(&self, addr: String) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.slaves.lock().insert(id, Link { addr, ack: 0, broker_id: None, caught_up_ms: 0 });
        id
    }

    fn remove_slave(&self, id: u64) {
        self.slaves.lock().remove(&id);
        self.acked.notify_waiters();
    }

    fn ack(&self, id: u64, offset: u64) {
        let end = self.store.commit_log_max_offset();
        if let Some(s) = self.slaves.lock().get_mut(&id) {
            s.ack = s.ack.max(offset);
            if end.saturating_sub(s.ack) <= CATCH_UP_GAP {
                s.caught_up_ms = rmq_common::time::now_ms();
            }
        }
        self.acked.notify_waiters();
    }

    /// A report below zero is the slave's broker id (`-(id + 1)`), sent first in controller mode.
    fn hello(&self, id: u64, broker_id: i64) {
        if let Some(s) = self.slaves.lock().get_mut(&id) {
            s.broker_id = Some(broker_id);
        }
    }

    /// Connected slaves: address and acknowledged offset.
    #[must_use]
    pub fn slaves(&self) -> Vec<(String, u64)> {
        self.slaves.lock().values().map(|s| (s.addr.clone(), s.ack)).collect()
    }

    /// Broker ids of the slaves caught up within the last `max_lag_ms` (controller mode).
    #[must_use]
    pub fn in_sync_ids(&self, max_lag_ms: u64, now_ms: i64) -> Vec<i64> {
        let max_lag = i64::try_from(max_lag_ms).unwrap_or(i64::MAX);
        let slaves = self.slaves.lock();
        slaves.values().filter(|s| now_ms - s.caught_up_ms <= max_lag).filter_map(|s| s.broker_id).collect()
    }

    fn best_ack(&self) -> Option<u64> {
        self.slaves.lock().values().map(|s| s.ack).max()
    }

    /// SYNC_MASTER: waits until a slave has everything before `end`. SLAVE_NOT_AVAILABLE when no
    /// slave is connected or the best is too far behind; FLUSH_SLAVE_TIMEOUT after `timeout`.
    pub async fn wait_for_slave(&self, end: u64, timeout: Duration) -> PutStatus {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.acked.notified();
            match self.best_ack() {
                None => return PutStatus::SlaveNotAvailable,
                Some(a) if a >= end => return PutStatus::Ok,
                Some(a) if end - a > SLAVE_FALL_BEHIND_MAX => return PutStatus::SlaveNotAvailable,
                Some(_) => {}
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return PutStatus::FlushSlaveTimeout;
            }
        }
    }

    /// Controller mode: waits until `needed` slaves have everything before `end`.
    /// SLAVE_NOT_AVAILABLE when fewer than `needed` slaves are connected and within
    /// [`SLAVE_FALL_BEHIND_MAX`]; FLUSH_SLAVE_TIMEOUT after `timeout`.
    pub async fn wait_for_acks(&self, end: u64, needed: usize, timeout: Duration) -> PutStatus {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.acked.notified();
            if needed == 0 {
                return PutStatus::Ok;
            }
            let acks: Vec<u64> = self.slaves.lock().values().map(|s| s.ack).collect();
            if acks.iter().filter(|a| **a >= end).count() >= needed {
                return PutStatus::Ok;
            }
            if acks.iter().filter(|a| end.saturating_sub(**a) <= SLAVE_FALL_BEHIND_MAX).count() < needed {
                return PutStatus::SlaveNotAvailable;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return PutStatus::FlushSlaveTimeout;
            }
        }
    }

    /// Controller mode with `allAckInSyncStateSet`: waits until every other member of the
    /// SyncStateSet has everything before `end` (at once when the set is the master alone);
    /// FLUSH_SLAVE_TIMEOUT after `timeout`, as RocketMQ's `GroupTransferService`.
    pub async fn wait_for_sync_state_set(&self, end: u64, timeout: Duration) -> PutStatus {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.acked.notified();
            let members: BTreeSet<i64> = {
                let v = self.sync_set.lock();
                v.ids.iter().copied().filter(|id| *id != v.own_id).collect()
            };
            let acked: BTreeSet<i64> = {
                let slaves = self.slaves.lock();
                slaves.values().filter(|s| s.ack >= end).filter_map(|s| s.broker_id).collect()
            };
            if members.is_subset(&acked) {
                return PutStatus::Ok;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return PutStatus::FlushSlaveTimeout;
            }
        }
    }

    /// Binds the HA port.
    pub async fn bind(bind_address: &str, port: u16) -> std::io::Result<TcpListener> {
        TcpListener::bind((bind_address, port)).await
    }

    /// Accepts slaves until the broker stops.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        if let Some(tls) = &self.tls {
            tracing::info!(mode = tls.mode().name(), "TLS on the HA port");
        }
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                () = self.stop.cancelled() => return,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let this = Arc::clone(&self);
                    tokio::spawn(async move {
                        let Some(conn) = this.open(stream, peer).await else {
                            return;
                        };
                        let id = this.add_slave(peer.to_string());
                        tracing::info!(slave = %peer, tls = conn.tls, "slave connected");
                        if let Err(e) = this.serve_slave(id, conn).await {
                            tracing::info!(slave = %peer, cause = %e, "slave connection closed");
                        }
                        this.remove_slave(id);
                    });
                }
                Err(e) => {
                    tracing::warn!(cause = %e, "accepting a slave failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// The slave's connection, after the TLS handshake when the port has TLS; `None` when it
    /// was refused or failed (logged).
    async fn open(&self, stream: TcpStream, peer: std::net::SocketAddr) -> Option<Conn> {
        match &self.tls {
            Some(tls) => tls.accept(stream, peer, Some(HEARTBEAT * 4)).await,
            None => Conn::plain(stream)
                .map_err(|e| tracing::debug!(slave = %peer, cause = %e, "slave connection failed"))
                .ok(),
        }
    }

    /// Reads the slave's reports (8-byte offsets; only the latest complete one matters) until
    /// the link goes quiet or breaks.
    fn spawn_report_reader(
        self: &Arc<Self>,
        id: u64,
        mut rd: ReadHalf,
        first_tx: watch::Sender<Option<u64>>,
    ) -> tokio::task::JoinHandle<()> {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut buf = [0u8; 8];
            // Controller mode: no report counts before the slave named the epoch it follows.
            let mut greeted = this.epoch.is_none();
            while let Ok(Ok(_)) = tokio::time::timeout(HEARTBEAT * 4, rd.read_exact(&mut buf)).await {
                let value = i64::from_be_bytes(buf);
                if value < 0 {
                    this.hello(id, -(value + 1));
                    if let Some(own) = this.epoch {
                        let Ok(Ok(_)) = tokio::time::timeout(HEARTBEAT * 4, rd.read_exact(&mut buf)).await else {
                            return;
                        };
                        if !this.epoch_matches(own, i64::from_be_bytes(buf)) {
                            return;
                        }
                        greeted = true;
                    }
                    continue;
                }
                if !greeted {
                    tracing::warn!("a slave reported an offset without naming the epoch it follows; link closed");
                    return;
                }
                let offset = u64::try_from(value).unwrap_or(0);
                this.ack(id, offset);
                let _ = first_tx.send(Some(offset));
            }
        })
    }

    /// Whether a slave following epoch `theirs` may follow this master of epoch `own`; a newer
    /// one means this master is stale.
    fn epoch_matches(&self, own: i32, theirs: i64) -> bool {
        if theirs == i64::from(own) {
            return true;
        }
        if theirs > i64::from(own) {
            tracing::warn!(own, theirs, "a slave follows a newer master epoch: this master is stale");
            self.stale.notify_one();
        } else {
            tracing::info!(own, theirs, "a slave follows an older master epoch; link closed");
        }
        false
    }

    async fn serve_slave(self: &Arc<Self>, id: u64, conn: Conn) -> std::io::Result<()> {
        let Conn { read: rd, write: mut wr, .. } = conn;
        let (first_tx, mut first_rx) = watch::channel::<Option<u64>>(None);
        let reader = self.spawn_report_reader(id, rd, first_tx);
        let result = async {
            let first = first_report(&mut first_rx).await?;
            let next = if first == 0 { self.store.commit_log_min_offset() } else { first };
            self.stream_log(&mut wr, next, &reader).await
        }
        .await;
        reader.abort();
        result
    }

    /// Ships the commit log from `next` on, with heartbeats when idle, until the broker stops
    /// or the slave's reports stop.
    async fn stream_log(
        &self,
        wr: &mut WriteHalf,
        mut next: u64,
        reader: &tokio::task::JoinHandle<()>,
    ) -> std::io::Result<()> {
        loop {
            if self.stop.is_cancelled() || reader.is_finished() {
                return Ok(());
            }
            let end = self.store.commit_log_max_offset();
            if next > end {
                // The slave has more than we do: tell it where our log ends.
                send(wr, &header(end, 0, self.epoch)).await?;
                next = end;
                continue;
            }
            let notified = self.data.notified();
            if next < end {
                if let Some(data) = self.store.read_commit_log(next, TRANSFER_BATCH) {
                    let mut frame = Vec::with_capacity(12 + data.len());
                    frame.extend_from_slice(&header(next, data.len(), self.epoch));
                    frame.extend_from_slice(&data);
                    send(wr, &frame).await?;
                    next += data.len() as u64;
                    continue;
                }
            }
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep(HEARTBEAT) => send(wr, &header(next, 0, self.epoch)).await?,
                () = self.stop.cancelled() => return Ok(()),
            }
        }
    }
}

/// Writes `bytes` and flushes them (over TLS they may otherwise wait in the session).
async fn send(wr: &mut WriteHalf, bytes: &[u8]) -> std::io::Result<()> {
    wr.write_all(bytes).await?;
    wr.flush().await
}

/// Waits for the slave's first report: where its log ends.
async fn first_report(first_rx: &mut watch::Receiver<Option<u64>>) -> std::io::Result<u64> {
    loop {
        if let Some(v) = *first_rx.borrow_and_update() {
            return Ok(v);
        }
        if tokio::time::timeout(HEARTBEAT * 4, first_rx.changed()).await.map_or(true, |r| r.is_err()) {
            return Err(std::io::Error::other("slave sent no offset"));
        }
    }
}

/// A data header: offset (i64) and length (i32), plus the master's epoch (i32) in controller
/// mode.
fn header(offset: u64, len: usize, epoch: Option<i32>) -> Vec<u8> {
    let mut h = Vec::with_capacity(16);
    h.extend_from_slice(&i64::try_from(offset).unwrap_or(i64::MAX).to_be_bytes());
    h.extend_from_slice(&i32::try_from(len).unwrap_or(i32::MAX).to_be_bytes());
    if let Some(e) = epoch {
        h.extend_from_slice(&e.to_be_bytes());
    }
    h
}
