//! The timer wheel on disk: a ring of slots, one per tick (the timer precision), each the head of
//! a chain of entries in an append-only timer log. Memory use does not grow with the number of
//! pending messages: slots and entries live in files and are read with positioned I/O.
//!
//! `wheel`: `slots` × 16 bytes: tick (i64) | head (i64, entry index + 1; 0 = empty).
//! `timerlog/<20-digit first entry index>`: segments of `SEGMENT_ENTRIES` × 32-byte entries:
//! deliverMs (i64) | commit-log offset (i64) | size (i32) | magic (i32) | prev (i64, index + 1).
//!
//! Crash safety: the caller records `log_end()` after `sync()`; on open, entries at or past that
//! durable end are cut and slot heads that point at them are walked back to durable entries.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const SLOT: u64 = 16;
/// `SLOT` as a buffer length.
const SLOT_BYTES: usize = 16;
const ENTRY: u64 = 32;
/// `ENTRY` as a buffer length.
const ENTRY_BYTES: usize = 32;
const MAGIC: i32 = 0x7E1E_0A01;
/// Entries per timer-log segment (32 MiB files).
pub const SEGMENT_ENTRIES: u64 = 1 << 20;

/// One pending message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerEntry {
    /// When it is due, epoch ms.
    pub deliver_ms: i64,
    /// Its record in the commit log.
    pub phy: i64,
    /// Record size.
    pub size: i32,
}

#[derive(Debug)]
struct Segment {
    start: u64,
    path: PathBuf,
    file: File,
    /// Latest due time of the segment's entries (for reclaiming it).
    max_deliver_ms: i64,
    /// Lowest commit-log offset its entries point at.
    min_phy: i64,
}

/// Outcome of [`TimerWheel::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// Linked into its slot.
    Added,
    /// The slot still holds an undelivered chain of another tick (the cursor lags a full turn).
    SlotBusy,
}

/// The wheel and its log.
#[derive(Debug)]
pub struct TimerWheel {
    dir: PathBuf,
    slots: u64,
    wheel: File,
    segments: Vec<Segment>,
    log_end: u64,
}

fn read_i64(b: &[u8], at: usize) -> i64 {
    b.get(at..at + 8).and_then(|s| <[u8; 8]>::try_from(s).ok()).map_or(0, i64::from_be_bytes)
}

fn read_i32(b: &[u8], at: usize) -> i32 {
    b.get(at..at + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map_or(0, i32::from_be_bytes)
}

#[derive(Debug, Clone, Copy)]
struct RawEntry {
    entry: TimerEntry,
    valid: bool,
    prev: u64,
}

impl TimerWheel {
    /// Opens the wheel in `dir` with `slots` slots, keeping log entries below `durable_end`.
    pub fn open(dir: &Path, slots: u64, durable_end: u64) -> std::io::Result<Self> {
        let log_dir = dir.join("timerlog");
        std::fs::create_dir_all(&log_dir)?;
        let wheel = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(dir.join("wheel"))?;
        let fresh = wheel.metadata()?.len() != slots * SLOT;
        if fresh {
            // A new wheel, or a different size: start empty (and so must the log).
            wheel.set_len(0)?;
            wheel.set_len(slots * SLOT)?;
            for e in std::fs::read_dir(&log_dir)?.filter_map(Result::ok) {
                std::fs::remove_file(e.path())?;
            }
        }
        let mut starts: Vec<u64> = std::fs::read_dir(&log_dir)?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .collect();
        starts.sort_unstable();
        let durable_end = if fresh { 0 } else { durable_end };
        let mut w = Self { dir: dir.to_owned(), slots, wheel, segments: Vec::new(), log_end: durable_end };
        for start in starts {
            let path = log_dir.join(format!("{start:020}"));
            if start >= durable_end {
                std::fs::remove_file(&path)?;
                continue;
            }
            let file = OpenOptions::new().read(true).write(true).open(&path)?;
            let keep = (durable_end - start).min(SEGMENT_ENTRIES);
            let mut seg = Segment { start, path, file, max_deliver_ms: i64::MIN, min_phy: i64::MAX };
            w.scan_segment(&mut seg, keep)?;
            w.segments.push(seg);
        }
        w.repair_heads(durable_end)?;
        if let Some(last) = w.segments.last() {
            last.file.set_len((durable_end - last.start).min(SEGMENT_ENTRIES) * ENTRY)?;
        }
        Ok(w)
    }

    fn scan_segment(&self, seg: &mut Segment, entries: u64) -> std::io::Result<()> {
        let mut buf = vec![0u8; usize::try_from(entries * ENTRY).unwrap_or(0)];
        let read = read_fully(&seg.file, &mut buf, 0)?;
        for chunk in buf[..read].chunks_exact(ENTRY_BYTES) {
            if read_i32(chunk, 20) == MAGIC {
                seg.max_deliver_ms = seg.max_deliver_ms.max(read_i64(chunk, 0));
                seg.min_phy = seg.min_phy.min(read_i64(chunk, 8));
            }
        }
        Ok(())
    }

    /// Walks heads that point at or past `durable_end` back to durable entries.
    fn repair_heads(&mut self, durable_end: u64) -> std::io::Result<()> {
        let mut table = vec![0u8; usize::try_from(self.slots * SLOT).unwrap_or(0)];
        read_fully(&self.wheel, &mut table, 0)?;
        for slot in 0..self.slots {
            let at = usize::try_from(slot * SLOT).unwrap_or(0);
            let head = u64::try_from(read_i64(&table, at + 8)).unwrap_or(0);
            if head == 0 || head <= durable_end {
                continue;
            }
            let mut h = head;
            while h > durable_end {
                let raw = self.read_entry_any(h - 1)?;
                h = if raw.valid && raw.prev < h { raw.prev } else { 0 };
            }
            self.wheel.write_all_at(&i64::try_from(h).unwrap_or(0).to_be_bytes(), slot * SLOT + 8)?;
        }
        Ok(())
    }

    fn slot_of(&self, tick: i64) -> u64 {
        u64::try_from(tick.rem_euclid(i64::try_from(self.slots).unwrap_or(i64::MAX))).unwrap_or(0)
    }

    fn read_slot(&self, slot: u64) -> std::io::Result<(i64, u64)> {
        let mut b = [0u8; SLOT_BYTES];
        self.wheel.read_exact_at(&mut b, slot * SLOT)?;
        Ok((read_i64(&b, 0), u64::try_from(read_i64(&b, 8)).unwrap_or(0)))
    }

    fn write_slot(&self, slot: u64, tick: i64, head: u64) -> std::io::Result<()> {
        let mut b = [0u8; SLOT_BYTES];
        b[0..8].copy_from_slice(&tick.to_be_bytes());
        b[8..16].copy_from_slice(&i64::try_from(head).unwrap_or(0).to_be_bytes());
        self.wheel.write_all_at(&b, slot * SLOT)
    }

    /// Reads entry `index` from any segment file still on disk (also past the durable end).
    fn read_entry_any(&self, index: u64) -> std::io::Result<RawEntry> {
        let start = index - index % SEGMENT_ENTRIES;
        let path = self.dir.join("timerlog").join(format!("{start:020}"));
        let mut b = [0u8; ENTRY_BYTES];
        let ok = match self.segments.iter().find(|s| s.start == start) {
            Some(s) => s.file.read_exact_at(&mut b, (index - start) * ENTRY).is_ok(),
            None => File::open(&path).and_then(|f| f.read_exact_at(&mut b, (index - start) * ENTRY)).is_ok(),
        };
        Ok(RawEntry {
            entry: TimerEntry { deliver_ms: read_i64(&b, 0), phy: read_i64(&b, 8), size: read_i32(&b, 16) },
            valid: ok && read_i32(&b, 20) == MAGIC,
            prev: u64::try_from(read_i64(&b, 24)).unwrap_or(0),
        })
    }

    fn append(&mut self, e: TimerEntry, prev: u64) -> std::io::Result<u64> {
        let index = self.log_end;
        let start = index - index % SEGMENT_ENTRIES;
        if self.segments.last().is_none_or(|s| s.start != start) {
            let path = self.dir.join("timerlog").join(format!("{start:020}"));
            let file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
            self.segments.push(Segment { start, path, file, max_deliver_ms: i64::MIN, min_phy: i64::MAX });
        }
        let seg = self.segments.last_mut().ok_or_else(|| std::io::Error::other("no timer log segment"))?;
        let mut b = [0u8; ENTRY_BYTES];
        b[0..8].copy_from_slice(&e.deliver_ms.to_be_bytes());
        b[8..16].copy_from_slice(&e.phy.to_be_bytes());
        b[16..20].copy_from_slice(&e.size.to_be_bytes());
        b[20..24].copy_from_slice(&MAGIC.to_be_bytes());
        b[24..32].copy_from_slice(&i64::try_from(prev).unwrap_or(0).to_be_bytes());
        seg.file.write_all_at(&b, (index - start) * ENTRY)?;
        seg.max_deliver_ms = seg.max_deliver_ms.max(e.deliver_ms);
        seg.min_phy = seg.min_phy.min(e.phy);
        self.log_end += 1;
        Ok(index)
    }

    /// Links `e` into the slot of `tick`; `cursor` is the next tick to be delivered.
    pub fn add(&mut self, tick: i64, cursor: i64, e: TimerEntry) -> std::io::Result<AddOutcome> {
        let slot = self.slot_of(tick);
        let (slot_tick, head) = self.read_slot(slot)?;
        let prev = if head != 0 && slot_tick == tick {
            head
        } else if head != 0 && slot_tick >= cursor {
            return Ok(AddOutcome::SlotBusy);
        } else {
            0
        };
        let index = self.append(e, prev)?;
        self.write_slot(slot, tick, index + 1)?;
        Ok(AddOutcome::Added)
    }

    /// Entries due at `tick`, oldest first (the slot is left as it is; see [`Self::clear`]).
    pub fn entries(&self, tick: i64) -> std::io::Result<Vec<TimerEntry>> {
        let (slot_tick, mut head) = self.read_slot(self.slot_of(tick))?;
        let mut out = Vec::new();
        if slot_tick != tick {
            return Ok(out);
        }
        while head != 0 && head <= self.log_end {
            let raw = self.read_entry_any(head - 1)?;
            if !raw.valid {
                tracing::warn!(index = head - 1, "invalid timer log entry; chain cut");
                break;
            }
            out.push(raw.entry);
            head = if raw.prev < head { raw.prev } else { 0 };
        }
        out.reverse();
        Ok(out)
    }

    /// Empties the slot of `tick` once its entries are delivered.
    pub fn clear(&mut self, tick: i64) -> std::io::Result<()> {
        let slot = self.slot_of(tick);
        let (slot_tick, _) = self.read_slot(slot)?;
        if slot_tick == tick {
            self.write_slot(slot, tick, 0)?;
        }
        Ok(())
    }

    /// Writes wheel and log to disk.
    pub fn sync(&self) -> std::io::Result<()> {
        if let Some(s) = self.segments.last() {
            s.file.sync_data()?;
        }
        self.wheel.sync_data()
    }

    /// Entries written so far (the durable end once `sync` returned).
    #[must_use]
    pub fn log_end(&self) -> u64 {
        self.log_end
    }

    /// Deletes full segments whose entries are all due before `delivered_before_ms`.
    pub fn reclaim(&mut self, delivered_before_ms: i64) {
        while self.segments.len() > 1 && self.segments[0].max_deliver_ms < delivered_before_ms {
            let seg = self.segments.remove(0);
            if let Err(e) = std::fs::remove_file(&seg.path) {
                tracing::warn!(cause = %e, file = %seg.path.display(), "removing a timer log segment failed");
            }
        }
    }

    /// Lowest commit-log offset a live segment points at (records the store must keep).
    #[must_use]
    pub fn min_phy(&self) -> Option<i64> {
        self.segments.iter().map(|s| s.min_phy).min().filter(|p| *p != i64::MAX)
    }
}

fn read_fully(f: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match f.read_at(&mut buf[done..], at + done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ms: i64, phy: i64) -> TimerEntry {
        TimerEntry { deliver_ms: ms, phy, size: 100 }
    }

    #[test]
    fn chains_per_tick_oldest_first_and_busy_slots() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = TimerWheel::open(dir.path(), 10, 0).unwrap();
        assert_eq!(w.add(5, 0, entry(5000, 1)).unwrap(), AddOutcome::Added);
        assert_eq!(w.add(7, 0, entry(7000, 2)).unwrap(), AddOutcome::Added);
        assert_eq!(w.add(5, 0, entry(5000, 3)).unwrap(), AddOutcome::Added);
        // Tick 15 shares slot 5 with the undelivered tick 5.
        assert_eq!(w.add(15, 0, entry(15000, 4)).unwrap(), AddOutcome::SlotBusy);
        assert_eq!(w.entries(5).unwrap(), vec![entry(5000, 1), entry(5000, 3)]);
        assert!(w.entries(15).unwrap().is_empty());
        w.clear(5).unwrap();
        assert!(w.entries(5).unwrap().is_empty());
        assert_eq!(w.add(15, 6, entry(15000, 4)).unwrap(), AddOutcome::Added);
        assert_eq!(w.entries(15).unwrap(), vec![entry(15000, 4)]);
        assert_eq!(w.min_phy(), Some(1));
    }

    #[test]
    fn reopening_cuts_entries_past_the_durable_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = TimerWheel::open(dir.path(), 100, 0).unwrap();
        w.add(3, 0, entry(3000, 10)).unwrap();
        w.add(4, 0, entry(4000, 11)).unwrap();
        w.sync().unwrap();
        let durable = w.log_end();
        // Written after the last checkpoint: must vanish on reopen.
        w.add(3, 0, entry(3000, 12)).unwrap();
        w.add(9, 0, entry(9000, 13)).unwrap();
        drop(w);
        let mut w = TimerWheel::open(dir.path(), 100, durable).unwrap();
        assert_eq!(w.entries(3).unwrap(), vec![entry(3000, 10)]);
        assert_eq!(w.entries(4).unwrap(), vec![entry(4000, 11)]);
        assert!(w.entries(9).unwrap().is_empty());
        assert_eq!(w.log_end(), 2);
        w.add(3, 0, entry(3000, 14)).unwrap();
        assert_eq!(w.entries(3).unwrap(), vec![entry(3000, 10), entry(3000, 14)]);
    }

    #[test]
    fn segments_roll_and_are_reclaimed_once_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = TimerWheel::open(dir.path(), 16, 0).unwrap();
        w.log_end = SEGMENT_ENTRIES - 1; // pretend the first segment is nearly full
        w.add(1, 0, entry(1000, 5)).unwrap();
        w.add(2, 0, entry(2000, 6)).unwrap();
        assert_eq!(w.segments.len(), 2);
        assert_eq!(w.entries(1).unwrap(), vec![entry(1000, 5)]);
        w.reclaim(1500);
        assert_eq!(w.segments.len(), 1);
        assert_eq!(w.min_phy(), Some(6));
    }
}
