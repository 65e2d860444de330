//! ReceiveMessage over the broker's POP_MESSAGE: a server stream that answers, as the official
//! proxy does, first a status item (OK, or MESSAGE_NOT_FOUND when the long poll ended empty),
//! then one item per message with its receipt handle (the POP `extraInfo` with the message's
//! queue offset: what AckMessage and ChangeInvisibleDuration need), then the delivery timestamp. A FIFO group pops orderly.
//! A client that abandons the stream ends the long poll at once. A slow client holds at most
//! one batch in the proxy (the stream's bounded queue, then HTTP/2 flow control), and a writer it
//! blocks gives up after the invisible duration (the messages are visible again by then).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq_client::consumer::pop_api::{self, PopRequest, Popped};
use rmq_client::ClientInstance;
use tokio::sync::mpsc;

use crate::pb::{self, receive_message_response::Content, Code, FilterType, ReceiveMessageResponse};
use crate::{fault, message, status};

/// Shortest long poll, ms (`grpcClientConsumerMinLongPollingTimeoutMillis`).
pub const MIN_POLL_MS: i64 = 5_000;
/// Longest long poll, ms (`grpcClientConsumerMaxLongPollingTimeoutMillis`).
pub const MAX_POLL_MS: i64 = 20_000;
/// The invisible durations a receive may ask, ms (`minInvisibleTimeMillsForRecv`,
/// `maxInvisibleTimeMills`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvisibleBounds {
    /// Shortest.
    pub min_ms: i64,
    /// Longest.
    pub max_ms: i64,
}

impl InvisibleBounds {
    /// The bounds `config` sets.
    #[must_use]
    pub fn of(config: &crate::ProxyConfig) -> Self {
        Self { min_ms: config.min_invisible_time_mills_for_recv, max_ms: config.max_invisible_time_mills }
    }
}
/// Most messages one receive returns (the broker's POP limit).
pub const MAX_BATCH: i32 = 32;
/// Items a receive stream queues ahead of the gRPC layer: a slow client makes the proxy hold
/// these and the one its writer waits to queue, beyond HTTP/2's flow-control window.
pub const STREAM_QUEUE: usize = 4;

/// Items of a receive stream.
pub type Sink = mpsc::Sender<Queued>;

/// Encoded bytes of receive items queued for streams and not yet taken by the gRPC layer.
static BUFFERED: AtomicUsize = AtomicUsize::new(0);

/// Bytes the proxy holds queued for receive streams (all streams of the process).
#[must_use]
pub fn buffered_bytes() -> usize {
    BUFFERED.load(Ordering::Relaxed)
}

/// A stream item counted in [`buffered_bytes`] until it is taken or dropped.
#[derive(Debug)]
pub struct Queued {
    item: Option<ReceiveMessageResponse>,
    bytes: usize,
}

impl Queued {
    fn new(content: Content) -> Self {
        let item = ReceiveMessageResponse { content: Some(content) };
        let bytes = prost::Message::encoded_len(&item);
        BUFFERED.fetch_add(bytes, Ordering::Relaxed);
        Self { item: Some(item), bytes }
    }

    /// The item, for the gRPC layer.
    #[must_use]
    pub fn take(mut self) -> ReceiveMessageResponse {
        self.item.take().unwrap_or_default()
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        BUFFERED.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// The response stream of a receive whose items `serve` writes to the sender of `rx`.
pub fn stream(
    rx: mpsc::Receiver<Queued>,
) -> impl futures::Stream<Item = Result<ReceiveMessageResponse, tonic::Status>> + Send + 'static {
    use tokio_stream::StreamExt;
    tokio_stream::wrappers::ReceiverStream::new(rx).map(|q| Ok(q.take()))
}

/// A checked receive request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receive {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Broker set to pop from.
    pub broker: String,
    /// What the POP asks for.
    pub invisible_ms: i64,
    /// Long poll, ms.
    pub poll_ms: i64,
    /// Batch size.
    pub batch: i32,
    /// `TAG` or `SQL92`.
    pub exp_type: String,
    /// Filter expression.
    pub expression: String,
    /// Orderly attempt id.
    pub attempt_id: Option<String>,
}

fn millis(d: &prost_types::Duration) -> i64 {
    d.seconds.saturating_mul(1000).saturating_add(i64::from(d.nanos / 1_000_000))
}

/// Checks a request; `deadline_ms` is what is left of the call's gRPC deadline.
pub fn parse(
    req: &pb::ReceiveMessageRequest,
    deadline_ms: Option<i64>,
    bounds: InvisibleBounds,
) -> Result<Receive, pb::Status> {
    let group = req.group.as_ref().map(|g| g.name.clone()).filter(|g| !g.is_empty());
    let group = group.ok_or_else(|| status::status(Code::IllegalConsumerGroup, "consumer group is required"))?;
    let mq = req.message_queue.as_ref();
    let topic = mq.and_then(|q| q.topic.as_ref()).map(|t| t.name.clone()).filter(|t| !t.is_empty());
    let topic = topic.ok_or_else(|| status::status(Code::IllegalTopic, "topic is required"))?;
    let broker = mq.and_then(|q| q.broker.as_ref()).map(|b| b.name.clone()).unwrap_or_default();
    let invisible_ms = req.invisible_duration.as_ref().map_or(30_000, millis);
    if !(bounds.min_ms..=bounds.max_ms).contains(&invisible_ms) {
        return Err(status::status(
            Code::IllegalInvisibleTime,
            format!("invisible duration {invisible_ms} ms is out of range"),
        ));
    }
    let poll_ms = poll_time(req.long_polling_timeout.as_ref().map(millis), deadline_ms)?;
    let filter = req.filter_expression.clone().unwrap_or_default();
    let exp_type = if filter.r#type == FilterType::Sql as i32 { "SQL92" } else { "TAG" };
    let expression = if filter.expression.trim().is_empty() { "*".to_owned() } else { filter.expression };
    let batch = req.batch_size.clamp(1, MAX_BATCH);
    Ok(Receive {
        group,
        topic,
        broker,
        invisible_ms,
        poll_ms,
        batch,
        exp_type: exp_type.to_owned(),
        expression,
        attempt_id: req.attempt_id.clone().filter(|a| !a.is_empty()),
    })
}

/// The long poll: the request's, within [`MIN_POLL_MS`, `MAX_POLL_MS`] and the call's deadline.
fn poll_time(asked: Option<i64>, deadline_ms: Option<i64>) -> Result<i64, pb::Status> {
    let mut poll = asked.unwrap_or(MAX_POLL_MS).clamp(MIN_POLL_MS, MAX_POLL_MS);
    if let Some(left) = deadline_ms {
        if left < MIN_POLL_MS {
            return Err(status::status(Code::IllegalPollingTime, "the deadline leaves no time for polling"));
        }
        poll = poll.min(left - 1_000);
    }
    Ok(poll)
}

/// What remains of a `grpc-timeout` header value (`<digits><unit>`), ms.
#[must_use]
pub fn grpc_timeout_ms(value: &str) -> Option<i64> {
    if !value.is_ascii() {
        return None;
    }
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: i64 = digits.parse().ok()?;
    let ms = match unit {
        "H" => n.saturating_mul(3_600_000),
        "M" => n.saturating_mul(60_000),
        "S" => n.saturating_mul(1000),
        "m" => n,
        "u" => n / 1000,
        "n" => n / 1_000_000,
        _ => return None,
    };
    Some(ms)
}

fn item(content: Content) -> Queued {
    Queued::new(content)
}

/// Pops and writes the stream; stops early when the client goes away.
pub async fn serve(cluster: std::sync::Arc<ClientInstance>, r: Receive, fifo: bool, out: Sink) {
    let popped = tokio::select! {
        () = out.closed() => return,
        p = pop(&cluster, &r, fifo) => p,
    };
    match popped {
        Ok(msgs) if msgs.is_empty() => {
            let _ = out.send(item(Content::Status(status::status(Code::MessageNotFound, "no new message")))).await;
        }
        Ok(msgs) => write_messages(&r, msgs, &out).await,
        Err(s) => {
            let _ = out.send(item(Content::Status(s))).await;
        }
    }
}

/// Answers a refused request with its status.
pub async fn refuse(s: pb::Status, out: &Sink) {
    let _ = out.send(item(Content::Status(s))).await;
}

/// Writes the batch; a client that goes away, or reads too slowly to take it within the
/// invisible duration, ends the writer (the rest come back after their invisible time, as with
/// the official proxy).
async fn write_messages(r: &Receive, msgs: Vec<Popped>, out: &Sink) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(u64::try_from(r.invisible_ms).unwrap_or(0));
    let send = |q: Queued| async move { matches!(tokio::time::timeout_at(deadline, out.send(q)).await, Ok(Ok(()))) };
    if !send(item(Content::Status(status::ok()))).await {
        return;
    }
    for p in msgs {
        let handle = p.handle;
        let m = message::incoming(p.message, &r.topic, handle, r.invisible_ms);
        if !send(item(Content::Message(m))).await {
            tracing::debug!(topic = %r.topic, group = %r.group, "receive stream gone or too slow; writer ends");
            return;
        }
    }
    // The time the proxy handed the messages over (the SDK's transport delivery time).
    let now = message::timestamp(rmq_common::time::now_ms());
    let _ = send(item(Content::DeliveryTimestamp(now))).await;
}

async fn pop(cluster: &ClientInstance, r: &Receive, fifo: bool) -> Result<Vec<Popped>, pb::Status> {
    let Some(addr) = cluster.broker_addr(&r.broker, 0) else {
        return Err(status::status(
            Code::BadRequest,
            format!("no broker named {:?} serves topic {}", r.broker, r.topic),
        ));
    };
    let req = PopRequest {
        group: r.group.clone(),
        topic: r.topic.clone(),
        broker_name: r.broker.clone(),
        queue_id: -1,
        max: r.batch,
        invisible_ms: r.invisible_ms,
        poll_ms: r.poll_ms,
        tags: r.expression.clone(),
        exp_type: r.exp_type.clone(),
        order: fifo,
        attempt_id: r.attempt_id.clone(),
        init_mode: 1,
    };
    let hold = Duration::from_millis(u64::try_from(r.poll_ms).unwrap_or(0));
    match pop_api::pop(cluster, &addr, &req).await {
        Ok(v) => Ok(with_offsets(v)),
        Err(e) => {
            tracing::debug!(topic = %r.topic, group = %r.group, ?hold, cause = %e, "pop failed");
            Err(fault::from_client(&e))
        }
    }
}

/// Every handle names its message's queue offset (ack needs it; a retried message's POP_CK may
/// carry only the checkpoint's).
fn with_offsets(v: Vec<Popped>) -> Vec<Popped> {
    use rmq_remoting::header::pop_info::ExtraInfo;
    v.into_iter()
        .map(|mut p| {
            if let Ok(mut info) = ExtraInfo::parse(&p.handle) {
                if info.queue_offset.is_none() {
                    info.queue_offset = Some(p.message.queue_offset);
                    p.handle = info.to_string();
                }
            }
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::{FilterExpression, MessageQueue, Resource};

    fn req() -> pb::ReceiveMessageRequest {
        let res = |n: &str| Some(Resource { resource_namespace: String::new(), name: n.into() });
        pb::ReceiveMessageRequest {
            group: res("G"),
            message_queue: Some(MessageQueue {
                topic: res("T"),
                broker: Some(pb::Broker { name: "b".into(), ..Default::default() }),
                ..Default::default()
            }),
            filter_expression: Some(FilterExpression { r#type: FilterType::Sql as i32, expression: "a > 1".into() }),
            batch_size: 64,
            invisible_duration: Some(prost_types::Duration { seconds: 15, nanos: 0 }),
            long_polling_timeout: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
            ..Default::default()
        }
    }

    const BOUNDS: InvisibleBounds = InvisibleBounds { min_ms: 10_000, max_ms: 12 * 3600 * 1000 };

    #[test]
    fn parse_bounds_batch_poll_and_invisible_time() {
        let r = parse(&req(), Some(25_000), BOUNDS).unwrap();
        assert_eq!((r.group.as_str(), r.topic.as_str(), r.broker.as_str()), ("G", "T", "b"));
        assert_eq!(r.batch, MAX_BATCH);
        assert_eq!(r.poll_ms, MAX_POLL_MS);
        assert_eq!(r.invisible_ms, 15_000);
        assert_eq!((r.exp_type.as_str(), r.expression.as_str()), ("SQL92", "a > 1"));
        assert_eq!(parse(&req(), Some(8_000), BOUNDS).unwrap().poll_ms, 7_000);
        assert_eq!(parse(&req(), Some(100), BOUNDS).unwrap_err().code, Code::IllegalPollingTime as i32);
        let mut bad = req();
        bad.invisible_duration = Some(prost_types::Duration { seconds: 0, nanos: 5 });
        assert_eq!(parse(&bad, None, BOUNDS).unwrap_err().code, Code::IllegalInvisibleTime as i32);
        bad.invisible_duration = Some(prost_types::Duration { seconds: 5, nanos: 0 });
        assert_eq!(parse(&bad, None, BOUNDS).unwrap_err().code, Code::IllegalInvisibleTime as i32);
        let lowered = InvisibleBounds { min_ms: 1_000, ..BOUNDS };
        assert_eq!(parse(&bad, None, lowered).unwrap().invisible_ms, 5_000);
        bad = req();
        bad.group = None;
        assert_eq!(parse(&bad, None, BOUNDS).unwrap_err().code, Code::IllegalConsumerGroup as i32);
    }

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(grpc_timeout_ms("29999m"), Some(29_999));
        assert_eq!(grpc_timeout_ms("3S"), Some(3_000));
        assert_eq!(grpc_timeout_ms("5000000u"), Some(5_000));
        assert_eq!(grpc_timeout_ms("x"), None);
        assert_eq!(grpc_timeout_ms(""), None);
        assert_eq!(grpc_timeout_ms("1é"), None);
    }
}
