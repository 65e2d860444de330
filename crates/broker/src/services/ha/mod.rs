//! Master/slave replication in the shape of RocketMQ's HA protocol, on the HA port
//! (listenPort + 1): the slave reports its commit-log end as 8 bytes (on connect, every 5 s and
//! after each batch); the master streams commit-log bytes from there as a 12-byte header
//! (offset i64, length i32) plus data, or an empty header as a heartbeat. A master whose log is
//! shorter than the slave's sends an empty header at its own end, and our slave truncates to it.
//! In controller mode the link carries the master epoch: the slave opens with its id
//! (`-(id + 1)`) and the epoch of the master it follows (8 bytes each), the master serves only a
//! slave of its own epoch, and every header has a fourth field, the master's epoch (i32, 16
//! bytes in all), which the slave checks before it appends.
//!
//! A broker is one or the other, so the state is too: [`master::HaMaster`] serves slaves and
//! tracks their acknowledgements for SYNC_MASTER; [`slave::HaSlave`] follows the master,
//! appends at the same offsets and knows where the master is; [`sync::MetadataSync`] copies the
//! master's metadata every 10 s, and while the master cannot be reached
//! [`learn::NamesrvTopics`] adds the topics the name servers route to this broker set.

pub mod learn;
pub mod master;
pub mod slave;
pub mod sync;

use std::sync::Arc;
use std::time::Duration;

use master::HaMaster;
use slave::HaSlave;

/// Report and heartbeat period.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// Largest data chunk per header (haTransferBatchSize).
pub const TRANSFER_BATCH: usize = 32 * 1024;

/// The replication side of this broker.
#[derive(Debug, Clone)]
pub enum Replication {
    /// A master: serves slaves.
    Master(Arc<HaMaster>),
    /// A slave: follows its master.
    Slave(Arc<HaSlave>),
}

impl Replication {
    /// New data was stored: wake the senders to slaves (nothing on a slave).
    pub fn new_data(&self) {
        if let Self::Master(m) = self {
            m.new_data();
        }
    }

    /// The slave side, if this broker is a slave.
    #[must_use]
    pub fn slave(&self) -> Option<&Arc<HaSlave>> {
        match self {
            Self::Master(_) => None,
            Self::Slave(s) => Some(s),
        }
    }
}

#[cfg(test)]
mod tests;
