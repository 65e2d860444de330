//! Master/slave replication in the shape of RocketMQ's HA protocol, on the HA port
//! (listenPort + 1): the slave reports its commit-log end as 8 bytes (on connect, every 5 s and
//! after each batch); the master streams commit-log bytes from there as a 12-byte header
//! (offset i64, length i32) plus data, or an empty header as a heartbeat. A master whose log is
//! shorter than the slave's sends an empty header at its own end, and our slave truncates to it.
//!
//! `master` serves slaves and tracks their acknowledgements for SYNC_MASTER; `slave` follows the
//! master and appends at the same offsets; `sync` copies the master's metadata every 10 s.

pub mod master;
pub mod slave;
pub mod sync;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rmq_store::PutStatus;
use tokio::sync::Notify;

/// A slave more than this far behind does not count for SYNC_MASTER (haSlaveFallbehindMax).
pub const SLAVE_FALL_BEHIND_MAX: u64 = 256 * 1024 * 1024;
/// Report and heartbeat period.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// Largest data chunk per header (haTransferBatchSize).
pub const TRANSFER_BATCH: usize = 32 * 1024;

/// Replication state shared by the broker's tasks.
#[derive(Debug, Default)]
pub struct HaState {
    /// Master: acknowledged offset per connected slave (by connection id), with its address.
    slaves: Mutex<HashMap<u64, (String, u64)>>,
    next_id: AtomicU64,
    /// Master: a slave acknowledged more.
    acked: Notify,
    /// Master: new data to ship.
    pub data: Notify,
    /// Slave: connected to the master.
    pub connected: AtomicBool,
    /// Slave: the master's end as last seen in a header.
    pub master_offset: AtomicU64,
}

impl HaState {
    fn add_slave(&self, addr: String) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.slaves.lock().insert(id, (addr, 0));
        id
    }

    fn remove_slave(&self, id: u64) {
        self.slaves.lock().remove(&id);
        self.acked.notify_waiters();
    }

    fn ack(&self, id: u64, offset: u64) {
        if let Some(s) = self.slaves.lock().get_mut(&id) {
            s.1 = s.1.max(offset);
        }
        self.acked.notify_waiters();
    }

    /// Connected slaves: address and acknowledged offset.
    #[must_use]
    pub fn slaves(&self) -> Vec<(String, u64)> {
        self.slaves.lock().values().cloned().collect()
    }

    fn best_ack(&self) -> Option<u64> {
        self.slaves.lock().values().map(|s| s.1).max()
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
}
