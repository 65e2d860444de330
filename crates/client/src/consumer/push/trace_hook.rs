//! The consumer's side of message tracing: `SubBefore` and `SubAfter` records around each
//! listener call.

use std::time::Instant;

use rmq_common::message::MessageExt;
use rmq_common::property;

use crate::trace::{TraceDispatcher, TraceRecord, TraceType};

/// Records listener calls of one group.
#[derive(Debug, Clone)]
pub(crate) struct ConsumeTracer {
    dispatcher: TraceDispatcher,
    group: String,
    client_id: String,
}

/// A listener call being traced.
#[derive(Debug)]
pub(crate) struct TracedCall {
    request_id: String,
    started: Instant,
}

fn unique_id(m: &MessageExt) -> String {
    property::get(&m.properties, property::UNIQ_KEY).unwrap_or(&m.msg_id).to_owned()
}

fn keys(m: &MessageExt) -> String {
    property::get(&m.properties, property::KEYS).unwrap_or_default().to_owned()
}

impl ConsumeTracer {
    /// Records `group`'s calls (made by client `client_id`) through `dispatcher`.
    pub fn new(dispatcher: TraceDispatcher, group: &str, client_id: &str) -> Self {
        Self { dispatcher, group: group.to_owned(), client_id: client_id.to_owned() }
    }

    /// Records SubBefore for a listener call of `batch`.
    pub fn before(&self, batch: &[MessageExt]) -> TracedCall {
        let request_id = format!("{}-{}", self.client_id, rand::random::<u64>());
        for m in batch {
            self.dispatcher.record(TraceRecord {
                kind: Some(TraceType::SubBefore),
                timestamp: rmq_common::time::now_ms(),
                region_id: property::get(&m.properties, property::MSG_REGION).unwrap_or("DefaultRegion").to_owned(),
                group: self.group.clone(),
                request_id: request_id.clone(),
                msg_id: unique_id(m),
                retry_times: m.reconsume_times,
                keys: keys(m),
                ..TraceRecord::default()
            });
        }
        TracedCall { request_id, started: Instant::now() }
    }

    /// Records SubAfter for the call `call` of `batch`.
    pub fn after(&self, batch: &[MessageExt], call: TracedCall, ok: bool) {
        let cost = i64::try_from(call.started.elapsed().as_millis()).unwrap_or(0);
        for m in batch {
            self.dispatcher.record(TraceRecord {
                kind: Some(TraceType::SubAfter),
                request_id: call.request_id.clone(),
                msg_id: unique_id(m),
                cost_ms: cost,
                success: ok,
                keys: keys(m),
                context_code: i32::from(!ok),
                timestamp: rmq_common::time::now_ms(),
                group: self.group.clone(),
                ..TraceRecord::default()
            });
        }
    }
}
