//! Scenarios where our broker calls the client: GET_CONSUMER_RUNNING_INFO (mqadmin
//! consumerStatus), answered by the client with its running info.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use rocketmq_client_rust::{ConsumeOrderlyContext, ConsumeOrderlyStatus, MQPushConsumer};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;
use serde_json::Value;

use crate::send::send_sync;
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
