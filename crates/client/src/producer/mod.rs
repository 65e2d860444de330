//! The producer: sync, async and one-way sends, batches, queue selectors, retries on another
//! broker, latency fault tolerance and body compression, as the official clients do.

mod fault;
mod publish;
mod transaction;

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dashmap::DashMap;
use rmq_common::message::{encode_batch, BatchItem};
use rmq_common::{msgid, property, sysflag};
use rmq_remoting::body::{MessageQueue, ProducerData};
use rmq_remoting::header::{SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, Member};
use crate::message::{compress, Message};
use crate::ClientConfig;
pub use fault::FaultTolerance;
use publish::PublishInfo;
pub use transaction::{LocalTransactionState, TransactionListener, TransactionProducer, TransactionSendResult};

// Topic whose route stands in for a topic the broker will create on first send.
use rmq_common::topic::AUTO_CREATE as DEFAULT_TOPIC;

/// Producer settings, with the official defaults.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Producer group.
    pub group: String,
    /// Client settings (name servers, instance name...).
    pub client: ClientConfig,
    /// Send timeout (3 s).
    pub send_timeout: Duration,
    /// Extra attempts of a failed sync send, on another broker (2).
    pub retry_times_when_send_failed: u32,
    /// Extra attempts of a failed async send (2).
    pub retry_times_when_send_async_failed: u32,
    /// Bodies above this many bytes are zlib-compressed (4 KiB).
    pub compress_over: usize,
    /// Largest body accepted (4 MiB).
    pub max_message_size: usize,
    /// Queues per broker for a topic created on first send (4).
    pub default_topic_queue_nums: i32,
    /// Avoid brokers that were slow or failed.
    pub latency_fault_tolerance: bool,
    /// Record a trace of every send (enableMsgTrace).
    pub enable_msg_trace: bool,
    /// Trace topic (default RMQ_SYS_TRACE_TOPIC).
    pub trace_topic: Option<String>,
}

impl ProducerConfig {
    /// Defaults for `group` with these name servers.
    pub fn new(group: impl Into<String>, namesrv: impl Into<String>) -> Self {
        Self { group: group.into(), client: ClientConfig::with_namesrv(namesrv), ..Self::default() }
    }
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            group: "DEFAULT_PRODUCER".into(),
            client: ClientConfig::default(),
            send_timeout: Duration::from_secs(3),
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            compress_over: 4096,
            max_message_size: 4 * 1024 * 1024,
            default_topic_queue_nums: 4,
            latency_fault_tolerance: true,
            enable_msg_trace: false,
            trace_topic: None,
        }
    }
}

/// Outcome of a send the broker stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Stored (and flushed/replicated as the broker's role promises).
    SendOk,
    /// Stored, but the SYNC_FLUSH disk flush timed out.
    FlushDiskTimeout,
    /// Stored, but the SYNC_MASTER slave did not confirm in time.
    FlushSlaveTimeout,
    /// Stored on a SYNC_MASTER with no slave connected.
    SlaveNotAvailable,
}

/// What a send returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// Status.
    pub status: SendStatus,
    /// The client-generated unique id (UNIQ_KEY); comma-joined for a batch.
    pub msg_id: String,
    /// The broker's offset message id (store host + commit-log offset).
    pub offset_msg_id: String,
    /// The queue it went to.
    pub queue: MessageQueue,
    /// Its queue offset (the first, for a batch).
    pub queue_offset: i64,
    /// Transaction id, for half messages.
    pub transaction_id: Option<String>,
    /// The broker's region.
    pub region_id: Option<String>,
}

/// Chooses a queue among the topic's writable queues.
pub type QueueSelector = dyn Fn(&[MessageQueue], &Message) -> usize + Send + Sync;

/// Index of the queue for `key` by Java `String.hashCode` (ordered messages per sharding key).
#[must_use]
pub fn select_by_hash(queues: &[MessageQueue], key: &str) -> usize {
    let n = i64::try_from(queues.len()).unwrap_or(1).max(1);
    usize::try_from(i64::from(rmq_common::hash::java_hash(key)).abs() % n).unwrap_or(0)
}

/// A message ready for the wire.
struct Prepared {
    body: Bytes,
    props: Vec<(String, String)>,
    flag: i32,
    id: String,
}

struct Inner {
    config: ProducerConfig,
    instance: Arc<ClientInstance>,
    publish: DashMap<String, Arc<PublishInfo>>,
    faults: FaultTolerance,
    ids: msgid::UniqueIdGenerator,
    /// Answers the broker's transaction checks (transactional producers).
    check: parking_lot::RwLock<Option<Arc<dyn TransactionListener>>>,
    me: std::sync::OnceLock<Weak<Inner>>,
    trace: Option<crate::trace::TraceDispatcher>,
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
            let me = self.me.get().and_then(Weak::upgrade);
            if let (Some(listener), Some(inner)) = (listener, me) {
                transaction::answer_check(&Producer { inner }, listener, req);
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

fn month_start_ms(now: i64) -> i64 {
    let c = rmq_common::time::Civil::from_millis(now);
    rmq_common::time::Civil { day: 1, hour: 0, minute: 0, second: 0, millis: 0, ..c }.to_millis()
}

impl Producer {
    /// Starts a producer: joins (or creates) the client instance and registers the group.
    pub async fn start(config: ProducerConfig) -> Result<Self> {
        if config.group.is_empty() {
            return Err(ClientError::Invalid("the producer group must not be empty".into()));
        }
        let instance = ClientInstance::get_or_create(&config.client).await?;
        let ip = config.client.client_ip.parse().unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        let trace = if config.enable_msg_trace {
            Some(
                Box::pin(crate::trace::TraceDispatcher::start(
                    &config.client,
                    &config.group,
                    config.trace_topic.clone(),
                ))
                .await?,
            )
        } else {
            None
        };
        let inner = Arc::new(Inner {
            ids: msgid::UniqueIdGenerator::new(ip, month_start_ms(crate::now_ms())),
            config,
            instance,
            publish: DashMap::new(),
            faults: FaultTolerance::default(),
            check: parking_lot::RwLock::new(None),
            me: std::sync::OnceLock::new(),
            trace,
        });
        let _ = inner.me.set(Arc::downgrade(&inner));
        let member: Arc<dyn Member> = inner.clone();
        let weak: Weak<dyn Member> = Arc::downgrade(&member);
        inner.instance.register(&format!("producer@{}", inner.config.group), weak);
        if inner.instance.update_route(DEFAULT_TOPIC).await.is_ok() {
            inner.instance.send_heartbeats().await;
        }
        Ok(Self { inner })
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

    fn validate(&self, m: &Message) -> Result<()> {
        if m.topic.is_empty() || m.topic.len() > 127 {
            return Err(ClientError::Invalid(format!("bad topic name {:?}", m.topic)));
        }
        if m.body.is_empty() {
            return Err(ClientError::Invalid("the message body must not be empty".into()));
        }
        if m.body.len() > self.inner.config.max_message_size {
            return Err(ClientError::Invalid(format!(
                "the message body size {} is over the limit {}",
                m.body.len(),
                self.inner.config.max_message_size
            )));
        }
        Ok(())
    }

    /// Adds UNIQ_KEY and compresses.
    fn prepare(&self, m: &Message, sys_flag: i32) -> Result<Prepared> {
        let mut props = m.properties.clone();
        let id = match property::get(&props, property::UNIQ_KEY) {
            Some(id) => id.to_owned(),
            None => {
                let id = self.inner.ids.next(crate::now_ms());
                props.push((property::UNIQ_KEY.to_owned(), id.clone()));
                id
            }
        };
        let mut flag = sys_flag;
        let mut body = m.body.clone();
        if body.len() > self.inner.config.compress_over {
            let z = compress(&body).map_err(|cause| ClientError::Io { context: "compressing".into(), cause })?;
            if z.len() < body.len() {
                body = Bytes::from(z);
                flag |= sysflag::COMPRESSED;
            }
        }
        Ok(Prepared { body, props, flag, id })
    }

    fn request(
        &self,
        mq: &MessageQueue,
        m: &Message,
        body: Bytes,
        props: &[(String, String)],
        sys_flag: i32,
        batch: bool,
    ) -> RemotingCommand {
        let h = SendMessageRequestHeader {
            producer_group: self.inner.config.group.clone(),
            topic: mq.topic.clone(),
            default_topic: DEFAULT_TOPIC.to_owned(),
            default_topic_queue_nums: self.inner.config.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag,
            born_timestamp: crate::now_ms(),
            flag: m.flag,
            properties: Some(property::encode(props)),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            max_reconsume_times: None,
            batch: Some(batch),
            broker_name: Some(mq.broker_name.clone()),
        };
        let code = if batch { RequestCode::SendBatchMessage } else { RequestCode::SendMessageV2 };
        RemotingCommand::request_with_header(code, &SendMessageRequestHeaderV2::from(h)).with_body(body.to_vec())
    }

    fn addr_of(&self, mq: &MessageQueue) -> Result<String> {
        self.inner
            .instance
            .broker_addr(&mq.broker_name, 0)
            .ok_or_else(|| ClientError::Invalid(format!("no master address known for broker {}", mq.broker_name)))
    }

    /// One attempt on one queue.
    async fn send_once(
        &self,
        mq: &MessageQueue,
        req: RemotingCommand,
        id: &str,
        timeout: Duration,
    ) -> Result<SendResult> {
        let addr = self.addr_of(mq)?;
        let started = Instant::now();
        let resp = self.inner.instance.remoting().invoke(&addr, req, timeout).await;
        let took = started.elapsed();
        let faults = self.inner.config.latency_fault_tolerance;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                if faults {
                    self.inner.faults.update(&mq.broker_name, took, true);
                }
                return Err(e.into());
            }
        };
        if faults {
            self.inner.faults.update(&mq.broker_name, took, false);
        }
        let status = match resp.response_code() {
            ResponseCode::Success => SendStatus::SendOk,
            ResponseCode::FlushDiskTimeout => SendStatus::FlushDiskTimeout,
            ResponseCode::FlushSlaveTimeout => SendStatus::FlushSlaveTimeout,
            ResponseCode::SlaveNotAvailable => SendStatus::SlaveNotAvailable,
            _ => {
                return Err(ClientError::Broker { addr, code: resp.code, remark: resp.remark.unwrap_or_default() });
            }
        };
        let h = resp.header::<SendMessageResponseHeader>().map_err(|e| ClientError::Invalid(e.to_string()))?;
        Ok(SendResult {
            status,
            msg_id: id.to_owned(),
            offset_msg_id: h.msg_id,
            queue: MessageQueue { queue_id: h.queue_id, ..mq.clone() },
            queue_offset: h.queue_offset,
            transaction_id: h.transaction_id,
            region_id: h.msg_region,
        })
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

    /// Async send with a callback run on completion; returns at once.
    pub fn send_with_callback<F>(&self, msg: Message, callback: F)
    where
        F: FnOnce(Result<SendResult>) + Send + 'static,
    {
        let this = self.clone();
        tokio::spawn(async move { callback(this.send_async(msg).await) });
    }

    pub(crate) async fn send_with_retries(&self, msg: Message, sys_flag: i32, retries: u32) -> Result<SendResult> {
        self.validate(&msg)?;
        let deadline = Instant::now() + self.inner.config.send_timeout;
        let Prepared { body, props, flag, id } = self.prepare(&msg, sys_flag)?;
        let mut last_broker: Option<String> = None;
        let mut last_err = None;
        for attempt in 0..=retries {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let info = self.publish_info(&msg.topic).await?;
            let Some(mq) = info.select(last_broker.as_deref(), &self.inner.faults) else {
                return Err(ClientError::NoRoute(msg.topic.clone()));
            };
            let req = self.request(&mq, &msg, body.clone(), &props, flag, false);
            let started = Instant::now();
            match self.send_once(&mq, req, &id, left).await {
                Ok(r) => {
                    self.trace_send(&msg, &r, started);
                    return Ok(r);
                }
                Err(e) if retryable(&e) => {
                    tracing::debug!(attempt, broker = %mq.broker_name, cause = %e, "send failed; retrying");
                    last_broker = Some(mq.broker_name.clone());
                    if matches!(e, ClientError::Broker { code, .. } if ResponseCode::from_value(code) == ResponseCode::TopicNotExist)
                    {
                        self.inner.publish.remove(&msg.topic);
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

    fn trace_send(&self, msg: &Message, r: &SendResult, started: Instant) {
        let Some(t) = &self.inner.trace else { return };
        let delayed = msg.property(property::DELAY).is_some() || msg.property(property::TIMER_DELIVER_MS).is_some();
        t.record(crate::trace::TraceRecord {
            kind: Some(crate::trace::TraceType::Pub),
            timestamp: crate::now_ms() - i64::try_from(started.elapsed().as_millis()).unwrap_or(0),
            region_id: r.region_id.clone().unwrap_or_else(|| "DefaultRegion".into()),
            group: self.inner.config.group.clone(),
            topic: msg.topic.clone(),
            msg_id: r.msg_id.clone(),
            tags: msg.tags().unwrap_or_default().to_owned(),
            keys: msg.property(property::KEYS).unwrap_or_default().to_owned(),
            store_host: self.inner.instance.broker_addr(&r.queue.broker_name, 0).unwrap_or_default(),
            body_length: i64::try_from(msg.body.len()).unwrap_or(0),
            cost_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(0),
            msg_type: if delayed { 3 } else { 0 },
            offset_msg_id: r.offset_msg_id.clone(),
            success: r.status == SendStatus::SendOk,
            ..crate::trace::TraceRecord::default()
        });
    }

    /// One-way send: no answer, no retry.
    pub async fn send_oneway(&self, msg: Message) -> Result<()> {
        self.validate(&msg)?;
        let Prepared { body, props, flag, .. } = self.prepare(&msg, 0)?;
        let info = self.publish_info(&msg.topic).await?;
        let mq = info.select(None, &self.inner.faults).ok_or_else(|| ClientError::NoRoute(msg.topic.clone()))?;
        let req = self.request(&mq, &msg, body, &props, flag, false);
        let addr = self.addr_of(&mq)?;
        self.inner.instance.remoting().invoke_oneway(&addr, req).await?;
        Ok(())
    }

    /// Sends to a chosen queue (no retry on another queue, as the official client).
    pub async fn send_to_queue(&self, msg: Message, mq: &MessageQueue) -> Result<SendResult> {
        self.validate(&msg)?;
        self.publish_info(&msg.topic).await?;
        let Prepared { body, props, flag, id } = self.prepare(&msg, 0)?;
        let req = self.request(mq, &msg, body, &props, flag, false);
        self.send_once(mq, req, &id, self.inner.config.send_timeout).await
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
        let Some(first) = msgs.first() else {
            return Err(ClientError::Invalid("empty batch".into()));
        };
        let topic = first.topic.clone();
        let mut items = Vec::with_capacity(msgs.len());
        let mut ids = Vec::with_capacity(msgs.len());
        for m in &msgs {
            self.validate(m)?;
            if m.topic != topic {
                return Err(ClientError::Invalid("all messages of a batch must have the same topic".into()));
            }
            if m.property(property::DELAY).is_some() {
                return Err(ClientError::Invalid("a batch does not support delayed messages".into()));
            }
            let mut props = m.properties.clone();
            let id = self.inner.ids.next(crate::now_ms());
            property::set(&mut props, property::UNIQ_KEY, &id);
            ids.push(id);
            items.push(BatchItem { flag: m.flag, body: m.body.clone(), properties: props });
        }
        let body = Bytes::from(encode_batch(&items));
        if body.len() > self.inner.config.max_message_size {
            return Err(ClientError::Invalid(format!("the batch is {} bytes, over the limit", body.len())));
        }
        let carrier = Message { topic: topic.clone(), ..Message::default() };
        let deadline = Instant::now() + self.inner.config.send_timeout;
        let mut last_broker = None;
        let mut last_err = None;
        for _ in 0..=self.inner.config.retry_times_when_send_failed {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let info = self.publish_info(&topic).await?;
            let mq = info
                .select(last_broker.as_deref(), &self.inner.faults)
                .ok_or_else(|| ClientError::NoRoute(topic.clone()))?;
            let req = self.request(&mq, &carrier, body.clone(), &[], 0, true);
            match self.send_once(&mq, req, &ids.join(","), left).await {
                Ok(r) => return Ok(r),
                Err(e) if retryable(&e) => {
                    last_broker = Some(mq.broker_name.clone());
                    last_err = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| ClientError::Invalid("batch send timed out".into())))
    }
}

/// Failures worth another attempt on another broker (as the official client's list).
fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Remoting(_) => true,
        ClientError::Broker { code, .. } => [
            ResponseCode::TopicNotExist,
            ResponseCode::ServiceNotAvailable,
            ResponseCode::SystemError,
            ResponseCode::NoPermission,
            ResponseCode::SystemBusy,
        ]
        .iter()
        .any(|c| *c == ResponseCode::from_value(*code)),
        _ => false,
    }
}
