//! Consume queues are flushed lazily (`flushConsumeQueueLeastPages`, a whole flush every
//! `flushConsumeQueueThoroughInterval`); the checkpoint's consume-queue time moves only with the
//! whole flushes. This test proves the consequence that matters: a child process appends with
//! SYNC_FLUSH (the commit log is on disk) while its queue is never flushed, is killed with
//! SIGKILL, and its consume-queue file is then zeroed as if a power loss had taken the unflushed
//! pages; the reopened store rebuilds the queue from the commit log and serves every message.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_possible_wrap, clippy::cast_possible_truncation)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use rmq_common::message::{MessageExt, StoreMessage};
use rmq_store::{FileConfig, FlushConfig, FlushMode, MessageStore, PutStatus, StoreConfig};

const CHILD_ENV: &str = "RMQ_CQ_FLUSH_CHILD_DIR";
const TOPIC: &str = "LazyQueue";
/// Messages in all: the first half 1.5 s after start, the second half 4 s later.
const MESSAGES: u64 = 200;

fn config(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        root: dir.to_owned(),
        // Small commit-log files: recovery starts at the file the checkpoint points into, so the
        // messages must span several for a too-new checkpoint to skip some.
        files: FileConfig { commit_log_file_size: 4096, ..FileConfig::default() },
        flush: FlushConfig {
            mode: FlushMode::Sync,
            // The queue never reaches the least pages, and no whole flush falls in the test.
            cq_least_pages: 1000,
            cq_thorough_interval: Duration::from_secs(3600),
            ..FlushConfig::default()
        },
        retention: common::roomy_retention(),
        ..StoreConfig::default()
    }
}

fn body(seq: u64) -> Bytes {
    Bytes::from(format!("lazy-{seq}"))
}

/// The child: after the store's first (whole) consume-queue flush, appends the messages in two
/// halves, lives through more flush rounds (partial: the queue stays below the least pages) and
/// the next index flush, says DONE.
#[test]
fn cq_flush_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = MessageStore::open(config(std::path::Path::new(&dir))).unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for seq in 0..MESSAGES {
            if seq == MESSAGES / 2 {
                // More than the checkpoint's 3 s of slack later, in later commit-log files: a
                // checkpoint claiming the queue flushed up to these would start recovery past
                // the first half.
                tokio::time::sleep(Duration::from_millis(4000)).await;
            }
            let m = StoreMessage {
                topic: TOPIC.into(),
                queue_id: 0,
                body: body(seq),
                born_host: "127.0.0.1:1".parse().unwrap(),
                ..StoreMessage::default()
            };
            let r = store.put_message(m).await;
            assert_eq!(r.status, PutStatus::Ok, "{}", r.remark);
        }
        // Past the next index flush (every 10 s), so that the checkpoint's index time is newer
        // than the messages and only its consume-queue time can bring them back.
        tokio::time::sleep(Duration::from_millis(8000)).await;
        println!("\nDONE");
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
}

#[test]
fn unflushed_consume_queue_pages_are_rebuilt_after_a_crash() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "cq_flush_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let done = BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains("DONE"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(done, "the child stored its messages");

    // What a power loss would leave of a queue whose pages were never written back.
    let queue_dir = dir.path().join("consumequeue").join(TOPIC).join("0");
    let mut zeroed = 0;
    for file in std::fs::read_dir(&queue_dir).unwrap() {
        let path = file.unwrap().path();
        let len = std::fs::metadata(&path).unwrap().len();
        std::fs::write(&path, vec![0u8; usize::try_from(len).unwrap()]).unwrap();
        zeroed += 1;
    }
    assert!(zeroed > 0, "the queue has a file in {}", queue_dir.display());

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = MessageStore::open(config(dir.path())).unwrap();
        assert_eq!(store.max_offset(TOPIC, 0), MESSAGES as i64, "recovery: {:?}", store.recovery_stats());
        let mut bodies: Vec<Bytes> = Vec::new();
        while bodies.len() < MESSAGES as usize {
            let r = store.get_messages(TOPIC, 0, bodies.len() as i64, 1000, &|_| true);
            assert!(!r.messages.is_empty(), "nothing at offset {}: {:?}", bodies.len(), r.status);
            bodies.extend(r.messages.iter().map(|rec| MessageExt::decode_checked(rec, true).unwrap().body));
        }
        assert_eq!(bodies, (0..MESSAGES).map(body).collect::<Vec<_>>());
        store.shutdown();
    });
}
