//! The key index, in RocketMQ's on-disk layout: files named `yyyyMMddHHmmssSSS` under
//! `<root>/index`, each a 40-byte header, a table of hash slots and a run of 20-byte entries
//! chained per slot (newest first).
//!
//! Header: beginTimestamp, endTimestamp, beginPhyOffset, endPhyOffset (i64 each), hashSlotCount,
//! indexCount (i32 each), big-endian. Slot: i32 number of the newest entry of that slot (0 = none).
//! Entry: keyHash i32, phyOffset i64, timeDiff i32 (seconds after beginTimestamp), prevIndex i32.
//! Entry numbers start at 1. Writers are serialised by the store's writer lock; readers walk
//! chains concurrently and check every hit against the message itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::mapped_file::MappedFile;

const HEADER: usize = 40;
const SLOT: usize = 4;
const ENTRY: usize = 20;

/// The index's size knobs (RocketMQ's maxHashSlotNum and maxIndexNum).
#[derive(Debug, Clone, Copy)]
pub struct IndexShape {
    /// Hash slots per file (default 5 000 000).
    pub slots: u32,
    /// Entries per file (default 20 000 000).
    pub entries: u32,
}

impl IndexShape {
    fn file_size(self) -> usize {
        HEADER + self.slots as usize * SLOT + self.entries as usize * ENTRY
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Header {
    begin_ts: i64,
    end_ts: i64,
    begin_phy: i64,
    end_phy: i64,
    slot_count: i32,
    /// Next entry number; 1 for an empty file.
    count: i32,
}

impl Header {
    fn encode(&self) -> [u8; HEADER] {
        let mut b = [0u8; HEADER];
        b[0..8].copy_from_slice(&self.begin_ts.to_be_bytes());
        b[8..16].copy_from_slice(&self.end_ts.to_be_bytes());
        b[16..24].copy_from_slice(&self.begin_phy.to_be_bytes());
        b[24..32].copy_from_slice(&self.end_phy.to_be_bytes());
        b[32..36].copy_from_slice(&self.slot_count.to_be_bytes());
        b[36..40].copy_from_slice(&self.count.to_be_bytes());
        b
    }

    fn decode(b: &[u8]) -> Self {
        let l = |i: usize| b.get(i..i + 8).and_then(|s| <[u8; 8]>::try_from(s).ok()).map_or(0, i64::from_be_bytes);
        let w = |i: usize| b.get(i..i + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map_or(0, i32::from_be_bytes);
        Self { begin_ts: l(0), end_ts: l(8), begin_phy: l(16), end_phy: l(24), slot_count: w(32), count: w(36).max(1) }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: i32,
    phy: i64,
    time_diff: i32,
    prev: i32,
}

/// One index file.
#[derive(Debug)]
struct IndexFile {
    map: MappedFile,
    shape: IndexShape,
    header: Mutex<Header>,
}

/// RocketMQ's key hash: `abs(String.hashCode())`, with `Integer.MIN_VALUE` mapped to 0.
fn key_hash(key: &str) -> i32 {
    let h = rmq_common::hash::java_hash(key);
    if h == i32::MIN {
        0
    } else {
        h.abs()
    }
}

impl IndexFile {
    fn open(path: &Path, shape: IndexShape) -> std::io::Result<Self> {
        let map = MappedFile::open(path, 0, shape.file_size())?;
        let header = Header::decode(&map.read(0, HEADER));
        Ok(Self { map, shape, header: Mutex::new(header) })
    }

    fn slot_pos(&self, hash: i32) -> usize {
        HEADER + (hash.unsigned_abs() % self.shape.slots) as usize * SLOT
    }

    fn entry_pos(&self, n: i32) -> usize {
        HEADER + self.shape.slots as usize * SLOT + usize::try_from(n).unwrap_or(0) * ENTRY
    }

    fn read_i32(&self, pos: usize) -> i32 {
        self.map.with_slice(pos, 4, |b| <[u8; 4]>::try_from(b).map_or(0, i32::from_be_bytes))
    }

    fn entry(&self, n: i32) -> Entry {
        self.map.with_slice(self.entry_pos(n), ENTRY, |b| {
            let w = |i: usize| b.get(i..i + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map_or(0, i32::from_be_bytes);
            let phy = b.get(4..12).and_then(|s| <[u8; 8]>::try_from(s).ok()).map_or(0, i64::from_be_bytes);
            Entry { hash: w(0), phy, time_diff: w(12), prev: w(16) }
        })
    }

    fn header(&self) -> Header {
        *self.header.lock()
    }

    fn is_full(&self) -> bool {
        self.header.lock().count >= i32::try_from(self.shape.entries).unwrap_or(i32::MAX)
    }

    /// Adds one key; false when the file is full.
    fn put(&self, key: &str, phy: i64, store_ts: i64) -> bool {
        let mut h = self.header.lock();
        if h.count >= i32::try_from(self.shape.entries).unwrap_or(i32::MAX) {
            return false;
        }
        let hash = key_hash(key);
        let slot_pos = self.slot_pos(hash);
        let mut head = self.read_i32(slot_pos);
        if head <= 0 || head > h.count {
            head = 0;
        }
        let time_diff = if h.count <= 1 || h.begin_ts <= 0 {
            0
        } else {
            i32::try_from(((store_ts - h.begin_ts) / 1000).max(0)).unwrap_or(i32::MAX)
        };
        let n = h.count;
        let mut e = [0u8; ENTRY];
        e[0..4].copy_from_slice(&hash.to_be_bytes());
        e[4..12].copy_from_slice(&phy.to_be_bytes());
        e[12..16].copy_from_slice(&time_diff.to_be_bytes());
        e[16..20].copy_from_slice(&head.to_be_bytes());
        self.map.write(self.entry_pos(n), &e);
        self.map.write(slot_pos, &n.to_be_bytes());
        if n <= 1 {
            h.begin_ts = store_ts;
            h.begin_phy = phy;
        }
        if head == 0 {
            h.slot_count += 1;
        }
        h.count = n + 1;
        h.end_ts = store_ts;
        h.end_phy = phy;
        self.map.write(0, &h.encode());
        true
    }

    /// Offsets of entries whose hash matches `key` and time is in `[begin, end]`, newest first.
    fn lookup(&self, key: &str, begin: i64, end: i64, max: usize, out: &mut Vec<i64>) {
        let h = self.header();
        let hash = key_hash(key);
        let mut n = self.read_i32(self.slot_pos(hash));
        let mut steps = 0;
        while n > 0 && n < h.count && out.len() < max && steps < h.count {
            let e = self.entry(n);
            let at = h.begin_ts + i64::from(e.time_diff) * 1000;
            if e.hash == hash && at >= begin - 999 && at <= end {
                out.push(e.phy);
            }
            if e.prev == n || e.time_diff < 0 || at < begin - 999 {
                break;
            }
            n = e.prev;
            steps += 1;
        }
    }

    /// Drops entries for commit-log offsets at or past `phy` (newest first), unlinking them from
    /// their slots, so recovery can re-add them from the log.
    fn truncate_from(&self, phy: i64) {
        let mut h = self.header.lock();
        let mut n = h.count - 1;
        while n >= 1 {
            let e = self.entry(n);
            if e.phy < phy && !(e.phy == 0 && e.hash == 0 && e.time_diff == 0) {
                break;
            }
            let slot_pos = self.slot_pos(e.hash);
            if self.read_i32(slot_pos) == n {
                let prev = if e.prev > 0 && e.prev < n { e.prev } else { 0 };
                self.map.write(slot_pos, &prev.to_be_bytes());
                if prev == 0 {
                    h.slot_count -= 1;
                }
            }
            self.map.write(self.entry_pos(n), &[0u8; ENTRY]);
            n -= 1;
        }
        h.count = n + 1;
        if n >= 1 {
            let last = self.entry(n);
            h.end_phy = last.phy;
            h.end_ts = h.begin_ts + i64::from(last.time_diff) * 1000;
        } else {
            *h = Header { count: 1, ..Header::default() };
        }
        self.map.write(0, &h.encode());
    }
}

/// All index files of a store.
#[derive(Debug)]
pub struct IndexService {
    dir: PathBuf,
    shape: IndexShape,
    files: RwLock<Vec<Arc<IndexFile>>>,
    /// The newest file (by address) and its entry count when last flushed.
    flushed: Mutex<(usize, i32)>,
}

impl IndexService {
    /// Opens every index file in `dir`, oldest first.
    pub fn open(dir: &Path, shape: IndexShape) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| rmq_common::time::parse_compact_millis(n).is_some())
            .collect();
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        for n in names {
            let path = dir.join(n);
            if crate::leftover::is_failed_allocation(&path, shape.file_size()) {
                crate::leftover::remove(&path, "index");
                continue;
            }
            files.push(Arc::new(IndexFile::open(&path, shape)?));
        }
        Ok(Self { dir: dir.to_owned(), shape, files: RwLock::new(files), flushed: Mutex::new((0, 0)) })
    }

    /// Drops every entry for commit-log offsets at or past `phy` (whole files when they start
    /// there), before recovery re-indexes the log from `phy`.
    pub fn truncate_from(&self, phy: i64) {
        let mut files = self.files.write();
        *self.flushed.lock() = (0, 0);
        while let Some(last) = files.last() {
            let h = last.header();
            if h.count > 1 && h.begin_phy < phy {
                if h.end_phy >= phy {
                    last.truncate_from(phy);
                }
                break;
            }
            let _ = std::fs::remove_file(last.map.path());
            files.pop();
        }
    }

    /// Indexes `keys` (already `topic#key`) of the record at `phy`.
    pub fn put(&self, keys: &[String], phy: i64, store_ts: i64) -> std::io::Result<()> {
        for key in keys {
            let mut file = self.current(store_ts)?;
            if !file.put(key, phy, store_ts) {
                file = self.roll(store_ts)?;
                file.put(key, phy, store_ts);
            }
        }
        Ok(())
    }

    fn current(&self, now: i64) -> std::io::Result<Arc<IndexFile>> {
        if let Some(f) = self.files.read().last().filter(|f| !f.is_full()) {
            return Ok(Arc::clone(f));
        }
        self.roll(now)
    }

    fn roll(&self, now: i64) -> std::io::Result<Arc<IndexFile>> {
        let mut files = self.files.write();
        if let Some(f) = files.last().filter(|f| !f.is_full()) {
            return Ok(Arc::clone(f));
        }
        // Names must sort after every existing file, even within the same millisecond.
        let mut at = now;
        if let Some(last) = files.last() {
            let last_ms =
                last.map.path().file_name().and_then(|n| n.to_str()).and_then(rmq_common::time::parse_compact_millis);
            if let Some(ms) = last_ms {
                at = at.max(ms + 1);
            }
            // The full file goes to disk now; later flushes only cover the newest file.
            last.map.flush(0, last.map.size())?;
        }
        let path = self.dir.join(rmq_common::time::compact_millis(at));
        let f = Arc::new(IndexFile::open(&path, self.shape)?);
        files.push(Arc::clone(&f));
        tracing::info!(file = %path.display(), "new index file");
        Ok(f)
    }

    /// Commit-log offsets of messages indexed under `key` with store times in `[begin, end]`,
    /// newest first, at most `max` (hash matches: the caller checks the messages).
    #[must_use]
    pub fn lookup(&self, key: &str, begin: i64, end: i64, max: usize) -> Vec<i64> {
        let files: Vec<Arc<IndexFile>> = self.files.read().clone();
        let mut out = Vec::new();
        for f in files.iter().rev() {
            if out.len() >= max {
                break;
            }
            let h = f.header();
            if h.count <= 1 || h.end_ts < begin - 999 || h.begin_ts > end {
                continue;
            }
            f.lookup(key, begin, end, max, &mut out);
        }
        out
    }

    /// Writes the newest file to disk, unless no entry was added since the last time.
    pub fn flush(&self) -> std::io::Result<()> {
        let Some(last) = self.files.read().last().cloned() else { return Ok(()) };
        let state = (Arc::as_ptr(&last) as usize, last.header().count);
        let mut flushed = self.flushed.lock();
        if *flushed == state {
            return Ok(());
        }
        last.map.flush(0, last.map.size())?;
        *flushed = state;
        Ok(())
    }

    /// Deletes files that only cover commit-log offsets below `log_min` (the newest file stays).
    pub fn delete_before(&self, log_min: i64) {
        let mut files = self.files.write();
        while files.len() > 1 && files.first().is_some_and(|f| f.header().end_phy < log_min) {
            let f = files.remove(0);
            let _ = std::fs::remove_file(f.map.path());
        }
    }

    /// The newest entry's store time and commit-log offset.
    #[must_use]
    pub fn last_update(&self) -> (i64, i64) {
        self.files.read().last().map_or((0, 0), |f| {
            let h = f.header();
            (h.end_ts, h.end_phy)
        })
    }

    /// Number of index files.
    #[must_use]
    pub fn file_count(&self) -> usize {
        self.files.read().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rmq-index-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn layout_matches_rocketmq() {
        let dir = tmp("layout");
        let shape = IndexShape { slots: 8, entries: 4 };
        let idx = IndexService::open(&dir, shape).unwrap();
        idx.put(&["T#k1".into()], 100, 1_000_000).unwrap();
        idx.put(&["T#k1".into()], 200, 1_003_500).unwrap();
        drop(idx);
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        let b = std::fs::read(&files[0]).unwrap();
        assert_eq!(b.len(), 40 + 8 * 4 + 4 * 20);
        let h = Header::decode(&b);
        assert_eq!(
            (h.begin_ts, h.end_ts, h.begin_phy, h.end_phy, h.slot_count, h.count),
            (1_000_000, 1_003_500, 100, 200, 1, 3)
        );
        let hash = key_hash("T#k1");
        let slot = 40 + usize::try_from(hash.unsigned_abs() % 8).unwrap() * 4;
        assert_eq!(i32::from_be_bytes(b[slot..slot + 4].try_into().unwrap()), 2);
        let e2 = 40 + 32 + 2 * 20;
        assert_eq!(i32::from_be_bytes(b[e2..e2 + 4].try_into().unwrap()), hash);
        assert_eq!(i64::from_be_bytes(b[e2 + 4..e2 + 12].try_into().unwrap()), 200);
        assert_eq!(i32::from_be_bytes(b[e2 + 12..e2 + 16].try_into().unwrap()), 3);
        assert_eq!(i32::from_be_bytes(b[e2 + 16..e2 + 20].try_into().unwrap()), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rolls_queries_truncates_and_reopens() {
        let dir = tmp("roll");
        let shape = IndexShape { slots: 4, entries: 5 };
        let idx = IndexService::open(&dir, shape).unwrap();
        for i in 0..10i64 {
            let key = if i % 2 == 0 { "T#even" } else { "T#odd" };
            idx.put(&[key.to_owned()], i * 10, 1_000_000 + i * 1000).unwrap();
        }
        assert_eq!(idx.file_count(), 3, "4 entries per file");
        assert_eq!(idx.lookup("T#even", 0, i64::MAX, 100), vec![80, 60, 40, 20, 0]);
        assert_eq!(idx.lookup("T#even", 0, i64::MAX, 2), vec![80, 60]);
        assert_eq!(idx.lookup("T#odd", 1_003_000, 1_007_000, 100), vec![70, 50, 30]);
        assert!(idx.lookup("T#none", 0, i64::MAX, 100).is_empty());
        idx.truncate_from(50);
        assert_eq!(idx.file_count(), 2);
        assert_eq!(idx.lookup("T#odd", 0, i64::MAX, 100), vec![30, 10]);
        assert_eq!(idx.last_update(), (1_004_000, 40));
        drop(idx);
        let idx = IndexService::open(&dir, shape).unwrap();
        assert_eq!(idx.lookup("T#even", 0, i64::MAX, 100), vec![40, 20, 0]);
        idx.put(&["T#odd".into()], 50, 1_005_000).unwrap();
        assert_eq!(idx.lookup("T#odd", 0, i64::MAX, 100), vec![50, 30, 10]);
        idx.delete_before(45);
        assert_eq!(idx.file_count(), 1);
        assert_eq!(idx.lookup("T#odd", 0, i64::MAX, 100), vec![50]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
