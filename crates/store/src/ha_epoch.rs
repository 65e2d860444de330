//! The epoch cache of controller mode (RocketMQ 5's `EpochFileCache`): which master epoch wrote
//! which span of the commit log. Entries are `epoch -> start offset`; an entry ends where the
//! next one starts, the last one at the log's end. A broker adds an entry when it becomes
//! master; a slave (or an old master rejoining) cuts its log back to the last offset its entries
//! agree on with the new master's ([`consistent_point`]) before it replicates.
//!
//! The pure rules (append, truncation, the agreement point) work on [`EpochCache`] in memory;
//! [`EpochFile`] keeps one durably in `<store>/epochFileCheckpoint`, one `epoch-startOffset` line
//! per entry, written to a temp file, fsynced and renamed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One span of the log: written by the master of `epoch` from `start_offset` to `end_offset`
/// (exclusive; the log's end for the last entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    /// The master epoch.
    pub epoch: u32,
    /// First commit-log offset of the epoch.
    pub start_offset: u64,
    /// Where the epoch ends (exclusive).
    pub end_offset: u64,
}

/// Why an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochError {
    /// Epochs only grow.
    #[error("epoch {epoch} is not newer than the last epoch {last}")]
    StaleEpoch {
        /// The refused epoch.
        epoch: u32,
        /// The newest epoch known.
        last: u32,
    },
    /// Start offsets never go back.
    #[error("epoch {epoch} starts at {start}, before the last epoch's start {last_start}")]
    StartBehind {
        /// The refused epoch.
        epoch: u32,
        /// Its start.
        start: u64,
        /// The start of the newest epoch.
        last_start: u64,
    },
}

/// Epoch entries in memory: start offset by epoch, both increasing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpochCache {
    starts: BTreeMap<u32, u64>,
}

impl EpochCache {
    /// An empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache from `(epoch, start)` pairs, checked as [`Self::append`] checks them.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u32, u64)>) -> Result<Self, EpochError> {
        let mut c = Self::new();
        for (epoch, start) in pairs {
            c.append(epoch, start)?;
        }
        Ok(c)
    }

    /// Adds `epoch` starting at `start`. Re-adding the last entry as it is changes nothing.
    pub fn append(&mut self, epoch: u32, start: u64) -> Result<(), EpochError> {
        if let Some((&last, &last_start)) = self.starts.last_key_value() {
            if last == epoch && last_start == start {
                return Ok(());
            }
            if epoch <= last {
                return Err(EpochError::StaleEpoch { epoch, last });
            }
            if start < last_start {
                return Err(EpochError::StartBehind { epoch, start, last_start });
            }
        }
        self.starts.insert(epoch, start);
        Ok(())
    }

    /// The newest epoch, if any.
    #[must_use]
    pub fn last_epoch(&self) -> Option<u32> {
        self.starts.last_key_value().map(|(e, _)| *e)
    }

    /// Whether there is no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// `(epoch, start)` pairs in order.
    #[must_use]
    pub fn pairs(&self) -> Vec<(u32, u64)> {
        self.starts.iter().map(|(e, s)| (*e, *s)).collect()
    }

    /// The entries with their ends, the last ending at `log_end`.
    #[must_use]
    pub fn entries(&self, log_end: u64) -> Vec<EpochEntry> {
        let pairs = self.pairs();
        let ends = pairs.iter().skip(1).map(|(_, s)| *s).chain(std::iter::once(log_end));
        pairs
            .iter()
            .zip(ends)
            .map(|(&(epoch, start_offset), end)| EpochEntry { epoch, start_offset, end_offset: end.max(start_offset) })
            .collect()
    }

    /// The epoch that wrote `offset`: the newest entry starting at or before it.
    #[must_use]
    pub fn epoch_of(&self, offset: u64) -> Option<u32> {
        self.starts.iter().rev().find(|(_, s)| **s <= offset).map(|(e, _)| *e)
    }

    /// The log was cut back to `offset`: entries starting at or after it go (the cut removed
    /// everything they wrote). Returns whether anything changed.
    pub fn truncate_suffix(&mut self, offset: u64) -> bool {
        let before = self.starts.len();
        self.starts.retain(|_, s| *s < offset);
        before != self.starts.len()
    }

    /// The log's head was deleted up to `min_offset`: entries that ended before it go, and the
    /// first kept one starts no earlier than it. Returns whether anything changed.
    pub fn truncate_prefix(&mut self, min_offset: u64) -> bool {
        let pairs = self.pairs();
        let keep_from = pairs.iter().rposition(|(_, s)| *s <= min_offset).unwrap_or(0);
        let mut changed = false;
        for (i, (epoch, start)) in pairs.iter().enumerate() {
            if i < keep_from {
                self.starts.remove(epoch);
                changed = true;
            } else if i == keep_from && *start < min_offset {
                self.starts.insert(*epoch, min_offset);
                changed = true;
            }
        }
        changed
    }
}

/// Where a follower's log (`local`) stops agreeing with the master's (`master`), both as
/// [`EpochCache::entries`]: the newest local epoch the master also has with the same start,
/// cut at the shorter of the two ends. `None` when no epoch agrees (the follower has nothing
/// in common with the master and must drop its log).
#[must_use]
pub fn consistent_point(local: &[EpochEntry], master: &[EpochEntry]) -> Option<u64> {
    local.iter().rev().find_map(|l| {
        master
            .iter()
            .find(|m| m.epoch == l.epoch && m.start_offset == l.start_offset)
            .map(|m| m.end_offset.min(l.end_offset))
    })
}

/// Where a follower must cut its log, ending at `local_end`, before it follows a master:
/// `None` when nothing has to go. A follower with no entry keeps its log only if it is empty.
#[must_use]
pub fn truncation_point(local: &EpochCache, local_end: u64, master: &[EpochEntry], log_min: u64) -> Option<u64> {
    let cut = if local.is_empty() {
        if local_end > log_min {
            log_min
        } else {
            return None;
        }
    } else {
        consistent_point(&local.entries(local_end), master).unwrap_or(log_min)
    };
    (cut < local_end).then_some(cut)
}

/// An [`EpochCache`] kept durably in a file.
#[derive(Debug)]
pub struct EpochFile {
    path: PathBuf,
    cache: EpochCache,
}

/// The file name under the store's root, as RocketMQ names it.
pub const EPOCH_FILE: &str = "epochFileCheckpoint";

impl EpochFile {
    /// Loads `<root>/epochFileCheckpoint` (empty when missing; unreadable lines are an error).
    pub fn load(root: &Path) -> std::io::Result<Self> {
        let path = root.join(EPOCH_FILE);
        let cache = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => EpochCache::new(),
            Err(e) => return Err(e),
        };
        Ok(Self { path, cache })
    }

    /// The entries in memory.
    #[must_use]
    pub fn cache(&self) -> &EpochCache {
        &self.cache
    }

    /// Appends an entry and saves the file before returning.
    pub fn append(&mut self, epoch: u32, start: u64) -> std::io::Result<()> {
        let mut next = self.cache.clone();
        next.append(epoch, start).map_err(std::io::Error::other)?;
        self.replace(next)
    }

    /// Cuts entries at `offset` (see [`EpochCache::truncate_suffix`]) and saves.
    pub fn truncate_suffix(&mut self, offset: u64) -> std::io::Result<()> {
        let mut next = self.cache.clone();
        if next.truncate_suffix(offset) {
            self.replace(next)?;
        }
        Ok(())
    }

    /// Cuts entries before `min_offset` (see [`EpochCache::truncate_prefix`]) and saves.
    pub fn truncate_prefix(&mut self, min_offset: u64) -> std::io::Result<()> {
        let mut next = self.cache.clone();
        if next.truncate_prefix(min_offset) {
            self.replace(next)?;
        }
        Ok(())
    }

    fn replace(&mut self, next: EpochCache) -> std::io::Result<()> {
        let text: String = next.pairs().iter().map(|(e, s)| format!("{e}-{s}\n")).collect();
        let tmp = self.path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        self.cache = next;
        Ok(())
    }
}

fn parse(text: &str) -> std::io::Result<EpochCache> {
    let bad = |line: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad epoch line {line:?}"));
    let mut pairs = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (e, s) = line.split_once('-').ok_or_else(|| bad(line))?;
        pairs.push((e.parse().map_err(|_| bad(line))?, s.parse().map_err(|_| bad(line))?));
    }
    EpochCache::from_pairs(pairs).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
#[path = "ha_epoch_tests.rs"]
mod tests;
