//! Producer mode: `-w` senders in a loop (sync), or up to `--inflight` callback sends (`-a`);
//! optional batches, keys, tags, a delay level or transactional sends; for `-d` seconds, `-c`
//! messages, or until SIGTERM.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use rmq_client::producer::{
    LocalTransactionState, Producer, ProducerConfig, SendResult, SendStatus, TransactionListener, TransactionProducer,
};
use rmq_client::Message;
use rmq_common::message::MessageExt;
use tokio::sync::Semaphore;

use crate::stats::{Kind, Stats};
use crate::stop::Stop;

/// Property carrying the sequence number, which decides a transactional message's outcome.
const SEQ_PROPERTY: &str = "mqbench_seq";

/// Producer options (the official Producer's letters where they exist).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Name servers.
    #[arg(short = 'n', long, env = "NAMESRV_ADDR")]
    namesrv: String,
    /// Topic.
    #[arg(short = 't', long, default_value = rmq_common::topic::BENCHMARK)]
    topic: String,
    /// Concurrent senders (sync mode).
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
    /// Async sends with a callback instead of `-w` sync senders.
    #[arg(short = 'a', long, default_value_t = false)]
    async_send: bool,
    /// Most async sends in flight at once (with `-a`).
    #[arg(long, default_value_t = 1024)]
    inflight: usize,
    /// Transactional sends: half message, local transaction, commit (or rollback / unknown).
    #[arg(long, default_value_t = false)]
    transaction: bool,
    /// With --transaction: percent of local transactions that roll back.
    #[arg(long, default_value_t = 0)]
    rollback_percent: u64,
    /// With --transaction: percent left unknown, committed when the broker checks back.
    #[arg(long, default_value_t = 0)]
    unknown_percent: u64,
    /// Seconds to run (0 = until the count is reached or SIGTERM).
    #[arg(short = 'd', long, default_value_t = 60)]
    duration: u64,
    /// Messages in total (0 = until the duration ends or SIGTERM).
    #[arg(short = 'c', long, default_value_t = 0)]
    count: u64,
    /// Milliseconds after the first send before the measured window (and `[probe-reset]`) starts.
    #[arg(long, default_value_t = 0)]
    warmup_ms: u64,
    /// Connect with TLS (any server certificate trusted, as `-Dtls.enable=true`).
    #[arg(long, default_value_t = false)]
    tls: bool,
    #[command(flatten)]
    acl: crate::AclArgs,
    /// Producer group.
    #[arg(long, default_value = "benchmark_producer")]
    group: String,
    /// Topics sent to in turn: `TOPIC_0` .. `TOPIC_{N-1}` when more than one (as `mqbench
    /// topics` creates them).
    #[arg(long, default_value_t = 1)]
    topics: usize,
    /// Producer client instances, each with its own connections, used in turn (request `k`
    /// goes through producer `k % N` to topic `k % topics`).
    #[arg(long, default_value_t = 1)]
    producers: usize,
    /// Write the summary as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// Decides local transactions by the sequence number; answers checks with commit.
struct BenchTransactions {
    rollback_percent: u64,
    unknown_percent: u64,
    checks: AtomicU64,
}

impl TransactionListener for BenchTransactions {
    fn execute(&self, msg: &Message, _sent: &SendResult) -> LocalTransactionState {
        let seq: u64 = msg.property(SEQ_PROPERTY).and_then(|s| s.parse().ok()).unwrap_or(0);
        match seq % 100 {
            p if p < self.rollback_percent => LocalTransactionState::RollbackMessage,
            p if p < self.rollback_percent + self.unknown_percent => LocalTransactionState::Unknown,
            _ => LocalTransactionState::CommitMessage,
        }
    }

    fn check(&self, _msg: &MessageExt) -> LocalTransactionState {
        self.checks.fetch_add(1, Ordering::Relaxed);
        LocalTransactionState::CommitMessage
    }
}

enum Sender {
    Plain(Producer),
    Transactional(TransactionProducer),
}

impl Sender {
    /// Starts the `index`th producer `a` asks for (transactional ones answer checks with
    /// `listener`).
    async fn start(a: &Args, listener: &Arc<BenchTransactions>, index: usize) -> anyhow::Result<Self> {
        let mut config = ProducerConfig::new(&a.group, &a.namesrv);
        if a.tls {
            config.client = config.client.with_tls();
        }
        if a.producers > 1 {
            config.client.instance_name = format!("mqbench-{}-{index}", std::process::id());
        }
        config.client.credentials = a.acl.credentials()?;
        Ok(if a.transaction {
            let l: Arc<dyn TransactionListener> = Arc::clone(listener) as _;
            Self::Transactional(TransactionProducer::start(config, l).await.context("starting the producer")?)
        } else {
            Self::Plain(Producer::start(config).await.context("starting the producer")?)
        })
    }

    fn producer(&self) -> &Producer {
        match self {
            Self::Plain(p) => p,
            Self::Transactional(t) => t.producer(),
        }
    }

    /// Sends `msgs` (one, or a batch); Ok(true) when the broker answered SEND_OK.
    async fn send(&self, mut msgs: Vec<Message>) -> bool {
        let result = match self {
            Self::Transactional(t) => t.send_in_transaction(msgs.remove(0)).await.map(|r| r.send),
            Self::Plain(p) if msgs.len() == 1 => p.send(msgs.remove(0)).await,
            Self::Plain(p) => p.send_batch(msgs).await,
        };
        matches!(result, Ok(r) if r.status == SendStatus::SendOk)
    }
}

/// Builds the messages of one request.
struct Factory {
    args: Args,
    body: Bytes,
    topics: Vec<String>,
    seq: AtomicU64,
}

impl Factory {
    /// The next request: the producer to send it with and its messages; None once `-c`
    /// messages were handed out.
    fn next(&self) -> Option<(usize, Vec<Message>)> {
        let n = self.args.batch.max(1) as u64;
        let first = self.seq.fetch_add(n, Ordering::Relaxed);
        if self.args.count > 0 && first >= self.args.count {
            return None;
        }
        let last = if self.args.count > 0 { (first + n).min(self.args.count) } else { first + n };
        let request = usize::try_from(first / n).unwrap_or(0);
        let topic = &self.topics[request % self.topics.len()];
        Some((request % self.args.producers.max(1), (first..last).map(|i| self.message(i, topic)).collect()))
    }

    fn message(&self, seq: u64, topic: &str) -> Message {
        let a = &self.args;
        let mut m = Message::new(topic, self.body.clone());
        if !a.tag.is_empty() {
            m = m.with_tags(&a.tag);
        }
        if a.keys {
            m = m.with_keys([format!("k{seq}")]);
        }
        if a.delay_level > 0 {
            m = m.with_delay_level(a.delay_level);
        }
        if a.transaction {
            m = m.with_property(SEQ_PROPERTY, &seq.to_string());
        }
        m
    }
}

fn validate(a: &Args) -> anyhow::Result<()> {
    if a.batch > 1 && (a.transaction || a.delay_level > 0) {
        bail!("batches cannot be transactional or delayed (as in RocketMQ)");
    }
    if a.transaction && a.delay_level > 0 {
        bail!("a transactional message cannot be delayed");
    }
    if a.rollback_percent + a.unknown_percent > 100 {
        bail!("--rollback-percent + --unknown-percent must not exceed 100");
    }
    Ok(())
}

/// Runs the producer until the duration, the count or `stop`.
pub async fn run(a: Args, stop: Stop) -> anyhow::Result<()> {
    validate(&a)?;
    let listener = Arc::new(BenchTransactions {
        rollback_percent: a.rollback_percent,
        unknown_percent: a.unknown_percent,
        checks: AtomicU64::new(0),
    });
    let sender = Arc::new(start_senders(&a, &listener).await?);
    let stats = Arc::new(Stats::new()?);
    let (batch, warmup_ms, duration, count, json) =
        (a.batch.max(1) as u64, a.warmup_ms, a.duration, a.count, a.json.clone());
    let (async_send, threads, inflight) = (a.async_send, a.threads.max(1), a.inflight.max(1));
    let (body, topics) = (Bytes::from(vec![b'a'; a.size]), crate::topics::names(&a.topic, a.topics));
    let factory = Arc::new(Factory { body, topics, seq: AtomicU64::new(0), args: a });

    let reporter = tokio::spawn(crate::progress::report(
        Arc::clone(&stats),
        Kind::Send { batch },
        warmup_ms,
        duration,
        count,
        stop.clone(),
    ));
    stop.after(duration);
    let permits = Arc::new(Semaphore::new(inflight));
    let workers = spawn_workers(&sender, &factory, &stats, async_send.then_some(&permits), threads, &stop);
    drain(workers, &permits, inflight, &stop, &stats).await;
    if let Ok(progress) = reporter.await {
        progress.clear();
    }
    for s in sender.iter() {
        let _ = tokio::time::timeout(Duration::from_secs(3), s.producer().shutdown()).await;
    }
    let mut summary = stats.summary("producer");
    if let Some(Sender::Transactional(_)) = sender.first() {
        summary["transaction_checks"] = listener.checks.load(Ordering::Relaxed).into();
    }
    crate::stats::finish(&summary, json.as_deref())
}

/// Starts `--producers` producers, 50 at a time.
async fn start_senders(a: &Args, listener: &Arc<BenchTransactions>) -> anyhow::Result<Senders> {
    let mut all = Vec::with_capacity(a.producers.max(1));
    while all.len() < a.producers.max(1) {
        let from = all.len();
        let to = (from + 50).min(a.producers.max(1));
        let started = futures::future::join_all((from..to).map(|i| Sender::start(a, listener, i))).await;
        for s in started {
            all.push(s?);
        }
    }
    Ok(all)
}

/// Every producer of the run.
type Senders = Vec<Sender>;

/// Waits for the workers and the async sends in flight (they hold `permits`), or for `stop`.
/// A count run has drained its sends; a stopped run prints its total at once (the runner's
/// clock) and then gives the sends in flight 5 s to finish.
async fn drain(
    workers: Vec<tokio::task::JoinHandle<()>>,
    permits: &Semaphore,
    inflight: usize,
    stop: &Stop,
    stats: &Stats,
) {
    let all_done = async {
        for w in workers {
            let _ = w.await;
        }
        let _ = permits.acquire_many(u32::try_from(inflight).unwrap_or(u32::MAX)).await;
    };
    tokio::pin!(all_done);
    let finished = tokio::select! {
        () = &mut all_done => true,
        () = stop.wait() => false,
    };
    stop.trigger();
    println!("{}", stats.total_line());
    if !finished {
        let _ = tokio::time::timeout(Duration::from_secs(5), all_done).await;
    }
}

/// One async sender bounded by `permits`, or `threads` synchronous senders.
fn spawn_workers(
    sender: &Arc<Senders>,
    factory: &Arc<Factory>,
    stats: &Arc<Stats>,
    permits: Option<&Arc<Semaphore>>,
    threads: usize,
    stop: &Stop,
) -> Vec<tokio::task::JoinHandle<()>> {
    let (sender, factory, stats) = (Arc::clone(sender), Arc::clone(factory), Arc::clone(stats));
    if let Some(permits) = permits {
        return vec![tokio::spawn(send_async(sender, factory, stats, Arc::clone(permits), stop.clone()))];
    }
    (0..threads)
        .map(|_| tokio::spawn(send_loop(Arc::clone(&sender), Arc::clone(&factory), Arc::clone(&stats), stop.clone())))
        .collect()
}

async fn send_loop(sender: Arc<Senders>, factory: Arc<Factory>, stats: Arc<Stats>, stop: Stop) {
    while !stop.is_stopped() {
        let Some((which, msgs)) = factory.next() else { return };
        let n = msgs.len() as u64;
        stats.begin();
        let started = Instant::now();
        if sender[which].send(msgs).await {
            stats.ok(started.elapsed(), n);
        } else {
            stats.failed();
        }
    }
}

async fn send_async(
    sender: Arc<Senders>,
    factory: Arc<Factory>,
    stats: Arc<Stats>,
    permits: Arc<Semaphore>,
    stop: Stop,
) {
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            () = stop.wait() => return,
        };
        if stop.is_stopped() {
            return;
        }
        let Some((which, msgs)) = factory.next() else { return };
        let n = msgs.len() as u64;
        let (sender, stats) = (Arc::clone(&sender), Arc::clone(&stats));
        stats.begin();
        tokio::spawn(async move {
            let started = Instant::now();
            if sender[which].send(msgs).await {
                stats.ok(started.elapsed(), n);
            } else {
                stats.failed();
            }
            drop(permit);
        });
    }
}
