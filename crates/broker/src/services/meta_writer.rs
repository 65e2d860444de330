//! The metadata writer: one thread that saves the changed tables (topics.json,
//! subscriptionGroup.json, consumerOffset.json) in batches. Requests change tables in memory and
//! never write files; a change waits at most `metadataPersistMaxDelayMs` (plus the write) before
//! it is saved, all changes of that window in one write per file. A caller that must not answer
//! before its change is durable asks for the save at once and waits for it (`Dirty::wait`).
//! A failed save is logged and retried after the same delay; its waiters get the cause.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

use crate::state::dirty::{Persisted, Round, Wake};

/// The running writer.
#[derive(Debug)]
pub struct MetaWriter {
    wake: Arc<Wake>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl MetaWriter {
    /// Starts the writer thread over `tables`, woken through `wake`.
    pub fn start(wake: Arc<Wake>, tables: Vec<Arc<dyn Persisted>>, delay: Duration) -> std::io::Result<Self> {
        let w = Arc::clone(&wake);
        let thread = std::thread::Builder::new().name("meta-writer".into()).spawn(move || loop {
            let round = w.next_round(delay);
            if !save_changed(&tables) {
                w.retry_later();
            }
            if round == Round::Stop {
                break;
            }
        })?;
        Ok(Self { wake, thread: Mutex::new(Some(thread)) })
    }

    /// Saves what is left and stops the thread (shutdown).
    pub fn stop(&self) {
        self.wake.stop();
        if let Some(t) = self.thread.lock().take() {
            if t.join().is_err() {
                tracing::error!("the metadata writer panicked");
            }
        }
    }
}

/// Saves every table changed since its last save; false when a save failed.
pub fn save_changed(tables: &[Arc<dyn Persisted>]) -> bool {
    let mut all_saved = true;
    for table in tables {
        let dirty = table.dirty();
        let generation = dirty.changed();
        if generation <= dirty.saved() {
            continue;
        }
        let outcome = table.save(generation).map_err(|e| e.to_string());
        if let Err(cause) = &outcome {
            tracing::error!(file = table.name(), %cause, "saving metadata failed; retrying");
            all_saved = false;
        }
        dirty.record(generation, outcome);
    }
    all_saved
}
