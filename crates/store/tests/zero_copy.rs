//! Pulled records are slices of the mapped commit log, not copies: they read the same bytes as
//! a copy, across file boundaries, and stay valid after retention deletes their file; a
//! truncation waits until no such slice is in use.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use rmq_common::message::{MessageExt, StoreMessage};
use rmq_store::{FileConfig, GetMessageStatus, MessageStore, PutStatus, RetentionConfig, StoreConfig};

const FILE: usize = 4096;

fn config(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        root: dir.to_owned(),
        files: FileConfig { commit_log_file_size: FILE, cq_units_per_file: 64, ..FileConfig::default() },
        retention: RetentionConfig {
            disk_max_used_ratio: 100,
            clean_forcibly_ratio: 100,
            disk_full_ratio: 100,
            file_reserved_time: std::time::Duration::from_secs(3600),
            delete_when: (0..24).collect(),
            ..RetentionConfig::default()
        },
        ..StoreConfig::default()
    }
}

async fn fill(store: &MessageStore, n: usize) -> Vec<i64> {
    let mut phys = Vec::new();
    for i in 0..n {
        let m = StoreMessage {
            topic: "T".into(),
            queue_id: 0,
            body: Bytes::from(format!("{i:04}-{}", "z".repeat(600 + i))),
            born_timestamp: 1,
            born_host: "127.0.0.1:5000".parse().unwrap(),
            ..StoreMessage::default()
        };
        let r = store.put_message(m).await;
        assert_eq!(r.status, PutStatus::Ok, "{}", r.remark);
        phys.push(r.phy_offset);
    }
    phys
}

fn log_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("commitlog")).unwrap().count()
}

#[tokio::test]
async fn pulled_slices_match_copies_across_files_and_outlive_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    let phys = fill(&store, 20).await;
    assert!(phys.last().unwrap() / i64::try_from(FILE).unwrap() >= 3, "records span several files");
    let got = store.get_messages("T", 0, 0, 32, &|_| true);
    assert_eq!(got.status, GetMessageStatus::Found);
    assert_eq!(got.messages.len(), 20, "one pull crosses the file boundaries");
    let copies: Vec<Bytes> = phys.iter().map(|p| store.message_by_offset(*p).expect("copy")).collect();
    assert_eq!(got.messages, copies, "slices hold the same bytes as copies");

    // Retention deletes every file but the one being written while the slices are in flight.
    let files_before = log_files(dir.path());
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(7200);
    store.delete_expired_files(later).expect("files deleted");
    assert!(log_files(dir.path()) < files_before, "files left the disk");
    assert_eq!(store.get_messages("T", 0, 0, 32, &|_| true).status, GetMessageStatus::OffsetTooSmall);
    for (i, (slice, copy)) in got.messages.iter().zip(&copies).enumerate() {
        assert_eq!(slice, copy, "record {i} unchanged after its file was deleted");
        let m = MessageExt::decode_checked(slice, true).expect("decodes with its CRC");
        assert!(m.body.starts_with(format!("{i:04}-").as_bytes()));
    }
    drop(got);
    store.shutdown();
}

#[tokio::test]
async fn truncation_waits_until_no_slice_of_the_file_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    let phys = fill(&store, 3).await;
    let held = store.get_messages("T", 0, 0, 32, &|_| true);
    assert_eq!(held.messages.len(), 3);
    let before = held.messages.clone();
    let cut = u64::try_from(phys[1]).unwrap();
    assert!(!store.truncate_commit_log(cut), "refused while a pulled slice of the file is in use");
    assert_eq!(store.max_offset("T", 0), 3, "nothing was cut");
    assert_eq!(store.get_messages("T", 0, 0, 32, &|_| true).messages, before);
    drop(held);
    drop(before);
    assert!(store.truncate_commit_log(cut), "done once the slices are gone");
    assert_eq!(store.max_offset("T", 0), 1);
    store.shutdown();
}
