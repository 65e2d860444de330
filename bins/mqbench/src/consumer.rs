//! Consumer mode: a push consumer counting messages and recording end-to-end latency: born time
//! to consume (B2C) and store time to consume (S2C); both clocks are this machine's when run
//! locally.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};

use crate::clock::now_ms;
use crate::stats::{Kind, Stats};
use crate::stop::Stop;

/// Consumer options (the official Consumer's letters where they exist).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Name servers.
    #[arg(short = 'n', long, env = "NAMESRV_ADDR")]
    namesrv: String,
    /// Topic.
    #[arg(short = 't', long, default_value = rmq_common::topic::BENCHMARK)]
    topic: String,
    /// Consumer group.
    #[arg(short = 'g', long, default_value = "benchmark_consumer")]
    group: String,
    /// Consumer groups reading the topics, each with a consumer of its own: `GROUP_0` ..
    /// (the `fanout` scenario); lines and summary count every group's messages.
    #[arg(long, default_value_t = 1)]
    groups: usize,
    /// Topics subscribed: `TOPIC_0` .. `TOPIC_{N-1}` when more than one (as `mqbench topics`
    /// creates them).
    #[arg(long, default_value_t = 1)]
    topics: usize,
    /// Tag expression.
    #[arg(long, default_value = "*")]
    expression: String,
    /// Listener threads.
    #[arg(short = 'w', long, default_value_t = 20)]
    threads: usize,
    /// Messages handed to the listener at once.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Start from the first offset (a backlog) instead of the last.
    #[arg(long, default_value_t = false)]
    from_first: bool,
    /// Seconds to run (0 = until SIGTERM).
    #[arg(short = 'd', long, default_value_t = 60)]
    duration: u64,
    /// Stop after this many messages (0 = no limit).
    #[arg(short = 'c', long, default_value_t = 0)]
    count: u64,
    /// Connect with TLS (any server certificate trusted, as `-Dtls.enable=true`).
    #[arg(long, default_value_t = false)]
    tls: bool,
    #[command(flatten)]
    acl: crate::AclArgs,
    /// Write the summary as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Runs the consumer until the duration, the count or `stop`.
pub async fn run(a: Args, stop: Stop) -> anyhow::Result<()> {
    let stats = Arc::new(Stats::new()?);
    let topics = crate::topics::names(&a.topic, a.topics);
    let subscriptions: Vec<(&str, &str)> = topics.iter().map(|t| (t.as_str(), a.expression.as_str())).collect();
    let mut consumers = Vec::new();
    for group in crate::topics::names(&a.group, a.groups) {
        let config = consumer_config(&a, &group, consumers.len())?;
        let listener = listener(&stats, a.count, &stop);
        consumers.push(
            PushConsumer::start(config, &subscriptions, listener)
                .await
                .with_context(|| format!("starting the consumer of {group}"))?,
        );
    }
    stop.after(a.duration);
    let reporter =
        tokio::spawn(crate::progress::report(Arc::clone(&stats), Kind::Consume, 0, a.duration, a.count, stop.clone()));
    stop.wait().await;
    if let Ok(progress) = reporter.await {
        progress.clear();
    }
    for consumer in consumers {
        let _ = tokio::time::timeout(Duration::from_secs(5), consumer.shutdown()).await;
    }
    crate::stats::finish(&stats.summary("consumer"), a.json.as_deref())
}

/// The config of the `index`th consumer (each its own client instance, so its own connections).
fn consumer_config(a: &Args, group: &str, index: usize) -> anyhow::Result<ConsumerConfig> {
    let mut config = ConsumerConfig::new(group, &a.namesrv);
    if a.tls {
        config.client = config.client.with_tls();
    }
    if a.groups > 1 {
        config.client.instance_name = format!("mqbench-{}-{index}", std::process::id());
    }
    config.client.credentials = a.acl.credentials()?;
    config.consume.threads = a.threads.max(1);
    config.consume.batch_size = a.batch_size.max(1);
    config.from_where = if a.from_first { ConsumeFromWhere::FirstOffset } else { ConsumeFromWhere::LastOffset };
    Ok(config)
}

/// Counts what it is given and records its latency; triggers `stop` at the count.
fn listener(stats: &Arc<Stats>, count: u64, stop: &Stop) -> Listener {
    let (s, done) = (Arc::clone(stats), stop.clone());
    Listener::concurrent(move |msgs, _| {
        let now = i64::try_from(now_ms()).unwrap_or(i64::MAX);
        for m in msgs {
            s.consumed(millis(now - m.born_timestamp), millis(now - m.store_timestamp));
        }
        if count > 0 && s.messages() >= count {
            done.trigger();
        }
        ConsumeStatus::Success
    })
}
