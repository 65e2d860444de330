//! A POP consumer in push style: the broker balances the queues (QUERY_ASSIGNMENT, every
//! rebalance), one loop per assigned queue pops with long polling, hands each message to the
//! listener on a blocking thread, acks what succeeded and makes the rest visible again after
//! `retry_delay_ms` (CHANGE_MESSAGE_INVISIBLETIME). Heartbeats make it a member of its group.
//! Every assigned queue is popped whatever mode the broker names for it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use rmq_common::message::MessageExt;
use rmq_remoting::body::{ConsumeType, ConsumerData, MessageModel, MessageQueue, QueryAssignmentRequestBody};
use tokio_util::sync::CancellationToken;

use super::allocate::AllocateStrategy;
use super::pop_api::{ack, change_invisible_time, pop, query_assignment, PopRequest, Popped};
use super::subscription::Subscription;
use super::types::ConsumeStatus;
use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, Member};

/// What the POP consumer calls per message.
pub type PopListener = Arc<dyn Fn(&MessageExt) -> ConsumeStatus + Send + Sync>;

/// POP consumer settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PopConfig {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Tag expression (`*`, `a || b`).
    pub tags: String,
    /// Client settings.
    pub client: ClientConfig,
    /// How long a popped message stays invisible, ms (60 000, as the Java client).
    pub invisible_ms: i64,
    /// Messages per pop (32).
    pub batch: i32,
    /// Long polling time of one pop, ms (5 000).
    pub poll_ms: i64,
    /// A RECONSUME_LATER message is visible again after this, ms (10 000).
    pub retry_delay_ms: i64,
    /// Strategy named in QUERY_ASSIGNMENT.
    pub allocate: AllocateStrategy,
}

impl PopConfig {
    /// Defaults for `group` reading `topic` through these name servers.
    pub fn new(group: impl Into<String>, topic: impl Into<String>, namesrv: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            topic: topic.into(),
            tags: "*".into(),
            client: ClientConfig::with_namesrv(namesrv),
            invisible_ms: 60_000,
            batch: 32,
            poll_ms: 5_000,
            retry_delay_ms: 10_000,
            allocate: AllocateStrategy::Average,
        }
    }
}

struct Inner {
    config: PopConfig,
    instance: Arc<ClientInstance>,
    listener: PopListener,
    loops: Mutex<HashMap<MessageQueue, CancellationToken>>,
    stop: CancellationToken,
    me: OnceLock<Weak<Inner>>,
}

/// A POP consumer.
#[derive(Clone)]
pub struct PopConsumer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PopConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PopConsumer").field("group", &self.inner.config.group).finish_non_exhaustive()
    }
}

impl PopConsumer {
    /// Starts: heartbeats, the first assignment, one pop loop per assigned queue.
    pub async fn start(config: PopConfig, listener: PopListener) -> Result<Self> {
        if config.group.is_empty() || config.topic.is_empty() {
            return Err(ClientError::Invalid("a POP consumer needs a group and a topic".into()));
        }
        let instance = ClientInstance::get_or_create(&config.client).await?;
        instance.update_route(&config.topic).await?;
        let inner = Arc::new(Inner {
            config,
            instance,
            listener,
            loops: Mutex::new(HashMap::new()),
            stop: CancellationToken::new(),
            me: OnceLock::new(),
        });
        let _ = inner.me.set(Arc::downgrade(&inner));
        let member: Arc<dyn Member> = inner.clone();
        let weak: Weak<dyn Member> = Arc::downgrade(&member);
        inner.instance.register(&inner.key(), weak);
        inner.instance.send_heartbeats().await;
        inner.reassign().await?;
        Ok(Self { inner })
    }

    /// The queues this consumer pops now (queue id -1: every queue of that broker).
    #[must_use]
    pub fn assignment(&self) -> Vec<MessageQueue> {
        let mut v: Vec<MessageQueue> = self.inner.loops.lock().keys().cloned().collect();
        v.sort();
        v
    }

    /// Stops the loops (messages popped and not acked come back after their invisible time)
    /// and leaves the group.
    pub async fn shutdown(&self) {
        self.inner.stop.cancel();
        self.inner.instance.unregister(&self.inner.key());
        self.inner.instance.unregister_group(None, Some(&self.inner.config.group)).await;
    }
}

impl Inner {
    fn key(&self) -> String {
        format!("consumer@{}", self.config.group)
    }

    /// Asks a broker of the topic for this client's queues and starts or stops loops to match.
    async fn reassign(self: &Arc<Self>) -> Result<()> {
        let c = &self.config;
        let route = self.instance.route(&c.topic).await?;
        let Some(addr) = route.broker_datas.iter().find_map(|b| b.broker_addrs.get(&0).cloned()) else {
            return Err(ClientError::NoRoute(c.topic.clone()));
        };
        let body = QueryAssignmentRequestBody {
            topic: c.topic.clone(),
            consumer_group: c.group.clone(),
            client_id: self.instance.client_id().to_owned(),
            strategy_name: c.allocate.name().to_owned(),
            message_model: MessageModel::Clustering,
        };
        let Some(assigned) = query_assignment(&self.instance, &addr, &body).await? else { return Ok(()) };
        let wanted: Vec<MessageQueue> = assigned.into_iter().map(|a| a.message_queue).collect();
        let mut loops = self.loops.lock();
        loops.retain(|mq, token| {
            let keep = wanted.contains(mq);
            if !keep {
                token.cancel();
            }
            keep
        });
        for mq in wanted {
            if let std::collections::hash_map::Entry::Vacant(slot) = loops.entry(mq.clone()) {
                let token = self.stop.child_token();
                tokio::spawn(Arc::clone(self).pop_loop(mq, token.clone()));
                slot.insert(token);
            }
        }
        Ok(())
    }

    async fn pop_loop(self: Arc<Self>, mq: MessageQueue, token: CancellationToken) {
        let c = &self.config;
        let req = PopRequest {
            group: c.group.clone(),
            topic: c.topic.clone(),
            broker_name: mq.broker_name.clone(),
            queue_id: mq.queue_id,
            max: c.batch,
            invisible_ms: c.invisible_ms,
            poll_ms: c.poll_ms,
            tags: c.tags.clone(),
            exp_type: "TAG".into(),
            order: false,
            attempt_id: None,
            init_mode: 0,
        };
        while !token.is_cancelled() {
            let Some(addr) = self.instance.broker_addr(&mq.broker_name, 0) else {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            };
            let popped = tokio::select! {
                r = pop(&self.instance, &addr, &req) => r,
                () = token.cancelled() => return,
            };
            match popped {
                Ok(batch) => self.consume(&addr, batch, &token).await,
                Err(e) => {
                    tracing::debug!(queue = ?mq, cause = %e, "pop failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Runs the listener on each message; acks or delays it by its result.
    async fn consume(self: &Arc<Self>, addr: &str, batch: Vec<Popped>, token: &CancellationToken) {
        let c = &self.config;
        let sub = Subscription::new(&c.topic, &c.tags);
        for p in batch {
            if token.is_cancelled() {
                return;
            }
            let status = if sub.matches(p.message.tags()) {
                let (listener, msg) = (Arc::clone(&self.listener), p.message.clone());
                tokio::task::spawn_blocking(move || listener(&msg)).await.unwrap_or(ConsumeStatus::ReconsumeLater)
            } else {
                ConsumeStatus::Success
            };
            let done = match status {
                ConsumeStatus::Success => ack(&self.instance, addr, &c.group, &c.topic, &p).await,
                ConsumeStatus::ReconsumeLater => {
                    change_invisible_time(&self.instance, addr, &c.group, &c.topic, &p, c.retry_delay_ms)
                        .await
                        .map(|_| ())
                }
            };
            if let Err(e) = done {
                tracing::debug!(cause = %e, "ack or change of invisible time failed; the message comes back");
            }
        }
    }
}

impl Member for Inner {
    fn topics(&self) -> Vec<String> {
        vec![self.config.topic.clone()]
    }

    fn consumer_data(&self) -> Option<ConsumerData> {
        Some(ConsumerData {
            group_name: self.config.group.clone(),
            consume_type: ConsumeType::Passively,
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![Subscription::new(&self.config.topic, &self.config.tags).data()],
            ..ConsumerData::default()
        })
    }

    fn rebalance(&self) {
        if let Some(me) = self.me.get().and_then(Weak::upgrade) {
            tokio::spawn(async move {
                if let Err(e) = me.reassign().await {
                    tracing::debug!(cause = %e, "QUERY_ASSIGNMENT failed");
                }
            });
        }
    }
}
