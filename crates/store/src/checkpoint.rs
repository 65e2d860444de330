//! The checkpoint file: one 4 KiB page with the store times of the last flushed commit-log,
//! consume-queue and index data (big-endian i64 at offsets 0, 8, 16), as RocketMQ keeps it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Flush times, ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// Store time of the last flushed commit-log message.
    pub physic_msg_timestamp: i64,
    /// Same for consume queues.
    pub logics_msg_timestamp: i64,
    /// Same for the index.
    pub index_msg_timestamp: i64,
}

impl Checkpoint {
    /// Reads `<root>/checkpoint` (zeros when missing or short).
    #[must_use]
    pub fn load(root: &Path) -> Self {
        let Ok(b) = std::fs::read(path(root)) else { return Self::default() };
        let at = |i: usize| b.get(i..i + 8).and_then(|s| <[u8; 8]>::try_from(s).ok()).map_or(0, i64::from_be_bytes);
        Self { physic_msg_timestamp: at(0), logics_msg_timestamp: at(8), index_msg_timestamp: at(16) }
    }

    /// Store time up to which everything is known to be on disk and dispatched: the oldest of
    /// the three, less 3 s of slack for messages stored within the same instant (0 = unknown).
    #[must_use]
    pub fn safe_timestamp(&self) -> i64 {
        let min = self.physic_msg_timestamp.min(self.logics_msg_timestamp).min(self.index_msg_timestamp);
        if min <= 0 {
            0
        } else {
            (min - 3000).max(1)
        }
    }

    /// Writes the page and syncs it.
    pub fn store(&self, root: &Path) -> std::io::Result<()> {
        let mut page = [0u8; 4096];
        page[0..8].copy_from_slice(&self.physic_msg_timestamp.to_be_bytes());
        page[8..16].copy_from_slice(&self.logics_msg_timestamp.to_be_bytes());
        page[16..24].copy_from_slice(&self.index_msg_timestamp.to_be_bytes());
        let mut f = std::fs::OpenOptions::new().create(true).write(true).truncate(false).open(path(root))?;
        f.write_all(&page)?;
        f.sync_data()
    }
}

fn path(root: &Path) -> PathBuf {
    root.join("checkpoint")
}
