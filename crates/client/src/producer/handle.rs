//! [`Producer`]: the handle users send with, its group membership, and the send paths (one
//! attempt, retries on another broker, one-way, to a chosen queue, batches).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use rmq_common::msgid;
use rmq_remoting::body::{MessageQueue, ProducerData};
use rmq_remoting::{RemotingCommand, RequestCode};

use super::check::{self, TransactionListener};
use super::config::ProducerConfig;
use super::fault::FaultTolerance;
use super::outcome::{self, SendResult};
use super::prepare::{self, Prepared, DEFAULT_TOPIC};
use super::publish::PublishInfo;
use super::select::QueueSelector;
use super::trace_hook;
use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, Member};
use crate::message::Message;
use crate::trace::{TraceDispatcher, TraceSink};

struct Inner {
    config: ProducerConfig,
    instance: Arc<ClientInstance>,
    publish: DashMap<String, Arc<PublishInfo>>,
    faults: FaultTolerance,
    ids: msgid::UniqueIdGenerator,
    /// Answers the broker's transaction checks (transactional producers).
    check: parking_lot::RwLock<Option<Arc<dyn TransactionListener>>>,
    trace: Option<TraceDispatcher>,
}

impl Member for Inner {
    fn topics(&self) -> Vec<String> {
        // TBW102 as the official producer: its route names every broker, so heartbeats reach
        // them all (transaction checks need the broker to know the producer).
        let mut t: Vec<String> = self.publish.iter().map(|e| e.key().clone()).collect();
        t.push(DEFAULT_TOPIC.to_owned());
        t
    }

    fn producer_data(&self) -> Option<ProducerData> {
        Some(ProducerData { group_name: self.config.group.clone() })
    }

    fn on_broker_request(&self, req: &RemotingCommand) -> Option<RemotingCommand> {
        if req.request_code() == RequestCode::CheckTransactionState {
            let listener = self.check.read().clone();
            if let Some(listener) = listener {
                check::answer_check(Arc::clone(&self.instance), self.config.group.clone(), listener, req);
            }
        }
        None
    }
}

/// A producer; cheap to clone, `Send + Sync`, shared across tasks.
#[derive(Clone)]
pub struct Producer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer").field("group", &self.inner.config.group).finish_non_exhaustive()
    }
}

impl TraceSink for Producer {
    fn send_trace(&self, msg: Message) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
        Box::pin(async move { self.send(msg).await.map(|_| ()) })
    }
}

impl Producer {
    /// Starts a producer: joins (or creates) the client instance and registers the group.
    pub async fn start(config: ProducerConfig) -> Result<Self> {
        if config.group.is_empty() {
            return Err(ClientError::Invalid("the producer group must not be empty".into()));
        }
        let instance = ClientInstance::get_or_create(&config.client).await?;
        let ip = config.client.client_ip.parse().unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        let trace = if config.trace.enabled {
            Some(Self::start_trace_dispatcher(&config.client, &config.group, config.trace.topic.clone()).await?)
        } else {
            None
        };
        let inner = Arc::new(Inner {
            ids: msgid::UniqueIdGenerator::starting_now(ip),
            config,
            instance,
            publish: DashMap::new(),
            faults: FaultTolerance::default(),
            check: parking_lot::RwLock::new(None),
            trace,
        });
        let member: Arc<dyn Member> = inner.clone();
        let weak: Weak<dyn Member> = Arc::downgrade(&member);
        inner.instance.register(&format!("producer@{}", inner.config.group), weak);
        if inner.instance.update_route(DEFAULT_TOPIC).await.is_ok() {
            inner.instance.send_heartbeats().await;
        }
        Ok(Self { inner })
    }

    /// Starts the dispatcher for the traces of `owner_group`'s clients, sending through an inner
    /// producer of its own (itself untraced).
    pub(crate) async fn start_trace_dispatcher(
        client: &ClientConfig,
        owner_group: &str,
        topic: Option<String>,
    ) -> Result<TraceDispatcher> {
        let producer = Box::pin(Self::start(ProducerConfig::for_traces(client, owner_group))).await?;
        Ok(TraceDispatcher::start(Arc::new(producer), topic))
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &ProducerConfig {
        &self.inner.config
    }

    /// The client instance (routes, connections).
    #[must_use]
    pub fn instance(&self) -> &Arc<ClientInstance> {
        &self.inner.instance
    }

    /// Makes `listener` answer the broker's checks of this group's half messages.
    pub(crate) fn set_check_listener(&self, listener: Arc<dyn TransactionListener>) {
        *self.inner.check.write() = Some(listener);
    }

    /// Leaves the group on every broker.
    pub async fn shutdown(&self) {
        let i = &self.inner;
        i.instance.unregister(&format!("producer@{}", i.config.group));
        i.instance.unregister_group(Some(&i.config.group), None).await;
    }

    /// The topic's writable queues (route fetched if needed).
    pub async fn queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        Ok(self.publish_info(topic).await?.queues.clone())
    }

    async fn publish_info(&self, topic: &str) -> Result<Arc<PublishInfo>> {
        let inner = &self.inner;
        if let Some(p) = inner.publish.get(topic).filter(|p| !p.queues.is_empty()) {
            return Ok(Arc::clone(&p));
        }
        let info = match inner.instance.update_route(topic).await {
            Ok(route) => PublishInfo::from_route(topic, &route, None),
            Err(ClientError::NoRoute(_)) => {
                // The broker creates it from TBW102 on first send (autoCreateTopicEnable).
                let route =
                    inner.instance.update_route(DEFAULT_TOPIC).await.map_err(|_| ClientError::NoRoute(topic.into()))?;
                PublishInfo::from_route(topic, &route, Some(inner.config.default_topic_queue_nums))
            }
            Err(e) => return Err(e),
        };
        if info.queues.is_empty() {
            return Err(ClientError::NoRoute(topic.to_owned()));
        }
        let info = Arc::new(info);
        inner.publish.insert(topic.to_owned(), Arc::clone(&info));
        Ok(info)
    }

    fn addr_of(&self, mq: &MessageQueue) -> Result<String> {
        self.inner
            .instance
            .broker_addr(&mq.broker_name, 0)
            .ok_or_else(|| ClientError::Invalid(format!("no master address known for broker {}", mq.broker_name)))
    }

    /// One attempt on one queue.
    async fn send_once(&self, mq: &MessageQueue, p: &Prepared, timeout: Duration) -> Result<SendResult> {
        let addr = self.addr_of(mq)?;
        let started = Instant::now();
        let resp = self.inner.instance.remoting().invoke(&addr, p.command(mq, &self.inner.config), timeout).await;
        if self.inner.config.latency_fault_tolerance {
            self.inner.faults.update(&mq.broker_name, started.elapsed(), resp.is_err());
        }
        SendResult::from_response(addr, resp?, &p.id, mq)
    }

    /// Sends and waits for the broker's answer, retrying on another broker on failure.
    pub async fn send(&self, msg: Message) -> Result<SendResult> {
        let retries = self.inner.config.retry_times_when_send_failed;
        self.send_with_retries(msg, 0, retries).await
    }

    /// Async send: the future completes with the result (retries as configured for async).
    pub async fn send_async(&self, msg: Message) -> Result<SendResult> {
        let retries = self.inner.config.retry_times_when_send_async_failed;
        self.send_with_retries(msg, 0, retries).await
    }

    /// Async send with a callback run on completion; returns at once (must be called within a
    /// tokio runtime). The callback runs on tokio's blocking pool, never on a runtime worker, so
    /// it may block (write a file, take a lock, call a sync API) without stalling other sends.
    pub fn send_with_callback<F>(&self, msg: Message, callback: F)
    where
        F: FnOnce(Result<SendResult>) + Send + 'static,
    {
        let this = self.clone();
        tokio::spawn(async move {
            let result = this.send_async(msg).await;
            if let Err(e) = tokio::task::spawn_blocking(move || callback(result)).await {
                tracing::warn!(cause = %e, "a send callback panicked");
            }
        });
    }

    pub(crate) async fn send_with_retries(&self, msg: Message, sys_flag: i32, retries: u32) -> Result<SendResult> {
        let p = Prepared::single(&msg, sys_flag, &self.inner.ids, &self.inner.config)?;
        let started = Instant::now();
        let r = self.send_retrying(&p, retries).await;
        crate::telemetry::record_send(&p.topic, started.elapsed(), r.is_ok());
        let r = r?;
        if let Some(t) = &self.inner.trace {
            let store_host = self.inner.instance.broker_addr(&r.queue.broker_name, 0).unwrap_or_default();
            t.record(trace_hook::pub_record(&self.inner.config.group, &msg, &r, store_host, started));
        }
        Ok(r)
    }

    /// Sends `p` within the send timeout, trying another broker after a retryable failure.
    async fn send_retrying(&self, p: &Prepared, retries: u32) -> Result<SendResult> {
        let deadline = Instant::now() + self.inner.config.send_timeout;
        let mut last_broker: Option<String> = None;
        let mut last_err = None;
        for attempt in 0..=retries {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let info = self.publish_info(&p.topic).await?;
            let Some(mq) = info.select(last_broker.as_deref(), &self.inner.faults) else {
                return Err(ClientError::NoRoute(p.topic.clone()));
            };
            match self.send_once(&mq, p, left).await {
                Ok(r) => return Ok(r),
                Err(e) if outcome::retryable(&e) => {
                    tracing::debug!(attempt, broker = %mq.broker_name, cause = %e, "send failed; retrying");
                    last_broker = Some(mq.broker_name.clone());
                    if outcome::topic_missing(&e) {
                        self.inner.publish.remove(&p.topic);
                    }
                    last_err = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| {
            ClientError::Invalid(format!("send timed out after {:?}", self.inner.config.send_timeout))
        }))
    }

    /// One-way send: no answer, no retry.
    pub async fn send_oneway(&self, msg: Message) -> Result<()> {
        let p = Prepared::single(&msg, 0, &self.inner.ids, &self.inner.config)?;
        let info = self.publish_info(&msg.topic).await?;
        let mq = info.select(None, &self.inner.faults).ok_or_else(|| ClientError::NoRoute(msg.topic.clone()))?;
        let addr = self.addr_of(&mq)?;
        self.inner.instance.remoting().invoke_oneway(&addr, p.command(&mq, &self.inner.config)).await?;
        Ok(())
    }

    /// Sends to a chosen queue (no retry on another queue, as the official client).
    pub async fn send_to_queue(&self, msg: Message, mq: &MessageQueue) -> Result<SendResult> {
        prepare::validate(&msg, self.inner.config.max_message_size)?;
        self.publish_info(&msg.topic).await?;
        let p = Prepared::single(&msg, 0, &self.inner.ids, &self.inner.config)?;
        self.send_once(mq, &p, self.inner.config.send_timeout).await
    }

    /// Sends to the queue `selector` picks among the topic's queues (ordered messages).
    pub async fn send_with_selector(&self, msg: Message, selector: &QueueSelector) -> Result<SendResult> {
        let queues = self.queues(&msg.topic).await?;
        if queues.is_empty() {
            return Err(ClientError::NoRoute(msg.topic.clone()));
        }
        let idx = selector(&queues, &msg) % queues.len();
        let mq = queues[idx].clone();
        self.send_to_queue(msg, &mq).await
    }

    /// Sends messages of one topic as one batch (no delay levels), stored with consecutive
    /// queue offsets.
    pub async fn send_batch(&self, msgs: Vec<Message>) -> Result<SendResult> {
        let p = Prepared::batch(&msgs, &self.inner.ids, &self.inner.config)?;
        self.send_retrying(&p, self.inner.config.retry_times_when_send_failed).await
    }
}
