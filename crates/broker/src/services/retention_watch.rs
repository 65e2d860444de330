//! Says loudly when retention deletes messages no one has consumed yet: for each deleted
//! commit-log file that held some, one warning naming the topics and groups and how many
//! messages each lost, and counters the admin reads in the runtime info
//! (`retentionUnconsumedFiles`, `retentionUnconsumedMessages`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rmq_store::{DeletedLogFile, QueueCut, RetentionListener};

use crate::state::offsets::ConsumerOffsets;

/// Most (topic, group) pairs one warning names.
const NAMED_IN_A_WARNING: usize = 20;

/// What retention deleted before consumer groups read it.
#[derive(Debug, Default)]
pub struct RetentionLosses {
    /// Commit-log files deleted while holding unconsumed messages.
    pub files: AtomicU64,
    /// Unconsumed messages deleted, summed over the groups that had not read them.
    pub messages: AtomicU64,
}

/// The store's retention listener: warns and counts.
#[must_use]
pub fn listener(offsets: Arc<ConsumerOffsets>, losses: Arc<RetentionLosses>) -> RetentionListener {
    Arc::new(move |file: &DeletedLogFile, cuts: &[QueueCut]| report(&offsets, &losses, file, cuts))
}

fn report(offsets: &ConsumerOffsets, losses: &RetentionLosses, file: &DeletedLogFile, cuts: &[QueueCut]) {
    let lost = unconsumed(offsets, cuts);
    if lost.is_empty() {
        return;
    }
    let total: i64 = lost.values().sum();
    losses.files.fetch_add(1, Ordering::Relaxed);
    losses.messages.fetch_add(u64::try_from(total).unwrap_or(0), Ordering::Relaxed);
    let named: Vec<String> =
        lost.iter().take(NAMED_IN_A_WARNING).map(|((topic, group), n)| format!("{topic}/{group}: {n}")).collect();
    tracing::warn!(
        file = %file.path, forced = file.forced, unconsumed = total, pairs = lost.len(), lost = %named.join(", "),
        "retention deleted a commit log file holding unconsumed messages (diskMaxUsedSpaceRatio, \
         diskSpaceCleanForciblyRatio, cleanFileForciblyEnable, fileReservedTime)"
    );
}

/// Messages each (topic, group) had not consumed among the units retention removed: the units
/// of a queue past the group's committed offset.
fn unconsumed(offsets: &ConsumerOffsets, cuts: &[QueueCut]) -> BTreeMap<(String, String), i64> {
    let mut out = BTreeMap::new();
    for cut in cuts {
        for group in offsets.groups_of_topic(&cut.topic) {
            let committed = offsets.query(&group, &cut.topic, cut.queue_id).unwrap_or(cut.from);
            let lost = cut.to - committed.max(cut.from);
            if lost > 0 {
                *out.entry((cut.topic.clone(), group)).or_insert(0) += lost;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_each_group_had_not_consumed() {
        let dir = tempfile::tempdir().unwrap();
        let offsets = ConsumerOffsets::load(dir.path(), Arc::default());
        offsets.commit("done", "T", 0, 100);
        offsets.commit("done", "T", 1, 5);
        offsets.commit("half", "T", 0, 40);
        offsets.commit("half", "T", 1, 0);
        offsets.commit("other", "U", 0, 0);
        let cut = |queue_id, from, to| QueueCut { topic: "T".into(), queue_id, from, to };
        let lost = unconsumed(&offsets, &[cut(0, 10, 60), cut(1, 0, 5)]);
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[&("T".to_owned(), "half".to_owned())], 20 + 5);

        let losses = RetentionLosses::default();
        let file = DeletedLogFile { path: "00".into(), forced: true, new_min: rmq_store::PhyOffset::new(1).unwrap() };
        report(&offsets, &losses, &file, &[cut(0, 10, 60)]);
        report(&offsets, &losses, &file, &[cut(0, 0, 5)]);
        assert_eq!(losses.files.load(Ordering::Relaxed), 1);
        assert_eq!(losses.messages.load(Ordering::Relaxed), 20);
    }
}
