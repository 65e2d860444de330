//! Scenarios where our broker calls the client: GET_CONSUMER_RUNNING_INFO (mqadmin
//! consumerStatus), answered by the client with its running info, and
//! RESET_CONSUMER_CLIENT_OFFSET (mqadmin resetOffsetByTime on a live group).

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use rocketmq_client_rust::{ConsumeOrderlyContext, ConsumeOrderlyStatus, MQPushConsumer};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;
use serde_json::Value;

use crate::send::{collecting_consumer, send_sync};
use crate::support::{bodies, exactly_once, start, uniq, Collector, Env};

/// Scenario 10: Running info: an orderly consumer of a 2-queue topic consumes 4 messages; our
/// mqadmin consumerStatus asks the broker, which asks the client; the answer names the client,
/// its subscriptions (the topic and the group's retry topic), and both queues, locked, with
/// commit offsets equal to the number of messages sent to each.
pub async fn running_info(env: &Env) -> Result<()> {
    let (topic, group, instance) = (uniq("info"), uniq("info_cg"), uniq("ci"));
    env.create_topic(&topic, 2).await?;
    let col = Collector::default();
    let mut c = env.consumer_named(&group, MessageModel::Clustering, &instance).build();
    let sink = col.clone();
    c.register_message_listener_orderly(move |msgs: &[&MessageExt], _: &mut ConsumeOrderlyContext| {
        sink.add(msgs, 0);
        Ok(ConsumeOrderlyStatus::Success)
    });
    start(&mut c, &topic, "*").await?;
    let outcome = check_running_info(env, &topic, &group, &instance, &col).await;
    c.shutdown().await;
    outcome
}

async fn check_running_info(env: &Env, topic: &str, group: &str, instance: &str, col: &Collector) -> Result<()> {
    let mut p = env.producer().await?;
    let want = bodies("info", 4);
    // Messages per queue id, as the send results say: the commit offsets the consumer reaches.
    let mut per_queue = [0i64; 2];
    let mut sent = Ok(());
    for b in &want {
        match send_sync(&p, Message::builder().topic(topic).body(b.clone()).build_unchecked()).await {
            Ok(res) => match res.message_queue.as_ref().map(|q| q.queue_id()) {
                Some(q @ 0..=1) => per_queue[q as usize] += 1,
                other => {
                    sent = Err(anyhow!("{b} sent to queue {other:?}"));
                    break;
                }
            },
            Err(e) => {
                sent = Err(e);
                break;
            }
        }
    }
    p.shutdown().await;
    sent?;
    exactly_once("running info consumer", &col.wait_bodies(&want).await?, &want)?;
    // Offsets reach the client's table at once; give its periodic persist no part in this.
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        match env.mqadmin(&["consumerStatus", "-g", group, "--json"]) {
            Ok(out) => match judge(&out, topic, group, instance, per_queue) {
                Ok(()) => return Ok(()),
                Err(e) => last = format!("{e:#}"),
            },
            Err(e) => last = format!("{e:#}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("consumerStatus never showed the expected running info; last: {last}")
}

fn judge(out: &str, topic: &str, group: &str, instance: &str, per_queue: [i64; 2]) -> Result<()> {
    let v: Value = serde_json::from_str(out).map_err(|e| anyhow!("consumerStatus --json output {out:?}: {e}"))?;
    let infos = v.as_array().ok_or_else(|| anyhow!("not a list: {out}"))?;
    let [info] = infos.as_slice() else { bail!("{} running infos, want 1: {out}", infos.len()) };
    let client_id = info["clientId"].as_str().unwrap_or_default();
    if !client_id.ends_with(&format!("@{instance}")) {
        bail!("client id {client_id:?}, want …@{instance}");
    }
    let mut subs: Vec<(String, String)> = info["subscriptions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (s["topic"].as_str().unwrap_or_default().to_owned(), s["subString"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    subs.sort();
    let mut want_subs = vec![(topic.to_owned(), "*".to_owned()), (format!("%RETRY%{group}"), "*".to_owned())];
    want_subs.sort();
    if subs != want_subs {
        bail!("subscriptions {subs:?}, want {want_subs:?}");
    }
    let mut queues: Vec<(i32, bool, i64)> = info["queues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|q| q["topic"] == topic)
        .map(|q| {
            (
                q["queueId"].as_i64().unwrap_or(-1) as i32,
                q["info"]["locked"] == true,
                q["info"]["commitOffset"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    queues.sort_unstable();
    let want_queues = [(0, true, per_queue[0]), (1, true, per_queue[1])];
    if queues != want_queues {
        bail!("queues of {topic} (id, locked, commitOffset) {queues:?}, want {want_queues:?}: {info}");
    }
    Ok(())
}

/// Scenario 14: Reset offset by time: a consumer consumes 6 messages and commits; our mqadmin
/// resetOffsetByTime (to before the sends) moves the live group back to offset 0 on both queues;
/// the broker tells the client, which consumes every message once more, and only once.
pub async fn reset_offset(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("reset"), uniq("reset_cg"));
    env.create_topic(&topic, 2).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "*", &col).await?;
    let outcome = reset_with(env, &topic, &group, &col).await;
    c.shutdown().await;
    outcome
}

async fn reset_with(env: &Env, topic: &str, group: &str, col: &Collector) -> Result<()> {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64 - 1000)
        .unwrap_or(0);
    let mut p = env.producer().await?;
    let want = bodies("reset", 6);
    let mut sent = Ok(());
    for b in &want {
        if let Err(e) = send_sync(&p, Message::builder().topic(topic).body(b.clone()).build_unchecked()).await {
            sent = Err(e);
            break;
        }
    }
    p.shutdown().await;
    sent?;
    exactly_once("first consumption", &col.wait_bodies(&want).await?, &want)?;
    // The client commits offsets every 5 s; the reset must move them back from there.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let out = env.mqadmin(&["resetOffsetByTime", "-g", group, "-t", topic, "-s", &before.to_string(), "--json"])?;
    let v: Value = serde_json::from_str(&out).map_err(|e| anyhow!("resetOffsetByTime --json output {out:?}: {e}"))?;
    let mut offsets: Vec<(i64, i64)> = v["offsets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| (o["queueId"].as_i64().unwrap_or(-1), o["offset"].as_i64().unwrap_or(-1)))
        .collect();
    offsets.sort_unstable();
    if offsets != [(0, 0), (1, 0)] {
        bail!("resetOffsetByTime set offsets (queue, offset) {offsets:?}, want [(0, 0), (1, 0)]: {out}");
    }
    let got = col
        .wait("every message a second time", |got| {
            want.iter().all(|w| got.iter().filter(|g| &g.body == w).count() >= 2)
        })
        .await?;
    let twice: Vec<String> = want.iter().flat_map(|w| [w.clone(), w.clone()]).collect();
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for g in &got {
        *counts.entry(g.body.as_str()).or_default() += 1;
    }
    if counts.len() != want.len() || counts.values().any(|n| *n != 2) {
        bail!(
            "after the reset every message must be consumed exactly twice in all: {counts:?} (want each of {twice:?})"
        );
    }
    Ok(())
}
