//! Producer mode: `-w` tasks each sending in a loop (sync or async), optional batches, keys,
//! tags and delay level, for `-d` seconds or `-c` messages in total.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_client::producer::{Producer, ProducerConfig, SendStatus};
use rmq_client::Message;

use crate::stats::{finish, tokio_util_like, Stats};

/// Producer options (the official Producer's letters where they exist).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Name servers.
    #[arg(short = 'n', long, env = "NAMESRV_ADDR")]
    namesrv: String,
    /// Topic.
    #[arg(short = 't', long, default_value = "BenchmarkTest")]
    topic: String,
    /// Concurrent senders.
    #[arg(short = 'w', long, default_value_t = 64)]
    threads: usize,
    /// Body size in bytes.
    #[arg(short = 's', long, default_value_t = 128)]
    size: usize,
    /// Put a unique key on every message.
    #[arg(short = 'k', long, default_value_t = false)]
    keys: bool,
    /// Tag (none when empty).
    #[arg(long, default_value = "")]
    tag: String,
    /// Messages per batch send (1 = single sends).
    #[arg(short = 'b', long, default_value_t = 1)]
    batch: usize,
    /// Delay level on every message (0 = none).
    #[arg(long, default_value_t = 0)]
    delay_level: i32,
    /// Seconds to run (0 = until the count is reached).
    #[arg(short = 'd', long, default_value_t = 60)]
    duration: u64,
    /// Messages in total (0 = until the duration ends).
    #[arg(short = 'c', long, default_value_t = 0)]
    count: u64,
    /// Producer group.
    #[arg(long, default_value = "benchmark_producer")]
    group: String,
    /// Write the summary as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn message(a: &Args, body: &bytes_like::Body, seq: u64) -> Message {
    let mut m = Message::new(&a.topic, body.0.clone());
    if !a.tag.is_empty() {
        m = m.with_tags(&a.tag);
    }
    if a.keys {
        m = m.with_keys([format!("k{seq}")]);
    }
    if a.delay_level > 0 {
        m = m.with_delay_level(a.delay_level);
    }
    m
}

mod bytes_like {
    /// A shared body.
    pub struct Body(pub Vec<u8>);
}

/// Runs the producer.
pub async fn run(a: Args) -> anyhow::Result<()> {
    let config = ProducerConfig::new(&a.group, &a.namesrv);
    let producer = Producer::start(config).await?;
    let stats = Arc::new(Stats::new());
    let (stop_tx, stop) = tokio_util_like::stop();
    let seq = Arc::new(AtomicU64::new(0));
    let body = Arc::new(bytes_like::Body(vec![b'a'; a.size]));
    let a = Arc::new(a);
    let deadline = (a.duration > 0).then(|| Instant::now() + Duration::from_secs(a.duration));
    let reporter = {
        let (s, stop) = (Arc::clone(&stats), stop.clone());
        tokio::spawn(async move { s.report("Send", stop).await })
    };
    let mut tasks = Vec::new();
    for _ in 0..a.threads.max(1) {
        let (p, s, a, seq, body, stop) =
            (producer.clone(), Arc::clone(&stats), Arc::clone(&a), Arc::clone(&seq), Arc::clone(&body), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.is_stopped() && deadline.is_none_or(|d| Instant::now() < d) {
                let n = a.batch.max(1) as u64;
                let first = seq.fetch_add(n, Ordering::Relaxed);
                if a.count > 0 && first >= a.count {
                    break;
                }
                let started = Instant::now();
                let result = if n == 1 {
                    p.send(message(&a, &body, first)).await
                } else {
                    p.send_batch((first..first + n).map(|i| message(&a, &body, i)).collect()).await
                };
                match result {
                    Ok(r) if r.status == SendStatus::SendOk => {
                        for _ in 0..n {
                            s.record(started.elapsed());
                        }
                    }
                    Ok(_) | Err(_) => {
                        s.failed.fetch_add(n, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let _ = stop_tx.send(true);
    let _ = reporter.await;
    producer.shutdown().await;
    finish(&stats, "producer", a.json.as_deref())
}
