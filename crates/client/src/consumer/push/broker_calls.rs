//! Bodies of the broker's calls to a push consumer (for the admin tools): running info,
//! consume status, and the offsets of a reset.

use dashmap::DashMap;
use rmq_remoting::body::{fastjson, MessageQueue};
use std::sync::Arc;

use super::config::ConsumerConfig;
use crate::consumer::offset_store::OffsetStore;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::subscription::Subscription;

/// The queues a consumer holds, by queue.
pub(crate) type QueueTable = DashMap<MessageQueue, Arc<ProcessQueue>>;

fn queue_key(k: &MessageQueue) -> serde_json::Value {
    serde_json::json!({"brokerName": k.broker_name, "queueId": k.queue_id, "topic": k.topic})
}

/// GET_CONSUMER_STATUS_FROM_CLIENT: the committed offset of every held queue (-1: none).
pub(crate) fn consumer_status(queues: &QueueTable, offsets: &OffsetStore) -> Vec<u8> {
    let parts: Vec<String> =
        queues.iter().map(|e| format!("{}:{}", queue_key(e.key()), offsets.get(e.key()).unwrap_or(-1))).collect();
    format!("{{\"offsetTable\":{{{}}}}}", parts.join(",")).into_bytes()
}

/// RESET_CONSUMER_CLIENT_OFFSET: the (queue, offset) pairs of the body's offset table.
pub(crate) fn reset_targets(body: &[u8]) -> Vec<(MessageQueue, i64)> {
    let text = String::from_utf8_lossy(body);
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&fastjson::normalize(&text)) else { return Vec::new() };
    let Some(table) = v.get("offsetTable").and_then(|t| t.as_object()) else { return Vec::new() };
    table.iter().filter_map(|(k, off)| Some((fastjson::message_queue_key(k)?, off.as_i64()?))).collect()
}

/// GET_CONSUMER_RUNNING_INFO: queues with their cache and offsets, properties, subscriptions.
pub(crate) fn running_info(
    config: &ConsumerConfig,
    orderly: bool,
    queues: &QueueTable,
    offsets: &OffsetStore,
    subs: &[Subscription],
) -> Vec<u8> {
    let mut mq_table = Vec::new();
    for e in queues {
        let (count, bytes) = e.value().load();
        let val = serde_json::json!({
            "commitOffset": offsets.get(e.key()).unwrap_or(-1),
            "cachedMsgCount": count,
            "cachedMsgSizeInMiB": bytes / (1024 * 1024),
            "locked": e.value().is_locked(),
            "droped": false,
        });
        mq_table.push(format!("{}:{val}", queue_key(e.key())));
    }
    let props = serde_json::json!({
        "consumerGroup": config.group,
        "messageModel": config.model.as_str(),
        "consumeFromWhere": config.from_where.wire().as_str(),
        "consumeType": "CONSUME_PASSIVELY",
        "consumeOrderly": orderly,
        "consumeThreadMax": config.consume.threads,
        "PROP_CLIENT_VERSION": "rmq-client-rust",
        "PROP_CONSUMEORDERLY": orderly.to_string(),
        "PROP_CONSUME_TYPE": "CONSUME_PASSIVELY",
        "PROP_CONSUMER_START_TIMESTAMP": rmq_common::time::now_ms().to_string(),
    });
    let subs: Vec<_> = subs.iter().map(Subscription::data).collect();
    let subs = serde_json::to_string(&subs).unwrap_or_else(|_| "[]".into());
    format!(
        "{{\"jstack\":\"\",\"mqTable\":{{{}}},\"properties\":{props},\"statusTable\":{{}},\"subscriptionSet\":{subs}}}",
        mq_table.join(",")
    )
    .into_bytes()
}
