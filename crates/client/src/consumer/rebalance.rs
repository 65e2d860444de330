//! The broker calls rebalancing needs: who is in the group, a topic's readable queues, queue
//! offsets for a new group, and orderly consumers' queue locks.

use std::collections::BTreeMap;

use rmq_remoting::body::{ConsumerListBody, LockBatchRequestBody, LockBatchResponseBody, MessageQueue, TopicRouteData};
use rmq_remoting::header::{
    ConsumerGroupRequestHeader, OffsetResponseHeader, SearchOffsetRequestHeader, TopicQueueRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::error::{ClientError, Result};
use crate::ClientInstance;

use rmq_common::perm::READ as PERM_READ;

/// Readable queues of `topic` in `route`, sorted.
#[must_use]
pub fn read_queues(topic: &str, route: &TopicRouteData) -> Vec<MessageQueue> {
    let mut out: Vec<MessageQueue> = route
        .queue_datas
        .iter()
        .filter(|q| q.perm & PERM_READ != 0)
        .flat_map(|q| {
            (0..q.read_queue_nums).map(|id| MessageQueue {
                topic: topic.to_owned(),
                broker_name: q.broker_name.clone(),
                queue_id: id,
            })
        })
        .collect();
    out.sort();
    out
}

/// The group's consumer ids as a broker of the topic knows them, sorted.
pub async fn consumer_ids(instance: &ClientInstance, route: &TopicRouteData, group: &str) -> Result<Vec<String>> {
    let mut last = None;
    for b in &route.broker_datas {
        let Some(addr) = b.master_addr().or_else(|| b.broker_addrs.values().next().map(String::as_str)) else {
            continue;
        };
        let h = ConsumerGroupRequestHeader { consumer_group: group.to_owned() };
        let req = RemotingCommand::request_with_header(RequestCode::GetConsumerListByGroup, &h);
        match instance.invoke_ok(addr, req).await {
            Ok(resp) => {
                let body: ConsumerListBody = rmq_remoting::body::decode(&resp.body)
                    .map_err(|e| ClientError::Invalid(format!("bad consumer list: {e}")))?;
                let mut ids = body.consumer_id_list;
                ids.sort();
                return Ok(ids);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| ClientError::NoRoute(group.to_owned())))
}

async fn offset_call(
    instance: &ClientInstance,
    mq: &MessageQueue,
    code: RequestCode,
    timestamp: Option<i64>,
) -> Result<i64> {
    let (addr, _) = instance
        .broker_addr_for_read(&mq.broker_name, 0)
        .ok_or_else(|| ClientError::Invalid(format!("no address for broker {}", mq.broker_name)))?;
    let req = match timestamp {
        Some(ts) => RemotingCommand::request_with_header(
            code,
            &SearchOffsetRequestHeader {
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                timestamp: ts,
                boundary_type: None,
            },
        ),
        None => RemotingCommand::request_with_header(
            code,
            &TopicQueueRequestHeader { topic: mq.topic.clone(), queue_id: mq.queue_id, committed: None },
        ),
    };
    let resp = instance.invoke_ok(&addr, req).await?;
    Ok(resp.header::<OffsetResponseHeader>().map_err(|e| ClientError::Invalid(e.to_string()))?.offset)
}

/// The queue's max offset.
pub async fn max_offset(instance: &ClientInstance, mq: &MessageQueue) -> Result<i64> {
    offset_call(instance, mq, RequestCode::GetMaxOffset, None).await
}

/// The queue's min offset.
pub async fn min_offset(instance: &ClientInstance, mq: &MessageQueue) -> Result<i64> {
    offset_call(instance, mq, RequestCode::GetMinOffset, None).await
}

/// The first offset stored at or after `ts`.
pub async fn offset_by_time(instance: &ClientInstance, mq: &MessageQueue, ts: i64) -> Result<i64> {
    offset_call(instance, mq, RequestCode::SearchOffsetByTimestamp, Some(ts)).await
}

/// Locks (or unlocks) queues on their brokers for `group`; returns the queues now locked.
pub async fn lock_queues(
    instance: &ClientInstance,
    group: &str,
    mqs: &[MessageQueue],
    unlock: bool,
) -> Vec<MessageQueue> {
    let mut by_broker: BTreeMap<&str, Vec<MessageQueue>> = BTreeMap::new();
    for mq in mqs {
        by_broker.entry(mq.broker_name.as_str()).or_default().push(mq.clone());
    }
    let mut locked = Vec::new();
    for (broker, set) in by_broker {
        let Some(addr) = instance.broker_addr(broker, 0) else { continue };
        let body = LockBatchRequestBody {
            consumer_group: group.to_owned(),
            client_id: instance.client_id().to_owned(),
            mq_set: set,
            only_this_broker: false,
        };
        let Ok(bytes) = serde_json::to_vec(&body) else { continue };
        let code = if unlock { RequestCode::UnlockBatchMq } else { RequestCode::LockBatchMq };
        match instance.invoke_ok(&addr, RemotingCommand::request(code).with_body(bytes)).await {
            Ok(resp) if !unlock => {
                if let Ok(r) = rmq_remoting::body::decode::<LockBatchResponseBody>(&resp.body) {
                    locked.extend(r.lock_ok_mq_set);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(%addr, cause = %e, unlock, "queue lock call failed"),
        }
    }
    locked
}
