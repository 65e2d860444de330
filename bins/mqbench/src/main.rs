//! mqbench: load generator for RocketMQ-compatible brokers (ours or Apache's), modelled on the
//! official benchmark tool (`org.apache.rocketmq.example.benchmark.Producer` / `Consumer`).
//!
//! `mqbench producer -n 127.0.0.1:9876 -t BenchmarkTest -w 32 -s 1024 -d 60` and
//! `mqbench consumer -n ... -t BenchmarkTest -g bench_consumer -d 60`; `--topics N` spreads a run
//! over `TOPIC_0` .. (made by `mqbench topics -n ... -t TOPIC --count N`), `--producers N` and
//! `--groups N` give it that many client instances (connections) or consumer groups; through a
//! 5.x gRPC proxy: `mqbench grpc-producer --proxy 127.0.0.1:8081 -t BenchmarkTest -w 64 --channels 2`
//! and `mqbench grpc-consumer --proxy 127.0.0.1:8081 -t BenchmarkTest -g bench_grpc -w 8`. One line per second in the
//! official tool's format, then a summary with latency percentiles (`--json FILE` writes it as
//! JSON). SIGTERM or Ctrl-C ends a run early and still prints the summary.

mod clock;
mod consumer;
mod grpc;
mod producer;
mod progress;
mod stats;
mod topics;

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
    /// Create topics (many at once) on every master of a cluster.
    Topics(topics::Args),
    /// SendMessage through a RocketMQ 5.x gRPC proxy (ours or the official one).
    GrpcProducer(grpc::producer::Args),
    /// ReceiveMessage + AckMessage through a RocketMQ 5.x gRPC proxy.
    GrpcConsumer(grpc::consumer::Args),
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
            Mode::Topics(a) => topics::run(a).await,
            Mode::GrpcProducer(a) => grpc::producer::run(a, stop).await,
            Mode::GrpcConsumer(a) => grpc::consumer::run(a, stop).await,
        }
    })
}

/// `--accessKey`/`--secretKey`: an ACL 1.0 account that signs every request (both or neither).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AclArgs {
    /// ACL AccessKey (with --secretKey): every request is signed as `AclClientRPCHook` does.
    #[arg(long = "accessKey", env = "ROCKETMQ_ACCESS_KEY")]
    access_key: Option<String>,
    /// ACL SecretKey of --accessKey.
    #[arg(long = "secretKey", env = "ROCKETMQ_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
}

impl AclArgs {
    /// The account, if any.
    pub fn credentials(&self) -> anyhow::Result<Option<rmq_client::Credentials>> {
        match (&self.access_key, &self.secret_key) {
            (Some(ak), Some(sk)) => Ok(Some(rmq_client::Credentials::new(ak.clone(), sk.clone()))),
            (None, None) => Ok(None),
            _ => anyhow::bail!("--accessKey and --secretKey go together"),
        }
    }
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
