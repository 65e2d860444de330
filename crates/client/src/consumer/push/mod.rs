//! The push consumer: rebalances the group's queues, long-polls each assigned queue, and runs
//! the listener on a bounded worker pool; failed messages go back to the broker's retry topic.
//!
//! Files by concern: `config` (settings), `listener` (the callback), `puller` (one loop per
//! queue), `consume` (concurrent and orderly listener calls), `send_back` (retry and DLQ),
//! `trace_hook` (SubBefore/SubAfter records), `broker_calls` (bodies of the broker's calls).
//! Which queues to take and where they start is shared with the lite pull consumer
//! (`consumer::rebalance`). This file owns [`PushConsumer`] and its group membership.

mod broker_calls;
mod config;
mod consume;
mod listener;
mod puller;
mod send_back;
mod stream;
mod trace_hook;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::RwLock;
use rmq_remoting::body::{ConsumerData, MessageQueue};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::offset_store::OffsetStore;
use super::process_queue::ProcessQueue;
use super::rebalance;
use super::subscription::{check_in_brokers, MessageSelector, Subscription};
use super::types::MessageModel;
use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, Member};
use broker_calls::QueueTable;
pub use config::{ConsumeSettings, ConsumerConfig, ConsumerConfigBuilder, PullSettings};
use consume::ConsumeService;
pub use listener::{ConsumeContext, Listener, RebalanceListener};
use puller::Puller;
use send_back::SendBack;
pub use stream::{Delivery, MessageStream, StreamOptions};
use trace_hook::ConsumeTracer;

const LOCK_RENEW: Duration = Duration::from_secs(20);

struct Inner {
    config: Arc<ConsumerConfig>,
    instance: Arc<ClientInstance>,
    subs: RwLock<BTreeMap<String, Subscription>>,
    offsets: Arc<OffsetStore>,
    queues: QueueTable,
    puller: Arc<Puller>,
    stop: CancellationToken,
    tasks: TaskTracker,
    rebalancing: tokio::sync::Mutex<()>,
    me: OnceLock<Weak<Inner>>,
    /// A stream consumer's messages, until taken.
    stream: parking_lot::Mutex<Option<MessageStream>>,
}

/// A running push consumer; clone to share, [`PushConsumer::shutdown`] to leave the group.
#[derive(Clone)]
pub struct PushConsumer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PushConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConsumer").field("group", &self.inner.config.group).finish_non_exhaustive()
    }
}

/// The subscriptions (plus the group's retry topic when clustering) and the offset store.
fn subscriptions_and_offsets(
    config: &ConsumerConfig,
    subscriptions: &[(&str, MessageSelector)],
    instance: &Arc<ClientInstance>,
) -> (BTreeMap<String, Subscription>, OffsetStore) {
    let mut subs: BTreeMap<String, Subscription> =
        subscriptions.iter().map(|(t, e)| ((*t).to_owned(), Subscription::with_selector(t, e))).collect();
    let offsets = match config.model {
        MessageModel::Clustering => {
            let retry = rmq_common::topic::retry_topic(&config.group);
            subs.insert(retry.clone(), Subscription::new(&retry, "*"));
            OffsetStore::remote(&config.group, Arc::clone(instance))
        }
        MessageModel::Broadcasting => {
            OffsetStore::local(config.local_offset_dir.clone(), instance.client_id(), &config.group)
        }
    };
    (subs, offsets)
}

impl PushConsumer {
    /// Subscribes to `subscriptions` (topic, tag expression) and starts consuming with `listener`.
    pub async fn start(config: ConsumerConfig, subscriptions: &[(&str, &str)], listener: Listener) -> Result<Self> {
        let selectors: Vec<(&str, MessageSelector)> =
            subscriptions.iter().map(|(t, e)| (*t, MessageSelector::by_tag(e))).collect();
        Self::start_with_selectors(config, &selectors, listener).await
    }

    /// As [`PushConsumer::start`] with a [`MessageSelector`] per topic (tags or SQL92); SQL92
    /// selectors are checked by the topic's brokers first (CHECK_CLIENT_CONFIG), so a malformed
    /// one or a broker without `enablePropertyFilter` fails here with the broker's reason.
    pub async fn start_with_selectors(
        config: ConsumerConfig,
        subscriptions: &[(&str, MessageSelector)],
        listener: Listener,
    ) -> Result<Self> {
        Self::launch(config, subscriptions, listener, CancellationToken::new(), None).await
    }

    /// Starts a consumer whose messages are read from [`PushConsumer::messages`], a `Stream`
    /// of [`Delivery`]s each to be acked or nacked, with back-pressure: at most
    /// `options.buffer` messages are handed out and not acknowledged, and pulling pauses while
    /// a queue holds that many (the config's consume threads, batch and pull thresholds are
    /// fitted to it).
    pub async fn start_stream(
        mut config: ConsumerConfig,
        subscriptions: &[(&str, MessageSelector)],
        options: StreamOptions,
    ) -> Result<Self> {
        options.apply(&mut config);
        let stop = CancellationToken::new();
        let (listener, stream) = options.channel(&stop);
        Self::launch(config, subscriptions, listener, stop, Some(stream)).await
    }

    /// The messages of a consumer started with [`PushConsumer::start_stream`]: `Some` the first
    /// time, `None` afterwards (and for listener consumers).
    #[must_use]
    pub fn messages(&self) -> Option<MessageStream> {
        self.inner.stream.lock().take()
    }

    /// Messages pulled and not yet consumed (or acknowledged), over every queue held.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.inner.queues.iter().map(|e| e.value().load().0).sum()
    }

    async fn launch(
        config: ConsumerConfig,
        subscriptions: &[(&str, MessageSelector)],
        listener: Listener,
        stop: CancellationToken,
        stream: Option<MessageStream>,
    ) -> Result<Self> {
        if config.group.is_empty() || subscriptions.is_empty() {
            return Err(ClientError::Invalid("a consumer needs a group and at least one subscription".into()));
        }
        let instance = ClientInstance::get_or_create(&config.client).await?;
        let (subs, offsets) = subscriptions_and_offsets(&config, subscriptions, &instance);
        for sub in subs.values() {
            check_in_brokers(&instance, &config.group, sub).await?;
        }
        let tracer = if config.trace.enabled {
            let d = crate::producer::Producer::start_trace_dispatcher(
                &config.client,
                &config.group,
                config.trace.topic.clone(),
            )
            .await?;
            Some(ConsumeTracer::new(d, &config.group, instance.client_id()))
        } else {
            None
        };
        let config = Arc::new(config);
        let offsets = Arc::new(offsets);
        let tasks = TaskTracker::new();
        let send_back = SendBack::new(Arc::clone(&instance), &config.group, config.consume.max_reconsume_times);
        let consume =
            ConsumeService::new(Arc::clone(&config), listener, tasks.clone(), Arc::clone(&offsets), send_back, tracer);
        let puller = Puller::new(
            Arc::clone(&config),
            Arc::clone(&instance),
            Arc::clone(&offsets),
            Arc::new(consume),
            stop.clone(),
        );
        let inner = Arc::new(Inner {
            config,
            instance,
            subs: RwLock::new(subs),
            offsets,
            queues: QueueTable::new(),
            puller: Arc::new(puller),
            stop,
            tasks,
            rebalancing: tokio::sync::Mutex::new(()),
            me: OnceLock::new(),
            stream: parking_lot::Mutex::new(stream),
        });
        inner.join().await;
        Ok(Self { inner })
    }

    /// Queues this instance consumes now.
    #[must_use]
    pub fn assigned(&self) -> Vec<MessageQueue> {
        let mut v = self.inner.held();
        v.sort();
        v
    }

    /// Re-balances now (also done every 20 s and when the broker reports a membership change).
    pub async fn rebalance(&self) {
        self.inner.do_rebalance().await;
    }

    /// Stops pulling, waits for listener calls in flight, commits offsets, releases orderly
    /// locks and leaves the group, so its queues move to the others at once.
    pub async fn shutdown(&self) {
        let i = &self.inner;
        let mqs = i.held();
        // Queues first: a stream hand-off cut short by the stop must find its queue dropped
        // (not committed, not sent back).
        for e in &i.queues {
            e.value().dropped.cancel();
        }
        i.stop.cancel();
        i.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(30), i.tasks.wait()).await;
        i.offsets.persist(&mqs).await;
        if i.puller.orderly() {
            rebalance::lock_queues(&i.instance, &i.config.group, &mqs, true).await;
        }
        i.instance.unregister(&format!("consumer@{}", i.config.group));
        i.instance.unregister_group(None, Some(&i.config.group)).await;
        i.queues.clear();
    }
}

impl Member for Inner {
    fn topics(&self) -> Vec<String> {
        self.subs.read().keys().cloned().collect()
    }

    fn consumer_data(&self) -> Option<ConsumerData> {
        Some(ConsumerData {
            group_name: self.config.group.clone(),
            consume_type: rmq_remoting::body::ConsumeType::Passively,
            message_model: self.config.model,
            consume_from_where: self.config.from_where.wire(),
            subscription_data_set: self.subs.read().values().map(Subscription::data).collect(),
            unit_mode: false,
        })
    }

    fn rebalance(&self) {
        if let Some(me) = self.me.get().and_then(Weak::upgrade) {
            tokio::spawn(async move { me.do_rebalance().await });
        }
    }

    fn persist_offsets(&self) {
        if let Some(me) = self.me.get().and_then(Weak::upgrade) {
            tokio::spawn(async move { me.offsets.persist(&me.held()).await });
        }
    }

    fn on_broker_request(&self, req: &RemotingCommand) -> Option<RemotingCommand> {
        match req.request_code() {
            RequestCode::NotifyConsumerIdsChanged => {
                Member::rebalance(self);
                None
            }
            RequestCode::ResetConsumerClientOffset => {
                self.reset_offsets(broker_calls::reset_targets(&req.body));
                None
            }
            RequestCode::GetConsumerRunningInfo => {
                let subs: Vec<Subscription> = self.subs.read().values().cloned().collect();
                let body =
                    broker_calls::running_info(&self.config, self.puller.orderly(), &self.queues, &self.offsets, &subs);
                Some(RemotingCommand::success().with_body(body))
            }
            RequestCode::GetConsumerStatusFromClient => {
                Some(RemotingCommand::success().with_body(broker_calls::consumer_status(&self.queues, &self.offsets)))
            }
            other => Some(RemotingCommand::error(
                ResponseCode::RequestCodeNotSupported,
                format!("{} is not supported by this consumer", other.name()),
            )),
        }
    }
}

impl Inner {
    /// Registers with the client instance, takes the first queues and, orderly, starts the
    /// lock renewal.
    async fn join(self: &Arc<Self>) {
        let _ = self.me.set(Arc::downgrade(self));
        let topics: Vec<String> = self.subs.read().keys().cloned().collect();
        for t in &topics {
            if let Err(e) = self.instance.update_route(t).await {
                if !rmq_common::topic::is_retry(t) {
                    tracing::warn!(topic = %t, cause = %e, "no route yet; will retry");
                }
            }
        }
        let member: Arc<dyn Member> = self.clone();
        let weak: Weak<dyn Member> = Arc::downgrade(&member);
        self.instance.register(&format!("consumer@{}", self.config.group), weak);
        self.instance.send_heartbeats().await;
        self.do_rebalance().await;
        if self.puller.orderly() {
            let (weak, stop) = (Arc::downgrade(self), self.stop.clone());
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = tokio::time::sleep(LOCK_RENEW) => {}
                        () = stop.cancelled() => return,
                    }
                    let Some(i) = weak.upgrade() else { return };
                    i.renew_locks().await;
                }
            });
        }
    }

    /// The queues held now.
    fn held(&self) -> Vec<MessageQueue> {
        self.queues.iter().map(|e| e.key().clone()).collect()
    }

    async fn do_rebalance(self: &Arc<Self>) {
        if self.stop.is_cancelled() {
            return;
        }
        let _guard = self.rebalancing.lock().await;
        let subs: Vec<Subscription> = self.subs.read().values().cloned().collect();
        for sub in subs {
            let c = &self.config;
            if let Some(assigned) =
                rebalance::assigned_queues(&self.instance, &sub.topic, &c.group, c.model, c.allocate).await
            {
                self.apply_assignment(&sub, assigned).await;
            }
        }
    }

    async fn apply_assignment(self: &Arc<Self>, sub: &Subscription, assigned: Vec<MessageQueue>) {
        let current: Vec<MessageQueue> = self.held().into_iter().filter(|q| q.topic == sub.topic).collect();
        let gone: Vec<MessageQueue> = current.iter().filter(|q| !assigned.contains(q)).cloned().collect();
        let hook = self.config.rebalance_listener.clone();
        if let (Some(h), false) = (&hook, gone.is_empty()) {
            h.on_revoked(&sub.topic, &gone);
        }
        self.release(&gone).await;
        let mut taken = Vec::new();
        for mq in assigned.into_iter().filter(|q| !current.contains(q)) {
            if self.take(mq.clone(), sub).await {
                taken.push(mq);
            }
        }
        if let (Some(h), false) = (&hook, taken.is_empty()) {
            h.on_assigned(&sub.topic, &taken);
        }
    }

    /// Stops the loops of `gone`, commits and forgets their offsets, unlocks them (orderly).
    async fn release(&self, gone: &[MessageQueue]) {
        if gone.is_empty() {
            return;
        }
        for mq in gone {
            if let Some((_, pq)) = self.queues.remove(mq) {
                pq.dropped.cancel();
            }
        }
        self.offsets.release(gone).await;
        if self.puller.orderly() {
            rebalance::lock_queues(&self.instance, &self.config.group, gone, true).await;
        }
    }

    /// Starts consuming `mq` (orderly: once the broker grants its lock); false when not now.
    async fn take(self: &Arc<Self>, mq: MessageQueue, sub: &Subscription) -> bool {
        let pq = Arc::new(ProcessQueue::default());
        if self.puller.orderly() {
            let locked =
                rebalance::lock_queues(&self.instance, &self.config.group, std::slice::from_ref(&mq), false).await;
            if !locked.contains(&mq) {
                return false; // still held by the previous owner; retried at the next rebalance
            }
            pq.set_locked(true);
        }
        let start = match rebalance::start_offset(&self.instance, &self.offsets, &mq, self.config.from_where).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(queue = ?mq, cause = %e, "cannot compute the start offset; retrying at the next rebalance");
                return false;
            }
        };
        self.offsets.update(&mq, start, false);
        self.spawn_loop(mq, pq, sub.clone(), start);
        true
    }

    fn spawn_loop(&self, mq: MessageQueue, pq: Arc<ProcessQueue>, sub: Subscription, start: i64) {
        self.queues.insert(mq.clone(), Arc::clone(&pq));
        let puller = Arc::clone(&self.puller);
        self.tasks.spawn(async move { puller.run(mq, pq, sub, start).await });
    }

    async fn renew_locks(&self) {
        let locked = rebalance::lock_queues(&self.instance, &self.config.group, &self.held(), false).await;
        for e in &self.queues {
            e.value().set_locked(locked.contains(e.key()));
        }
    }

    /// RESET_CONSUMER_CLIENT_OFFSET: restart the listed queues from the given offsets.
    fn reset_offsets(&self, targets: Vec<(MessageQueue, i64)>) {
        let Some(me) = self.me.get().and_then(Weak::upgrade) else { return };
        tokio::spawn(async move {
            for (mq, off) in targets {
                let Some((_, old)) = me.queues.remove(&mq) else { continue };
                old.dropped.cancel();
                me.offsets.update(&mq, off, false);
                me.offsets.persist(std::slice::from_ref(&mq)).await;
                let Some(sub) = me.subs.read().get(&mq.topic).cloned() else { continue };
                let pq = Arc::new(ProcessQueue::default());
                pq.set_locked(old.is_locked());
                me.spawn_loop(mq, pq, sub, off);
            }
        });
    }
}
