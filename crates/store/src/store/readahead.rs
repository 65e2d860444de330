//! Read-ahead and drop-behind of the commit log for readers far behind the writer (a cold
//! backlog).
//!
//! A consumer draining old messages reads the commit log front to back, but through the mapping
//! each page it touches is a fault that reads a little (the kernel's read-around) and waits for
//! it. Ahead of such a reader we ask for the next `WINDOW` bytes in the background
//! (MADV_WILLNEED), so the disk sees large reads and the reader finds its pages cached. Readers
//! near the head skip this: what the writer wrote recently is still in the page cache.
//!
//! What read-ahead brought in from disk (a range mostly not cached when requested) is dropped
//! from the page cache again once every far-behind queue reader is more than `LAG` past it, so a
//! cold scan reuses the memory it freed instead of growing the cache over the whole backlog (a
//! sequential scan's ring, as databases keep for them). New memory is the expensive kind: on this
//! kind of VM a page the guest gave back to the host costs ~5.5 us of kernel time to read into,
//! a reused one ~1.3 us (docs/performance.md). Ranges that were already cached (a backlog still
//! hot, another group's pages) are never dropped, and while any far-behind reader is still
//! behind a range, it stays.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::marks::Marks;
use crate::commit_log::CommitLog;
use crate::offset::PhyOffset;

/// How far ahead of a reader the commit log is requested.
pub(super) const WINDOW: u64 = 128 * 1024 * 1024;
/// How far the queues of one group may trail the one that last extended their cursor and
/// still share it.
const DRIFT: u64 = WINDOW;
/// A request is extended once the reader has used this much of the window.
const STEP: u64 = 16 * 1024 * 1024;
/// How far behind the rearmost reader fetched ranges are kept (a reader may re-read a little,
/// a pull that failed is retried).
const LAG: u64 = 16 * 1024 * 1024;
/// Reading positions (groups) followed at once for read-ahead; more evict the least recent.
const STREAMS: usize = 8;
/// A queue reader not seen for this long no longer holds ranges in the cache.
const IDLE: Duration = Duration::from_secs(10);
/// Fetched ranges remembered at most (beyond, the oldest is forgotten, not dropped).
const MAX_FETCHED: usize = 4096;

/// What to do for a reader now.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Plan {
    /// Range to request into the page cache.
    pub fetch: Option<(u64, u64)>,
    /// Ranges to drop from the page cache.
    pub evict: Vec<(u64, u64)>,
}

/// A far-behind queue reader.
#[derive(Debug, Clone, Copy)]
struct Reader {
    /// Identifies the queue (its consume queue's address).
    key: usize,
    /// Commit-log offset it last read up to.
    at: u64,
    seen: Instant,
}

#[derive(Debug, Default)]
struct State {
    /// Requested-up-to offsets of reading positions, most recently used first.
    cursors: Vec<u64>,
    readers: Vec<Reader>,
    /// Ranges read ahead from disk and not dropped yet, in request order.
    fetched: VecDeque<(u64, u64)>,
}

/// Read-ahead and drop-behind state of one commit log.
#[derive(Debug, Default)]
pub(super) struct ReadAhead {
    state: Mutex<State>,
    /// Whether any reader is followed (a reader near the head checks this before locking).
    following: AtomicBool,
}

impl ReadAhead {
    /// For queue `key`, far behind the writer, that read up to commit-log offset `end` at `now`:
    /// what to request and what to drop. `uncached(from, to)` tells whether most of a range
    /// is not in the page cache. Queues of one group share a read-ahead cursor (their records
    /// interleave in the log).
    pub(super) fn plan(&self, key: usize, end: u64, now: Instant, uncached: impl Fn(u64, u64) -> bool) -> Plan {
        let mut plan = Plan::default();
        {
            let mut s = self.state.lock();
            self.following.store(true, Ordering::Relaxed);
            plan.fetch = s.fetch(end);
            s.readers.retain(|r| r.key != key && now.duration_since(r.seen) < IDLE);
            s.readers.push(Reader { key, at: end, seen: now });
            let floor = s.readers.iter().map(|r| r.at).min().unwrap_or(end).saturating_sub(LAG);
            s.fetched.retain(|&(from, to)| {
                let passed = to <= floor;
                if passed {
                    plan.evict.push((from, to));
                }
                !passed
            });
        }
        // The page-cache check (mincore over up to a window) runs without the lock. A range just
        // requested ends a window past the reader, so it could not have been dropped above.
        if let Some((from, to)) = plan.fetch.filter(|&(from, to)| uncached(from, to)) {
            let mut s = self.state.lock();
            s.fetched.push_back((from, to));
            if s.fetched.len() > MAX_FETCHED {
                s.fetched.pop_front();
            }
        }
        plan
    }

    /// Queue `key` reads near the head now: it holds nothing back any more.
    pub(super) fn forget(&self, key: usize) {
        if !self.following.load(Ordering::Relaxed) {
            return;
        }
        let mut s = self.state.lock();
        s.readers.retain(|r| r.key != key);
        if s.readers.is_empty() {
            s.cursors.clear();
            self.following.store(false, Ordering::Relaxed);
        }
    }
}

/// Read-ahead and drop-behind applied to the commit log.
#[derive(Debug)]
pub(super) struct ReadAheadService {
    log: Arc<CommitLog>,
    marks: Arc<Marks>,
    state: ReadAhead,
}

impl ReadAheadService {
    pub(super) fn new(log: Arc<CommitLog>, marks: Arc<Marks>) -> Self {
        Self { log, marks, state: ReadAhead::default() }
    }

    /// For queue `key`, whose reader got up to `end`: when far behind the writer, starts
    /// background reads of the commit log after it and drops what every such reader has long
    /// passed.
    pub(super) fn after_read(&self, key: usize, end: PhyOffset) {
        if self.marks.end().since(end) <= WINDOW {
            self.state.forget(key);
            return;
        }
        let plan = self.state.plan(key, end.get(), Instant::now(), |from, to| {
            self.log.mostly_uncached(
                PhyOffset::new(from).unwrap_or(PhyOffset::MAX),
                PhyOffset::new(to).unwrap_or(PhyOffset::MAX),
            )
        });
        let at = |v: u64| PhyOffset::new(v).unwrap_or(PhyOffset::MAX);
        if let Some((from, to)) = plan.fetch {
            self.log.will_need(at(from), at(to));
        }
        for (from, to) in plan.evict {
            if let Err(e) = self.log.evict(at(from), at(to)) {
                tracing::debug!(from, to, error = %e, "dropping a passed commit-log range from the page cache failed");
            }
        }
    }
}

impl State {
    /// The range to request for a reader at `end`, if any: a window ahead of it, extended in
    /// steps.
    fn fetch(&mut self, end: u64) -> Option<(u64, u64)> {
        let want = end + WINDOW;
        let c = &mut self.cursors;
        // A queue may trail the one that last extended its group's cursor.
        if let Some(i) = c.iter().position(|&to| to >= end && to - end <= WINDOW + DRIFT) {
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

    const COLD: fn(u64, u64) -> bool = |_, _| true;

    fn fetch(ra: &ReadAhead, end: u64) -> Option<(u64, u64)> {
        ra.plan(1, end, Instant::now(), COLD).fetch
    }

    #[test]
    fn requests_a_window_then_extends_it_in_steps() {
        let ra = ReadAhead::default();
        assert_eq!(fetch(&ra, 100), Some((100, 100 + WINDOW)));
        // Within a step of the last request: nothing new.
        assert_eq!(fetch(&ra, 100 + STEP - 1), None);
        // A step consumed: extend from where the last request ended.
        assert_eq!(fetch(&ra, 100 + STEP), Some((100 + WINDOW, 100 + STEP + WINDOW)));
        // Another reader elsewhere gets its own cursor, and the first keeps its own.
        let far = 10 * WINDOW;
        assert_eq!(fetch(&ra, far), Some((far, far + WINDOW)));
        assert_eq!(fetch(&ra, 100 + STEP + 1), None);
    }

    #[test]
    fn queues_trailing_the_leader_of_their_group_share_its_cursor() {
        let ra = ReadAhead::default();
        let now = Instant::now();
        assert_eq!(ra.plan(1, 0, now, COLD).fetch, Some((0, WINDOW)));
        assert_eq!(ra.plan(2, STEP, now, COLD).fetch, Some((WINDOW, STEP + WINDOW)));
        // Queue 1 trails queue 2 (which extended the cursor): nothing is requested again.
        for end in [1, STEP / 2, STEP - 1] {
            assert_eq!(ra.plan(1, end, now, COLD).fetch, None);
        }
        // Nor for one trailing by more than a window, within the drift allowed.
        assert_eq!(ra.plan(3, 1, now, COLD).fetch, None);
    }

    #[test]
    fn forgets_the_least_recent_cursor() {
        let ra = ReadAhead::default();
        for i in 0..=STREAMS as u64 {
            fetch(&ra, i * 2 * WINDOW);
        }
        // Cursor 0 was evicted: it is asked for again from scratch.
        assert_eq!(fetch(&ra, 0), Some((0, WINDOW)));
        // The most recent ones are still followed.
        assert_eq!(fetch(&ra, STREAMS as u64 * 2 * WINDOW), None);
    }

    #[test]
    fn drops_what_it_fetched_once_the_slowest_queue_is_past_it() {
        let ra = ReadAhead::default();
        let now = Instant::now();
        // Two queues of one group start together; the first window is fetched once.
        assert_eq!(ra.plan(1, 0, now, COLD).fetch, Some((0, WINDOW)));
        assert!(ra.plan(2, 0, now, COLD).fetch.is_none());
        // Queue 1 runs ahead, the window is extended; queue 2 still sits at 0: nothing goes.
        for end in [WINDOW / 2, WINDOW - 1, WINDOW + LAG] {
            let p = ra.plan(1, end, now, COLD);
            assert!(p.evict.is_empty());
        }
        // Queue 2 catches up past the first window and the lag: it goes, the next stays.
        assert_eq!(ra.plan(2, WINDOW + LAG, now, COLD).evict, vec![(0, WINDOW)]);
        assert!(ra.plan(2, WINDOW + LAG + 1, now, COLD).evict.is_empty());
    }

    #[test]
    fn never_drops_what_was_cached_already() {
        let ra = ReadAhead::default();
        let now = Instant::now();
        let hot = |_, _| false;
        for end in (0..10 * WINDOW).step_by(usize::try_from(STEP).unwrap()) {
            assert!(ra.plan(1, end, now, hot).evict.is_empty());
        }
    }

    #[test]
    fn an_idle_or_caught_up_reader_holds_nothing_back() {
        let ra = ReadAhead::default();
        let t0 = Instant::now();
        ra.plan(1, 0, t0, COLD);
        ra.plan(2, 0, t0, COLD);
        // Queue 2 stops; queue 1 goes on.
        assert!(ra.plan(1, WINDOW + LAG, t0, COLD).evict.is_empty());
        assert_eq!(ra.plan(1, WINDOW + LAG + STEP, t0 + IDLE, COLD).evict, vec![(0, WINDOW)]);
        // Queue 3 behind queue 1 holds the next ranges until it reads near the head.
        ra.plan(3, WINDOW, t0 + IDLE, COLD);
        assert!(ra.plan(1, 3 * WINDOW, t0 + IDLE, COLD).evict.is_empty());
        ra.forget(3);
        assert!(!ra.plan(1, 3 * WINDOW + 1, t0 + IDLE, COLD).evict.is_empty());
    }
}
