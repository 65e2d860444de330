//! Outbound byte budgets: how many bytes of frames may wait to be written, per connection and
//! per server, before the connection's reader stops taking requests (back-pressure).
//!
//! A peer that sends requests but never reads the answers fills its connection's budget; its
//! reader then waits until the writer drains below the budget, so the server holds at most
//! about one budget (plus answers of requests already being processed) for that peer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::RemotingCommand;

/// Bytes counted for a frame besides its body and header strings (length words, fixed fields).
const FRAME_OVERHEAD: usize = 64;

/// Limits of one connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChannelLimits {
    /// Bytes queued for writing above which the reader pauses (0: no limit).
    pub(crate) write_budget: usize,
    /// Close the connection when no frame arrives (or, paused, nothing drains) for this long.
    pub(crate) idle_timeout: Option<Duration>,
    /// The budget shared by every connection of a server.
    pub(crate) shared: Option<std::sync::Arc<ByteBudget>>,
}

/// A count of queued bytes against a cap, with a wake-up for those waiting for it to drain.
#[derive(Debug, Default)]
pub(crate) struct ByteBudget {
    used: AtomicUsize,
    cap: usize,
    drained: Notify,
}

impl ByteBudget {
    /// A budget of `cap` bytes (0: unlimited).
    pub(crate) fn new(cap: usize) -> Self {
        Self { used: AtomicUsize::new(0), cap, drained: Notify::new() }
    }

    pub(crate) fn add(&self, bytes: usize) {
        self.used.fetch_add(bytes, Ordering::AcqRel);
    }

    /// Gives `bytes` back; wakes waiters when the count falls to or below the cap.
    pub(crate) fn release(&self, bytes: usize) {
        let before = self.used.fetch_sub(bytes, Ordering::AcqRel);
        let after = before.saturating_sub(bytes);
        if self.cap > 0 && (before > self.cap || after == 0) {
            self.drained.notify_waiters();
        }
    }

    /// Bytes queued now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// Whether more than the cap is queued.
    pub(crate) fn over(&self) -> bool {
        self.cap > 0 && self.used() > self.cap
    }

    pub(crate) fn drained(&self) -> &Notify {
        &self.drained
    }
}

/// The bytes a frame is counted for: body, remark and header fields plus a fixed overhead.
pub(crate) fn frame_cost(cmd: &RemotingCommand) -> usize {
    let fields: usize = cmd.ext_fields.iter().map(|(k, v)| k.len() + v.len() + 8).sum();
    FRAME_OVERHEAD + cmd.body_len() + cmd.remark.as_ref().map_or(0, String::len) + fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_only_past_the_cap_and_never_when_unlimited() {
        let b = ByteBudget::new(100);
        b.add(100);
        assert!(!b.over());
        b.add(1);
        assert!(b.over());
        b.release(101);
        assert_eq!(b.used(), 0);
        let unlimited = ByteBudget::new(0);
        unlimited.add(usize::MAX / 2);
        assert!(!unlimited.over());
    }

    #[test]
    fn cost_counts_body_and_fields() {
        let mut cmd = RemotingCommand::success();
        let base = frame_cost(&cmd);
        cmd.body = bytes::Bytes::from(vec![0u8; 1000]);
        cmd.ext_fields.insert("k".into(), "vv".into());
        assert_eq!(frame_cost(&cmd), base + 1000 + 1 + 2 + 8);
    }
}
