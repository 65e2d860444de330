//! The POP journal: every checkpoint, ack, finish and cursor move appended as one JSON line to
//! `<storePathRootDir>/pop/journal`, written before the request is answered, so a broker killed
//! with SIGKILL replays it at start (the page cache keeps what was written; the revive loop also
//! syncs it to disk every second). Compacted at start and when it grows: the live state is
//! written to a temp file that replaces the journal.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::table::{Checkpoint, PopTable, QueueKey};

/// One journal record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "lowercase")]
pub enum Record {
    /// A checkpoint, and the cursor after it (None for a re-checkpoint).
    Ck {
        /// The checkpoint.
        ck: Checkpoint,
        /// New cursor.
        next: Option<i64>,
    },
    /// An ack of one offset of a checkpoint.
    Ack {
        /// Checkpoint id.
        id: u64,
        /// Offset.
        off: i64,
    },
    /// A checkpoint finished (all acked, or its unacked messages revived).
    End {
        /// Checkpoint id.
        id: u64,
    },
    /// An orderly batch expired (cursor back to its first unacked offset).
    OrderExpired {
        /// Checkpoint id.
        id: u64,
    },
    /// An orderly queue's delivery counts (written by compaction).
    Counts {
        /// The queue.
        key: QueueKey,
        /// (offset, deliveries before) pairs.
        counts: Vec<(i64, i32)>,
    },
    /// A cursor.
    Cur {
        /// The queue.
        key: QueueKey,
        /// Next offset to pop.
        next: i64,
    },
}

/// Applies a record to the table (replay and live use share this).
pub fn apply(table: &mut PopTable, record: &Record) {
    match record {
        Record::Ck { ck, next } => table.add(ck.clone(), *next),
        Record::Ack { id, off } => {
            table.ack_id(*id, *off);
        }
        Record::End { id } => {
            table.finish(*id);
        }
        Record::OrderExpired { id } => {
            table.expire_order(*id);
        }
        Record::Cur { key, next } => table.set_cursor(key, *next),
        Record::Counts { key, counts } => table.set_order_counts(key, counts),
    }
}

/// The append-only journal file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    lines: u64,
}

impl Journal {
    /// Opens the journal under `dir`, replays it into a new table and compacts it.
    pub fn open(dir: &Path) -> std::io::Result<(Self, PopTable)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("journal");
        let mut table = PopTable::default();
        if let Ok(f) = File::open(&path) {
            for line in BufReader::new(f).lines() {
                let line = line?;
                // A torn last line (killed mid-write) is skipped.
                if let Ok(record) = serde_json::from_str::<Record>(&line) {
                    apply(&mut table, &record);
                }
            }
        }
        let file = compact(&path, &table)?;
        let (cursors, cks) = table.snapshot();
        let lines = (cursors.len() + cks.len()) as u64;
        Ok((Self { path, file, lines }, table))
    }

    /// Appends records (one write per call).
    pub fn append(&mut self, records: &[Record]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        for r in records {
            serde_json::to_writer(&mut buf, r).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        self.file.write_all(&buf)?;
        self.lines += records.len() as u64;
        Ok(())
    }

    /// Syncs the journal to disk.
    pub fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }

    /// Rewrites the journal as the table's live state when it has grown past `max_lines`.
    pub fn maybe_compact(&mut self, table: &PopTable, max_lines: u64) -> std::io::Result<()> {
        let (cursors, cks) = table.snapshot();
        let live = (cursors.len() + cks.len()) as u64;
        if self.lines <= max_lines.max(live * 2) {
            return Ok(());
        }
        self.file = compact(&self.path, table)?;
        self.lines = live;
        Ok(())
    }
}

/// Writes the live state to a temp file, renames it over the journal and opens it for append.
fn compact(path: &Path, table: &PopTable) -> std::io::Result<File> {
    let (cursors, cks) = table.snapshot();
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        let mut buf = Vec::new();
        for (key, next) in cursors {
            serde_json::to_writer(&mut buf, &Record::Cur { key, next }).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        for (key, counts) in table.order_counts() {
            serde_json::to_writer(&mut buf, &Record::Counts { key, counts }).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        for ck in cks {
            // Replayed with its acks inside; the cursor is already set above.
            serde_json::to_writer(&mut buf, &Record::Ck { ck, next: None }).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        f.write_all(&buf)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    OpenOptions::new().append(true).open(path)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::services::pop::table::AckOutcome;

    #[test]
    fn replay_restores_checkpoints_acks_and_cursors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = QueueKey { group: "g".into(), topic: "T".into(), queue_id: 1 };
        {
            let (mut j, mut t) = Journal::open(dir.path()).expect("open");
            let ck = Checkpoint {
                id: t.next_id(),
                key: key.clone(),
                start: 4,
                pop_time: 100,
                invisible_time: 50,
                revive_qid: 0,
                order: false,
                offsets: vec![4, 5, 6],
                acked: BTreeSet::new(),
            };
            let records = [Record::Ck { ck, next: Some(7) }, Record::Ack { id: 1, off: 5 }];
            for r in &records {
                apply(&mut t, r);
            }
            j.append(&records).expect("append");
            // A torn line at the end is ignored.
            j.file.write_all(b"{\"k\":\"ack\",\"id\":1").expect("torn");
        }
        let (_j, mut t) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(t.cursor(&key), Some(7));
        assert_eq!(t.committable(&key), Some(4));
        assert_eq!(t.ack(&key, 4, 100, 5), AckOutcome::AlreadyAcked);
        assert_eq!(t.ack(&key, 4, 100, 4), AckOutcome::Acked { ck: 1, finished: false });
        assert_eq!(t.get(1).map(|c| c.pending().collect::<Vec<_>>()), Some(vec![6]));
        // Compacted at open: one cursor line and one checkpoint line.
        let text = std::fs::read_to_string(dir.path().join("journal")).expect("read");
        assert_eq!(text.lines().count(), 2, "{text}");
    }
}

#[cfg(test)]
mod order_tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn orderly_counts_survive_two_compactions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = QueueKey { group: "g".into(), topic: "T".into(), queue_id: 0 };
        {
            let (mut j, mut t) = Journal::open(dir.path()).expect("open");
            let ck = Checkpoint {
                id: t.next_id(),
                key: key.clone(),
                start: 0,
                pop_time: 10,
                invisible_time: 5,
                revive_qid: 999,
                order: true,
                offsets: vec![0, 1],
                acked: BTreeSet::from([0]),
            };
            let records = [Record::Ck { ck, next: Some(2) }, Record::OrderExpired { id: 1 }];
            for r in &records {
                apply(&mut t, r);
            }
            j.append(&records).expect("append");
        }
        for _ in 0..2 {
            let (_j, t) = Journal::open(dir.path()).expect("reopen");
            assert_eq!(t.cursor(&key), Some(1));
            assert_eq!((t.order_count(&key, 0), t.order_count(&key, 1)), (0, 1));
        }
    }
}
