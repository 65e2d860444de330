//! `QueueTable`: the consume queues of every topic, created on first dispatch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::consume_queue::ConsumeQueue;
use crate::offset::PhyOffset;

type Queues = HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>;

/// Every consume queue, under `<root>/consumequeue/<topic>/<queue id>`.
#[derive(Debug)]
pub(crate) struct QueueTable {
    dir: PathBuf,
    units_per_file: usize,
    queues: RwLock<Queues>,
}

impl QueueTable {
    /// Opens every queue found under `dir`.
    pub(crate) fn open(dir: PathBuf, units_per_file: usize) -> std::io::Result<Self> {
        let table = Self { dir, units_per_file, queues: RwLock::new(HashMap::new()) };
        let Ok(topics) = std::fs::read_dir(&table.dir) else { return Ok(table) };
        for t in topics.filter_map(Result::ok) {
            let topic = t.file_name().to_string_lossy().into_owned();
            let Ok(qs) = std::fs::read_dir(t.path()) else { continue };
            for q in qs.filter_map(Result::ok) {
                let Ok(qid) = q.file_name().to_string_lossy().parse::<i32>() else { continue };
                let cq = table
                    .open_queue(&q.path())
                    .map_err(|e| std::io::Error::new(e.kind(), format!("opening consume queue {topic}/{qid}: {e}")))?;
                table.queues.write().entry(topic.clone()).or_default().insert(qid, Arc::new(cq));
            }
        }
        Ok(table)
    }

    fn open_queue(&self, dir: &Path) -> std::io::Result<ConsumeQueue> {
        ConsumeQueue::open(dir, self.units_per_file, PhyOffset::MAX)
    }

    /// How many queues `topic` has (highest queue id + 1), if any was dispatched to.
    pub(crate) fn queue_count(&self, topic: &str) -> Option<i32> {
        self.queues.read().get(topic).and_then(|m| m.keys().max()).map(|q| q.saturating_add(1))
    }

    /// A queue, if it exists.
    pub(crate) fn get(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.queues.read().get(topic).and_then(|m| m.get(&queue_id)).cloned()
    }

    /// A queue, created if missing.
    pub(crate) fn get_or_create(&self, topic: &str, queue_id: i32) -> std::io::Result<Arc<ConsumeQueue>> {
        if let Some(q) = self.get(topic, queue_id) {
            return Ok(q);
        }
        let mut queues = self.queues.write();
        let m = queues.entry(topic.to_owned()).or_default();
        if let Some(q) = m.get(&queue_id) {
            return Ok(Arc::clone(q));
        }
        let cq = Arc::new(self.open_queue(&self.dir.join(topic).join(queue_id.to_string()))?);
        m.insert(queue_id, Arc::clone(&cq));
        Ok(cq)
    }

    /// The topics that have consume queues.
    pub(crate) fn topics(&self) -> Vec<String> {
        self.queues.read().keys().cloned().collect()
    }

    /// Every queue.
    pub(crate) fn all(&self) -> Vec<Arc<ConsumeQueue>> {
        self.queues.read().values().flat_map(|m| m.values().cloned()).collect()
    }

    /// Drops units past the commit log's end and below its start, in every queue.
    pub(crate) fn fit_to_log(&self, log_min: PhyOffset, log_end: PhyOffset) {
        for q in self.all() {
            q.truncate_to_log_end(log_end);
            q.correct_min(log_min);
        }
    }

    /// Drops units pointing at or past `log_end`, in every queue.
    pub(crate) fn truncate_to_log_end(&self, log_end: PhyOffset) {
        for q in self.all() {
            q.truncate_to_log_end(log_end);
        }
    }

    /// Moves every queue's min past units pointing below `log_min`; returns what each queue
    /// lost.
    pub(crate) fn correct_min(&self, log_min: PhyOffset) -> Vec<QueueCut> {
        let named: Vec<(String, i32, Arc<ConsumeQueue>)> = {
            let queues = self.queues.read();
            queues.iter().flat_map(|(t, m)| m.iter().map(|(q, cq)| (t.clone(), *q, Arc::clone(cq)))).collect()
        };
        let mut cuts = Vec::new();
        for (topic, queue_id, q) in named {
            let (from, to) = q.correct_min(log_min);
            if to > from {
                cuts.push(QueueCut { topic, queue_id, from, to });
            }
        }
        cuts
    }

    /// Flushes every queue with at least `least` unflushed bytes (every one with any when 0);
    /// stops at the first failure.
    pub(crate) fn flush(&self, least: u64) -> std::io::Result<()> {
        self.all().iter().try_for_each(|q| q.flush(least))
    }

    /// Deletes a topic's queues and their files.
    pub(crate) fn delete_topic(&self, topic: &str) {
        if let Some(qs) = self.queues.write().remove(topic) {
            for q in qs.values() {
                q.destroy();
            }
        }
        let _ = std::fs::remove_dir_all(self.dir.join(topic));
    }
}

/// The units of one queue that retention removed: logical offsets `from..to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCut {
    /// Topic.
    pub topic: String,
    /// Queue id.
    pub queue_id: i32,
    /// The queue's min offset before.
    pub from: i64,
    /// The queue's min offset after.
    pub to: i64,
}
