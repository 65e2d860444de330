//! SQL92 selector: parse once per subscription, evaluate per message.
#![allow(missing_docs, clippy::expect_used)] // a benchmark whose setup fails should stop with its reason

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SQL: &str = "(region = 'hz' OR region IN ('sh', 'bj')) AND price BETWEEN 10 AND 500 AND vip IS NOT NULL";

fn props() -> Vec<(String, String)> {
    [
        ("UNIQ_KEY", "7F00000100002A9F0000000000001000"),
        ("TAGS", "TagA"),
        ("region", "sh"),
        ("price", "120"),
        ("vip", "1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn filter(c: &mut Criterion) {
    let mut g = c.benchmark_group("sql92");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse", |b| b.iter(|| rmq_filter::parse(std::hint::black_box(SQL)).expect("parses")));
    let expr = rmq_filter::parse(SQL).expect("parses");
    let matching = props();
    g.bench_function("evaluate_match", |b| b.iter(|| assert!(expr.matches(std::hint::black_box(&matching[..])))));
    let mut missing = props();
    missing.retain(|(k, _)| k != "vip");
    g.bench_function("evaluate_miss", |b| b.iter(|| assert!(!expr.matches(std::hint::black_box(&missing[..])))));
    g.finish();
}

criterion_group!(benches, filter);
criterion_main!(benches);
