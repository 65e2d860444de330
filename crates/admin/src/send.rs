//! Raw sends (SEND_MESSAGE_V2 to a chosen queue) for `sendMessage` and the send round-trip
//! check of `checkMsgSendRT`.

use std::net::IpAddr;
use std::time::Instant;

use rmq_common::msgid::UniqueIdGenerator;
use rmq_common::property;
use rmq_remoting::body::TopicRouteData;
use rmq_remoting::header::{SendMessageRequestHeaderV2, SendMessageResponseHeader};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use serde::Serialize;

use crate::topic::PERM_WRITE;
use crate::{Admin, AdminError, Progress, Result};
use rmq_client::ClientError;

/// The producer group the official `sendMessage` uses.
pub const TOOLS_PRODUCER: &str = rmq_common::group::DEFAULT_PRODUCER;

/// What `sendMessage` sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendSpec {
    /// Topic.
    pub topic: String,
    /// Body.
    pub body: Vec<u8>,
    /// Keys, space-separated.
    pub keys: Option<String>,
    /// Tag.
    pub tags: Option<String>,
    /// Only this broker.
    pub broker_name: Option<String>,
    /// Only this queue (with `broker_name`).
    pub queue_id: Option<i32>,
}

/// A send's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendOutcome {
    /// `SEND_OK`, `FLUSH_DISK_TIMEOUT`, `FLUSH_SLAVE_TIMEOUT` or `SLAVE_NOT_AVAILABLE`.
    pub status: String,
    /// The client unique id.
    pub msg_id: String,
    /// The broker's offset id.
    pub offset_msg_id: String,
    /// Broker set name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Consume-queue offset.
    pub queue_offset: i64,
    /// Round trip, ms.
    pub rt_ms: u64,
}

/// One send of `checkMsgSendRT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RtSample {
    /// Broker set name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Whether the send succeeded.
    pub ok: bool,
    /// Round trip, ms.
    pub rt_ms: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// `checkMsgSendRT`: each send and the average (the first send, which connects, left out).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RtReport {
    /// Each send.
    pub samples: Vec<RtSample>,
    /// Average round trip, ms.
    pub avg_rt_ms: f64,
}

/// A writable queue and its master.
#[derive(Debug, Clone)]
struct Target {
    broker_name: String,
    queue_id: i32,
    addr: String,
}

fn writable_queues(route: &TopicRouteData) -> Vec<Target> {
    let mut out = Vec::new();
    let mut datas = route.queue_datas.clone();
    datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    for q in datas.iter().filter(|q| q.perm & PERM_WRITE != 0) {
        let Some(addr) = crate::route_addr(route, &q.broker_name, true) else { continue };
        for queue_id in 0..q.write_queue_nums {
            out.push(Target { broker_name: q.broker_name.clone(), queue_id, addr: addr.clone() });
        }
    }
    out
}

/// The send header of `spec` (unique id `unique`, born `now`) to queue `q`.
fn send_header(q: &Target, spec: &SendSpec, unique: &str, now: i64) -> SendMessageRequestHeaderV2 {
    let mut props = Vec::new();
    if let Some(k) = spec.keys.as_deref().filter(|k| !k.is_empty()) {
        property::set(&mut props, property::KEYS, k);
    }
    if let Some(t) = spec.tags.as_deref().filter(|t| !t.is_empty()) {
        property::set(&mut props, property::TAGS, t);
    }
    property::set(&mut props, property::WAIT, "true");
    property::set(&mut props, property::UNIQ_KEY, unique);
    SendMessageRequestHeaderV2 {
        a: TOOLS_PRODUCER.to_owned(),
        b: spec.topic.clone(),
        c: rmq_common::topic::AUTO_CREATE.to_owned(),
        d: 4,
        e: q.queue_id,
        f: 0,
        g: now,
        h: 0,
        i: Some(property::encode(&props)),
        j: Some(0),
        k: Some(false),
        l: None,
        m: Some(false),
        n: Some(q.broker_name.clone()),
    }
}

/// The official name of a stored send's status (None: the send failed).
fn send_status(code: ResponseCode) -> Option<&'static str> {
    match code {
        ResponseCode::Success => Some("SEND_OK"),
        ResponseCode::FlushDiskTimeout => Some("FLUSH_DISK_TIMEOUT"),
        ResponseCode::FlushSlaveTimeout => Some("FLUSH_SLAVE_TIMEOUT"),
        ResponseCode::SlaveNotAvailable => Some("SLAVE_NOT_AVAILABLE"),
        _ => None,
    }
}

/// The admin calls on raw sends and the send round-trip check (`Sender::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub(crate) admin: &'a Admin,
}

impl<'a> Sender<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    fn id_generator(&self) -> UniqueIdGenerator {
        let ip: IpAddr = self.admin.instance.config().client_ip.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
        UniqueIdGenerator::starting_now(ip)
    }

    async fn send_to(&self, q: &Target, spec: &SendSpec, ids: &UniqueIdGenerator) -> Result<SendOutcome> {
        let now = rmq_common::time::now_ms();
        let unique = ids.next(now);
        let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &send_header(q, spec, &unique, now))
            .with_body(spec.body.clone());
        let started = Instant::now();
        let resp = self.admin.broker_call(&q.addr, req).await?;
        let rt_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let Some(status) = send_status(resp.response_code()) else {
            return Err(AdminError::Client(ClientError::broker(q.addr.clone(), resp.code, resp.remark)));
        };
        let rh: SendMessageResponseHeader =
            resp.header().map_err(|e| AdminError::BadAnswer { addr: q.addr.clone(), reason: e.to_string() })?;
        Ok(SendOutcome {
            status: status.to_owned(),
            msg_id: unique,
            offset_msg_id: rh.msg_id,
            broker_name: q.broker_name.clone(),
            queue_id: rh.queue_id,
            queue_offset: rh.queue_offset,
            rt_ms,
        })
    }

    /// Sends one message to an existing topic: to the given queue, else a random writable one
    /// (of the given broker, when only that is given).
    pub async fn send_message(&self, spec: &SendSpec) -> Result<SendOutcome> {
        if spec.queue_id.is_some() && spec.broker_name.is_none() {
            return Err(AdminError::Invalid("a queue id (-i) needs the broker name (-b)".into()));
        }
        let route = self.admin.route(&spec.topic).await?;
        let mut queues = writable_queues(&route);
        if let Some(b) = &spec.broker_name {
            queues.retain(|q| &q.broker_name == b);
            if queues.is_empty() {
                return Err(AdminError::BrokerNotFound(format!("{b} (no writable queue of {} there)", spec.topic)));
            }
        }
        if let Some(id) = spec.queue_id {
            queues.retain(|q| q.queue_id == id);
            if queues.is_empty() {
                return Err(AdminError::Invalid(format!("queue {id} is not a writable queue of {}", spec.topic)));
            }
        }
        if queues.is_empty() {
            return Err(AdminError::Invalid(format!("topic {} has no writable queue", spec.topic)));
        }
        let pick = &queues[rand::random::<usize>() % queues.len()];
        self.send_to(pick, spec, &self.id_generator()).await
    }

    /// Sends `amount` messages of `size` bytes, one queue after the other, timing each.
    pub async fn check_send_rt(
        &self,
        topic: &str,
        amount: usize,
        size: usize,
        progress: Progress<'_>,
    ) -> Result<RtReport> {
        let route = self.admin.route(topic).await?;
        let queues = writable_queues(&route);
        if queues.is_empty() {
            return Err(AdminError::Invalid(format!("topic {topic} has no writable queue")));
        }
        let spec = SendSpec { topic: topic.to_owned(), body: vec![b'a'; size], ..SendSpec::default() };
        let ids = self.id_generator();
        let mut samples = Vec::with_capacity(amount);
        for i in 0..amount {
            progress(i, amount);
            let q = &queues[i % queues.len()];
            let started = Instant::now();
            let got = self.send_to(q, &spec, &ids).await;
            let rt_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            samples.push(RtSample {
                broker_name: q.broker_name.clone(),
                queue_id: q.queue_id,
                ok: got.is_ok(),
                rt_ms,
                error: got.err().map(|e| e.to_string()),
            });
        }
        progress(amount, amount);
        let timed: Vec<u64> = samples.iter().skip(usize::from(samples.len() > 1)).map(|s| s.rt_ms).collect();
        #[allow(clippy::cast_precision_loss)]
        let avg_rt_ms = if timed.is_empty() { 0.0 } else { timed.iter().sum::<u64>() as f64 / timed.len() as f64 };
        Ok(RtReport { samples, avg_rt_ms })
    }
}
