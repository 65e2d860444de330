//! Consume scenarios: clustering across two consumers, broadcasting, orderly, and retry then
//! dead-letter queue (read back with the client's pull consumer).

// DefaultMQPullConsumer (classic pull) is deprecated in favour of the lite pull consumer, but it
// is the one that reads a given queue from a given offset, as the DLQ check needs.
#![allow(deprecated)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use rocketmq_client_rust::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext, ConsumeOrderlyStatus,
    DefaultMQPullConsumer, DefaultMQPushConsumer, MQPushConsumer, PullStatus,
};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_queue::MessageQueue;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;

use crate::send::send_sync;
use crate::support::{bodies, exactly_once, start, uniq, Collector, Env, Got, Sent};

async fn consumer_n(
    env: &Env,
    group: &str,
    topic: &str,
    model: MessageModel,
    col: &Collector,
    who: usize,
) -> Result<DefaultMQPushConsumer> {
    let mut c = env.consumer(group, model).build();
    let sink = col.clone();
    c.register_message_listener_concurrently(move |msgs: &[&MessageExt], _: &ConsumeConcurrentlyContext| {
        sink.add(msgs, who);
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    });
    start(&mut c, topic, "*").await?;
    Ok(c)
}

async fn send_all(env: &Env, topic: &str, want: &[String]) -> Result<BTreeMap<String, Sent>> {
    let mut p = env.producer().await?;
    let mut sent = BTreeMap::new();
    for b in want {
        let res = send_sync(&p, Message::builder().topic(topic).tags("TagA").body(b.clone()).build_unchecked()).await;
        match res {
            Ok(res) => sent.insert(b.clone(), Sent::of(&res)?),
            Err(e) => {
                p.shutdown().await;
                return Err(e);
            }
        };
    }
    p.shutdown().await;
    Ok(sent)
}

/// Scenario 6: Clustering: two consumers of one group share a 4-queue topic; every message is consumed
/// once, by one of them, both get some, and their queues do not overlap.
pub async fn clustering(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("clu"), uniq("clu_cg"));
    env.create_topic(&topic, 4).await?;
    let col = Collector::default();
    let mut c0 = consumer_n(env, &group, &topic, MessageModel::Clustering, &col, 0).await?;
    let mut c1 = consumer_n(env, &group, &topic, MessageModel::Clustering, &col, 1).await?;
    // Both rebalance on the broker's NOTIFY_CONSUMER_IDS_CHANGED; let that settle first.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let want = bodies("clu", 16);
    let sent = send_all(env, &topic, &want).await;
    let got = match &sent {
        Ok(_) => col.wait_bodies(&want).await,
        Err(_) => Ok(Vec::new()),
    };
    c0.shutdown().await;
    c1.shutdown().await;
    let (sent, got) = (sent?, got?);
    exactly_once("clustering", &got, &want)?;
    env.ids_match("clustering", &got, &sent, true)?;
    let queues = |who: usize| -> BTreeSet<(String, i32)> {
        got.iter().filter(|g| g.who == who).map(|g| (g.broker.clone(), g.queue_id)).collect()
    };
    let (q0, q1) = (queues(0), queues(1));
    if q0.is_empty() || q1.is_empty() || !q0.is_disjoint(&q1) {
        bail!("clustering: consumer 0 read queues {q0:?}, consumer 1 read {q1:?}: want both non-empty and disjoint");
    }
    Ok(())
}

/// Scenario 7: Broadcasting: two consumers of one group each get every message once.
pub async fn broadcasting(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("bc"), uniq("bc_cg"));
    env.create_topic(&topic, 2).await?;
    let col = Collector::default();
    let mut c0 = consumer_n(env, &group, &topic, MessageModel::Broadcasting, &col, 0).await?;
    let mut c1 = consumer_n(env, &group, &topic, MessageModel::Broadcasting, &col, 1).await?;
    let want = bodies("bc", 8);
    let sent = send_all(env, &topic, &want).await;
    let got = match &sent {
        Ok(_) => {
            col.wait("every body at both consumers", |got| {
                (0..2).all(|who| want.iter().all(|w| got.iter().any(|g| g.who == who && &g.body == w)))
            })
            .await
        }
        Err(_) => Ok(Vec::new()),
    };
    c0.shutdown().await;
    c1.shutdown().await;
    let (sent, got) = (sent?, got?);
    for who in 0..2 {
        let mine: Vec<Got> = got.iter().filter(|g| g.who == who).cloned().collect();
        exactly_once(&format!("broadcasting consumer {who}"), &mine, &want)?;
        env.ids_match(&format!("broadcasting consumer {who}"), &mine, &sent, true)?;
    }
    Ok(())
}

/// Scenario 8: Orderly: 4 orders of 8 steps each, sent with a selector (order id -> queue); an orderly
/// consumer sees each order's steps in send order, on the queue the send result named.
pub async fn orderly(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("ord"), uniq("ord_cg"));
    env.create_topic(&topic, 4).await?;
    let col = Collector::default();
    let mut c = env.consumer(&group, MessageModel::Clustering).build();
    let sink = col.clone();
    c.register_message_listener_orderly(move |msgs: &[&MessageExt], _: &mut ConsumeOrderlyContext| {
        sink.add(msgs, 0);
        Ok(ConsumeOrderlyStatus::Success)
    });
    start(&mut c, &topic, "*").await?;
    let mut p = env.producer().await?;
    let mut want = Vec::new();
    let mut sent = BTreeMap::new();
    let mut queue_of: BTreeMap<usize, i32> = BTreeMap::new();
    let mut err = None;
    'send: for step in 0..8 {
        for order in 0..4usize {
            let b = format!("order-{order}-step-{step}");
            let msg = Message::builder()
                .topic(topic.as_str())
                .tags("TagO")
                .key(format!("order-{order}"))
                .body(b.clone())
                .build_unchecked();
            let res = p
                .send_with_selector(
                    msg,
                    |mqs: &[MessageQueue], _: &Message, arg: &usize| Some(mqs[*arg % mqs.len()].clone()),
                    order,
                )
                .await;
            match res {
                Ok(Some(res)) => {
                    let q = res.message_queue.as_ref().map(|q| q.queue_id()).unwrap_or(-1);
                    if *queue_of.entry(order).or_insert(q) != q {
                        err = Some(anyhow!("order {order} sent to queues {} and {q}", queue_of[&order]));
                        break 'send;
                    }
                    sent.insert(b.clone(), Sent::of(&res)?);
                    want.push(b);
                }
                other => {
                    err = Some(anyhow!("send_with_selector({b}): {other:?}"));
                    break 'send;
                }
            }
        }
    }
    let got = if err.is_none() { col.wait_bodies(&want).await } else { Ok(Vec::new()) };
    c.shutdown().await;
    p.shutdown().await;
    if let Some(e) = err {
        return Err(e);
    }
    let got = got?;
    exactly_once("orderly", &got, &want)?;
    env.ids_match("orderly", &got, &sent, true)?;
    for order in 0..4usize {
        let seen: Vec<&Got> = got.iter().filter(|g| g.body.starts_with(&format!("order-{order}-"))).collect();
        let steps: Vec<&str> = seen.iter().map(|g| g.body.as_str()).collect();
        let expect: Vec<String> = (0..8).map(|s| format!("order-{order}-step-{s}")).collect();
        if steps != expect {
            bail!("order {order} consumed as {steps:?}, want {expect:?}");
        }
        if seen.iter().any(|g| g.queue_id != queue_of[&order]) {
            bail!(
                "order {order}: consumed from queues {:?}, sent to {}",
                seen.iter().map(|g| g.queue_id).collect::<Vec<_>>(),
                queue_of[&order]
            );
        }
    }
    Ok(())
}

/// Scenario 9: Retry then dead letters: a listener that always answers RECONSUME_LATER with
/// max_reconsume_times 2 gets each message 3 times (reconsume times 0, 1, 2); then it is in
/// %DLQ%<group>, which the client's pull consumer reads back with the same id, body, tags, keys.
pub async fn retry_then_dlq(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("dlq"), uniq("dlq_cg"));
    env.create_topic(&topic, 2).await?;
    // The broker creates %RETRY%<group> at the group's first heartbeat; created up front the
    // client has its route before the first send-back (else it waits for its 30 s route poll).
    env.create_topic(&format!("%RETRY%{group}"), 1).await?;
    let col = Collector::default();
    let mut c = env.consumer(&group, MessageModel::Clustering).max_reconsume_times(2).build();
    let sink = col.clone();
    c.register_message_listener_concurrently(move |msgs: &[&MessageExt], _: &ConsumeConcurrentlyContext| {
        sink.add(msgs, 0);
        Ok(ConsumeConcurrentlyStatus::ReconsumeLater)
    });
    start(&mut c, &topic, "*").await?;
    let want = bodies("dlq", 3);
    let mut p = env.producer().await?;
    let mut sent = BTreeMap::new();
    let mut err = None;
    for b in &want {
        let msg = Message::builder()
            .topic(topic.as_str())
            .tags("TagD")
            .key(format!("key-{b}"))
            .body(b.clone())
            .build_unchecked();
        match send_sync(&p, msg).await {
            Ok(res) => {
                sent.insert(b.clone(), Sent::of(&res)?);
            }
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    p.shutdown().await;
    let got = match err {
        None => {
            col.wait("3 deliveries of each", |got| {
                want.iter().all(|w| got.iter().filter(|g| &g.body == w).count() >= 3)
            })
            .await
        }
        Some(e) => Err(e),
    };
    // A 4th delivery would come about 1 s after the 3rd.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = col.all();
    c.shutdown().await;
    got?;
    let mut attempts: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for g in &all {
        attempts.entry(g.body.clone()).or_default().push(g.reconsume_times);
        if Some(&g.uniq) != sent.get(&g.body).map(|s| &s.id) {
            bail!(
                "{} delivered (reconsume {}) with UNIQ_KEY {:?}, sent as {:?}",
                g.body,
                g.reconsume_times,
                g.uniq,
                sent.get(&g.body)
            );
        }
    }
    let want_attempts: BTreeMap<String, Vec<i32>> = want.iter().map(|b| (b.clone(), vec![0, 1, 2])).collect();
    if attempts != want_attempts {
        bail!("deliveries (reconsume times per body) {attempts:?}, want {want_attempts:?}");
    }
    read_dlq(env, &group, &topic, &want, &sent).await
}

async fn read_dlq(env: &Env, group: &str, topic: &str, want: &[String], sent: &BTreeMap<String, Sent>) -> Result<()> {
    let dlq = format!("%DLQ%{group}");
    let pc = DefaultMQPullConsumer::builder(env.runtime.clone())
        .name_server_addr(env.ns.clone())
        .consumer_group(uniq("dlq_reader_cg"))
        .build()
        .map_err(|e| anyhow!("pull consumer: {e}"))?;
    pc.start().await.map_err(|e| anyhow!("pull consumer start: {e}"))?;
    let res = pull_all(&pc, &dlq).await;
    let _ = pc.shutdown().await;
    let got = res?;
    exactly_once(&format!("messages in {dlq}"), &got, want)?;
    env.ids_match(&dlq, &got, sent, false)?;
    for g in &got {
        let retry_topic = g.props.get("RETRY_TOPIC").map(String::as_str);
        if g.topic != dlq || g.tags != "TagD" || g.keys != format!("key-{}", g.body) || retry_topic != Some(topic) {
            bail!(
                "{} in {dlq}: topic {:?} tags {:?} keys {:?} RETRY_TOPIC {retry_topic:?}",
                g.body,
                g.topic,
                g.tags,
                g.keys
            );
        }
        if g.reconsume_times != 3 {
            bail!("{} in {dlq}: reconsume times {}, want 3", g.body, g.reconsume_times);
        }
    }
    Ok(())
}

/// Pulls every queue of `topic` from offset 0 (until the route exists, within WAIT).
async fn pull_all(pc: &DefaultMQPullConsumer, topic: &str) -> Result<Vec<Got>> {
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    let mqs = loop {
        match pc.fetch_subscribe_message_queues(topic).await {
            Ok(mqs) if !mqs.is_empty() => break mqs,
            other if std::time::Instant::now() > deadline => bail!("no route for {topic}: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    };
    let mut got = Vec::new();
    for mq in &mqs {
        let res = pc.pull(mq, "*", 0, 32).await.map_err(|e| anyhow!("pull {mq:?}: {e}"))?;
        if *res.pull_status() == PullStatus::Found {
            got.extend(res.msg_found_list().unwrap_or_default().iter().map(|m| Got::of(m, 0)));
        }
    }
    Ok(got)
}

/// Scenario 9b: RECONSUME_LATER twice, then success: each message is delivered exactly 3 times
/// (reconsume times 0, 1, 2), with the id it was sent with, and never again.
pub async fn reconsume_then_success(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("recon"), uniq("recon_cg"));
    env.create_topic(&topic, 2).await?;
    env.create_topic(&format!("%RETRY%{group}"), 1).await?;
    let col = Collector::default();
    let mut c = env.consumer(&group, MessageModel::Clustering).build();
    let sink = col.clone();
    c.register_message_listener_concurrently(move |msgs: &[&MessageExt], _: &ConsumeConcurrentlyContext| {
        sink.add(msgs, 0);
        if msgs.iter().all(|m| m.reconsume_times() >= 2) {
            Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
        } else {
            Ok(ConsumeConcurrentlyStatus::ReconsumeLater)
        }
    });
    start(&mut c, &topic, "*").await?;
    let want = bodies("recon", 3);
    let sent = send_all(env, &topic, &want).await;
    let got = match &sent {
        Ok(_) => {
            col.wait("3 deliveries of each", |got| {
                want.iter().all(|w| got.iter().filter(|g| &g.body == w).count() >= 3)
            })
            .await
        }
        Err(_) => Ok(Vec::new()),
    };
    // A 4th delivery would come about 1 s after the 3rd.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = col.all();
    c.shutdown().await;
    let sent = sent?;
    got?;
    let mut attempts: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for g in &all {
        attempts.entry(g.body.clone()).or_default().push(g.reconsume_times);
        if Some(&g.uniq) != sent.get(&g.body).map(|s| &s.id) {
            bail!(
                "{} delivered (reconsume {}) with UNIQ_KEY {:?}, sent as {:?}",
                g.body,
                g.reconsume_times,
                g.uniq,
                sent.get(&g.body)
            );
        }
    }
    let want_attempts: BTreeMap<String, Vec<i32>> = want.iter().map(|b| (b.clone(), vec![0, 1, 2])).collect();
    if attempts != want_attempts {
        bail!("deliveries (reconsume times per body) {attempts:?}, want {want_attempts:?}");
    }
    Ok(())
}
