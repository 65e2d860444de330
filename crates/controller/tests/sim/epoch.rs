//! A broker's log as records tagged with the master epoch that wrote them, the epochs with
//! their start offsets, and the consistent point a rejoining replica truncates to, computed by
//! the store's real epoch cache (`rmq_store::ha_epoch`, RocketMQ's `EpochFileCache`).

use rmq_store::ha_epoch::{self, EpochCache};

/// One write: the epoch of the master that accepted it and the value written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rec {
    pub epoch: i32,
    pub value: u64,
}

/// An epoch and the offset of its first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start: u64,
}

/// The epochs of a log, in order.
pub fn epochs(log: &[Rec]) -> Vec<EpochEntry> {
    let mut out: Vec<EpochEntry> = Vec::new();
    for (i, r) in log.iter().enumerate() {
        if out.last().is_none_or(|e| e.epoch != r.epoch) {
            out.push(EpochEntry { epoch: r.epoch, start: i as u64 });
        }
    }
    out
}

/// The store's epoch cache entries of a log of `len` records.
fn store_entries(cache: &[EpochEntry], len: u64) -> Vec<ha_epoch::EpochEntry> {
    let pairs = cache.iter().map(|e| (u32::try_from(e.epoch).unwrap_or(0), e.start));
    EpochCache::from_pairs(pairs).map(|c| c.entries(len)).unwrap_or_default()
}

/// The offset up to which a replica's log (`theirs`, `their_len`) agrees with the master's
/// (`rmq_store::ha_epoch::consistent_point`); 0 when they share no epoch.
pub fn consistent_point(mine: &[EpochEntry], my_len: u64, theirs: &[EpochEntry], their_len: u64) -> u64 {
    ha_epoch::consistent_point(&store_entries(theirs, their_len), &store_entries(mine, my_len)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(epochs_of: &[i32]) -> Vec<Rec> {
        epochs_of.iter().map(|e| Rec { epoch: *e, value: 0 }).collect()
    }

    #[test]
    fn an_old_master_truncates_to_the_end_of_the_shared_epoch() {
        let master = log(&[1, 1, 1, 2, 2]);
        let old = log(&[1, 1, 1, 1]);
        assert_eq!(consistent_point(&epochs(&master), 5, &epochs(&old), 4), 3);
        let behind = log(&[1, 1]);
        assert_eq!(consistent_point(&epochs(&master), 5, &epochs(&behind), 2), 2);
        let foreign = log(&[3]);
        assert_eq!(consistent_point(&epochs(&master), 5, &epochs(&foreign), 1), 0);
    }
}
