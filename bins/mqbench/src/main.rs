//! mqbench: load generator for RocketMQ-compatible brokers (ours or Apache's), modelled on the
//! official benchmark tool (`org.apache.rocketmq.example.benchmark.Producer` / `Consumer`).
//!
//! `mqbench producer -n 127.0.0.1:9876 -t BenchmarkTest -w 32 -s 1024 -d 60` and
//! `mqbench consumer -n ... -t BenchmarkTest -g bench_consumer -d 60`. One line per second in the
//! official tool's format, then a summary with latency percentiles (`--json FILE` writes it as
//! JSON). SIGTERM or Ctrl-C ends a run early and still prints the summary.

mod clock;
mod consumer;
mod producer;
mod progress;
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
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let (trigger, stop) = stop::signal();
        tokio::spawn(stop::on_signals(trigger));
        match cli.mode {
            Mode::Producer(a) => producer::run(a, stop).await,
            Mode::Consumer(a) => consumer::run(a, stop).await,
        }
    })
}

/// The run's stop signal: SIGTERM, SIGINT, the duration or the message count.
pub mod stop {
    use std::sync::Arc;

    /// Stop signal (cheap to clone).
    #[derive(Clone)]
    pub struct Stop(tokio::sync::watch::Receiver<bool>, Arc<tokio::sync::watch::Sender<bool>>);

    /// Creates a signal; the first value is its trigger for the signal handler.
    pub fn signal() -> (Stop, Stop) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let s = Stop(rx, Arc::new(tx));
        (s.clone(), s)
    }

    impl Stop {
        /// Stops the run.
        pub fn trigger(&self) {
            let _ = self.1.send(true);
        }

        /// Resolves once stopped.
        pub async fn wait(&self) {
            let mut rx = self.0.clone();
            let _ = rx.wait_for(|v| *v).await;
        }

        /// Whether stopped.
        pub fn is_stopped(&self) -> bool {
            *self.0.borrow()
        }

        /// Stops the run `secs` seconds from now (0: never).
        pub fn after(&self, secs: u64) {
            if secs > 0 {
                let stop = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
                    stop.trigger();
                });
            }
        }
    }

    /// Triggers `stop` on SIGTERM or SIGINT.
    pub async fn on_signals(stop: Stop) {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        stop.trigger();
    }
}
