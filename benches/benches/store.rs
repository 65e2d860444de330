//! Store micro-benchmarks: appending a 1 KiB message to the commit log (ASYNC_FLUSH, the flusher
//! running behind) and reading 32 messages of a queue through its consume queue.
#![allow(missing_docs, clippy::expect_used)] // a benchmark whose setup fails should stop with its reason

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rmq_store::MessageStore;

mod common;
use common::{config, message};

fn store(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = MessageStore::open(config(dir.path())).expect("store opens");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(1));
    // Keep the log small enough for the benchmark's disk: a few hundred MiB at most.
    g.measurement_time(Duration::from_secs(3));
    let mut q = 0;
    g.bench_function("commit_log_append_1k", |b| {
        b.iter(|| {
            q = (q + 1) % 8;
            rt.block_on(store.put_message(message(q)))
        });
    });
    for i in 0..1024 {
        rt.block_on(store.put_message(message(100 + i % 2)));
    }
    g.throughput(Throughput::Elements(32));
    let mut offset = 0i64;
    g.bench_function("consume_queue_read_32x1k", |b| {
        b.iter(|| {
            offset = (offset + 32) % 480;
            let r = store.get_messages("BenchTopic", 100, offset, 32, &|_| true);
            assert_eq!(r.messages.len(), 32);
            r
        });
    });
    g.finish();
    store.shutdown();
}

criterion_group!(benches, store);
criterion_main!(benches);
