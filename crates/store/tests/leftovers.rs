//! Start after a disk-full (#21 point 3): files left by failed allocations (empty, or short
//! and all zeros) are removed at start rather than allocated again, and a store opened on a
//! full disk starts read-only: reads work, sends are refused with the reason.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use rmq_common::message::StoreMessage;
use rmq_store::{FileConfig, IndexConfig, MessageStore, PutStatus, RetentionConfig, StoreConfig};

const LOG_FILE: usize = 64 * 1024;

fn config(dir: &std::path::Path, full_ratio: u32) -> StoreConfig {
    StoreConfig {
        root: dir.to_owned(),
        files: FileConfig { commit_log_file_size: LOG_FILE, cq_units_per_file: 64, ..FileConfig::default() },
        index: IndexConfig { max_hash_slot_num: 64, max_index_num: 100, ..IndexConfig::default() },
        retention: RetentionConfig {
            disk_max_used_ratio: 100,
            disk_full_ratio: full_ratio,
            ..RetentionConfig::default()
        },
        ..StoreConfig::default()
    }
}

fn msg(body: &str) -> StoreMessage {
    StoreMessage {
        topic: "T".into(),
        queue_id: 0,
        body: Bytes::from(body.to_owned()),
        properties: vec![("KEYS".into(), format!("k-{body}"))],
        born_timestamp: 1,
        born_host: "127.0.0.1:5000".parse().unwrap(),
        ..StoreMessage::default()
    }
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn leftovers_of_failed_allocations_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), 100)).unwrap();
    for i in 0..10 {
        assert_eq!(store.put_message(msg(&format!("m{i}"))).await.status, PutStatus::Ok);
    }
    store.shutdown();
    drop(store);
    let (index, log, cq) =
        (dir.path().join("index"), dir.path().join("commitlog"), dir.path().join("consumequeue/T/0"));
    let (index_before, cq_before) = (names(&index), names(&cq));
    // What a disk-full leaves: empty index files (one per failed roll), an empty next commit
    // log file, a half-allocated zeroed consume-queue file.
    for i in 0..50 {
        std::fs::write(index.join(format!("20990101000000{i:03}")), b"").unwrap();
    }
    std::fs::write(log.join(format!("{LOG_FILE:020}")), b"").unwrap();
    std::fs::write(cq.join(format!("{:020}", 64 * 20)), vec![0u8; 100]).unwrap();
    let store = MessageStore::open(config(dir.path(), 100)).unwrap();
    assert_eq!(names(&index), index_before, "empty index files removed, not allocated");
    // The next commit-log file may be pre-allocated again by the store; none is left short.
    for (d, size) in [(&log, LOG_FILE), (&cq, 64 * 20)] {
        for n in names(d) {
            assert!(std::fs::metadata(d.join(&n)).unwrap().len() >= size as u64, "{n} left short");
        }
    }
    assert_eq!(names(&cq), cq_before);
    let r = store.get_messages("T", 0, 0, 100, &|_| true);
    assert_eq!(r.messages.len(), 10);
    assert_eq!(store.put_message(msg("after")).await.status, PutStatus::Ok);
    assert_eq!(store.query_by_key("T", "k-m3", 10, 0, i64::MAX).messages.len(), 1);
    store.shutdown();
}

#[tokio::test]
async fn a_full_disk_opens_read_only_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), 100)).unwrap();
    assert_eq!(store.put_message(msg("before")).await.status, PutStatus::Ok);
    assert!(store.read_only_reason().is_none());
    store.shutdown();
    drop(store);
    // A full ratio of 0% makes any disk "full": the start must still succeed.
    let store = MessageStore::open(config(dir.path(), 0)).unwrap();
    let reason = store.read_only_reason().expect("read-only on a full disk");
    assert!(reason.contains("disk is full"), "{reason}");
    assert_eq!(store.get_messages("T", 0, 0, 10, &|_| true).messages.len(), 1, "reads work");
    let refused = store.put_message(msg("after")).await;
    assert_eq!(refused.status, PutStatus::ServiceNotAvailable);
    store.shutdown();
}
