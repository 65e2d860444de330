//! Consumer mode: a push consumer counting messages and recording end-to-end latency (now minus
//! the born time; both clocks are this machine's when run locally).

use std::sync::Arc;
use std::time::Duration;

use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};

use crate::stats::{finish, tokio_util_like, Stats};

/// Consumer options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Name servers.
    #[arg(short = 'n', long, env = "NAMESRV_ADDR")]
    namesrv: String,
    /// Topic.
    #[arg(short = 't', long, default_value = "BenchmarkTest")]
    topic: String,
    /// Consumer group.
    #[arg(short = 'g', long, default_value = "benchmark_consumer")]
    group: String,
    /// Tag expression.
    #[arg(long, default_value = "*")]
    expression: String,
    /// Listener threads.
    #[arg(short = 'w', long, default_value_t = 20)]
    threads: usize,
    /// Start from the first offset (a backlog) instead of the last.
    #[arg(long, default_value_t = false)]
    from_first: bool,
    /// Seconds to run.
    #[arg(short = 'd', long, default_value_t = 60)]
    duration: u64,
    /// Write the summary as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// Runs the consumer.
pub async fn run(a: Args) -> anyhow::Result<()> {
    let stats = Arc::new(Stats::new());
    let mut config = ConsumerConfig::new(&a.group, &a.namesrv);
    config.consume_threads = a.threads.max(1);
    config.consume_batch_size = 32;
    config.from_where = if a.from_first { ConsumeFromWhere::FirstOffset } else { ConsumeFromWhere::LastOffset };
    let s = Arc::clone(&stats);
    let listener = Listener::concurrent(move |msgs, _| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        for m in msgs {
            let born = u128::try_from(m.born_timestamp).unwrap_or(0);
            s.record(Duration::from_millis(u64::try_from(now.saturating_sub(born)).unwrap_or(0)));
        }
        ConsumeStatus::Success
    });
    let consumer = PushConsumer::start(config, &[(&a.topic, &a.expression)], listener).await?;
    let (stop_tx, stop) = tokio_util_like::stop();
    let reporter = {
        let s = Arc::clone(&stats);
        tokio::spawn(async move { s.report("Consume", stop).await })
    };
    tokio::time::sleep(Duration::from_secs(a.duration)).await;
    let _ = stop_tx.send(true);
    let _ = reporter.await;
    consumer.shutdown().await;
    finish(&stats, "consumer", a.json.as_deref())
}
