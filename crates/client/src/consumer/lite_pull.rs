//! The lite pull consumer: subscribe (queues rebalanced across the group) or assign queues,
//! then `poll` batches; offsets auto-committed every 5 s or committed by hand; `seek` moves a
//! queue to an offset or a time.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_common::message::MessageExt;
use rmq_remoting::body::{ConsumerData, MessageQueue};

use super::allocate::AllocateStrategy;
use super::offset_store::OffsetStore;
use super::pull_api::{pull, PullRequest, PullStatus};
use super::rebalance;
use super::subscription::{check_in_brokers, MessageSelector, Subscription};
use super::types::{ConsumeFromWhere, MessageModel};
use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, Member};

/// Lite pull consumer settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LitePullConfig {
    /// Consumer group.
    pub group: String,
    /// Client settings.
    pub client: ClientConfig,
    /// Start point of a group without offsets.
    pub from_where: ConsumeFromWhere,
    /// Queue allocation (subscribe mode).
    pub allocate: AllocateStrategy,
    /// Commit what `poll` returned automatically (every 5 s and at shutdown).
    pub auto_commit: bool,
    /// Messages per pull (10).
    pub pull_batch_size: i32,
}

impl LitePullConfig {
    /// Defaults for `group` with these name servers.
    pub fn new(group: impl Into<String>, namesrv: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            client: ClientConfig::with_namesrv(namesrv),
            from_where: ConsumeFromWhere::LastOffset,
            allocate: AllocateStrategy::Average,
            auto_commit: true,
            pull_batch_size: 10,
        }
    }
}

#[derive(Debug, Clone)]
struct Cursor {
    sub: Subscription,
    /// Next offset to pull; None until computed.
    next: Option<i64>,
}

struct Inner {
    config: LitePullConfig,
    instance: Arc<ClientInstance>,
    offsets: OffsetStore,
    subs: Mutex<BTreeMap<String, Subscription>>,
    queues: Mutex<BTreeMap<MessageQueue, Cursor>>,
    assigned_mode: bool,
    rotate: AtomicUsize,
    me: OnceLock<Weak<Inner>>,
}

/// A lite pull consumer.
#[derive(Clone)]
pub struct LitePullConsumer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LitePullConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LitePullConsumer").field("group", &self.inner.config.group).finish_non_exhaustive()
    }
}

impl LitePullConsumer {
    async fn start(
        config: LitePullConfig,
        subs: &[(&str, MessageSelector)],
        assigned: Option<Vec<MessageQueue>>,
    ) -> Result<Self> {
        if config.group.is_empty() {
            return Err(ClientError::Invalid("a consumer needs a group".into()));
        }
        let instance = ClientInstance::get_or_create(&config.client).await?;
        let offsets = OffsetStore::remote(&config.group, Arc::clone(&instance));
        let assigned_mode = assigned.is_some();
        let mut queues = BTreeMap::new();
        for mq in assigned.unwrap_or_default() {
            instance.route(&mq.topic).await?;
            queues.insert(mq.clone(), Cursor { sub: Subscription::new(&mq.topic, "*"), next: None });
        }
        let inner = Arc::new(Inner {
            subs: Mutex::new(subs.iter().map(|(t, e)| ((*t).to_owned(), Subscription::with_selector(t, e))).collect()),
            queues: Mutex::new(queues),
            config,
            instance,
            offsets,
            assigned_mode,
            rotate: AtomicUsize::new(0),
            me: OnceLock::new(),
        });
        let _ = inner.me.set(Arc::downgrade(&inner));
        let member: Arc<dyn Member> = inner.clone();
        let weak: Weak<dyn Member> = Arc::downgrade(&member);
        inner.instance.register(&format!("consumer@{}", inner.config.group), weak);
        if !assigned_mode {
            let topics: Vec<String> = inner.subs.lock().keys().cloned().collect();
            for t in topics {
                inner.instance.update_route(&t).await?;
            }
            inner.instance.send_heartbeats().await;
            inner.do_rebalance().await;
        }
        Ok(Self { inner })
    }

    /// Subscribe mode: the group's instances share the topics' queues.
    pub async fn subscribe(config: LitePullConfig, subscriptions: &[(&str, &str)]) -> Result<Self> {
        let selectors: Vec<(&str, MessageSelector)> =
            subscriptions.iter().map(|(t, e)| (*t, MessageSelector::by_tag(e))).collect();
        Self::subscribe_with_selector(config, &selectors).await
    }

    /// Subscribe mode with a [`MessageSelector`] per topic (tags or SQL92); SQL92 selectors are
    /// checked by the topic's brokers first (CHECK_CLIENT_CONFIG) and fail here with the
    /// broker's reason.
    pub async fn subscribe_with_selector(
        config: LitePullConfig,
        subscriptions: &[(&str, MessageSelector)],
    ) -> Result<Self> {
        if subscriptions.is_empty() {
            return Err(ClientError::Invalid("no subscription".into()));
        }
        let instance = ClientInstance::get_or_create(&config.client).await?;
        for (t, sel) in subscriptions {
            check_in_brokers(&instance, &config.group, &Subscription::with_selector(t, sel)).await?;
        }
        Self::start(config, subscriptions, None).await
    }

    /// Assign mode: exactly these queues, no rebalancing.
    pub async fn assign(config: LitePullConfig, queues: Vec<MessageQueue>) -> Result<Self> {
        Self::start(config, &[], Some(queues)).await
    }

    /// The topic's readable queues.
    pub async fn fetch_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let route = self.inner.instance.update_route(topic).await?;
        Ok(rebalance::read_queues(topic, &route))
    }

    /// Queues polled now.
    #[must_use]
    pub fn assignment(&self) -> Vec<MessageQueue> {
        self.inner.queues.lock().keys().cloned().collect()
    }

    /// Messages from the assigned queues, waiting up to `timeout` for some.
    pub async fn poll(&self, timeout: Duration) -> Result<Vec<MessageExt>> {
        let deadline = Instant::now() + timeout;
        loop {
            let mqs: Vec<MessageQueue> = self.inner.queues.lock().keys().cloned().collect();
            let n = mqs.len();
            // One rotation step per round: adding the step and `i` per queue visited only every
            // other queue when `n` is even.
            let first = self.inner.rotate.fetch_add(1, Ordering::Relaxed);
            for i in 0..n {
                let mq = &mqs[first.wrapping_add(i) % n];
                let got = self.poll_queue(mq).await?;
                if !got.is_empty() {
                    return Ok(got);
                }
            }
            if Instant::now() >= deadline {
                return Ok(Vec::new());
            }
            tokio::time::sleep(Duration::from_millis(50).min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }

    async fn poll_queue(&self, mq: &MessageQueue) -> Result<Vec<MessageExt>> {
        let Some(cursor) = self.inner.queues.lock().get(mq).cloned() else { return Ok(Vec::new()) };
        let offset = match cursor.next {
            Some(o) => o,
            None => {
                let i = &self.inner;
                let o = rebalance::start_offset(&i.instance, &i.offsets, mq, i.config.from_where).await?;
                if let Some(c) = self.inner.queues.lock().get_mut(mq) {
                    c.next = Some(o);
                }
                o
            }
        };
        let req = PullRequest {
            group: &self.inner.config.group,
            queue: mq,
            subscription: &cursor.sub,
            offset,
            max_msgs: self.inner.config.pull_batch_size,
            suspend: Duration::ZERO,
            commit_offset: None,
            broker_id: 0,
        };
        let r = match pull(&self.inner.instance, &req).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(queue = ?mq, cause = %e, "lite pull failed");
                return Ok(Vec::new());
            }
        };
        let next = r.next_begin_offset;
        let mut queues = self.inner.queues.lock();
        let Some(c) = queues.get_mut(mq) else { return Ok(Vec::new()) };
        if c.next != Some(offset) {
            return Ok(Vec::new()); // a seek happened meanwhile
        }
        c.next = Some(next);
        drop(queues);
        if self.inner.config.auto_commit || r.status == PullStatus::OffsetIllegal {
            self.inner.offsets.update(mq, next, false);
        }
        Ok(if r.status == PullStatus::Found { r.messages } else { Vec::new() })
    }

    /// Moves `mq` to `offset` for the next poll.
    pub fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<()> {
        let mut q = self.inner.queues.lock();
        let c = q.get_mut(mq).ok_or_else(|| ClientError::Invalid(format!("{mq:?} is not assigned")))?;
        c.next = Some(offset);
        self.inner.offsets.update(mq, offset, false);
        Ok(())
    }

    /// Moves `mq` to the first message stored at or after `ts`.
    pub async fn seek_to_timestamp(&self, mq: &MessageQueue, ts: i64) -> Result<()> {
        let o = rebalance::offset_by_time(&self.inner.instance, mq, ts).await?;
        self.seek(mq, o)
    }

    /// Moves `mq` to its first offset.
    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<()> {
        let o = rebalance::min_offset(&self.inner.instance, mq).await?;
        self.seek(mq, o)
    }

    /// Commits the position of every assigned queue now.
    pub async fn commit(&self) {
        let mqs: Vec<MessageQueue> = {
            let q = self.inner.queues.lock();
            for (mq, c) in q.iter() {
                if let Some(n) = c.next {
                    self.inner.offsets.update(mq, n, false);
                }
            }
            q.keys().cloned().collect()
        };
        self.inner.offsets.persist(&mqs).await;
    }

    /// The committed offset of `mq` on the broker (None = none yet).
    pub async fn committed(&self, mq: &MessageQueue) -> Result<Option<i64>> {
        self.inner.offsets.read_stored(mq).await
    }

    /// Commits (when auto-committing) and leaves the group.
    pub async fn shutdown(&self) {
        let mqs = self.assignment();
        if self.inner.config.auto_commit {
            self.inner.offsets.persist(&mqs).await;
        }
        self.inner.instance.unregister(&format!("consumer@{}", self.inner.config.group));
        self.inner.instance.unregister_group(None, Some(&self.inner.config.group)).await;
    }
}

impl Inner {
    async fn do_rebalance(&self) {
        if self.assigned_mode {
            return;
        }
        let subs: Vec<Subscription> = self.subs.lock().values().cloned().collect();
        for sub in subs {
            let c = &self.config;
            let model = MessageModel::Clustering;
            let Some(mine) = rebalance::assigned_queues(&self.instance, &sub.topic, &c.group, model, c.allocate).await
            else {
                continue;
            };
            let gone: Vec<MessageQueue> = {
                let mut q = self.queues.lock();
                let gone: Vec<MessageQueue> =
                    q.keys().filter(|k| k.topic == sub.topic && !mine.contains(k)).cloned().collect();
                for g in &gone {
                    q.remove(g);
                }
                for m in &mine {
                    q.entry(m.clone()).or_insert_with(|| Cursor { sub: sub.clone(), next: None });
                }
                gone
            };
            self.offsets.release(&gone).await;
        }
    }
}

impl Member for Inner {
    fn topics(&self) -> Vec<String> {
        let mut t: Vec<String> = self.subs.lock().keys().cloned().collect();
        t.extend(self.queues.lock().keys().map(|q| q.topic.clone()));
        t.sort();
        t.dedup();
        t
    }

    fn consumer_data(&self) -> Option<ConsumerData> {
        Some(ConsumerData {
            group_name: self.config.group.clone(),
            consume_type: rmq_remoting::body::ConsumeType::Actively,
            message_model: MessageModel::Clustering,
            consume_from_where: self.config.from_where.wire(),
            subscription_data_set: self.subs.lock().values().map(Subscription::data).collect(),
            unit_mode: false,
        })
    }

    fn rebalance(&self) {
        if let Some(me) = self.me.get().and_then(Weak::upgrade) {
            tokio::spawn(async move { me.do_rebalance().await });
        }
    }

    fn persist_offsets(&self) {
        if !self.config.auto_commit {
            return;
        }
        if let Some(me) = self.me.get().and_then(Weak::upgrade) {
            tokio::spawn(async move {
                let mqs: Vec<MessageQueue> = me.queues.lock().keys().cloned().collect();
                me.offsets.persist(&mqs).await;
            });
        }
    }
}
