//! Message lookups: by commit-log offset, by key, and raw consume-queue units.

use bytes::BytesMut;
use rmq_remoting::header::{
    QueryConsumeQueueRequestHeader, QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use rmq_remoting::{RemotingCommand, ResponseCode};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};

/// VIEW_MESSAGE_BY_ID: the stored record at a commit-log offset.
pub fn view_message(ctx: &BrokerContext, h: ViewMessageRequestHeader) -> HandlerResult {
    match ctx.store.message_by_offset(h.offset) {
        Some(record) => Ok(RemotingCommand::success().with_body(record)),
        None => Err(BrokerError::System(format!("can not find message by the offset, {}", h.offset))),
    }
}

/// QUERY_MESSAGE: records whose key (or unique key) matches, within a time range.
pub fn query_message(ctx: &BrokerContext, h: QueryMessageRequestHeader) -> HandlerResult {
    let max = u32::try_from(h.max_num.clamp(1, 64 * 1024)).unwrap_or(32);
    let found = ctx.store.query_by_key(&h.topic, &h.key, max, h.begin_timestamp, h.end_timestamp);
    let header = QueryMessageResponseHeader {
        index_last_update_timestamp: found.index_last_update_timestamp,
        index_last_update_phyoffset: found.index_last_update_phy_offset,
    };
    if found.messages.is_empty() {
        return Ok(RemotingCommand::error(
            ResponseCode::QueryNotFound,
            "can not find message, maybe time range not correct",
        )
        .with_header(&header));
    }
    let mut body = BytesMut::new();
    for m in &found.messages {
        body.extend_from_slice(m);
    }
    Ok(RemotingCommand::success().with_header(&header).with_body(body.freeze()))
}

/// QUERY_CONSUME_QUEUE: raw units of a consume queue, for diagnosis.
pub fn query_consume_queue(ctx: &BrokerContext, h: QueryConsumeQueueRequestHeader) -> HandlerResult {
    let count = u32::try_from(h.count.clamp(0, 1000)).unwrap_or(0);
    let units = ctx.store.consume_queue_units(&h.topic, h.queue_id, h.index, count);
    let data: Vec<serde_json::Value> =
        units.iter().map(|u| serde_json::json!({"physicOffset": u.0, "physicSize": u.1, "tagsCode": u.2})).collect();
    let body = serde_json::json!({
        "queueData": data,
        "maxQueueIndex": ctx.store.max_offset(&h.topic, h.queue_id),
        "minQueueIndex": ctx.store.min_offset(&h.topic, h.queue_id),
    });
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&body).unwrap_or_default()))
}
