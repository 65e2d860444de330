//! `DiskGuard`: how full the commit log's disk is, refreshed by the flusher; refuses appends
//! past the full ratio and tells retention when to delete under pressure.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The disk usage the store acts on.
#[derive(Debug)]
pub(crate) struct DiskGuard {
    path: PathBuf,
    /// Used fraction × 1000.
    used_permille: AtomicU64,
    /// Appends are refused past this percentage.
    full_ratio: u32,
    /// Retention deletes expired files at once past this percentage (runtime config).
    max_used_ratio: AtomicU32,
    /// Retention deletes files that have not expired past this percentage (`None`: never).
    force_ratio: Option<u32>,
}

impl DiskGuard {
    /// Changes the usage ratio (%) past which retention deletes at once (runtime config).
    pub(crate) fn set_max_used_ratio(&self, ratio: u32) {
        self.max_used_ratio.store(ratio, Ordering::Relaxed);
    }

    pub(crate) fn new(path: PathBuf, full_ratio: u32, max_used_ratio: u32, force_ratio: Option<u32>) -> Self {
        let max_used_ratio = AtomicU32::new(max_used_ratio);
        Self { path, used_permille: AtomicU64::new(0), full_ratio, max_used_ratio, force_ratio }
    }

    /// The directory whose disk is watched.
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Re-reads the disk usage.
    pub(crate) fn refresh(&self) {
        if let Some(r) = crate::mapped_file::disk_used_ratio(&self.path) {
            // A ratio in [0, 1] times 1000, rounded down: fits a u64 and is never negative.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            self.used_permille.store((r.clamp(0.0, 1.0) * 1000.0) as u64, Ordering::Relaxed);
        }
    }

    /// Used fraction × 1000.
    pub(crate) fn used_permille(&self) -> u64 {
        self.used_permille.load(Ordering::Relaxed)
    }

    /// Why appends are refused, when the disk is full.
    pub(crate) fn full(&self) -> Option<String> {
        let permille = self.used_permille();
        (permille > u64::from(self.full_ratio) * 10).then(|| {
            format!("disk is full: {}.{}% used, the limit is {}%", permille / 10, permille % 10, self.full_ratio)
        })
    }

    /// Whether retention must delete expired files now, not at a delete hour.
    pub(crate) fn under_pressure(&self) -> bool {
        self.used_permille() > u64::from(self.max_used_ratio.load(Ordering::Relaxed)) * 10
    }

    /// Whether retention must delete the oldest files now, expired or not.
    pub(crate) fn must_force(&self) -> bool {
        self.force_ratio.is_some_and(|r| self.used_permille() > u64::from(r) * 10)
    }
}
