//! `grpc-consumer`: a simple consumer through a proxy: `-w` receive loops over `--channels`
//! connections, each ReceiveMessage (long polling, over the broker's POP) then one AckMessage
//! for the batch. Latency is born-to-receive (B2C) and store-to-receive (S2C), as the remoting
//! consumer reports them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use rmq_proxy::pb::{self, receive_message_response::Content, Code};

use super::{resource, timestamp_ms, Client};
use crate::stats::{Kind, Stats};
use crate::stop::Stop;

/// gRPC consumer options.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Proxy gRPC address, host:port.
    #[arg(long, env = "PROXY_ADDR")]
    proxy: String,
    /// Topic.
    #[arg(short = 't', long, default_value = rmq_common::topic::BENCHMARK)]
    topic: String,
    /// Consumer group.
    #[arg(short = 'g', long, default_value = "benchmark_grpc_consumer")]
    group: String,
    /// Tag expression.
    #[arg(long, default_value = "*")]
    expression: String,
    /// Receive loops (ReceiveMessage calls in flight at once).
    #[arg(short = 'w', long, default_value_t = 8)]
    threads: usize,
    /// HTTP/2 connections the calls are spread over.
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// Messages one receive asks for (at most 32).
    #[arg(long, default_value_t = 32)]
    batch_size: i32,
    /// Invisible duration of received messages, ms (the official proxy's minimum is 10 000).
    #[arg(long, default_value_t = 30_000)]
    invisible_ms: i64,
    /// Long polling timeout, ms (the proxies bound it to 5 000..20 000).
    #[arg(long, default_value_t = 5_000)]
    poll_ms: i64,
    /// Seconds to run (0 = until SIGTERM).
    #[arg(short = 'd', long, default_value_t = 60)]
    duration: u64,
    /// Stop after this many messages (0 = no limit).
    #[arg(short = 'c', long, default_value_t = 0)]
    count: u64,
    /// Write the summary as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn duration(ms: i64) -> prost_types::Duration {
    prost_types::Duration { seconds: ms / 1000, nanos: i32::try_from((ms % 1000) * 1_000_000).unwrap_or(0) }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// What every receive loop shares.
struct Shared {
    args: Args,
    queues: Vec<pb::MessageQueue>,
    next: AtomicUsize,
    stats: Arc<Stats>,
    stop: Stop,
}

impl Shared {
    /// The next queue to receive from, round robin over the assignment's brokers.
    fn queue(&self) -> pb::MessageQueue {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.queues.len();
        self.queues[i].clone()
    }

    fn request(&self) -> pb::ReceiveMessageRequest {
        let a = &self.args;
        pb::ReceiveMessageRequest {
            group: resource(&a.group),
            message_queue: Some(self.queue()),
            filter_expression: Some(pb::FilterExpression {
                r#type: pb::FilterType::Tag as i32,
                expression: a.expression.clone(),
            }),
            batch_size: a.batch_size.clamp(1, 32),
            invisible_duration: Some(duration(a.invisible_ms)),
            auto_renew: false,
            long_polling_timeout: Some(duration(a.poll_ms)),
            ..Default::default()
        }
    }
}

fn settings(a: &Args) -> anyhow::Result<pb::Settings> {
    Ok(pb::Settings {
        client_type: Some(pb::ClientType::SimpleConsumer as i32),
        access_point: Some(super::endpoints(&a.proxy)?),
        request_timeout: Some(duration(3_000)),
        pub_sub: Some(pb::settings::PubSub::Subscription(pb::Subscription {
            group: resource(&a.group),
            subscriptions: vec![pb::SubscriptionEntry {
                topic: resource(&a.topic),
                expression: Some(pb::FilterExpression {
                    r#type: pb::FilterType::Tag as i32,
                    expression: a.expression.clone(),
                }),
            }],
            fifo: Some(false),
            receive_batch_size: Some(a.batch_size),
            long_polling_timeout: Some(duration(a.poll_ms)),
            ..Default::default()
        })),
        ..Default::default()
    })
}

/// The queues (one per broker, queue id -1) the proxy assigns this group.
async fn assignment(client: &mut Client, a: &Args) -> anyhow::Result<Vec<pb::MessageQueue>> {
    let req = pb::QueryAssignmentRequest {
        topic: resource(&a.topic),
        group: resource(&a.group),
        endpoints: Some(super::endpoints(&a.proxy)?),
    };
    let r = client.query_assignment(req).await.context("QueryAssignment")?.into_inner();
    let status = r.status.unwrap_or_default();
    if status.code != Code::Ok as i32 {
        bail!("QueryAssignment: {} {}", super::code_name(status.code), status.message);
    }
    let queues: Vec<_> = r.assignments.into_iter().filter_map(|x| x.message_queue).collect();
    if queues.is_empty() {
        bail!("QueryAssignment named no queue for topic {}", a.topic);
    }
    Ok(queues)
}

/// Runs the gRPC consumer until the duration, the count or `stop`.
pub async fn run(a: Args, stop: Stop) -> anyhow::Result<()> {
    let id = super::client_id("consumer");
    let mut clients = super::connect(&a.proxy, a.channels, &id).await?;
    let telemetry = super::announce(&mut clients[0], settings(&a)?).await?;
    let heartbeat =
        pb::HeartbeatRequest { group: resource(&a.group), client_type: pb::ClientType::SimpleConsumer as i32 };
    clients[0].heartbeat(heartbeat).await.context("Heartbeat")?;
    let queues = assignment(&mut clients[0], &a).await?;
    let stats = Arc::new(Stats::new()?);
    let (threads, duration_s, count, json) = (a.threads.max(1), a.duration, a.count, a.json.clone());
    let shared =
        Arc::new(Shared { args: a, queues, next: AtomicUsize::new(0), stats: Arc::clone(&stats), stop: stop.clone() });
    stop.after(duration_s);
    let reporter =
        tokio::spawn(crate::progress::report(Arc::clone(&stats), Kind::Consume, 0, duration_s, count, stop.clone()));
    let workers: Vec<_> = (0..threads)
        .map(|i| tokio::spawn(receive_loop(clients[i % clients.len()].clone(), Arc::clone(&shared))))
        .collect();
    stop.wait().await;
    if let Ok(progress) = reporter.await {
        progress.clear();
    }
    for w in workers {
        let _ = tokio::time::timeout(Duration::from_secs(2), w).await;
    }
    drop(telemetry);
    crate::stats::finish(&stats.summary("grpc-consumer"), json.as_deref())
}

async fn receive_loop(mut client: Client, s: Arc<Shared>) {
    let mut warned = false;
    while !s.stop.is_stopped() {
        let received = tokio::select! {
            r = receive(&mut client, &s) => r,
            () = s.stop.wait() => return,
        };
        match received {
            Ok(msgs) if msgs.is_empty() => {}
            Ok(msgs) => ack(&mut client, &s, msgs).await,
            Err(e) => {
                if !warned {
                    warned = true;
                    eprintln!("receive failed: {e}");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One ReceiveMessage: the messages (recorded), empty when the long poll ended empty.
async fn receive(client: &mut Client, s: &Shared) -> anyhow::Result<Vec<pb::Message>> {
    let mut call = tonic::Request::new(s.request());
    call.set_timeout(millis(s.args.poll_ms + 3_000));
    let mut stream = client.receive_message(call).await?.into_inner();
    let mut msgs = Vec::new();
    while let Some(item) = stream.message().await? {
        match item.content {
            Some(Content::Status(st)) if st.code != Code::Ok as i32 && st.code != Code::MessageNotFound as i32 => {
                bail!("{} {}", super::code_name(st.code), st.message)
            }
            Some(Content::Message(m)) => {
                record(&s.stats, &m);
                msgs.push(m);
            }
            _ => {}
        }
    }
    if s.args.count > 0 && s.stats.messages() >= s.args.count {
        s.stop.trigger();
    }
    Ok(msgs)
}

fn record(stats: &Stats, m: &pb::Message) {
    let now = i64::try_from(crate::clock::now_ms()).unwrap_or(i64::MAX);
    let sys = m.system_properties.as_ref();
    let born = sys.and_then(|p| p.born_timestamp.as_ref()).map_or(now, timestamp_ms);
    let stored = sys.and_then(|p| p.store_timestamp.as_ref()).map_or(now, timestamp_ms);
    stats.consumed(millis(now - born), millis(now - stored));
}

/// Acks a received batch in one AckMessage; entries that fail count as failed.
async fn ack(client: &mut Client, s: &Shared, msgs: Vec<pb::Message>) {
    let entries: Vec<_> = msgs
        .into_iter()
        .filter_map(|m| m.system_properties)
        .map(|p| pb::AckMessageEntry {
            message_id: p.message_id,
            receipt_handle: p.receipt_handle.unwrap_or_default(),
            lite_topic: None,
        })
        .collect();
    let n = entries.len();
    let req = pb::AckMessageRequest { group: resource(&s.args.group), topic: resource(&s.args.topic), entries };
    let failed = match client.ack_message(req).await {
        Ok(r) => r
            .into_inner()
            .entries
            .iter()
            .filter(|e| e.status.as_ref().is_none_or(|st| st.code != Code::Ok as i32))
            .count(),
        Err(_) => n,
    };
    for _ in 0..failed {
        s.stats.begin();
        s.stats.failed();
    }
}
