//! `FlushSignal`: wakes the flusher thread, and the puts waiting for a flush (group commit).

use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use crate::offset::PhyOffset;

/// The flusher's wake-up and the SYNC_FLUSH waiters.
#[derive(Debug, Default)]
pub(crate) struct FlushSignal {
    signalled: Mutex<bool>,
    cond: Condvar,
    /// Puts waiting until the flush reaches an offset.
    waiters: Mutex<Vec<(PhyOffset, oneshot::Sender<()>)>>,
}

impl FlushSignal {
    /// Wakes the flusher.
    pub(crate) fn wake(&self) {
        *self.signalled.lock() = true;
        self.cond.notify_one();
    }

    /// The flusher waits until woken or `timeout` passes.
    pub(crate) fn wait(&self, timeout: Duration) {
        let mut signalled = self.signalled.lock();
        if !*signalled {
            self.cond.wait_for(&mut signalled, timeout);
        }
        *signalled = false;
    }

    /// A receiver told once the flush reaches `end`; wakes the flusher.
    pub(crate) fn wait_for(&self, end: PhyOffset) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.waiters.lock().push((end, tx));
        self.wake();
        rx
    }

    /// Tells the waiters the flush reached `flushed`.
    pub(crate) fn flushed(&self, flushed: PhyOffset) {
        let mut waiters = self.waiters.lock();
        let mut i = 0;
        while i < waiters.len() {
            if waiters[i].0 <= flushed {
                let (_, tx) = waiters.swap_remove(i);
                let _ = tx.send(());
            } else {
                i += 1;
            }
        }
    }
}
