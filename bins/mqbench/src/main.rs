//! mqbench: load generator for RocketMQ-compatible brokers (ours or Apache's).
//!
//! `mqbench producer -n 127.0.0.1:9876 -t BenchmarkTest -w 32 -s 1024 -d 60` and
//! `mqbench consumer -n ... -t BenchmarkTest -g bench_consumer -d 60`. One line per second, then
//! a summary with latency percentiles (`--json FILE` writes it as JSON).

mod consumer;
mod producer;
mod stats;

use clap::{Parser, Subcommand};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmark tool.
#[derive(Parser, Debug)]
#[command(name = "mqbench", version, about = "RocketMQ benchmark producer and consumer")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Send messages as fast as the senders can.
    Producer(producer::Args),
    /// Consume and measure end-to-end latency from the born time.
    Consumer(consumer::Args),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into())).init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.mode {
        Mode::Producer(a) => rt.block_on(producer::run(a)),
        Mode::Consumer(a) => rt.block_on(consumer::run(a)),
    }
}
