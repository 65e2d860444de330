//! Read-ahead of the commit log for readers far behind the writer (a cold backlog).
//!
//! A consumer draining old messages reads the commit log front to back, but through the mapping
//! each page it touches is a fault that reads a little (the kernel's read-around) and waits for
//! it. Ahead of such a reader we ask for the next `WINDOW` bytes in the background
//! (MADV_WILLNEED), so the disk sees large reads and the reader finds its pages cached. Readers
//! near the head skip this: what the writer wrote recently is still in the page cache.

use parking_lot::Mutex;

/// How far ahead of a reader the commit log is requested.
pub(super) const WINDOW: u64 = 128 * 1024 * 1024;
/// A request is extended once the reader has used this much of the window.
const STEP: u64 = 16 * 1024 * 1024;
/// Readers (groups) at distinct places followed at once; more evict the least recent.
const STREAMS: usize = 8;

/// Where read-ahead has been requested up to, for the last few reading positions.
#[derive(Debug, Default)]
pub(super) struct ReadAhead {
    /// Requested-up-to offsets, most recently used first.
    cursors: Mutex<Vec<u64>>,
}

impl ReadAhead {
    /// For a reader that got up to commit-log offset `end`: the range to request now, if any.
    /// Queues of one group share a cursor (their records interleave in the log).
    pub(super) fn plan(&self, end: u64) -> Option<(u64, u64)> {
        let want = end + WINDOW;
        let mut c = self.cursors.lock();
        if let Some(i) = c.iter().position(|&to| to >= end && to <= want) {
            let to = c.remove(i);
            if to + STEP > want {
                c.insert(0, to);
                return None;
            }
            c.insert(0, want);
            return Some((to, want));
        }
        c.insert(0, want);
        c.truncate(STREAMS);
        Some((end, want))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_a_window_then_extends_it_in_steps() {
        let ra = ReadAhead::default();
        assert_eq!(ra.plan(100), Some((100, 100 + WINDOW)));
        // Within a step of the last request: nothing new.
        assert_eq!(ra.plan(100 + STEP - 1), None);
        // A step consumed: extend from where the last request ended.
        assert_eq!(ra.plan(100 + STEP), Some((100 + WINDOW, 100 + STEP + WINDOW)));
        // Another reader elsewhere gets its own cursor, and the first keeps its own.
        let far = 10 * WINDOW;
        assert_eq!(ra.plan(far), Some((far, far + WINDOW)));
        assert_eq!(ra.plan(100 + STEP + 1), None);
    }

    #[test]
    fn forgets_the_least_recent_reader() {
        let ra = ReadAhead::default();
        for i in 0..=STREAMS as u64 {
            ra.plan(i * 2 * WINDOW);
        }
        // Reader 0 was evicted: it is asked for again from scratch.
        assert_eq!(ra.plan(0), Some((0, WINDOW)));
        // The most recent ones are still followed.
        assert_eq!(ra.plan(STREAMS as u64 * 2 * WINDOW), None);
    }
}
