//! `grpc-producer`: SendMessage through a proxy, `-w` requests in flight over `--channels`
//! connections; one line a second and the summary as the remoting producer prints them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_proxy::pb::{self, Code};

use super::{resource, Client};
use crate::stats::{Kind, Stats};
use crate::stop::Stop;

/// gRPC producer options (letters as the remoting producer's).
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Proxy gRPC address, host:port.
    #[arg(long, env = "PROXY_ADDR")]
    proxy: String,
    /// Topic.
    #[arg(short = 't', long, default_value = rmq_common::topic::BENCHMARK)]
    topic: String,
    /// SendMessage calls in flight at once.
    #[arg(short = 'w', long, default_value_t = 64)]
    threads: usize,
    /// HTTP/2 connections the calls are spread over.
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// Body size in bytes.
    #[arg(short = 's', long, default_value_t = 128)]
    size: usize,
    /// Messages per SendMessage call.
    #[arg(short = 'b', long, default_value_t = 1)]
    batch: usize,
    /// Tag (none when empty).
    #[arg(long, default_value = "")]
    tag: String,
    /// Seconds to run (0 = until the count is reached or SIGTERM).
    #[arg(short = 'd', long, default_value_t = 60)]
    duration: u64,
    /// Messages in total (0 = until the duration ends or SIGTERM).
    #[arg(short = 'c', long, default_value_t = 0)]
    count: u64,
    /// Milliseconds after the first send before the measured window starts.
    #[arg(long, default_value_t = 0)]
    warmup_ms: u64,
    /// Write the summary as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// Builds the SendMessage requests.
struct Factory {
    args: Args,
    body: Vec<u8>,
    seq: AtomicU64,
    id_prefix: String,
}

impl Factory {
    /// The next request, or None once `-c` messages were handed out.
    fn next(&self) -> Option<(pb::SendMessageRequest, u64)> {
        let n = self.args.batch.max(1) as u64;
        let first = self.seq.fetch_add(n, Ordering::Relaxed);
        if self.args.count > 0 && first >= self.args.count {
            return None;
        }
        let last = if self.args.count > 0 { (first + n).min(self.args.count) } else { first + n };
        let messages = (first..last).map(|i| self.message(i)).collect();
        Some((pb::SendMessageRequest { messages }, last - first))
    }

    fn message(&self, seq: u64) -> pb::Message {
        let now = crate::clock::now_ms();
        let born = prost_types::Timestamp {
            seconds: i64::try_from(now / 1000).unwrap_or(0),
            nanos: i32::try_from((now % 1000) * 1_000_000).unwrap_or(0),
        };
        pb::Message {
            topic: resource(&self.args.topic),
            user_properties: std::collections::HashMap::new(),
            system_properties: Some(pb::SystemProperties {
                tag: (!self.args.tag.is_empty()).then(|| self.args.tag.clone()),
                message_id: format!("{}{seq:016X}", self.id_prefix),
                body_encoding: pb::Encoding::Identity as i32,
                message_type: pb::MessageType::Normal as i32,
                born_timestamp: Some(born),
                born_host: "127.0.0.1".into(),
                ..Default::default()
            }),
            body: self.body.clone(),
        }
    }
}

/// A unique 18-hex-digit prefix of this run's message ids (34 digits in all, as the SDKs').
fn id_prefix() -> String {
    format!("01{:08X}{:08X}", std::process::id(), crate::clock::now_ms() & 0xFFFF_FFFF)
}

/// Runs the gRPC producer until the duration, the count or `stop`.
pub async fn run(a: Args, stop: Stop) -> anyhow::Result<()> {
    let id = super::client_id("producer");
    let mut clients = super::connect(&a.proxy, a.channels, &id).await?;
    let settings = pb::Settings {
        client_type: Some(pb::ClientType::Producer as i32),
        access_point: Some(super::endpoints(&a.proxy)?),
        request_timeout: Some(prost_types::Duration { seconds: 3, nanos: 0 }),
        pub_sub: Some(pb::settings::PubSub::Publishing(pb::Publishing {
            topics: resource(&a.topic).into_iter().collect(),
            ..Default::default()
        })),
        ..Default::default()
    };
    let telemetry = super::announce(&mut clients[0], settings).await?;
    let stats = Arc::new(Stats::new()?);
    let (threads, warmup_ms, duration, count, json) =
        (a.threads.max(1), a.warmup_ms, a.duration, a.count, a.json.clone());
    let batch = a.batch.max(1) as u64;
    let factory =
        Arc::new(Factory { body: vec![b'a'; a.size], seq: AtomicU64::new(0), id_prefix: id_prefix(), args: a });
    let reporter = tokio::spawn(crate::progress::report(
        Arc::clone(&stats),
        Kind::Send { batch },
        warmup_ms,
        duration,
        count,
        stop.clone(),
    ));
    stop.after(duration);
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            tokio::spawn(send_loop(client, Arc::clone(&factory), Arc::clone(&stats), stop.clone()))
        })
        .collect();
    let all_done = async {
        for w in workers {
            let _ = w.await;
        }
    };
    tokio::select! {
        () = all_done => {}
        () = stop.wait() => {}
    }
    stop.trigger();
    println!("{}", stats.total_line());
    if let Ok(progress) = reporter.await {
        progress.clear();
    }
    drop(telemetry);
    crate::stats::finish(&stats.summary("grpc-producer"), json.as_deref())
}

async fn send_loop(mut client: Client, factory: Arc<Factory>, stats: Arc<Stats>, stop: Stop) {
    let mut warned = false;
    while !stop.is_stopped() {
        let Some((req, n)) = factory.next() else { return };
        stats.begin();
        let started = Instant::now();
        let mut call = tonic::Request::new(req);
        call.set_timeout(Duration::from_secs(10));
        match client.send_message(call).await.map(tonic::Response::into_inner) {
            Ok(r) if r.status.as_ref().is_some_and(|s| s.code == Code::Ok as i32) => stats.ok(started.elapsed(), n),
            other => {
                if !warned {
                    warned = true;
                    eprintln!("send failed: {}", describe(&other));
                }
                stats.failed();
            }
        }
    }
}

/// What a failed SendMessage answered.
fn describe(r: &Result<pb::SendMessageResponse, tonic::Status>) -> String {
    match r {
        Ok(r) => r
            .status
            .as_ref()
            .map_or_else(|| "no status".to_owned(), |s| format!("{} {}", super::code_name(s.code), s.message)),
        Err(e) => format!("gRPC {e}"),
    }
}
