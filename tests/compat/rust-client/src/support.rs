//! Shared set-up for the scenarios: names, topics (through our mqadmin), producers, push
//! consumers and a collector of what the client delivers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use rocketmq_client_rust::{
    ClientConfig, ClientRuntime, ClientRuntimeConfig, DefaultMQProducer, DefaultMQPushConsumer, SendResult,
    TelemetryHandle,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};

/// Generous upper bound for anything that should arrive.
pub const WAIT: Duration = Duration::from_secs(60);
/// How long to keep listening after the expected set arrived, to catch extra deliveries.
pub const SETTLE: Duration = Duration::from_secs(2);

/// Where the servers are and the client runtime every producer and consumer shares.
pub struct Env {
    /// Name server, host:port.
    pub ns: String,
    /// broker-a's master, host:port, as the name server serves it (message ids carry it).
    pub broker: String,
    /// Where our mqadmin reaches the name server and broker-a (ADMIN_NAMESRV_ADDR and
    /// ADMIN_BROKER_ADDR, default the same): a capture proxy between the client and the servers
    /// then records no admin frames.
    admin_ns: String,
    admin_broker: String,
    /// Our admin CLI (creates topics, reads routes).
    pub mqadmin: PathBuf,
    /// The client's runtime (its task owner and client-instance pool).
    pub runtime: Arc<ClientRuntime>,
    _owner: RuntimeOwner,
}

impl Env {
    /// Reads NAMESRV_ADDR, BROKER_ADDR and MQADMIN_BIN and starts the client's runtime.
    pub fn from_env() -> Result<Self> {
        let var = |k: &str| {
            std::env::var(k).map_err(|_| anyhow!("{k} is not set (run tests/compat/run-rust-client-compat.sh)"))
        };
        let owner = RuntimeOwner::plan(RuntimeConfig {
            thread_name: "rmq-rust-client-compat".to_string(),
            ..Default::default()
        })
        .map_err(|e| anyhow!("runtime plan: {e:?}"))?
        .build()
        .map_err(|e| anyhow!("runtime owner: {e:?}"))?;
        let runtime = ClientRuntime::try_new(
            owner.root_context().component("compat"),
            ClientRuntimeConfig::default(),
            TelemetryHandle::noop(),
        )
        .map_err(|e| anyhow!("client runtime: {e}"))?;
        let (ns, broker) = (var("NAMESRV_ADDR")?, var("BROKER_ADDR")?);
        Ok(Self {
            admin_ns: std::env::var("ADMIN_NAMESRV_ADDR").unwrap_or_else(|_| ns.clone()),
            admin_broker: std::env::var("ADMIN_BROKER_ADDR").unwrap_or_else(|_| broker.clone()),
            ns,
            broker,
            mqadmin: PathBuf::from(var("MQADMIN_BIN")?),
            runtime,
            _owner: owner,
        })
    }

    /// Runs our mqadmin against the name server; returns stdout, failing on a non-zero exit.
    pub fn mqadmin(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(&self.mqadmin)
            .arg("-n")
            .arg(&self.admin_ns)
            .args(args)
            .output()
            .with_context(|| format!("running {}", self.mqadmin.display()))?;
        if !out.status.success() {
            bail!(
                "mqadmin {args:?}: {}: {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Creates `topic` with `queues` read and write queues on broker-a's master and waits until
    /// the name server serves its route.
    pub async fn create_topic(&self, topic: &str, queues: u32) -> Result<()> {
        let q = queues.to_string();
        self.mqadmin(&["updateTopic", "-b", &self.admin_broker, "-t", topic, "-r", &q, "-w", &q])?;
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.mqadmin(&["topicRoute", "-t", topic, "--json"]) {
                Ok(out)
                    if out.contains(&format!("\"writeQueueNums\": {queues}"))
                        || out.contains(&format!("\"writeQueueNums\":{queues}")) =>
                {
                    return Ok(())
                }
                Ok(out) => last = out,
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!("no route for {topic} with {queues} queues (last: {last})")
    }

    /// A started producer with a unique group and instance.
    pub async fn producer(&self) -> Result<DefaultMQProducer> {
        let mut producer = DefaultMQProducer::builder(self.runtime.clone())
            .client_config(self.client_config(&uniq("pi")))
            .producer_group(uniq("pg"))
            .name_server_addr(self.ns.clone())
            .send_msg_timeout(10_000)
            .build();
        producer.start().await.map_err(|e| anyhow!("producer start: {e}"))?;
        Ok(producer)
    }

    /// A push consumer builder for `group` (own instance name, first offset for a new group).
    pub fn consumer(&self, group: &str, model: MessageModel) -> rocketmq_client_rust::DefaultMQPushConsumerBuilder {
        self.consumer_named(group, model, &uniq("ci"))
    }

    /// A push consumer builder for `group` with this instance name.
    pub fn consumer_named(
        &self,
        group: &str,
        model: MessageModel,
        instance: &str,
    ) -> rocketmq_client_rust::DefaultMQPushConsumerBuilder {
        DefaultMQPushConsumer::builder(self.runtime.clone())
            .client_config(self.client_config(instance))
            .name_server_addr(self.ns.clone())
            .consumer_group(group.to_string())
            .message_model(model)
            .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
    }

    /// Client config with this instance name (so each producer/consumer is its own client).
    pub fn client_config(&self, instance: &str) -> ClientConfig {
        let mut cfg = ClientConfig::new();
        cfg.set_instance_name(instance.into());
        cfg
    }
}

/// Subscribes `consumer` to `topic` with `expr` and starts it.
pub async fn start(consumer: &mut DefaultMQPushConsumer, topic: &str, expr: &str) -> Result<()> {
    consumer.subscribe(topic.to_string(), expr.to_string()).await.map_err(|e| anyhow!("subscribe {topic}: {e}"))?;
    consumer.start().await.map_err(|e| anyhow!("consumer start ({topic}): {e}"))
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A topic/group/instance name unique to this run.
pub fn uniq(prefix: &str) -> String {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    format!("rs_{prefix}_{ms}_{}", SEQ.fetch_add(1, Ordering::Relaxed))
}

/// Bodies `prefix-0` .. `prefix-(n-1)`.
pub fn bodies(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// What a consumer saw of one delivered message.
#[derive(Clone, Debug)]
pub struct Got {
    /// `MessageExt::msg_id()`.
    pub msg_id: String,
    /// The UNIQ_KEY property (the id the producer's send result reports).
    pub uniq: String,
    pub body: String,
    pub topic: String,
    pub tags: String,
    pub keys: String,
    pub broker: String,
    pub queue_id: i32,
    pub reconsume_times: i32,
    pub props: BTreeMap<String, String>,
    /// When the listener saw it.
    pub at: Instant,
    /// Which consumer saw it (index given to the collector's listener).
    pub who: usize,
}

impl Got {
    /// Copies what the scenarios check out of a delivered message.
    pub fn of(m: &MessageExt, who: usize) -> Self {
        let props: BTreeMap<String, String> =
            m.properties().iter().map(|(k, v)| (k.as_str().to_string(), v.as_str().to_string())).collect();
        let prop = |k: &str| props.get(k).cloned().unwrap_or_default();
        Got {
            msg_id: m.msg_id().as_str().to_string(),
            uniq: prop("UNIQ_KEY"),
            body: m.body().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default(),
            topic: m.topic().as_str().to_string(),
            tags: prop("TAGS"),
            keys: prop("KEYS"),
            broker: m.broker_name().to_string(),
            queue_id: m.queue_id(),
            reconsume_times: m.reconsume_times(),
            props,
            at: Instant::now(),
            who,
        }
    }
}

/// Records every delivered message, from any number of listeners.
#[derive(Clone, Default)]
pub struct Collector(pub Arc<Mutex<Vec<Got>>>);

impl Collector {
    /// Adds the messages of one listener call.
    pub fn add(&self, msgs: &[&MessageExt], who: usize) {
        if let Ok(mut v) = self.0.lock() {
            v.extend(msgs.iter().map(|m| Got::of(m, who)));
        }
    }

    /// Everything recorded so far.
    pub fn all(&self) -> Vec<Got> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Waits until `pred` holds for what was recorded (or WAIT passes), then SETTLE more, and
    /// returns everything recorded.
    pub async fn wait(&self, what: &str, pred: impl Fn(&[Got]) -> bool) -> Result<Vec<Got>> {
        let deadline = Instant::now() + WAIT;
        while !pred(&self.all()) {
            if Instant::now() > deadline {
                let got: Vec<String> = self.all().iter().map(|g| g.body.clone()).collect();
                bail!("timed out after {WAIT:?} waiting for {what}; got bodies {got:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(SETTLE).await;
        Ok(self.all())
    }

    /// Waits until every body in `want` was delivered (then SETTLE) and returns all deliveries.
    pub async fn wait_bodies(&self, want: &[String]) -> Result<Vec<Got>> {
        self.wait(&format!("{} bodies", want.len()), |got| want.iter().all(|w| got.iter().any(|g| &g.body == w))).await
    }
}

/// Fails unless `got` (deliveries) holds each of `want` exactly once and nothing else.
pub fn exactly_once(what: &str, got: &[Got], want: &[String]) -> Result<()> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for g in got {
        *counts.entry(g.body.as_str()).or_default() += 1;
    }
    let want_counts: BTreeMap<&str, usize> = want.iter().map(|w| (w.as_str(), 1)).collect();
    if counts != want_counts {
        bail!("{what}: delivered bodies (with counts) {counts:?}, want each of {want:?} exactly once");
    }
    Ok(())
}

/// The ids a send result reported for one message.
#[derive(Clone, Debug)]
pub struct Sent {
    /// `msg_id`: the client-made unique id (UNIQ_KEY).
    pub id: String,
    /// `offset_msg_id`: the broker's id of the stored message (address + commit log offset).
    pub offset_id: String,
}

impl Sent {
    /// The ids of `res`; fails when either is missing.
    pub fn of(res: &SendResult) -> Result<Self> {
        let id = res.msg_id.as_ref().map(|m| m.as_str().to_string()).unwrap_or_default();
        let offset_id = res.offset_msg_id.clone().unwrap_or_default();
        if id.is_empty() || offset_id.is_empty() {
            bail!("send result without msg id or offset msg id: {res:?}");
        }
        Ok(Self { id, offset_id })
    }
}

impl Env {
    /// The first 16 hex digits of a message id that broker-a stored: its IPv4 address and port.
    pub fn offset_id_prefix(&self) -> Result<String> {
        let addr: std::net::SocketAddrV4 =
            self.broker.parse().with_context(|| format!("BROKER_ADDR {}", self.broker))?;
        let [a, b, c, d] = addr.ip().octets();
        Ok(format!("{a:02X}{b:02X}{c:02X}{d:02X}{:08X}", u32::from(addr.port())))
    }

    /// Fails unless each delivery's UNIQ_KEY is the `msg_id` the send result reported for its
    /// body (`sent`), and its `MessageExt::msg_id()` is broker-a's id of a stored message: the
    /// send result's `offset_msg_id` when `as_sent` (else the message was stored again, as a
    /// delayed or dead-lettered one is).
    pub fn ids_match(&self, what: &str, got: &[Got], sent: &BTreeMap<String, Sent>, as_sent: bool) -> Result<()> {
        let prefix = self.offset_id_prefix()?;
        for g in got {
            let want = sent.get(&g.body).ok_or_else(|| anyhow!("{what}: unexpected body {:?}", g.body))?;
            if g.uniq != want.id {
                bail!(
                    "{what}: {:?} delivered with UNIQ_KEY {:?}, the send result's msg_id was {:?}",
                    g.body,
                    g.uniq,
                    want.id
                );
            }
            let offset_ok = if as_sent { g.msg_id == want.offset_id } else { is_offset_id(&g.msg_id, &prefix) };
            if !offset_ok {
                bail!(
                    "{what}: {:?} delivered with msg_id {:?}; the send result's offset_msg_id was {:?} (broker-a's ids start {prefix})",
                    g.body,
                    g.msg_id,
                    want.offset_id
                );
            }
        }
        Ok(())
    }
}

/// Whether `id` is 32 hex digits that start with `prefix` (a broker's address).
pub fn is_offset_id(id: &str, prefix: &str) -> bool {
    id.len() == 32 && id.starts_with(prefix) && id.chars().all(|c| c.is_ascii_hexdigit())
}
