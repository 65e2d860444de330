//! Store append benchmark (not a test): appends 1 KiB messages to a fresh store and prints MB/s.
//! `cargo run --release -p rmq-store --example append_bench -- <dir> <async|sync> <total MiB> [writers]`
//! scripts/bench-store.sh runs it next to `dd ... conv=fdatasync` on the same disk.
// Test and example code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rmq_common::message::StoreMessage;
use rmq_store::{FlushMode, MessageStore, PutStatus, StoreConfig};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).map_or("bench-store", String::as_str));
    let mode = if args.get(2).map(String::as_str) == Some("sync") { FlushMode::Sync } else { FlushMode::Async };
    let total_mib: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(4096);
    let writers: usize =
        args.get(4).and_then(|s| s.parse().ok()).unwrap_or(if mode == FlushMode::Sync { 64 } else { 4 });
    let mut config = StoreConfig { root: dir.clone(), ..StoreConfig::default() };
    config.flush.mode = mode;
    let store = MessageStore::open(config).expect("open store");
    let body = Bytes::from(vec![b'x'; 1024]);
    let template = StoreMessage {
        topic: "BenchTopic".into(),
        body,
        properties: vec![("TAGS".into(), "TagA".into())],
        born_host: "127.0.0.1:1".parse().expect("addr"),
        ..StoreMessage::default()
    };
    let record_len = template.encode().len() as u64;
    let total_msgs = total_mib * 1024 * 1024 / record_len;
    let per_writer = total_msgs / writers as u64;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = Arc::clone(&store);
        let mut m = template.clone();
        m.queue_id = i32::try_from(w % 8).unwrap_or(0);
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_writer {
                let r = store.put_message(m.clone()).await;
                assert_eq!(r.status, PutStatus::Ok, "{}", r.remark);
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    let appended = started.elapsed();
    for (k, v) in store.runtime_info() {
        if k.contains("lush") || k.contains("putMessage") {
            eprintln!("{k}: {v}");
        }
    }
    store.shutdown(); // final flush included
    let elapsed = started.elapsed();
    let bytes = per_writer * writers as u64 * record_len;
    #[allow(clippy::cast_precision_loss)]
    let mbs = bytes as f64 / 1e6 / elapsed.as_secs_f64();
    println!(
        "store {:?} writers={writers} messages={} bytes={bytes} append_s={:.2} total_s={:.2} MB/s={mbs:.0} msgs/s={:.0}",
        mode,
        per_writer * writers as u64,
        appended.as_secs_f64(),
        elapsed.as_secs_f64(),
        (per_writer * writers as u64) as f64 / elapsed.as_secs_f64()
    );
}
