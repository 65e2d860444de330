//! The Raft log and vote on disk, under `controllerStorePath`.
//!
//! `raft-log.jsonl` is an append-only file of records (an entry appended, a truncation, a
//! purge), one JSON object per line, fsynced before openraft is told an append is durable; at
//! open it is replayed into memory (a torn last line from a crash is dropped) and rewritten
//! without what was truncated or purged. `vote.json` is replaced whole (write, fsync, rename).
//! A controller's log is small (broker registrations and elections), so a simple file beats
//! an embedded database here: no extra dependency, and every byte is inspectable.

// openraft's StorageError is large by design and its traits return it.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{Entry, LogId, RaftLogId, StorageError, StorageIOError, Vote};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::TypeConfig;
use crate::error::ControllerError;

const LOG_FILE: &str = "raft-log.jsonl";
const VOTE_FILE: &str = "vote.json";

type StoreResult<T> = Result<T, StorageError<u64>>;
/// What replaying the log file gives: the live entries and the last purged id.
type Replayed = (BTreeMap<u64, Entry<TypeConfig>>, Option<LogId<u64>>);

/// One line of the log file.
#[derive(Serialize, Deserialize)]
enum Record {
    /// An entry appended.
    Append(Entry<TypeConfig>),
    /// Entries from this index on removed (a new leader overwrote them).
    Truncate(u64),
    /// Entries up to this id removed (kept in a snapshot).
    Purge(LogId<u64>),
}

struct Inner {
    dir: PathBuf,
    file: File,
    entries: BTreeMap<u64, Entry<TypeConfig>>,
    last_purged: Option<LogId<u64>>,
    vote: Option<Vote<u64>>,
}

/// The log store; clones share the same files and memory (one is openraft's log reader).
#[derive(Clone)]
pub struct LogStore {
    inner: Arc<Mutex<Inner>>,
}

fn store_err(path: &Path) -> impl Fn(std::io::Error) -> ControllerError + '_ {
    move |source| ControllerError::Store { path: path.display().to_string(), source }
}

impl LogStore {
    /// Opens (or creates) the log under `dir`, replaying and compacting it.
    pub fn open(dir: &Path) -> Result<Self, ControllerError> {
        std::fs::create_dir_all(dir).map_err(store_err(dir))?;
        let path = dir.join(LOG_FILE);
        let (entries, last_purged) = replay(&path)?;
        rewrite(&path, &entries, last_purged).map_err(store_err(&path))?;
        let file = OpenOptions::new().append(true).open(&path).map_err(store_err(&path))?;
        let vote = read_json(&dir.join(VOTE_FILE))?;
        let inner = Inner { dir: dir.to_owned(), file, entries, last_purged, vote };
        Ok(Self { inner: Arc::new(Mutex::new(inner)) })
    }

    /// Whether nothing was ever logged (a fresh controller).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        let inner = self.inner.lock();
        inner.entries.is_empty() && inner.last_purged.is_none() && inner.vote.is_none()
    }

    fn write(&self, records: &[Record]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        for r in records {
            serde_json::to_writer(&mut buf, r)?;
            buf.push(b'\n');
        }
        let mut inner = self.inner.lock();
        inner.file.write_all(&buf)?;
        inner.file.sync_data()
    }
}

fn replay(path: &Path) -> Result<Replayed, ControllerError> {
    let mut entries = BTreeMap::new();
    let mut purged = None;
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((entries, purged)),
        Err(e) => return Err(store_err(path)(e)),
    };
    for line in BufReader::new(file).lines() {
        let line = line.map_err(store_err(path))?;
        let Ok(record) = serde_json::from_str::<Record>(&line) else {
            tracing::warn!(path = %path.display(), "dropping a torn last record of the raft log");
            break;
        };
        match record {
            Record::Append(e) => {
                entries.insert(e.log_id.index, e);
            }
            Record::Truncate(from) => entries.retain(|i, _| *i < from),
            Record::Purge(upto) => {
                entries.retain(|i, _| *i > upto.index);
                purged = Some(upto);
            }
        }
    }
    Ok((entries, purged))
}

/// Writes the live records to a new file and renames it over the old one.
fn rewrite(path: &Path, entries: &BTreeMap<u64, Entry<TypeConfig>>, purged: Option<LogId<u64>>) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut out = std::io::BufWriter::new(File::create(&tmp)?);
    if let Some(p) = purged {
        serde_json::to_writer(&mut out, &Record::Purge(p))?;
        out.write_all(b"\n")?;
    }
    for e in entries.values() {
        serde_json::to_writer(&mut out, &Record::Append(e.clone()))?;
        out.write_all(b"\n")?;
    }
    out.into_inner().map_err(std::io::IntoInnerError::into_error)?.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Replaces `path` with `value` as JSON: write, fsync, rename.
pub(crate) fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(&serde_json::to_vec(value)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Reads a JSON file written by [`write_json_atomic`]; `None` when absent.
pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, ControllerError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| store_err(path)(std::io::Error::new(std::io::ErrorKind::InvalidData, e))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(store_err(path)(e)),
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> StoreResult<Vec<Entry<TypeConfig>>> {
        Ok(self.inner.lock().entries.range(range).map(|(_, e)| e.clone()).collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> StoreResult<LogState<TypeConfig>> {
        let inner = self.inner.lock();
        let last = inner.entries.values().next_back().map(|e| *e.get_log_id()).or(inner.last_purged);
        Ok(LogState { last_purged_log_id: inner.last_purged, last_log_id: last })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> StoreResult<()> {
        let path = self.inner.lock().dir.join(VOTE_FILE);
        write_json_atomic(&path, vote).map_err(|e| StorageIOError::write_vote(&e))?;
        self.inner.lock().vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> StoreResult<Option<Vote<u64>>> {
        Ok(self.inner.lock().vote)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> StoreResult<()>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<_> = entries.into_iter().collect();
        let records: Vec<Record> = entries.iter().cloned().map(Record::Append).collect();
        let result = self.write(&records);
        if result.is_ok() {
            let mut inner = self.inner.lock();
            for e in entries {
                inner.entries.insert(e.log_id.index, e);
            }
        }
        let err = result.as_ref().err().map(StorageIOError::write_logs);
        callback.log_io_completed(result);
        err.map_or(Ok(()), |e| Err(e.into()))
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> StoreResult<()> {
        self.write(&[Record::Truncate(log_id.index)]).map_err(|e| StorageIOError::write_logs(&e))?;
        self.inner.lock().entries.retain(|i, _| *i < log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> StoreResult<()> {
        self.write(&[Record::Purge(log_id)]).map_err(|e| StorageIOError::write_logs(&e))?;
        let mut inner = self.inner.lock();
        inner.entries.retain(|i, _| *i > log_id.index);
        inner.last_purged = Some(log_id);
        Ok(())
    }
}
