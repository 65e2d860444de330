//! Send scenarios: sync (with tags and keys), async, one-way, tag filter and delay level, each
//! read back by a push consumer of the same client.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use rocketmq_client_rust::{
    ClientError, ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, DefaultMQProducer, DefaultMQPushConsumer,
    MQPushConsumer, SendResult, SendStatus,
};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;

use crate::support::{bodies, exactly_once, is_offset_id, start, uniq, Collector, Env, Sent};

/// A clustering push consumer on `topic` (expression `expr`) recording into `col`.
pub async fn collecting_consumer(
    env: &Env,
    group: &str,
    topic: &str,
    expr: &str,
    col: &Collector,
) -> Result<DefaultMQPushConsumer> {
    let mut c = env.consumer(group, MessageModel::Clustering).build();
    let sink = col.clone();
    c.register_message_listener_concurrently(move |msgs: &[&MessageExt], _: &ConsumeConcurrentlyContext| {
        sink.add(msgs, 0);
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    });
    start(&mut c, topic, expr).await?;
    Ok(c)
}

/// Sends `msg` synchronously; returns the message id, failing unless the status is SEND_OK.
pub async fn send_sync(p: &DefaultMQProducer, msg: Message) -> Result<SendResult> {
    let res =
        p.send(msg).await.map_err(|e| anyhow!("send: {e}"))?.ok_or_else(|| anyhow!("sync send returned no result"))?;
    if res.send_status != SendStatus::SendOk {
        bail!("send status {:?}", res.send_status);
    }
    Ok(res)
}

/// One send callback: the body and the message id or what went wrong.
type Callback = (String, Result<Sent, String>);

/// Scenario 1: Sync send with tags and keys (one message with two keys, one with a user property,
/// one with a 16 KiB body the client compresses): the consumer gets each message once with the
/// id, body, tags, keys and properties it was sent with.
pub async fn sync_tags_keys(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("sync"), uniq("sync_cg"));
    env.create_topic(&topic, 4).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "*", &col).await?;
    let mut p = env.producer().await?;
    let mut want = bodies("sync", 8);
    // One body over the client's 4 KiB compression threshold: it travels compressed.
    want[2] = format!("sync-2-{}", "0123456789abcdef".repeat(1024));
    let mut sent = BTreeMap::new();
    let mut meta = BTreeMap::new();
    for (i, b) in want.iter().enumerate() {
        let tag = if i % 2 == 0 { "TagA" } else { "TagB" };
        let keys = if i == 0 { vec![format!("key-{b}"), "second-key".to_string()] } else { vec![format!("key-{b}")] };
        let mut builder = Message::builder().topic(topic.as_str()).tags(tag).keys(keys.clone()).body(b.clone());
        if i == 3 {
            builder = builder.raw_property("color", "blue").map_err(|e| anyhow!("user property: {e}"))?;
        }
        let res = send_sync(&p, builder.build_unchecked()).await?;
        sent.insert(b.clone(), Sent::of(&res)?);
        meta.insert(b.clone(), (tag.to_string(), keys.join(" ")));
    }
    let got = col.wait_bodies(&want).await;
    c.shutdown().await;
    p.shutdown().await;
    let got = got?;
    exactly_once("sync send", &got, &want)?;
    env.ids_match("sync send", &got, &sent, true)?;
    for g in &got {
        let (tag, keys) = &meta[&g.body];
        let color = g.props.get("color").map(String::as_str);
        if color != (g.body == want[3]).then_some("blue") {
            bail!("{}: user property color {color:?}", g.body);
        }
        if &g.tags != tag || &g.keys != keys || g.topic != topic {
            bail!(
                "{}: topic {:?} tags {:?} keys {:?}, want {topic:?} {tag:?} {keys:?}",
                g.body,
                g.topic,
                g.tags,
                g.keys
            );
        }
    }
    Ok(())
}

/// Scenario 2: Async send: every callback reports SEND_OK with an id, and the consumer gets exactly those.
pub async fn async_send(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("async"), uniq("async_cg"));
    env.create_topic(&topic, 4).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "*", &col).await?;
    let mut p = env.producer().await?;
    let want = bodies("async", 8);
    let results: Arc<Mutex<Vec<Callback>>> = Arc::default();
    for b in &want {
        let msg = Message::builder().topic(topic.as_str()).tags("TagA").body(b.clone()).build_unchecked();
        let (r, body) = (results.clone(), b.clone());
        p.send_with_callback(msg, move |res: Option<&SendResult>, err: Option<&ClientError>| {
            let out = match (res, err) {
                (Some(res), None) if res.send_status == SendStatus::SendOk => Sent::of(res).map_err(|e| e.to_string()),
                (res, err) => Err(format!("result {res:?} error {err:?}")),
            };
            if let Ok(mut v) = r.lock() {
                v.push((body.clone(), out));
            }
        })
        .await
        .map_err(|e| anyhow!("send_with_callback: {e}"))?;
    }
    let deadline = Instant::now() + crate::support::WAIT;
    while results.lock().map(|v| v.len()).unwrap_or(0) < want.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let callbacks = results.lock().map(|v| v.clone()).unwrap_or_default();
    let got = col.wait_bodies(&want).await;
    c.shutdown().await;
    p.shutdown().await;
    let mut sent = BTreeMap::new();
    for (b, r) in &callbacks {
        let id = r.clone().map_err(|e| anyhow!("async send of {b}: {e}"))?;
        if sent.insert(b.clone(), id).is_some() {
            bail!("two callbacks for {b}");
        }
    }
    if sent.len() != want.len() {
        bail!("{} callbacks of {}: {callbacks:?}", sent.len(), want.len());
    }
    let got = got?;
    exactly_once("async send", &got, &want)?;
    env.ids_match("async send", &got, &sent, true)
}

/// Scenario 3: One-way send: no result, but the consumer gets each body once, each with its own id.
pub async fn oneway_send(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("oneway"), uniq("oneway_cg"));
    env.create_topic(&topic, 4).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "*", &col).await?;
    let mut p = env.producer().await?;
    let want = bodies("oneway", 8);
    for b in &want {
        let msg = Message::builder()
            .topic(topic.as_str())
            .tags("TagO")
            .key(format!("key-{b}"))
            .body(b.clone())
            .build_unchecked();
        p.send_oneway(msg).await.map_err(|e| anyhow!("send_oneway: {e}"))?;
    }
    let got = col.wait_bodies(&want).await;
    c.shutdown().await;
    p.shutdown().await;
    let got = got?;
    exactly_once("one-way send", &got, &want)?;
    let mut ids: Vec<&str> = got.iter().map(|g| g.uniq.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != want.len() || ids.contains(&"") {
        bail!("one-way: UNIQ_KEYs {ids:?}, want {} distinct ids", want.len());
    }
    let prefix = env.offset_id_prefix()?;
    for g in &got {
        if !is_offset_id(&g.msg_id, &prefix) || g.tags != "TagO" || g.keys != format!("key-{}", g.body) {
            bail!(
                "{}: msg_id {:?} (want broker-a's {prefix}...) tags {:?} keys {:?}",
                g.body,
                g.msg_id,
                g.tags,
                g.keys
            );
        }
    }
    Ok(())
}

/// Scenario 4: Tag filter: a consumer of "TagA||TagC" gets exactly the TagA and TagC messages.
/// Written without spaces: this client puts the Java hash of each *untrimmed* tag in the
/// subscription's codeSet (rocketmq-protocol 1.0.0, FilterAPI::build_subscription_data), so
/// "TagA || TagC" matches nothing on a broker that filters by codeSet, as Apache's does.
pub async fn tag_filter(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("tagf"), uniq("tagf_cg"));
    env.create_topic(&topic, 2).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "TagA||TagC", &col).await?;
    let mut p = env.producer().await?;
    let mut want = Vec::new();
    let mut sent = BTreeMap::new();
    for i in 0..12 {
        let tag = ["TagA", "TagB", "TagC"][i % 3];
        let b = format!("tagf-{i}-{tag}");
        let res =
            send_sync(&p, Message::builder().topic(topic.as_str()).tags(tag).body(b.clone()).build_unchecked()).await?;
        if tag != "TagB" {
            want.push(b.clone());
            sent.insert(b, Sent::of(&res)?);
        }
    }
    // A last TagA message: once it is in, every earlier message was filtered or delivered.
    let last = "tagf-last-TagA".to_string();
    let res = send_sync(&p, Message::builder().topic(topic.as_str()).tags("TagA").body(last.clone()).build_unchecked())
        .await?;
    want.push(last.clone());
    sent.insert(last, Sent::of(&res)?);
    let got = col.wait_bodies(&want).await;
    c.shutdown().await;
    p.shutdown().await;
    let got = got?;
    exactly_once("tag filter TagA||TagC", &got, &want)?;
    env.ids_match("tag filter", &got, &sent, true)
}

/// Scenario 5: Delay level 3 (1 s in the runner's broker config): delivered no earlier than ~1 s after
/// the send returned, to the original topic, with its DELAY property.
pub async fn delay_level(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("delay"), uniq("delay_cg"));
    env.create_topic(&topic, 2).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "*", &col).await?;
    let mut p = env.producer().await?;
    // A plain message first, so the consumer is known to be pulling before the delayed ones go.
    let probe = vec!["delay-probe".to_string()];
    send_sync(&p, Message::builder().topic(topic.as_str()).body(probe[0].clone()).build_unchecked()).await?;
    col.wait_bodies(&probe).await?;
    let want = bodies("delayed", 4);
    let mut sent = BTreeMap::new();
    let mut sent_at = BTreeMap::new();
    for b in &want {
        let msg =
            Message::builder().topic(topic.as_str()).tags("TagD").delay_level(3).body(b.clone()).build_unchecked();
        let res = send_sync(&p, msg).await?;
        sent_at.insert(b.clone(), Instant::now());
        sent.insert(b.clone(), Sent::of(&res)?);
    }
    let got = col.wait_bodies(&want).await;
    c.shutdown().await;
    p.shutdown().await;
    let got: Vec<_> = got?.into_iter().filter(|g| g.body != probe[0]).collect();
    exactly_once("delayed", &got, &want)?;
    env.ids_match("delayed", &got, &sent, false)?;
    for g in &got {
        let after = g.at.duration_since(sent_at[&g.body]);
        if after < Duration::from_millis(800) || after > Duration::from_secs(30) {
            bail!("{} delivered {after:?} after its send returned; delay level 3 is 1 s here", g.body);
        }
        if g.topic != topic || g.tags != "TagD" {
            bail!("{} delivered with topic {:?} tags {:?}", g.body, g.topic, g.tags);
        }
        // Apache RocketMQ keeps DELAY on the delivered message (its delay level); the broker's
        // parking properties do not reach the consumer.
        let delay = g.props.get("DELAY").map(String::as_str);
        let parked = ["REAL_TOPIC", "REAL_QID"].iter().any(|k| g.props.contains_key(*k));
        if delay != Some("3") || parked {
            bail!("{} delivered with properties {:?}: want DELAY=3 and no REAL_TOPIC/REAL_QID", g.body, g.props);
        }
    }
    Ok(())
}

/// Scenario 2b: Batch send: one SEND_BATCH_MESSAGE of 6 messages (tags, keys); the result lists
/// the 6 ids, and the consumer gets each message once with its id, tags and keys.
pub async fn batch_send(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("batch"), uniq("batch_cg"));
    env.create_topic(&topic, 2).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "*", &col).await?;
    let mut p = env.producer().await?;
    let want = bodies("batch", 6);
    let msgs: Vec<Message> = want
        .iter()
        .map(|b| {
            Message::builder()
                .topic(topic.as_str())
                .tags("TagBatch")
                .key(format!("key-{b}"))
                .body(b.clone())
                .build_unchecked()
        })
        .collect();
    let res = p.send_batch(msgs).await.map_err(|e| anyhow!("send_batch: {e}"));
    let got = match &res {
        Ok(_) => col.wait_bodies(&want).await,
        Err(_) => Ok(Vec::new()),
    };
    c.shutdown().await;
    p.shutdown().await;
    let (res, got) = (res?, got?);
    if res.send_status != SendStatus::SendOk {
        bail!("batch send status {:?}", res.send_status);
    }
    exactly_once("batch send", &got, &want)?;
    // The batch's ids come back comma-separated, in the order of the messages.
    let ids: Vec<String> =
        res.msg_id.as_ref().map(|m| m.as_str().split(',').map(str::to_owned).collect()).unwrap_or_default();
    let offset_ids: Vec<String> =
        res.offset_msg_id.as_deref().map(|m| m.split(',').map(str::to_owned).collect()).unwrap_or_default();
    if ids.len() != want.len() || offset_ids.len() != want.len() {
        bail!("batch result ids {ids:?} offset ids {offset_ids:?}, want {} of each", want.len());
    }
    let sent: BTreeMap<String, Sent> = want
        .iter()
        .zip(ids.into_iter().zip(offset_ids))
        .map(|(b, (id, offset_id))| (b.clone(), Sent { id, offset_id }))
        .collect();
    env.ids_match("batch send", &got, &sent, true)?;
    for g in &got {
        if g.tags != "TagBatch" || g.keys != format!("key-{}", g.body) {
            bail!("{}: tags {:?} keys {:?}", g.body, g.tags, g.keys);
        }
    }
    Ok(())
}
