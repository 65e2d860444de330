//! Commit-log ("physical") offsets: [`PhyOffset`], a byte offset that always fits the wire's
//! `i64`, so the conversions between the store's `u64` arithmetic and the protocol's signed
//! offsets are checked once, here.

use std::sync::atomic::{AtomicU64, Ordering};

/// A byte offset in the commit log. Invariant: at most `i64::MAX` (it is an `i64` on the wire,
/// in consume-queue units and in index entries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhyOffset(u64);

/// `i64::MAX` as the largest offset, without a cast.
const MAX: u64 = i64::MAX.unsigned_abs();

impl PhyOffset {
    /// Offset 0.
    pub const ZERO: Self = Self(0);
    /// The largest offset (`i64::MAX`).
    pub const MAX: Self = Self(MAX);

    /// `v` as an offset, `None` past `i64::MAX`.
    #[must_use]
    pub const fn new(v: u64) -> Option<Self> {
        if v <= MAX {
            Some(Self(v))
        } else {
            None
        }
    }

    /// An offset read from the wire or a file, `None` when negative.
    #[must_use]
    pub const fn from_wire(v: i64) -> Option<Self> {
        if v >= 0 {
            Some(Self(v.unsigned_abs()))
        } else {
            None
        }
    }

    /// The offset as a number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The offset as the wire's `i64` (always fits).
    #[must_use]
    pub fn to_wire(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// `self + n`, saturating at [`PhyOffset::MAX`] (no log reaches it).
    #[must_use]
    pub const fn plus(self, n: u64) -> Self {
        let v = self.0.saturating_add(n);
        Self(if v > MAX { MAX } else { v })
    }

    /// `self + len` for a length in memory.
    #[must_use]
    pub fn plus_len(self, len: usize) -> Self {
        self.plus(u64::try_from(len).unwrap_or(u64::MAX))
    }

    /// Bytes from `earlier` to `self` (0 when `earlier` is later).
    #[must_use]
    pub const fn since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// `self - n`, saturating at 0.
    #[must_use]
    pub const fn minus(self, n: u64) -> Self {
        Self(self.0.saturating_sub(n))
    }

    /// Start of the file of `file_size` bytes that holds this offset.
    #[must_use]
    pub const fn file_start(self, file_size: u64) -> Self {
        if file_size == 0 {
            return self;
        }
        Self(self.0 - self.0 % file_size)
    }

    /// Bytes from this offset to the end of its file of `file_size` bytes.
    #[must_use]
    pub const fn left_in_file(self, file_size: u64) -> u64 {
        if file_size == 0 {
            return 0;
        }
        file_size - self.0 % file_size
    }
}

impl std::fmt::Display for PhyOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An atomic [`PhyOffset`] (published ends and flush positions).
#[derive(Debug, Default)]
pub struct AtomicPhy(AtomicU64);

impl AtomicPhy {
    /// An atomic holding `v`.
    #[must_use]
    pub const fn new(v: PhyOffset) -> Self {
        Self(AtomicU64::new(v.0))
    }

    /// Loads with Acquire.
    pub fn load(&self) -> PhyOffset {
        // Only `PhyOffset`s are ever stored, so the invariant holds.
        PhyOffset(self.0.load(Ordering::Acquire))
    }

    /// Stores with Release.
    pub fn store(&self, v: PhyOffset) {
        self.0.store(v.0, Ordering::Release);
    }

    /// Lowers to `v` if above it.
    pub fn lower_to(&self, v: PhyOffset) {
        self.0.fetch_min(v.0, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_checked_at_the_edges() {
        assert_eq!(PhyOffset::from_wire(-1), None);
        assert_eq!(PhyOffset::from_wire(5).map(PhyOffset::get), Some(5));
        assert_eq!(PhyOffset::new(u64::MAX), None);
        assert_eq!(PhyOffset::MAX.to_wire(), i64::MAX);
        assert_eq!(PhyOffset::MAX.plus(1), PhyOffset::MAX);
        let o = PhyOffset::from_wire(1000).expect("offset");
        assert_eq!(o.file_start(300).get(), 900);
        assert_eq!(o.left_in_file(300), 200);
        assert_eq!(o.since(PhyOffset::ZERO.plus(1500)), 0);
        assert_eq!(o.minus(2000), PhyOffset::ZERO);
    }
}
