//! The slave side: learns where its master is, follows the master's HA port and appends its
//! commit log at the same offsets; over TLS when the broker's outgoing connections use it
//! (`tls.enable=true`). In controller mode it names the master epoch it follows after its id,
//! and takes data only under headers of that epoch.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use rmq_remoting::transport::{ClientTls, Conn, WriteHalf};
use rmq_store::MessageStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::HEARTBEAT;

/// Largest batch a master may announce.
const MAX_BATCH: usize = 64 * 1024 * 1024;

/// The slave's replication service: where the master is and how far we follow it.
#[derive(Debug)]
pub struct HaSlave {
    /// `haMasterAddress` from the config: wins over what the name server says.
    configured_ha_master: Option<String>,
    /// The master's address (learned from the name server).
    master_addr: RwLock<Option<String>>,
    /// The master's HA address (learned from the name server).
    ha_master_addr: RwLock<Option<String>>,
    /// Connected to the master.
    connected: AtomicBool,
    /// The master's end as last seen in a header.
    master_offset: AtomicU64,
    /// Controller mode: the id announced to the master before the first report.
    broker_id: Option<i64>,
    /// Controller mode: the epoch of the master this slave follows.
    master_epoch: Option<i32>,
    /// TLS to the master's HA port (the broker's `tls.enable` setup).
    tls: Option<ClientTls>,
    store: Arc<MessageStore>,
    stop: CancellationToken,
}

/// A 12-byte header from the master: where its data starts and how long it is.
struct Frame {
    offset: u64,
    len: usize,
}

impl HaSlave {
    /// A slave that knows its master's HA address only if configured.
    #[must_use]
    pub fn new(configured_ha_master: Option<String>, store: Arc<MessageStore>, stop: CancellationToken) -> Self {
        Self {
            master_addr: RwLock::new(None),
            ha_master_addr: RwLock::new(configured_ha_master.clone()),
            configured_ha_master,
            connected: AtomicBool::new(false),
            master_offset: AtomicU64::new(0),
            broker_id: None,
            master_epoch: None,
            tls: None,
            store,
            stop,
        }
    }

    /// Connects to the master's HA port with `tls` (plaintext when `None`).
    #[must_use]
    pub fn with_tls(mut self, tls: Option<ClientTls>) -> Self {
        self.tls = tls;
        self
    }

    /// Controller mode: announces `broker_id` to the master on connecting (as `-(id + 1)`,
    /// before the first offset report), so the master can name it in the SyncStateSet.
    #[must_use]
    pub fn with_broker_id(mut self, broker_id: i64) -> Self {
        self.broker_id = Some(broker_id);
        self
    }

    /// Controller mode: follows only the master of `epoch` (named after the id on connecting,
    /// checked in every header).
    #[must_use]
    pub fn with_master_epoch(mut self, epoch: i32) -> Self {
        self.master_epoch = Some(epoch);
        self
    }

    /// The master's broker address, once learned.
    #[must_use]
    pub fn master_addr(&self) -> Option<String> {
        self.master_addr.read().clone()
    }

    /// The master's HA address: the configured one, else the learned one.
    #[must_use]
    pub fn ha_master_addr(&self) -> Option<String> {
        self.configured_ha_master.clone().or_else(|| self.ha_master_addr.read().clone())
    }

    /// Whether the link to the master is up.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// The master's commit-log end as last seen.
    #[must_use]
    pub fn master_offset(&self) -> u64 {
        self.master_offset.load(Ordering::Acquire)
    }

    /// Records what a name server said about the master (REGISTER_BROKER answer).
    pub fn learn_master(&self, master: Option<String>, ha: Option<String>) {
        if let Some(master) = master.filter(|m| !m.is_empty()) {
            let mut current = self.master_addr.write();
            if current.as_deref() != Some(master.as_str()) {
                tracing::info!(master = %master, "master address learned from name server");
                *current = Some(master);
            }
        }
        if self.configured_ha_master.is_none() {
            if let Some(ha) = ha.filter(|m| !m.is_empty()) {
                *self.ha_master_addr.write() = Some(ha);
            }
        }
    }

    /// Runs until the broker stops, reconnecting whenever the link drops.
    pub async fn run(self: Arc<Self>) {
        loop {
            if self.stop.is_cancelled() {
                return;
            }
            let Some(addr) = self.ha_master_addr() else {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    () = self.stop.cancelled() => return,
                }
            };
            self.connect_and_follow(&addr).await;
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
                () = self.stop.cancelled() => return,
            }
        }
    }

    async fn connect_and_follow(&self, addr: &str) {
        let dialed = rmq_remoting::transport::dial(addr, self.tls.as_ref());
        match tokio::time::timeout(Duration::from_secs(3), dialed).await {
            Ok(Ok(conn)) => {
                tracing::info!(master = %addr, tls = conn.tls, "connected to the master's HA port");
                self.connected.store(true, Ordering::Release);
                if let Err(e) = self.follow(conn).await {
                    tracing::warn!(master = %addr, cause = %e, "replication link dropped");
                }
                self.connected.store(false, Ordering::Release);
            }
            Ok(Err(e)) => tracing::debug!(master = %addr, cause = %e, "cannot reach the master's HA port"),
            Err(_) => tracing::debug!(master = %addr, "connecting to the master's HA port timed out"),
        }
    }

    async fn follow(&self, conn: Conn) -> std::io::Result<()> {
        let Conn { read: mut rd, write: mut wr, .. } = conn;
        let store = &self.store;
        if let Some(id) = self.broker_id {
            wr.write_all(&(-(id + 1)).to_be_bytes()).await?;
            if let Some(epoch) = self.master_epoch {
                wr.write_all(&i64::from(epoch).to_be_bytes()).await?;
            }
        }
        report(&mut wr, store.commit_log_max_offset()).await?;
        let mut last_report = tokio::time::Instant::now();
        let head_len = if self.master_epoch.is_some() { 16 } else { 12 };
        loop {
            let mut head = [0u8; 16];
            let read = tokio::select! {
                r = tokio::time::timeout(HEARTBEAT * 4, rd.read_exact(&mut head[..head_len])) => r,
                () = tokio::time::sleep_until(last_report + HEARTBEAT) => {
                    report(&mut wr, store.commit_log_max_offset()).await?;
                    last_report = tokio::time::Instant::now();
                    continue;
                }
                () = self.stop.cancelled() => return Ok(()),
            };
            read.map_err(|_| std::io::Error::other("no data or heartbeat from the master for 20 s"))??;
            let frame = Frame::parse(&head)?;
            if let Some(want) = self.master_epoch {
                let epoch = i32::from_be_bytes([head[12], head[13], head[14], head[15]]);
                if epoch != want {
                    return Err(std::io::Error::other(format!(
                        "the master sent data of epoch {epoch}, this slave follows epoch {want}"
                    )));
                }
            }
            let own = store.commit_log_max_offset();
            self.master_offset.store(frame.offset + frame.len as u64, Ordering::Release);
            if frame.len == 0 {
                if frame.offset < own && store.truncate_commit_log(frame.offset) {
                    report(&mut wr, store.commit_log_max_offset()).await?;
                    last_report = tokio::time::Instant::now();
                }
                continue;
            }
            let mut data = vec![0u8; frame.len];
            rd.read_exact(&mut data).await?;
            if own != 0 && frame.offset != own {
                let offset = frame.offset;
                return Err(std::io::Error::other(format!("master sent data at {offset}, our log ends at {own}")));
            }
            store.append_replicated(frame.offset, &data).map_err(std::io::Error::other)?;
            report(&mut wr, store.commit_log_max_offset()).await?;
            last_report = tokio::time::Instant::now();
        }
    }
}

impl Frame {
    fn parse(head: &[u8; 16]) -> std::io::Result<Self> {
        let offset =
            u64::try_from(i64::from_be_bytes([head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7]]))
                .map_err(|_| std::io::Error::other("negative offset in header"))?;
        let len = usize::try_from(i32::from_be_bytes([head[8], head[9], head[10], head[11]]))
            .map_err(|_| std::io::Error::other("negative length in header"))?;
        if len > MAX_BATCH {
            return Err(std::io::Error::other(format!("implausible batch of {len} bytes")));
        }
        Ok(Self { offset, len })
    }
}

async fn report(wr: &mut WriteHalf, offset: u64) -> std::io::Result<()> {
    wr.write_all(&i64::try_from(offset).unwrap_or(i64::MAX).to_be_bytes()).await?;
    // Over TLS the report may otherwise wait in the session.
    wr.flush().await
}
