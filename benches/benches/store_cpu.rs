//! Store CPU cost per operation, measured on the calling thread's CPU clock
//! (/proc/thread-self/schedstat), so an A/B on a machine shared with other work is not swamped
//! by time spent waiting for a CPU: appending a 1 KiB message (ASYNC_FLUSH, appended in the
//! caller's task) and reading 32 messages of a queue. Same workload as `store.rs`.
//! `cargo bench -p rmq-benches --bench store_cpu [-- rounds]`
#![allow(missing_docs, clippy::expect_used)] // a benchmark whose setup fails should stop with its reason

use std::time::{Duration, Instant};

use rmq_store::MessageStore;

mod common;
use common::{config, message};

/// CPU time this thread has run, from the scheduler's accounting.
fn thread_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    Duration::from_nanos(s.split_whitespace().next().and_then(|v| v.parse().ok()).expect("runtime ns"))
}

fn measure(n: u32, mut op: impl FnMut(u32)) -> (f64, f64) {
    let (cpu0, wall0) = (thread_cpu(), Instant::now());
    for i in 0..n {
        op(i);
    }
    let per = |d: Duration| d.as_secs_f64() * 1e9 / f64::from(n);
    (per(thread_cpu() - cpu0), per(wall0.elapsed()))
}

fn main() {
    let rounds: u32 = std::env::args().filter_map(|a| a.parse().ok()).next().unwrap_or(3);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = MessageStore::open(config(dir.path())).expect("store opens");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for i in 0..1024 {
        rt.block_on(store.put_message(message(100 + i % 2)));
    }
    for i in 0..20_000 {
        rt.block_on(store.put_message(message(i % 8)));
    }
    for r in 0..rounds {
        let (cpu, wall) = measure(50_000, |i| {
            let q = i32::try_from(i % 8).expect("small");
            std::hint::black_box(rt.block_on(store.put_message(message(q))));
        });
        println!("round {r} append_1k cpu_ns={cpu:.0} wall_ns={wall:.0}");
        let (cpu, wall) = measure(50_000, |i| {
            let offset = i64::from(i % 15) * 32;
            let got = store.get_messages("BenchTopic", 100, offset, 32, &|_| true);
            assert_eq!(got.messages.len(), 32);
            std::hint::black_box(got);
        });
        println!("round {r} read_32x1k cpu_ns={cpu:.0} wall_ns={wall:.0}");
    }
    store.shutdown();
}
