//! Interop driver for the Java compatibility suite (also a usage example).
//!
//! `interop send <namesrv> <topic> <n>`: sends n messages (tag TagI, key key-<i>, property
//! idx=<i>; every third body over 4 KiB, so compressed) and prints `SENT <msgId>` per message.
//! `interop consume <namesrv> <topic> <group> <n> <timeout-s>`: consumes from the first offset
//! and prints one JSON line per message (msgId, body, tags, keys, idx), exiting after n.
//! `interop trace <namesrv> <msgId> <timeout-s>`: waits for a send and a consume trace of the
//! message on RMQ_SYS_TRACE_TOPIC and prints one JSON line per trace record.
//! `interop request <namesrv> <topic> <n> <timeout-ms>`: sends n requests (`rreq-<i>`), one at a
//! time, and prints `REPLY <request body> <reply body>` per reply.
//! `interop reply <namesrv> <topic> <group> <n> <timeout-s>`: answers requests on the topic with
//! `rust-reply-<request body>` (`reply::create_reply_message`), prints `READY` once consuming and
//! `REPLIED <request body>` per reply sent, exiting after n.
// Test and example code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;

/// The body of message `i`: long (compressed) for every third.
fn body(i: usize) -> String {
    if i.is_multiple_of(3) {
        format!("big-{i}-{}", "r".repeat(6000))
    } else {
        format!("small-{i}")
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg =
        |i: usize| args.get(i).cloned().ok_or_else(|| anyhow::anyhow!("missing argument {i}; see the file's doc"));
    match args.first().map(String::as_str) {
        Some("send") => {
            let (ns, topic, n) = (arg(1)?, arg(2)?, arg(3)?.parse::<usize>()?);
            let producer = Producer::start(ProducerConfig::new("rust_interop_producer", ns)).await?;
            for i in 0..n {
                let m = Message::new(&topic, body(i))
                    .with_tags("TagI")
                    .with_keys([format!("key-{i}")])
                    .with_property("idx", &i.to_string());
                let r = producer.send(m).await?;
                println!("SENT {}", r.msg_id);
            }
            producer.shutdown().await;
        }
        Some("consume") => {
            let (ns, topic, group, n, secs) =
                (arg(1)?, arg(2)?, arg(3)?, arg(4)?.parse::<usize>()?, arg(5)?.parse::<u64>()?);
            let mut config = ConsumerConfig::new(group, ns);
            config.from_where = ConsumeFromWhere::FirstOffset;
            let count = Arc::new(AtomicUsize::new(0));
            let c = Arc::clone(&count);
            let listener = Listener::concurrent(move |msgs, _| {
                for m in msgs {
                    let prop = |k: &str| rmq_common::property::get(&m.properties, k).map(str::to_owned);
                    let id = prop("UNIQ_KEY").unwrap_or_else(|| m.msg_id.clone());
                    let line = serde_json::json!({
                        "msgId": id,
                        "body": String::from_utf8_lossy(&m.body),
                        "tags": prop("TAGS"),
                        "keys": prop("KEYS"),
                        "idx": prop("idx"),
                    });
                    println!("{line}");
                    c.fetch_add(1, Ordering::SeqCst);
                }
                ConsumeStatus::Success
            });
            let consumer = PushConsumer::start(config, &[(&topic, "*")], listener).await?;
            let deadline = Instant::now() + Duration::from_secs(secs);
            while count.load(Ordering::SeqCst) < n && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            consumer.shutdown().await;
        }
        Some("trace") => {
            let (ns, id, secs) = (arg(1)?, arg(2)?, arg(3)?.parse::<u64>()?);
            let instance = rmq_client::ClientInstance::start(rmq_client::ClientConfig::with_namesrv(ns)).await?;
            let deadline = Instant::now() + Duration::from_secs(secs);
            let records = loop {
                let r = rmq_client::trace::query(&instance, rmq_client::trace::DEFAULT_TRACE_TOPIC, &id)
                    .await
                    .unwrap_or_default();
                let has = |k| r.iter().any(|x| x.kind == Some(k));
                if (has(rmq_client::trace::TraceType::Pub) && has(rmq_client::trace::TraceType::SubAfter))
                    || Instant::now() >= deadline
                {
                    break r;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            };
            for r in records {
                let line = serde_json::json!({
                    "type": format!("{:?}", r.kind.unwrap_or(rmq_client::trace::TraceType::Pub)),
                    "group": r.group, "topic": r.topic, "msgId": r.msg_id, "tags": r.tags, "keys": r.keys,
                    "costMs": r.cost_ms, "success": r.success, "offsetMsgId": r.offset_msg_id,
                });
                println!("{line}");
            }
            instance.shutdown();
        }
        Some("request") => {
            let (ns, topic, n, ms) = (arg(1)?, arg(2)?, arg(3)?.parse::<usize>()?, arg(4)?.parse::<u64>()?);
            let producer = Producer::start(ProducerConfig::new("rust_interop_requester", ns)).await?;
            for i in 0..n {
                let body = format!("rreq-{i}");
                let reply = producer.request(Message::new(&topic, body.clone()), Duration::from_millis(ms)).await?;
                println!("REPLY {body} {}", String::from_utf8_lossy(&reply.body));
            }
            producer.shutdown().await;
        }
        Some("reply") => reply(&args).await?,
        _ => anyhow::bail!(
            "usage: interop send <namesrv> <topic> <n> | consume <namesrv> <topic> <group> <n> <timeout-s> \
             | trace <namesrv> <msgId> <timeout-s> | request <namesrv> <topic> <n> <timeout-ms> \
             | reply <namesrv> <topic> <group> <n> <timeout-s>"
        ),
    }
    Ok(())
}

/// `reply`: a responder answering requests with `rust-reply-<body>`.
async fn reply(args: &[String]) -> anyhow::Result<()> {
    let arg = |i: usize| args.get(i).cloned().ok_or_else(|| anyhow::anyhow!("missing argument {i}"));
    let (ns, topic, group, n, secs) = (arg(1)?, arg(2)?, arg(3)?, arg(4)?.parse::<usize>()?, arg(5)?.parse::<u64>()?);
    let replier = Producer::start(ProducerConfig::new("rust_interop_replier", ns.clone())).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<rmq_client::MessageExt>();
    let mut config = ConsumerConfig::new(group, ns);
    config.from_where = ConsumeFromWhere::FirstOffset;
    let listener = Listener::concurrent(move |msgs, _| {
        for m in msgs {
            if rmq_client::reply::reply_to_client(m).is_some() {
                let _ = tx.send(m.clone());
            }
        }
        ConsumeStatus::Success
    });
    let consumer = PushConsumer::start(config, &[(&topic, "*")], listener).await?;
    println!("READY");
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut replied = 0;
    while replied < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(req)) = tokio::time::timeout(left, rx.recv()).await else { break };
        let body = String::from_utf8_lossy(&req.body).into_owned();
        let reply = rmq_client::reply::create_reply_message(&req, format!("rust-reply-{body}"))?;
        replier.send(reply).await?;
        println!("REPLIED {body}");
        replied += 1;
    }
    consumer.shutdown().await;
    replier.shutdown().await;
    anyhow::ensure!(replied == n, "replied to {replied} of {n} requests");
    Ok(())
}
