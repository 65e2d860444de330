//! Transactional send (commit, rollback, and both through the broker's check-back) and timer
//! messages (TIMER_DELAY_SEC, TIMER_DELAY_MS, TIMER_DELIVER_MS).

use std::any::Any;
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Result};
use rocketmq_client_rust::{LocalTransactionState, TransactionListener, TransactionMQProducer};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_model::common::message::MessageTrait;

use crate::send::{collecting_consumer, send_sync};
use crate::support::{exactly_once, uniq, Collector, Env, Sent};

/// Decides by body: `commit-*` and `rollback-*` at once, `check-*` only when the broker asks.
struct ByBody;

fn body_of(msg: &dyn MessageTrait) -> String {
    msg.get_body().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default()
}

impl TransactionListener for ByBody {
    fn execute_local_transaction(
        &self,
        msg: &dyn MessageTrait,
        _: Option<&(dyn Any + Send + Sync)>,
    ) -> LocalTransactionState {
        let body = body_of(msg);
        if body.starts_with("tx-commit-") {
            LocalTransactionState::CommitMessage
        } else if body.starts_with("tx-rollback-") {
            LocalTransactionState::RollbackMessage
        } else {
            LocalTransactionState::Unknown
        }
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        let body = msg.body().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        if body.starts_with("tx-check-commit-") {
            LocalTransactionState::CommitMessage
        } else {
            LocalTransactionState::RollbackMessage
        }
    }
}

/// Scenario 11: Transactions: 2 committed at once, 2 rolled back at once, 2 committed and 2 rolled
/// back when the broker checks back (every second in the runner's broker config): the consumer
/// gets exactly the 4 committed messages, with the ids the sends reported.
pub async fn transaction(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("tx"), uniq("tx_cg"));
    env.create_topic(&topic, 2).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "*", &col).await?;
    let mut p = TransactionMQProducer::builder(env.runtime.clone())
        .client_config(env.client_config(&uniq("pi")))
        .producer_group(uniq("tx_pg"))
        .name_server_addr(env.ns.clone())
        .topics(vec![topic.clone()])
        .transaction_listener(ByBody)
        .build();
    if let Err(e) = p.start().await {
        c.shutdown().await;
        bail!("transaction producer start: {e}");
    }
    let all: Vec<String> = ["commit", "rollback", "check-commit", "check-rollback"]
        .iter()
        .flat_map(|k| (0..2).map(move |i| format!("tx-{k}-{i}")))
        .collect();
    let want: Vec<String> = all.iter().filter(|b| b.contains("commit")).cloned().collect();
    let mut sent = BTreeMap::new();
    let mut err = None;
    for b in &all {
        let msg = Message::builder().topic(topic.as_str()).tags("TagTx").body(b.clone()).build_unchecked();
        match p.send_message_in_transaction::<(), _>(msg, None).await {
            Ok(r) => match r.send_result.as_ref().map(Sent::of) {
                Some(Ok(s)) => {
                    sent.insert(b.clone(), s);
                }
                other => {
                    err = Some(anyhow!("transactional send of {b}: {other:?} (state {:?})", r.local_transaction_state));
                    break;
                }
            },
            Err(e) => {
                err = Some(anyhow!("send_message_in_transaction({b}): {e}"));
                break;
            }
        }
    }
    // The check-back ones come once the broker has asked (transactionTimeOut 1 s, checks every
    // second); a rolled-back one would come by then too, so wait for all committed, then settle.
    let got = match err {
        None => col.wait_bodies(&want).await,
        Some(e) => Err(e),
    };
    if got.is_ok() {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let got = got.map(|_| col.all());
    c.shutdown().await;
    p.shutdown().await;
    let got = got?;
    exactly_once("committed transactional messages", &got, &want)?;
    env.ids_match("transactions", &got, &sent, false)
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Scenario 12: Timer messages: TIMER_DELAY_SEC 2 s, TIMER_DELAY_MS 2.5 s and TIMER_DELIVER_MS
/// 3 s ahead: each delivered once, never before its time and at most 5 s after.
pub async fn timer(env: &Env) -> Result<()> {
    let (topic, group) = (uniq("timer"), uniq("timer_cg"));
    env.create_topic(&topic, 2).await?;
    let col = Collector::default();
    let mut c = collecting_consumer(env, &group, &topic, "*", &col).await?;
    let outcome = timer_send_check(env, &topic, &col).await;
    c.shutdown().await;
    outcome
}

async fn timer_send_check(env: &Env, topic: &str, col: &Collector) -> Result<()> {
    let mut p = env.producer().await?;
    let probe = vec!["timer-probe".to_string()];
    let sent = async {
        send_sync(&p, Message::builder().topic(topic).body(probe[0].clone()).build_unchecked()).await?;
        col.wait_bodies(&probe).await?;
        let t0 = Instant::now();
        let at = now_ms() + 3000;
        let msgs = [
            ("timer-delay-sec", Duration::from_secs(2), Message::builder().delay_secs(2)),
            ("timer-delay-ms", Duration::from_millis(2500), Message::builder().delay_millis(2500)),
            ("timer-deliver-ms", Duration::from_millis(3000), Message::builder().deliver_time_ms(at)),
        ];
        let mut due = BTreeMap::new();
        let mut sent = BTreeMap::new();
        for (b, after, builder) in msgs {
            let res = send_sync(&p, builder.topic(topic).body(b).build_unchecked()).await?;
            sent.insert(b.to_string(), Sent::of(&res)?);
            due.insert(b.to_string(), t0 + after);
        }
        Ok::<_, anyhow::Error>((sent, due))
    }
    .await;
    p.shutdown().await;
    let (sent, due) = sent?;
    let want: Vec<String> = due.keys().cloned().collect();
    let got: Vec<_> = col.wait_bodies(&want).await?.into_iter().filter(|g| g.body != probe[0]).collect();
    exactly_once("timer messages", &got, &want)?;
    env.ids_match("timer messages", &got, &sent, false)?;
    for g in &got {
        let due = due[&g.body];
        // The due time was taken before the send; allow the clock 50 ms of slack each way.
        if g.at + Duration::from_millis(50) < due || g.at > due + Duration::from_secs(5) {
            let early = due.checked_duration_since(g.at);
            bail!("{} delivered {:?} from its due time (early: {early:?})", g.body, g.at.checked_duration_since(due));
        }
    }
    Ok(())
}
