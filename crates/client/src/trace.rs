//! Message traces in the official format: records of send (`Pub`) and consume (`SubBefore`,
//! `SubAfter`) events, fields separated by `\u{1}` and records by `\u{2}`, batched into messages
//! on the trace topic (RMQ_SYS_TRACE_TOPIC by default) whose keys are the traced message ids and
//! keys, so the broker's index finds them by message id. Traces written by the official clients
//! decode here, and ours decode there.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_remoting::header::QueryMessageRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use tokio::sync::mpsc;

use crate::error::Result;
use crate::instance::ClientInstance;
use crate::message::Message;

/// Default trace topic.
pub const DEFAULT_TRACE_TOPIC: &str = rmq_common::topic::TRACE;
const FIELD: char = '\u{1}';
const RECORD: char = '\u{2}';

/// Kind of trace record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum TraceType {
    /// A send.
    Pub,
    /// A consumer is about to run its listener.
    SubBefore,
    /// The listener returned.
    SubAfter,
}

/// One trace record (fields a kind does not carry stay empty or zero).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceRecord {
    /// Kind.
    pub kind: Option<TraceType>,
    /// When, ms.
    pub timestamp: i64,
    /// Broker region.
    pub region_id: String,
    /// Producer or consumer group.
    pub group: String,
    /// Topic (Pub).
    pub topic: String,
    /// The traced message's unique id.
    pub msg_id: String,
    /// Tags (Pub).
    pub tags: String,
    /// Keys.
    pub keys: String,
    /// Broker address (Pub).
    pub store_host: String,
    /// Body length (Pub).
    pub body_length: i64,
    /// Cost, ms (Pub, SubAfter).
    pub cost_ms: i64,
    /// Message type ordinal (Pub: 0 normal, 1 half, 2 commit, 3 delay).
    pub msg_type: i32,
    /// Offset message id (Pub).
    pub offset_msg_id: String,
    /// Success (Pub, SubAfter).
    pub success: bool,
    /// Links SubBefore and SubAfter of one listener call.
    pub request_id: String,
    /// Delivery attempt (SubBefore).
    pub retry_times: i32,
    /// Listener outcome code (SubAfter: 0 success, 1 later...).
    pub context_code: i32,
}

fn field<T: std::str::FromStr + Default>(parts: &[&str], i: usize) -> T {
    parts.get(i).and_then(|s| s.parse().ok()).unwrap_or_default()
}

fn text(parts: &[&str], i: usize) -> String {
    parts.get(i).map(|s| if *s == "null" { String::new() } else { (*s).to_owned() }).unwrap_or_default()
}

impl TraceRecord {
    /// The record in the official text form (with its trailing `\u{2}`).
    #[must_use]
    pub fn encode(&self) -> String {
        let f = FIELD;
        match self.kind {
            Some(TraceType::Pub) => format!(
                "Pub{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{RECORD}",
                self.timestamp,
                self.region_id,
                self.group,
                self.topic,
                self.msg_id,
                self.tags,
                self.keys,
                self.store_host,
                self.body_length,
                self.cost_ms,
                self.msg_type,
                self.offset_msg_id,
                self.success
            ),
            Some(TraceType::SubBefore) => format!(
                "SubBefore{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{RECORD}",
                self.timestamp, self.region_id, self.group, self.request_id, self.msg_id, self.retry_times, self.keys
            ),
            Some(TraceType::SubAfter) => format!(
                "SubAfter{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{f}{}{RECORD}",
                self.request_id,
                self.msg_id,
                self.cost_ms,
                self.success,
                self.keys,
                self.context_code,
                self.timestamp,
                self.group
            ),
            None => String::new(),
        }
    }

    /// Parses a trace message body (records of any kind; unknown kinds are skipped).
    #[must_use]
    pub fn decode_all(body: &str) -> Vec<Self> {
        let mut out = Vec::new();
        for rec in body.split(RECORD).filter(|r| !r.is_empty()) {
            let p: Vec<&str> = rec.split(FIELD).collect();
            let r = match p.first().copied() {
                Some("Pub") => Self {
                    kind: Some(TraceType::Pub),
                    timestamp: field(&p, 1),
                    region_id: text(&p, 2),
                    group: text(&p, 3),
                    topic: text(&p, 4),
                    msg_id: text(&p, 5),
                    tags: text(&p, 6),
                    keys: text(&p, 7),
                    store_host: text(&p, 8),
                    body_length: field(&p, 9),
                    cost_ms: field(&p, 10),
                    msg_type: field(&p, 11),
                    offset_msg_id: text(&p, 12),
                    success: p.get(13).is_none_or(|s| *s == "true"),
                    ..Self::default()
                },
                Some("SubBefore") => Self {
                    kind: Some(TraceType::SubBefore),
                    timestamp: field(&p, 1),
                    region_id: text(&p, 2),
                    group: text(&p, 3),
                    request_id: text(&p, 4),
                    msg_id: text(&p, 5),
                    retry_times: field(&p, 6),
                    keys: text(&p, 7),
                    ..Self::default()
                },
                Some("SubAfter") => Self {
                    kind: Some(TraceType::SubAfter),
                    request_id: text(&p, 1),
                    msg_id: text(&p, 2),
                    cost_ms: field(&p, 3),
                    success: p.get(4).is_some_and(|s| *s == "true"),
                    keys: text(&p, 5),
                    context_code: field(&p, 6),
                    timestamp: field(&p, 7),
                    group: text(&p, 8),
                    ..Self::default()
                },
                _ => continue,
            };
            out.push(r);
        }
        out
    }
}

/// Message tracing settings of a producer or consumer (enableMsgTrace, customizedTraceTopic).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceSettings {
    /// Record traces (off by default).
    pub enabled: bool,
    /// Trace topic (default RMQ_SYS_TRACE_TOPIC).
    pub topic: Option<String>,
}

/// Where trace batches go: one message on the trace topic per batch. The producer implements
/// it; the dispatcher depends on this trait only, so tracing does not need to know producers.
pub trait TraceSink: Send + Sync + 'static {
    /// Sends one message of trace records.
    fn send_trace(&self, msg: Message) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>>;
}

/// Sends trace records in the background, batched (up to 100 ms or 64 records per message).
#[derive(Debug, Clone)]
pub struct TraceDispatcher {
    tx: mpsc::UnboundedSender<TraceRecord>,
}

impl TraceDispatcher {
    /// Starts a dispatcher sending batches to `sink` on `topic` (default RMQ_SYS_TRACE_TOPIC).
    #[must_use]
    pub fn start(sink: Arc<dyn TraceSink>, topic: Option<String>) -> Self {
        let topic = topic.unwrap_or_else(|| DEFAULT_TRACE_TOPIC.to_owned());
        let (tx, mut rx) = mpsc::unbounded_channel::<TraceRecord>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let batch = Self::collect_batch(first, &mut rx).await;
                if let Err(e) = sink.send_trace(batch_message(&topic, &batch)).await {
                    tracing::warn!(cause = %e, "sending traces failed");
                }
            }
        });
        Self { tx }
    }

    /// `first` and what else arrives within 100 ms, up to 64 records.
    async fn collect_batch(first: TraceRecord, rx: &mut mpsc::UnboundedReceiver<TraceRecord>) -> Vec<TraceRecord> {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + Duration::from_millis(100);
        while batch.len() < 64 {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        batch
    }

    /// Queues a record.
    pub fn record(&self, r: TraceRecord) {
        let _ = self.tx.send(r);
    }
}

/// One trace message: the records' text, keyed by the traced message ids and keys.
fn batch_message(topic: &str, batch: &[TraceRecord]) -> Message {
    let mut keys = BTreeSet::new();
    let mut body = String::new();
    for r in batch {
        body.push_str(&r.encode());
        keys.insert(r.msg_id.clone());
        keys.extend(r.keys.split(' ').filter(|k| !k.is_empty()).map(str::to_owned));
    }
    Message::new(topic, body).with_keys(keys.iter().filter(|k| !k.is_empty()))
}

/// Trace records of `msg_id` found on the trace topic through the brokers' key index, in time order.
pub async fn query(instance: &ClientInstance, trace_topic: &str, msg_id: &str) -> Result<Vec<TraceRecord>> {
    let route = instance.update_route(trace_topic).await?;
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for b in &route.broker_datas {
        let Some(addr) = b.master_addr().or_else(|| b.broker_addrs.values().next().map(String::as_str)) else {
            continue;
        };
        let h = QueryMessageRequestHeader {
            topic: trace_topic.to_owned(),
            key: msg_id.to_owned(),
            max_num: 64,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            ..QueryMessageRequestHeader::default()
        };
        let resp = instance
            .remoting()
            .invoke(
                addr,
                RemotingCommand::request_with_header(RequestCode::QueryMessage, &h),
                instance.config().api_timeout,
            )
            .await?;
        if resp.response_code() != ResponseCode::Success {
            continue;
        }
        for m in MessageExt::decode_all(&resp.body).unwrap_or_default() {
            if !seen.insert(m.msg_id.clone()) {
                continue;
            }
            let body = String::from_utf8_lossy(&m.body).into_owned();
            out.extend(TraceRecord::decode_all(&body).into_iter().filter(|r| r.msg_id == msg_id));
        }
    }
    out.sort_by_key(|r| r.timestamp);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_lines_round_trip() {
        // As the official encoder writes them (4.9 / 5.x).
        let official = "Pub\u{1}1700000000000\u{1}DefaultRegion\u{1}pg\u{1}T\u{1}ID1\u{1}TagA\u{1}k1\u{1}127.0.0.1:10911\u{1}5\u{1}3\u{1}0\u{1}OFF1\u{1}true\u{2}\
SubBefore\u{1}1700000000100\u{1}DefaultRegion\u{1}cg\u{1}req1\u{1}ID1\u{1}0\u{1}k1\u{2}\
SubAfter\u{1}req1\u{1}ID1\u{1}7\u{1}true\u{1}k1\u{1}0\u{1}1700000000107\u{1}cg\u{2}";
        let recs = TraceRecord::decode_all(official);
        assert_eq!(recs.len(), 3);
        assert_eq!((recs[0].group.as_str(), recs[0].cost_ms, recs[0].success), ("pg", 3, true));
        assert_eq!((recs[1].request_id.as_str(), recs[1].retry_times), ("req1", 0));
        assert_eq!((recs[2].cost_ms, recs[2].group.as_str()), (7, "cg"));
        let again: String = recs.iter().map(TraceRecord::encode).collect();
        assert_eq!(again, official);
    }
}
