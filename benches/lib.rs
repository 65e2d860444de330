//! Micro-benchmarks live in `benches/` of this package: `cargo bench -p rmq-benches`.
//! End-to-end load (the official benchmark tool against our broker and the official one) is
//! `scripts/bench-compare.sh`; results are in docs/performance.md.
