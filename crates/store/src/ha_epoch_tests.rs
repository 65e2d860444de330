use super::*;

fn cache(pairs: &[(u32, u64)]) -> EpochCache {
    EpochCache::from_pairs(pairs.iter().copied()).unwrap()
}

#[test]
fn append_refuses_old_epochs_and_backward_starts() {
    let mut c = cache(&[(1, 0), (2, 100)]);
    assert_eq!(c.append(2, 100), Ok(()), "re-adding the last entry is a no-op");
    assert_eq!(c.append(2, 150), Err(EpochError::StaleEpoch { epoch: 2, last: 2 }));
    assert_eq!(c.append(1, 300), Err(EpochError::StaleEpoch { epoch: 1, last: 2 }));
    assert_eq!(c.append(3, 50), Err(EpochError::StartBehind { epoch: 3, start: 50, last_start: 100 }));
    assert_eq!(c.append(5, 100), Ok(()), "an epoch that wrote nothing may start where the last did");
    assert_eq!(c.pairs(), vec![(1, 0), (2, 100), (5, 100)]);
    assert_eq!(c.last_epoch(), Some(5));
}

#[test]
fn entries_end_where_the_next_starts_and_the_last_at_the_log_end() {
    let c = cache(&[(1, 0), (3, 100)]);
    let e = c.entries(250);
    assert_eq!(
        e,
        vec![
            EpochEntry { epoch: 1, start_offset: 0, end_offset: 100 },
            EpochEntry { epoch: 3, start_offset: 100, end_offset: 250 }
        ]
    );
    assert_eq!(c.epoch_of(99), Some(1));
    assert_eq!(c.epoch_of(100), Some(3));
    assert_eq!(cache(&[(2, 10)]).epoch_of(5), None);
}

#[test]
fn truncate_suffix_drops_epochs_starting_at_or_after_the_cut() {
    let mut c = cache(&[(1, 0), (2, 100), (3, 200)]);
    assert!(c.truncate_suffix(150));
    assert_eq!(c.pairs(), vec![(1, 0), (2, 100)]);
    assert!(c.truncate_suffix(100));
    assert_eq!(c.pairs(), vec![(1, 0)]);
    assert!(!c.truncate_suffix(50));
}

#[test]
fn truncate_prefix_keeps_the_epoch_holding_the_new_head() {
    let mut c = cache(&[(1, 0), (2, 100), (3, 200)]);
    assert!(c.truncate_prefix(150));
    assert_eq!(c.pairs(), vec![(2, 150), (3, 200)]);
    assert!(!c.truncate_prefix(120));
    assert!(c.truncate_prefix(200));
    assert_eq!(c.pairs(), vec![(3, 200)]);
}

#[test]
fn consistent_point_is_the_shorter_end_of_the_newest_shared_epoch() {
    // The old master wrote epoch 2 up to 300; the new master (epoch 3) had epoch 2 up to 250.
    let old = cache(&[(1, 0), (2, 100)]).entries(300);
    let new = cache(&[(1, 0), (2, 100), (3, 250)]).entries(400);
    assert_eq!(consistent_point(&old, &new), Some(250));
    // A slave that is behind agrees up to its own end.
    let slave = cache(&[(1, 0), (2, 100)]).entries(180);
    assert_eq!(consistent_point(&slave, &new), Some(180));
}

#[test]
fn consistent_point_ignores_an_epoch_with_another_start() {
    // Epoch 2 started at 100 here but at 120 on the master: only epoch 1 agrees.
    let local = cache(&[(1, 0), (2, 100)]).entries(300);
    let master = cache(&[(1, 0), (2, 120)]).entries(300);
    assert_eq!(consistent_point(&local, &master), Some(100));
    let strangers = cache(&[(7, 0)]).entries(10);
    assert_eq!(consistent_point(&strangers, &master), None);
}

#[test]
fn truncation_point_cuts_only_what_disagrees() {
    let master = cache(&[(1, 0), (2, 100), (3, 250)]).entries(400);
    assert_eq!(truncation_point(&cache(&[(1, 0), (2, 100)]), 300, &master, 0), Some(250));
    assert_eq!(truncation_point(&cache(&[(1, 0), (2, 100)]), 200, &master, 0), None);
    assert_eq!(truncation_point(&EpochCache::new(), 0, &master, 0), None, "an empty log keeps nothing to cut");
    assert_eq!(truncation_point(&EpochCache::new(), 80, &master, 0), Some(0), "a log without epochs is dropped");
    assert_eq!(truncation_point(&cache(&[(9, 0)]), 80, &master, 0), Some(0), "nothing in common");
}

#[test]
fn the_file_survives_a_reload_and_refuses_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = EpochFile::load(dir.path()).unwrap();
    assert!(f.cache().is_empty());
    f.append(1, 0).unwrap();
    f.append(2, 4096).unwrap();
    assert!(f.append(2, 8192).is_err());
    f.truncate_suffix(4096).unwrap();
    f.append(3, 5000).unwrap();
    let again = EpochFile::load(dir.path()).unwrap();
    assert_eq!(again.cache().pairs(), vec![(1, 0), (3, 5000)]);
    std::fs::write(dir.path().join(EPOCH_FILE), "1-0\nnonsense\n").unwrap();
    assert!(EpochFile::load(dir.path()).is_err());
    std::fs::write(dir.path().join(EPOCH_FILE), "2-0\n1-10\n").unwrap();
    assert!(EpochFile::load(dir.path()).is_err(), "epochs out of order are refused");
}
