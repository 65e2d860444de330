//! Changes of a persisted table not yet on disk. Every change bumps the table's generation and
//! wakes the metadata writer (`services::meta_writer`), which saves each changed table in one
//! write per round; a caller that must not answer before its change is durable (a send to a
//! topic it just created) waits for the generation of its change.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

/// How long a caller waits for its change to be saved before giving up.
const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// A table the metadata writer saves.
pub trait Persisted: Send + Sync + std::fmt::Debug {
    /// The file, for logs.
    fn name(&self) -> &'static str;
    /// The table's unsaved changes.
    fn dirty(&self) -> &Dirty;
    /// Writes the table as it is now, which holds every change up to `generation`.
    fn save(&self, generation: u64) -> Result<(), crate::persist::PersistError>;
}

/// What the writer last did with a table.
#[derive(Debug, Clone, Default)]
pub struct Saved {
    /// Every change up to this generation is on disk.
    pub generation: u64,
    /// The last failed save: the generation it covered and why it failed.
    pub failed: Option<(u64, String)>,
    /// Saves attempted so far: a waiter takes only a failure that came after it began waiting,
    /// so once the cause is gone (descriptors or space freed) a retry is not answered with the
    /// failure of an earlier round.
    pub attempts: u64,
}

/// A table's unsaved changes.
#[derive(Debug)]
pub struct Dirty {
    changed: AtomicU64,
    saved: watch::Sender<Saved>,
    wake: Arc<Wake>,
}

impl Dirty {
    /// A mark that wakes `wake` on changes.
    #[must_use]
    pub fn new(wake: Arc<Wake>) -> Self {
        Self { changed: AtomicU64::new(0), saved: watch::Sender::new(Saved::default()), wake }
    }

    /// Records a change made in memory; returns its generation.
    pub fn mark(&self) -> u64 {
        let generation = self.changed.fetch_add(1, Ordering::AcqRel) + 1;
        self.wake.changed(false);
        generation
    }

    /// The generation of the latest change.
    #[must_use]
    pub fn changed(&self) -> u64 {
        self.changed.load(Ordering::Acquire)
    }

    /// The generation saved last.
    #[must_use]
    pub fn saved(&self) -> u64 {
        self.saved.borrow().generation
    }

    /// Records the outcome of a save that covered every change up to `generation`.
    pub fn record(&self, generation: u64, outcome: Result<(), String>) {
        self.saved.send_modify(|s| {
            s.attempts += 1;
            match outcome {
                Ok(()) => {
                    s.generation = s.generation.max(generation);
                    s.failed = None;
                }
                Err(cause) => s.failed = Some((generation, cause)),
            }
        });
    }

    /// Waits until the change of `generation` is on disk, asking the writer to save at once.
    /// Fails with the cause when a save covering it, attempted since the wait began, failed, or
    /// after 10 s.
    pub async fn wait(&self, generation: u64) -> Result<(), String> {
        let mut rx = self.saved.subscribe();
        let since = rx.borrow().attempts;
        self.wake.changed(true);
        let done = rx.wait_for(|s| {
            s.generation >= generation || (s.attempts > since && s.failed.as_ref().is_some_and(|f| f.0 >= generation))
        });
        let saved = match tokio::time::timeout(WAIT_LIMIT, done).await {
            Ok(Ok(s)) => s.clone(),
            Ok(Err(_)) => return Err("the metadata writer stopped".into()),
            Err(_) => return Err(format!("not saved within {} s", WAIT_LIMIT.as_secs())),
        };
        if saved.generation >= generation {
            return Ok(());
        }
        Err(saved.failed.map_or_else(String::new, |f| f.1))
    }
}

/// The writer's wake-up point: when the first unsaved change came, whether a caller waits, stop.
#[derive(Debug, Default)]
pub struct Wake {
    state: Mutex<WakeState>,
    cv: Condvar,
}

#[derive(Debug, Default)]
struct WakeState {
    first_change: Option<Instant>,
    urgent: bool,
    stop: bool,
}

/// Why the writer's wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Save what changed.
    Save,
    /// Save what changed, then stop.
    Stop,
}

impl Wake {
    /// A change (urgent when a caller waits for it).
    pub fn changed(&self, urgent: bool) {
        let mut s = self.state.lock();
        s.first_change.get_or_insert_with(Instant::now);
        s.urgent |= urgent;
        self.cv.notify_one();
    }

    /// Asks the writer to save what is left and stop.
    pub fn stop(&self) {
        self.state.lock().stop = true;
        self.cv.notify_one();
    }

    /// Blocks until a round is due: a change is `delay` old, a caller waits, or stop.
    pub fn next_round(&self, delay: Duration) -> Round {
        let mut s = self.state.lock();
        loop {
            if s.stop {
                return Round::Stop;
            }
            let due = s.first_change.map(|t| t + delay);
            if s.urgent || due.is_some_and(|d| d <= Instant::now()) {
                s.urgent = false;
                s.first_change = None;
                return Round::Save;
            }
            match due {
                Some(d) => {
                    self.cv.wait_until(&mut s, d);
                }
                None => self.cv.wait(&mut s),
            }
        }
    }

    /// Schedules another round after `delay` (a save failed; try again).
    pub fn retry_later(&self) {
        self.state.lock().first_change.get_or_insert_with(Instant::now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_sees_success_or_the_failure_covering_its_change() {
        let wake = Arc::new(Wake::default());
        let dirty = Dirty::new(Arc::clone(&wake));
        let first = dirty.mark();
        dirty.record(first, Err("disk full".into()));
        // That failure came before the wait: the waiter takes the next attempt's outcome.
        let (waiting, ()) = tokio::join!(dirty.wait(first), async {
            tokio::task::yield_now().await;
            dirty.record(first, Err("still full".into()));
        });
        assert_eq!(waiting, Err("still full".into()));
        let (waiting, ()) = tokio::join!(dirty.wait(first), async {
            tokio::task::yield_now().await;
            dirty.record(first, Ok(()));
        });
        assert_eq!(waiting, Ok(()), "a retry after the cause is gone succeeds");
        let second = dirty.mark();
        dirty.record(second, Ok(()));
        assert_eq!(dirty.wait(first).await, Ok(()));
        assert_eq!(dirty.wait(second).await, Ok(()));
        assert_eq!(dirty.saved(), second);
    }

    #[test]
    fn rounds_come_after_the_delay_or_at_once_when_urgent() {
        let wake = Wake::default();
        wake.changed(false);
        let t = Instant::now();
        assert_eq!(wake.next_round(Duration::from_millis(50)), Round::Save);
        assert!(t.elapsed() >= Duration::from_millis(50));
        wake.changed(true);
        assert_eq!(wake.next_round(Duration::from_secs(3600)), Round::Save);
        wake.stop();
        assert_eq!(wake.next_round(Duration::from_secs(3600)), Round::Stop);
    }
}
