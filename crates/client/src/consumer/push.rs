//! The push consumer: rebalances the group's queues, long-polls each assigned queue, and runs
//! the listener on a bounded worker pool; failed messages go back to the broker's retry topic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use dashmap::DashMap;
use parking_lot::RwLock;
use rmq_common::message::MessageExt;
use rmq_common::property;
use rmq_remoting::body::{fastjson, ConsumerData, MessageQueue};
use rmq_remoting::header::ConsumerSendMsgBackRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::offset_store::OffsetStore;
use super::process_queue::ProcessQueue;
use super::pull_api::{pull, PullRequest, PullStatus};
use super::{rebalance, AllocateStrategy, ConsumeFromWhere, ConsumeStatus, MessageModel, OrderlyStatus, Subscription};
use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, Member};
use crate::ClientConfig;

use rmq_common::topic::RETRY_PREFIX;
const LONG_POLL: Duration = Duration::from_secs(15);
const PULL_ERROR_DELAY: Duration = Duration::from_secs(3);
const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);
const LOCK_RENEW: Duration = Duration::from_secs(20);

/// What the listener learns besides the messages.
#[derive(Debug, Clone)]
pub struct ConsumeContext {
    /// The queue the messages came from.
    pub queue: MessageQueue,
}

type ConcurrentFn = dyn Fn(&[MessageExt], &ConsumeContext) -> ConsumeStatus + Send + Sync;
type OrderlyFn = dyn Fn(&[MessageExt], &ConsumeContext) -> OrderlyStatus + Send + Sync;

/// The message callback. It runs on a blocking-capable worker, so it may block.
#[derive(Clone)]
pub enum Listener {
    /// Messages of a queue are consumed in parallel.
    Concurrent(Arc<ConcurrentFn>),
    /// One batch at a time per queue, in queue order, under a broker-side queue lock.
    Orderly(Arc<OrderlyFn>),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if matches!(self, Self::Concurrent(_)) { "Listener::Concurrent" } else { "Listener::Orderly" })
    }
}

impl Listener {
    /// A concurrent listener.
    pub fn concurrent(f: impl Fn(&[MessageExt], &ConsumeContext) -> ConsumeStatus + Send + Sync + 'static) -> Self {
        Self::Concurrent(Arc::new(f))
    }

    /// An orderly listener.
    pub fn orderly(f: impl Fn(&[MessageExt], &ConsumeContext) -> OrderlyStatus + Send + Sync + 'static) -> Self {
        Self::Orderly(Arc::new(f))
    }
}

/// Push consumer settings, with the official defaults.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Consumer group (every instance of a group must subscribe the same way).
    pub group: String,
    /// Client settings.
    pub client: ClientConfig,
    /// Clustering or broadcasting.
    pub model: MessageModel,
    /// Start point of a group without offsets.
    pub from_where: ConsumeFromWhere,
    /// Queue allocation.
    pub allocate: AllocateStrategy,
    /// Listener calls running at once (consumeThreadMax, 20).
    pub consume_threads: usize,
    /// Messages per listener call (1).
    pub consume_batch_size: usize,
    /// Messages per pull (32).
    pub pull_batch_size: i32,
    /// Pause pulling a queue holding this many messages (1000)...
    pub pull_threshold_for_queue: usize,
    /// ...or this many body bytes (100 MiB).
    pub pull_threshold_size_for_queue: usize,
    /// Retries before the dead-letter queue (16).
    pub max_reconsume_times: i32,
    /// Orderly: pause after SuspendCurrentQueueAMoment (1 s).
    pub suspend_current_queue_time: Duration,
    /// Broadcasting offsets directory (default `~/.rocketmq_offsets`).
    pub local_offset_dir: Option<PathBuf>,
    /// Record a trace of every listener call (enableMsgTrace).
    pub enable_msg_trace: bool,
    /// Trace topic (default RMQ_SYS_TRACE_TOPIC).
    pub trace_topic: Option<String>,
}

impl ConsumerConfig {
    /// Defaults for `group` with these name servers.
    pub fn new(group: impl Into<String>, namesrv: impl Into<String>) -> Self {
        Self { group: group.into(), client: ClientConfig::with_namesrv(namesrv), ..Self::default() }
    }
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            group: "DEFAULT_CONSUMER".into(),
            client: ClientConfig::default(),
            model: MessageModel::Clustering,
            from_where: ConsumeFromWhere::LastOffset,
            allocate: AllocateStrategy::Average,
            consume_threads: 20,
            consume_batch_size: 1,
            pull_batch_size: 32,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100 * 1024 * 1024,
            max_reconsume_times: 16,
            suspend_current_queue_time: Duration::from_secs(1),
            local_offset_dir: None,
            enable_msg_trace: false,
            trace_topic: None,
        }
    }
}

struct Inner {
    config: ConsumerConfig,
    instance: Arc<ClientInstance>,
    subs: RwLock<BTreeMap<String, Subscription>>,
    listener: Listener,
    offsets: OffsetStore,
    queues: DashMap<MessageQueue, Arc<ProcessQueue>>,
    workers: Arc<Semaphore>,
    stop: CancellationToken,
    tasks: TaskTracker,
    rebalancing: tokio::sync::Mutex<()>,
    me: OnceLock<Weak<Inner>>,
    trace: Option<crate::trace::TraceDispatcher>,
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

impl PushConsumer {
    /// Subscribes to `subscriptions` (topic, tag expression) and starts consuming with `listener`.
    pub async fn start(config: ConsumerConfig, subscriptions: &[(&str, &str)], listener: Listener) -> Result<Self> {
        if config.group.is_empty() || subscriptions.is_empty() {
            return Err(ClientError::Invalid("a consumer needs a group and at least one subscription".into()));
        }
        let instance = ClientInstance::get_or_create(&config.client).await?;
        let mut subs: BTreeMap<String, Subscription> =
            subscriptions.iter().map(|(t, e)| ((*t).to_owned(), Subscription::new(t, e))).collect();
        let offsets = match config.model {
            MessageModel::Clustering => {
                let retry = format!("{RETRY_PREFIX}{}", config.group);
                subs.insert(retry.clone(), Subscription::new(&retry, "*"));
                OffsetStore::remote(&config.group, Arc::clone(&instance))
            }
            MessageModel::Broadcasting => {
                OffsetStore::local(config.local_offset_dir.clone(), instance.client_id(), &config.group)
            }
        };
        let trace = if config.enable_msg_trace {
            Some(crate::trace::TraceDispatcher::start(&config.client, &config.group, config.trace_topic.clone()).await?)
        } else {
            None
        };
        let inner = Arc::new(Inner {
            trace,
            workers: Arc::new(Semaphore::new(config.consume_threads.max(1))),
            config,
            instance,
            subs: RwLock::new(subs),
            listener,
            offsets,
            queues: DashMap::new(),
            stop: CancellationToken::new(),
            tasks: TaskTracker::new(),
            rebalancing: tokio::sync::Mutex::new(()),
            me: OnceLock::new(),
        });
        let _ = inner.me.set(Arc::downgrade(&inner));
        let topics: Vec<String> = inner.subs.read().keys().cloned().collect();
        for t in &topics {
            if let Err(e) = inner.instance.update_route(t).await {
                if !t.starts_with(RETRY_PREFIX) {
                    tracing::warn!(topic = %t, cause = %e, "no route yet; will retry");
                }
            }
        }
        let member: Arc<dyn Member> = inner.clone();
        let weak: Weak<dyn Member> = Arc::downgrade(&member);
        inner.instance.register(&format!("consumer@{}", inner.config.group), weak);
        inner.instance.send_heartbeats().await;
        inner.do_rebalance().await;
        if matches!(inner.listener, Listener::Orderly(_)) {
            let weak = Arc::downgrade(&inner);
            let stop = inner.stop.clone();
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
        Ok(Self { inner })
    }

    /// Queues this instance consumes now.
    #[must_use]
    pub fn assigned(&self) -> Vec<MessageQueue> {
        let mut v: Vec<MessageQueue> = self.inner.queues.iter().map(|e| e.key().clone()).collect();
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
        i.stop.cancel();
        let mqs: Vec<MessageQueue> = i.queues.iter().map(|e| e.key().clone()).collect();
        for e in &i.queues {
            e.value().dropped.cancel();
        }
        i.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(30), i.tasks.wait()).await;
        i.offsets.persist(&mqs).await;
        if matches!(i.listener, Listener::Orderly(_)) {
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
            tokio::spawn(async move {
                let mqs: Vec<MessageQueue> = me.queues.iter().map(|e| e.key().clone()).collect();
                me.offsets.persist(&mqs).await;
            });
        }
    }

    fn on_broker_request(&self, req: &RemotingCommand) -> Option<RemotingCommand> {
        match req.request_code() {
            RequestCode::NotifyConsumerIdsChanged => {
                Member::rebalance(self);
                None
            }
            RequestCode::ResetConsumerClientOffset => {
                self.reset_offsets(&req.body);
                None
            }
            RequestCode::GetConsumerRunningInfo => Some(RemotingCommand::success().with_body(self.running_info())),
            RequestCode::GetConsumerStatusFromClient => {
                let mut parts = Vec::new();
                for e in &self.queues {
                    let k = e.key();
                    let key = serde_json::json!({"brokerName": k.broker_name, "queueId": k.queue_id, "topic": k.topic});
                    parts.push(format!("{key}:{}", self.offsets.get(k).unwrap_or(-1)));
                }
                let body = format!("{{\"offsetTable\":{{{}}}}}", parts.join(","));
                Some(RemotingCommand::success().with_body(body.into_bytes()))
            }
            other => Some(RemotingCommand::error(
                ResponseCode::RequestCodeNotSupported,
                format!("{} is not supported by this consumer", other.name()),
            )),
        }
    }
}

impl Inner {
    fn context(mq: &MessageQueue) -> ConsumeContext {
        ConsumeContext { queue: mq.clone() }
    }

    async fn do_rebalance(self: &Arc<Self>) {
        if self.stop.is_cancelled() {
            return;
        }
        let _guard = self.rebalancing.lock().await;
        let subs: Vec<Subscription> = self.subs.read().values().cloned().collect();
        for sub in subs {
            let route = match self.instance.route(&sub.topic).await {
                Ok(r) => r,
                Err(_) => match self.instance.update_route(&sub.topic).await {
                    Ok(r) => r,
                    Err(_) => continue,
                },
            };
            let mqs = rebalance::read_queues(&sub.topic, &route);
            let assigned = match self.config.model {
                MessageModel::Broadcasting => mqs,
                MessageModel::Clustering => {
                    match rebalance::consumer_ids(&self.instance, &route, &self.config.group).await {
                        Ok(ids) => self.config.allocate.allocate(self.instance.client_id(), &mqs, &ids),
                        Err(e) => {
                            tracing::debug!(topic = %sub.topic, cause = %e, "consumer list unavailable; keeping queues");
                            continue;
                        }
                    }
                }
            };
            self.apply_assignment(&sub, assigned).await;
        }
    }

    async fn apply_assignment(self: &Arc<Self>, sub: &Subscription, assigned: Vec<MessageQueue>) {
        let current: Vec<MessageQueue> =
            self.queues.iter().filter(|e| e.key().topic == sub.topic).map(|e| e.key().clone()).collect();
        let orderly = matches!(self.listener, Listener::Orderly(_));
        let gone: Vec<MessageQueue> = current.iter().filter(|q| !assigned.contains(q)).cloned().collect();
        for mq in &gone {
            if let Some((_, pq)) = self.queues.remove(mq) {
                pq.dropped.cancel();
            }
        }
        if !gone.is_empty() {
            self.offsets.persist(&gone).await;
            for mq in &gone {
                self.offsets.remove(mq);
            }
            if orderly {
                rebalance::lock_queues(&self.instance, &self.config.group, &gone, true).await;
            }
        }
        for mq in assigned.into_iter().filter(|q| !current.contains(q)) {
            let pq = Arc::new(ProcessQueue::default());
            if orderly {
                let locked =
                    rebalance::lock_queues(&self.instance, &self.config.group, std::slice::from_ref(&mq), false).await;
                if !locked.contains(&mq) {
                    continue; // still held by the previous owner; retried at the next rebalance
                }
                pq.set_locked(true);
            }
            let start = match self.start_offset(&mq).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(queue = ?mq, cause = %e, "cannot compute the start offset; retrying at the next rebalance");
                    continue;
                }
            };
            self.offsets.update(&mq, start, false);
            self.queues.insert(mq.clone(), Arc::clone(&pq));
            let me = Arc::clone(self);
            let sub = sub.clone();
            self.tasks.spawn(async move { me.pull_loop(mq, pq, sub, start).await });
        }
    }

    async fn start_offset(&self, mq: &MessageQueue) -> Result<i64> {
        if let Some(o) = self.offsets.read_stored(mq).await?.filter(|o| *o >= 0) {
            return Ok(o);
        }
        if mq.topic.starts_with(RETRY_PREFIX) {
            return Ok(0);
        }
        match self.config.from_where {
            ConsumeFromWhere::FirstOffset => rebalance::min_offset(&self.instance, mq).await,
            ConsumeFromWhere::LastOffset => rebalance::max_offset(&self.instance, mq).await,
            ConsumeFromWhere::Timestamp(ts) => rebalance::offset_by_time(&self.instance, mq, ts).await,
        }
    }

    async fn pull_loop(self: Arc<Self>, mq: MessageQueue, pq: Arc<ProcessQueue>, sub: Subscription, start: i64) {
        let mut offset = start;
        let mut broker_id = 0;
        loop {
            if pq.is_dropped() || self.stop.is_cancelled() {
                return;
            }
            let (count, bytes) = pq.load();
            let orderly_wait = matches!(self.listener, Listener::Orderly(_)) && !pq.is_locked();
            if count > self.config.pull_threshold_for_queue
                || bytes > self.config.pull_threshold_size_for_queue
                || orderly_wait
            {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                    () = pq.dropped.cancelled() => return,
                }
                continue;
            }
            let commit = match self.config.model {
                MessageModel::Clustering => self.offsets.get(&mq),
                MessageModel::Broadcasting => None,
            };
            let req = PullRequest {
                group: &self.config.group,
                queue: &mq,
                subscription: &sub,
                offset,
                max_msgs: self.config.pull_batch_size,
                suspend: LONG_POLL,
                commit_offset: commit,
                broker_id,
            };
            let result = tokio::select! {
                r = pull(&self.instance, &req) => r,
                () = pq.dropped.cancelled() => return,
            };
            match result {
                Ok(r) => {
                    broker_id = if self.instance.broker_addr(&mq.broker_name, r.suggest_which_broker_id).is_some() {
                        r.suggest_which_broker_id
                    } else {
                        0
                    };
                    match r.status {
                        PullStatus::Found => {
                            offset = r.next_begin_offset;
                            pq.put(&r.messages);
                            self.dispatch(&mq, &pq, r.messages);
                        }
                        PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {
                            offset = r.next_begin_offset;
                            if pq.load().0 == 0 {
                                self.offsets.update(&mq, offset, true);
                            }
                        }
                        PullStatus::OffsetIllegal => {
                            tracing::warn!(queue = ?mq, offset, next = r.next_begin_offset, "offset illegal; moving on");
                            offset = r.next_begin_offset;
                            pq.clear();
                            self.offsets.update(&mq, offset, false);
                            self.offsets.persist(std::slice::from_ref(&mq)).await;
                        }
                    }
                }
                Err(e) => {
                    tracing::debug!(queue = ?mq, cause = %e, "pull failed");
                    broker_id = 0;
                    // The broker may be gone: a fresh route points at a slave if the master died.
                    let _ = self.instance.update_route(&mq.topic).await;
                    tokio::select! {
                        () = tokio::time::sleep(PULL_ERROR_DELAY) => {}
                        () = pq.dropped.cancelled() => return,
                    }
                }
            }
        }
    }

    fn dispatch(self: &Arc<Self>, mq: &MessageQueue, pq: &Arc<ProcessQueue>, msgs: Vec<MessageExt>) {
        match &self.listener {
            Listener::Concurrent(f) => {
                for batch in msgs.chunks(self.config.consume_batch_size.max(1)) {
                    self.spawn_concurrent(mq.clone(), Arc::clone(pq), batch.to_vec(), Arc::clone(f), Duration::ZERO);
                }
            }
            Listener::Orderly(f) => {
                let (me, mq, pq, f) = (Arc::clone(self), mq.clone(), Arc::clone(pq), Arc::clone(f));
                self.tasks.spawn(async move { me.consume_orderly(mq, pq, f).await });
            }
        }
    }

    fn spawn_concurrent(
        self: &Arc<Self>,
        mq: MessageQueue,
        pq: Arc<ProcessQueue>,
        batch: Vec<MessageExt>,
        f: Arc<ConcurrentFn>,
        delay: Duration,
    ) {
        let me = Arc::clone(self);
        self.tasks.spawn(async move {
            if !delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = pq.dropped.cancelled() => return,
                }
            }
            let Ok(_permit) = Arc::clone(&me.workers).acquire_owned().await else { return };
            if pq.is_dropped() {
                return;
            }
            let msgs: Vec<MessageExt> = batch.iter().map(|m| me.restore_retry_topic(m.clone())).collect();
            let ctx = Self::context(&mq);
            let traced = me.trace_before(&batch);
            let started = std::time::Instant::now();
            let status =
                tokio::task::spawn_blocking(move || f(&msgs, &ctx)).await.unwrap_or(ConsumeStatus::ReconsumeLater);
            me.trace_after(&batch, traced, started, status == ConsumeStatus::Success);
            if pq.is_dropped() {
                return; // the queue moved: the new owner consumes from the committed offset
            }
            let mut done: Vec<i64> = batch.iter().map(|m| m.queue_offset).collect();
            if status == ConsumeStatus::ReconsumeLater && me.config.model == MessageModel::Clustering {
                let mut failed = Vec::new();
                for m in &batch {
                    if let Err(e) = me.send_back(m).await {
                        tracing::warn!(msg_id = %m.msg_id, cause = %e, "send-back failed; retrying locally");
                        failed.push(m.clone());
                    }
                }
                done.retain(|o| !failed.iter().any(|m| m.queue_offset == *o));
                if !failed.is_empty() {
                    let f = match &me.listener {
                        Listener::Concurrent(f) => Arc::clone(f),
                        Listener::Orderly(_) => return,
                    };
                    me.spawn_concurrent(mq.clone(), Arc::clone(&pq), failed, f, LOCAL_RETRY_DELAY);
                }
            }
            let commit = pq.remove(&done);
            me.offsets.update(&mq, commit, true);
        });
    }

    async fn consume_orderly(self: Arc<Self>, mq: MessageQueue, pq: Arc<ProcessQueue>, f: Arc<OrderlyFn>) {
        let _one_at_a_time = pq.consume_lock.lock().await;
        loop {
            if pq.is_dropped() || !pq.is_locked() {
                return;
            }
            let batch = pq.take(self.config.consume_batch_size.max(1));
            if batch.is_empty() {
                return;
            }
            let Ok(permit) = Arc::clone(&self.workers).acquire_owned().await else { return };
            let msgs: Vec<MessageExt> = batch.iter().map(|m| self.restore_retry_topic(m.clone())).collect();
            let ctx = Self::context(&mq);
            let g = Arc::clone(&f);
            let traced = self.trace_before(&batch);
            let started = std::time::Instant::now();
            let status = tokio::task::spawn_blocking(move || g(&msgs, &ctx))
                .await
                .unwrap_or(OrderlyStatus::SuspendCurrentQueueAMoment);
            self.trace_after(&batch, traced, started, status == OrderlyStatus::Success);
            drop(permit);
            match status {
                OrderlyStatus::Success => {
                    let commit = pq.commit();
                    self.offsets.update(&mq, commit, false);
                }
                OrderlyStatus::SuspendCurrentQueueAMoment => {
                    // Past maxReconsumeTimes a message goes to the DLQ (via send-back) and the
                    // queue moves on; otherwise the same batch is retried after a pause.
                    let exhausted = batch.iter().all(|m| m.reconsume_times >= self.config.max_reconsume_times);
                    if exhausted && self.config.model == MessageModel::Clustering {
                        let mut all_sent = true;
                        for m in &batch {
                            all_sent &= self.send_back(m).await.is_ok();
                        }
                        if all_sent {
                            let commit = pq.commit();
                            self.offsets.update(&mq, commit, false);
                            continue;
                        }
                    }
                    let again: Vec<MessageExt> = batch
                        .into_iter()
                        .map(|mut m| {
                            m.reconsume_times += 1;
                            m
                        })
                        .collect();
                    pq.restore(&again);
                    tokio::select! {
                        () = tokio::time::sleep(self.config.suspend_current_queue_time) => {}
                        () = pq.dropped.cancelled() => return,
                    }
                }
            }
        }
    }

    /// Records SubBefore for a listener call; returns its request id.
    fn trace_before(&self, batch: &[MessageExt]) -> Option<String> {
        let t = self.trace.as_ref()?;
        let request_id = format!("{}-{}", self.instance.client_id(), rand::random::<u64>());
        for m in batch {
            t.record(crate::trace::TraceRecord {
                kind: Some(crate::trace::TraceType::SubBefore),
                timestamp: crate::now_ms(),
                region_id: property::get(&m.properties, property::MSG_REGION).unwrap_or("DefaultRegion").to_owned(),
                group: self.config.group.clone(),
                request_id: request_id.clone(),
                msg_id: property::get(&m.properties, property::UNIQ_KEY).unwrap_or(&m.msg_id).to_owned(),
                retry_times: m.reconsume_times,
                keys: property::get(&m.properties, property::KEYS).unwrap_or_default().to_owned(),
                ..crate::trace::TraceRecord::default()
            });
        }
        Some(request_id)
    }

    /// Records SubAfter for a listener call.
    fn trace_after(&self, batch: &[MessageExt], request_id: Option<String>, started: std::time::Instant, ok: bool) {
        let (Some(t), Some(request_id)) = (self.trace.as_ref(), request_id) else { return };
        let cost = i64::try_from(started.elapsed().as_millis()).unwrap_or(0);
        for m in batch {
            t.record(crate::trace::TraceRecord {
                kind: Some(crate::trace::TraceType::SubAfter),
                request_id: request_id.clone(),
                msg_id: property::get(&m.properties, property::UNIQ_KEY).unwrap_or(&m.msg_id).to_owned(),
                cost_ms: cost,
                success: ok,
                keys: property::get(&m.properties, property::KEYS).unwrap_or_default().to_owned(),
                context_code: i32::from(!ok),
                timestamp: crate::now_ms(),
                group: self.config.group.clone(),
                ..crate::trace::TraceRecord::default()
            });
        }
    }

    /// A message from `%RETRY%group` is shown with its original topic.
    fn restore_retry_topic(&self, mut m: MessageExt) -> MessageExt {
        if m.topic.starts_with(RETRY_PREFIX) {
            if let Some(t) = property::get(&m.properties, property::RETRY_TOPIC) {
                m.topic = t.to_owned();
            }
        }
        m
    }

    async fn send_back(&self, m: &MessageExt) -> Result<()> {
        let addr = m.store_host.to_string();
        let origin = property::get(&m.properties, property::UNIQ_KEY).unwrap_or(&m.msg_id).to_owned();
        let h = ConsumerSendMsgBackRequestHeader {
            offset: m.commit_log_offset,
            group: self.config.group.clone(),
            delay_level: 0,
            origin_msg_id: Some(origin),
            origin_topic: Some(self.restore_retry_topic(m.clone()).topic),
            unit_mode: Some(false),
            max_reconsume_times: Some(self.config.max_reconsume_times),
        };
        let req = RemotingCommand::request_with_header(RequestCode::ConsumerSendMsgBack, &h);
        self.instance.invoke_ok(&addr, req).await.map(|_| ())
    }

    async fn renew_locks(&self) {
        let mqs: Vec<MessageQueue> = self.queues.iter().map(|e| e.key().clone()).collect();
        let locked = rebalance::lock_queues(&self.instance, &self.config.group, &mqs, false).await;
        for e in &self.queues {
            e.value().set_locked(locked.contains(e.key()));
        }
    }

    /// RESET_CONSUMER_CLIENT_OFFSET: restart the listed queues from the given offsets.
    fn reset_offsets(&self, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&fastjson::normalize(&text)) else { return };
        let Some(table) = v.get("offsetTable").and_then(|t| t.as_object()) else { return };
        let Some(me) = self.me.get().and_then(Weak::upgrade) else { return };
        let mut targets = Vec::new();
        for (k, off) in table {
            if let (Some(mq), Some(off)) = (fastjson::message_queue_key(k), off.as_i64()) {
                targets.push((mq, off));
            }
        }
        tokio::spawn(async move {
            for (mq, off) in targets {
                let Some((_, old)) = me.queues.remove(&mq) else { continue };
                old.dropped.cancel();
                me.offsets.update(&mq, off, false);
                me.offsets.persist(std::slice::from_ref(&mq)).await;
                let Some(sub) = me.subs.read().get(&mq.topic).cloned() else { continue };
                let pq = Arc::new(ProcessQueue::default());
                pq.set_locked(old.is_locked());
                me.queues.insert(mq.clone(), Arc::clone(&pq));
                let m = Arc::clone(&me);
                me.tasks.spawn(async move { m.pull_loop(mq, pq, sub, off).await });
            }
        });
    }

    fn running_info(&self) -> Vec<u8> {
        let consume_type = if matches!(self.listener, Listener::Orderly(_)) { "orderly" } else { "concurrently" };
        let mut mq_table = Vec::new();
        for e in &self.queues {
            let k = e.key();
            let (count, bytes) = e.value().load();
            let key = serde_json::json!({"brokerName": k.broker_name, "queueId": k.queue_id, "topic": k.topic});
            let val = serde_json::json!({
                "commitOffset": self.offsets.get(k).unwrap_or(-1),
                "cachedMsgCount": count,
                "cachedMsgSizeInMiB": bytes / (1024 * 1024),
                "locked": e.value().is_locked(),
                "droped": false,
            });
            mq_table.push(format!("{key}:{val}"));
        }
        let props = serde_json::json!({
            "consumerGroup": self.config.group,
            "messageModel": self.config.model.as_str(),
            "consumeFromWhere": self.config.from_where.wire().as_str(),
            "consumeType": "CONSUME_PASSIVELY",
            "consumeOrderly": consume_type == "orderly",
            "consumeThreadMax": self.config.consume_threads,
            "PROP_CLIENT_VERSION": "rmq-client-rust",
            "PROP_CONSUMEORDERLY": (consume_type == "orderly").to_string(),
            "PROP_CONSUME_TYPE": "CONSUME_PASSIVELY",
            "PROP_CONSUMER_START_TIMESTAMP": crate::now_ms().to_string(),
        });
        let subs: Vec<_> = self.subs.read().values().map(Subscription::data).collect();
        let subs = serde_json::to_string(&subs).unwrap_or_else(|_| "[]".into());
        format!(
            "{{\"jstack\":\"\",\"mqTable\":{{{}}},\"properties\":{props},\"statusTable\":{{}},\"subscriptionSet\":{subs}}}",
            mq_table.join(",")
        )
        .into_bytes()
    }
}
