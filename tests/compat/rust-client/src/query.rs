//! Query scenario: the producer's view_message (by offset id) and query_message (by key).

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Result};
use rocketmq_client_rust::DefaultMQProducer;
use rocketmq_model::common::message::message_single::Message;

use crate::send::send_sync;
use crate::support::{uniq, Env, Got, Sent};

/// Scenario 13: Query: 3 messages with a key each and 2 sharing a key; view_message by each
/// offset id returns that message, and query_message by key returns exactly the messages sent
/// with it (once the broker's index has them).
pub async fn query(env: &Env) -> Result<()> {
    let topic = uniq("query");
    env.create_topic(&topic, 2).await?;
    let mut p = env.producer().await?;
    let outcome = query_with(&mut p, &topic).await;
    p.shutdown().await;
    outcome
}

async fn query_with(p: &mut DefaultMQProducer, topic: &str) -> Result<()> {
    let shared = uniq("shared_key");
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut sent = BTreeMap::new();
    for i in 0..5 {
        let body = format!("query-{i}");
        let key = if i < 3 { format!("{topic}-key-{i}") } else { shared.clone() };
        let res =
            send_sync(p, Message::builder().topic(topic).key(key.clone()).body(body.clone()).build_unchecked()).await?;
        sent.insert(body.clone(), Sent::of(&res)?);
        by_key.entry(key).or_default().push(body);
    }
    for (body, s) in &sent {
        let m = p.view_message(topic, &s.offset_id).await.map_err(|e| anyhow!("view_message({}): {e}", s.offset_id))?;
        let g = Got::of(&m, 0);
        if &g.body != body || g.uniq != s.id || g.msg_id != s.offset_id || g.topic != topic {
            bail!(
                "view_message({}) gave body {:?} UNIQ_KEY {:?} msg_id {:?} topic {:?}; sent {body:?} as {s:?}",
                s.offset_id,
                g.body,
                g.uniq,
                g.msg_id,
                g.topic
            );
        }
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    for (key, want) in &by_key {
        let deadline = Instant::now() + crate::support::WAIT;
        let mut last;
        loop {
            match p.query_message(topic, key, 32, now - 600_000, now + 600_000).await {
                Ok(r) => {
                    let mut got: Vec<String> = r.message_list().iter().map(|m| Got::of(m, 0).body).collect();
                    got.sort();
                    if &got == want {
                        break;
                    }
                    last = format!("bodies {got:?}");
                }
                Err(e) => last = e.to_string(),
            }
            if Instant::now() > deadline {
                bail!("query_message(key {key}) never gave exactly {want:?}; last: {last}");
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    Ok(())
}
