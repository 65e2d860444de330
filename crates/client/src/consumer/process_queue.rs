//! Messages of one assigned queue pulled but not yet consumed; the committed offset is the
//! smallest offset still in flight (or one past the highest seen).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use rmq_common::message::MessageExt;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Default)]
struct State {
    /// Waiting to be consumed, by queue offset.
    pending: BTreeMap<i64, MessageExt>,
    /// Taken by an orderly consumer and not yet committed.
    consuming: BTreeMap<i64, MessageExt>,
    /// Highest offset ever put.
    max_seen: i64,
    bytes: usize,
}

/// One queue's buffer.
#[derive(Debug)]
pub struct ProcessQueue {
    state: Mutex<State>,
    /// Cancelled when the queue leaves this consumer.
    pub dropped: CancellationToken,
    /// Orderly: the broker lock is held.
    pub locked: AtomicBool,
    /// Orderly: one consume task at a time.
    pub consume_lock: tokio::sync::Mutex<()>,
}

impl Default for ProcessQueue {
    fn default() -> Self {
        Self {
            state: Mutex::new(State { max_seen: -1, ..State::default() }),
            dropped: CancellationToken::new(),
            locked: AtomicBool::new(false),
            consume_lock: tokio::sync::Mutex::new(()),
        }
    }
}

impl ProcessQueue {
    /// Adds pulled messages.
    pub fn put(&self, msgs: &[MessageExt]) {
        let mut s = self.state.lock();
        for m in msgs {
            s.max_seen = s.max_seen.max(m.queue_offset);
            s.bytes += m.body.len();
            s.pending.insert(m.queue_offset, m.clone());
        }
    }

    /// Messages held and their body bytes (flow control).
    #[must_use]
    pub fn load(&self) -> (usize, usize) {
        let s = self.state.lock();
        (s.pending.len() + s.consuming.len(), s.bytes)
    }

    /// Removes consumed messages; returns the offset to commit.
    pub fn remove(&self, offsets: &[i64]) -> i64 {
        let mut s = self.state.lock();
        for o in offsets {
            if let Some(m) = s.pending.remove(o) {
                s.bytes = s.bytes.saturating_sub(m.body.len());
            }
        }
        s.pending.keys().next().copied().unwrap_or(s.max_seen + 1)
    }

    /// Orderly: takes up to `n` messages in offset order.
    pub fn take(&self, n: usize) -> Vec<MessageExt> {
        let mut s = self.state.lock();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let Some((o, m)) = s.pending.pop_first() else { break };
            s.consuming.insert(o, m.clone());
            out.push(m);
        }
        out
    }

    /// Orderly: the taken batch is done; returns the offset to commit.
    pub fn commit(&self) -> i64 {
        let mut s = self.state.lock();
        let taken = std::mem::take(&mut s.consuming);
        for m in taken.values() {
            s.bytes = s.bytes.saturating_sub(m.body.len());
        }
        s.pending.keys().next().copied().unwrap_or(s.max_seen + 1)
    }

    /// Orderly: put the taken batch back to be consumed again.
    pub fn restore(&self, msgs: &[MessageExt]) {
        let mut s = self.state.lock();
        for m in msgs {
            s.consuming.remove(&m.queue_offset);
            s.pending.insert(m.queue_offset, m.clone());
        }
    }

    /// Whether the queue left this consumer.
    #[must_use]
    pub fn is_dropped(&self) -> bool {
        self.dropped.is_cancelled()
    }

    /// Drops everything buffered (offset reset).
    pub fn clear(&self) {
        let mut s = self.state.lock();
        *s = State { max_seen: -1, ..State::default() };
    }

    /// Orderly lock state.
    pub fn set_locked(&self, v: bool) {
        self.locked.store(v, Ordering::Release);
    }

    /// Whether the orderly lock is held.
    #[must_use]
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Acquire)
    }
}
