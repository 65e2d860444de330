//! Crash test: a child process appends with SYNC_FLUSH and prints each acknowledged offset; the
//! parent kills it with SIGKILL at random moments, reopens the store, and checks that every
//! acknowledged message is there with the same bytes, queue offsets are dense, and the consume
//! queue agrees with the commit log. Rounds: env STORE_CRASH_ROUNDS (default 20).
// Test and example code: a failed step panics with its reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_lossless
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use rmq_common::message::{MessageExt, StoreMessage};
use rmq_store::{FileConfig, FlushConfig, FlushMode, IndexConfig, MessageStore, PutStatus, StoreConfig};

const CHILD_ENV: &str = "RMQ_STORE_CRASH_CHILD_DIR";

fn config(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        root: dir.to_owned(),
        files: FileConfig { commit_log_file_size: 256 * 1024, cq_units_per_file: 1000, ..FileConfig::default() },
        flush: FlushConfig { mode: FlushMode::Sync, ..FlushConfig::default() },
        index: IndexConfig { max_hash_slot_num: 128, max_index_num: 400, ..IndexConfig::default() },
        retention: common::roomy_retention(),
        ..StoreConfig::default()
    }
}

fn body(seq: u64) -> String {
    format!("message-{seq}-{}", "p".repeat(usize::try_from(seq % 300).unwrap_or(0)))
}

/// The child: appends forever, printing `ACK seq queue_offset` after each acknowledged put.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let start: u64 = std::env::var("RMQ_STORE_CRASH_START").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = MessageStore::open(config(std::path::Path::new(&dir))).unwrap();
        let mut out = std::io::stdout().lock();
        for seq in start.. {
            let m = StoreMessage {
                topic: "Crash".into(),
                queue_id: 0,
                body: Bytes::from(body(seq)),
                properties: vec![("KEYS".into(), format!("k{seq}"))],
                born_host: "127.0.0.1:1".parse().unwrap(),
                ..StoreMessage::default()
            };
            let r = store.put_message(m).await;
            assert_eq!(r.status, PutStatus::Ok, "{}", r.remark);
            writeln!(out, "\nACK {seq} {}", r.queue_offset).unwrap();
            out.flush().unwrap();
        }
    });
}

#[test]
fn acknowledged_messages_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let rounds: u32 = std::env::var("STORE_CRASH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acked: Vec<u64> = Vec::new(); // acked[seq] = queue offset (dense, so index == offset)
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env("RMQ_STORE_CRASH_START", acked.len().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Kill after a random number of acknowledged puts (or a random time, whichever first).
        let target = 20 + u64::from(rand::random::<u32>() % 400);
        let killer_pid = child.id();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may print its own text before ours on the same line.
                let Some(ack) = line.find("ACK ").map(|i| &line[i + 4..]) else { continue };
                if let Some((s, o)) = ack.split_once(' ') {
                    if let (Ok(s), Ok(o)) = (s.parse::<u64>(), o.parse::<u64>()) {
                        lines.push((s, o));
                        if lines.len() as u64 == target {
                            let _ = Command::new("kill").arg("-KILL").arg(killer_pid.to_string()).status();
                        }
                    }
                }
            }
            lines
        });
        std::thread::sleep(Duration::from_millis(50 + u64::from(rand::random::<u32>() % 1500)));
        let _ = child.kill();
        let _ = child.wait();
        let lines = reader.join().unwrap();
        for (seq, offset) in lines {
            assert_eq!(seq, acked.len() as u64, "round {round}: acknowledgements in order");
            assert_eq!(offset, seq, "round {round}: queue offset of seq {seq}");
            acked.push(offset);
        }
        // Reopen and verify everything acknowledged so far.
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = MessageStore::open(config(dir.path())).unwrap();
            let max = store.max_offset("Crash", 0);
            assert!(max >= acked.len() as i64, "round {round}: max offset {max} < acknowledged {}", acked.len());
            let mut next = 0i64;
            while next < acked.len() as i64 {
                let r = store.get_messages("Crash", 0, next, 1000, &|_| true);
                assert!(
                    !r.messages.is_empty(),
                    "round {round}: nothing at offset {next}: {:?}, min {} max {}, recovery {:?}",
                    r.status,
                    r.min_offset,
                    r.max_offset,
                    store.recovery_stats()
                );
                for rec in &r.messages {
                    let m = MessageExt::decode_checked(rec, true).unwrap();
                    assert_eq!(m.queue_offset, next, "round {round}: dense offsets");
                    let seq = u64::try_from(next).unwrap();
                    assert_eq!(m.body, Bytes::from(body(seq)), "round {round}: bytes of {seq}");
                    next += 1;
                }
            }
            // The key index agrees (a sample, and the newest acknowledged message).
            let n = acked.len();
            for seq in (0..n).step_by(37).chain(n.checked_sub(1)) {
                let r = store.query_by_key("Crash", &format!("k{seq}"), 4, 0, 0);
                let bodies: Vec<Bytes> =
                    r.messages.iter().map(|b| MessageExt::decode_checked(b, false).unwrap().body).collect();
                assert_eq!(bodies, vec![Bytes::from(body(seq as u64))], "round {round}: index of k{seq}");
            }
            // Messages stored but not acknowledged (killed between fsync and print) are fine;
            // the next child continues numbering after them.
            acked.resize(usize::try_from(max).unwrap(), 0);
            store.shutdown();
        });
    }
    assert!(acked.len() > 20, "the child made progress: {}", acked.len());
}
