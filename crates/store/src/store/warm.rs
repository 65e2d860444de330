//! The warmer thread: keeps the commit log pre-created and paged in ahead of the writer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::marks::Marks;
use crate::commit_log::CommitLog;
use crate::offset::PhyOffset;

/// How far ahead of the append position the commit log is kept allocated and paged in.
const WARM_AHEAD: u64 = 64 * 1024 * 1024;

/// Warms ahead of the writer until `stop` is set.
pub(crate) fn warm_loop(log: &Arc<CommitLog>, marks: &Marks, stop: &AtomicBool) {
    let mut warmed = PhyOffset::ZERO;
    while !stop.load(Ordering::Acquire) {
        let pos = marks.end();
        let target = pos.plus(WARM_AHEAD.min(log.file_size()));
        warmed = warmed.max(pos);
        if warmed < target {
            match log.warm(warmed, target) {
                Ok(w) => warmed = w,
                Err(e) => tracing::warn!(cause = %e, "pre-allocating the commit log failed"),
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
