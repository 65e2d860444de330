//! The producer's side of message tracing: the `Pub` record of a send.

use std::time::Instant;

use rmq_common::property;

use super::outcome::{SendResult, SendStatus};
use crate::message::Message;
use crate::trace::{TraceRecord, TraceType};

/// The `Pub` record of a send of `msg` by `group` that returned `r` (`store_host`: the broker).
pub(crate) fn pub_record(
    group: &str,
    msg: &Message,
    r: &SendResult,
    store_host: String,
    started: Instant,
) -> TraceRecord {
    let delayed = msg.property(property::DELAY).is_some() || msg.property(property::TIMER_DELIVER_MS).is_some();
    let cost_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(0);
    TraceRecord {
        kind: Some(TraceType::Pub),
        timestamp: rmq_common::time::now_ms() - cost_ms,
        region_id: r.region_id.clone().unwrap_or_else(|| "DefaultRegion".into()),
        group: group.to_owned(),
        topic: msg.topic.clone(),
        msg_id: r.msg_id.clone(),
        tags: msg.tags().unwrap_or_default().to_owned(),
        keys: msg.property(property::KEYS).unwrap_or_default().to_owned(),
        store_host,
        body_length: i64::try_from(msg.body.len()).unwrap_or(0),
        cost_ms,
        msg_type: if delayed { 3 } else { 0 },
        offset_msg_id: r.offset_msg_id.clone(),
        success: r.status == SendStatus::SendOk,
        ..TraceRecord::default()
    }
}
