//! Rebalancing, shared by the push and the lite pull consumer: which queues of a topic this
//! instance takes, where a newly taken queue starts, and the broker calls behind them (who is in
//! the group, a topic's readable queues, queue offsets, orderly consumers' queue locks).

use std::collections::BTreeMap;

use rmq_remoting::body::{ConsumerListBody, LockBatchRequestBody, LockBatchResponseBody, MessageQueue, TopicRouteData};
use rmq_remoting::header::{
    ConsumerGroupRequestHeader, OffsetResponseHeader, SearchOffsetRequestHeader, TopicQueueRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};

use super::allocate::AllocateStrategy;
use super::offset_store::OffsetStore;
use super::types::{ConsumeFromWhere, MessageModel};
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

use rmq_common::perm::READ as PERM_READ;

/// The queues of `topic` this instance takes for `group` now: all readable ones when
/// broadcasting, its share by `allocate` when clustering. None when the route or the group's
/// members are unknown (the caller keeps what it holds).
pub async fn assigned_queues(
    instance: &ClientInstance,
    topic: &str,
    group: &str,
    model: MessageModel,
    allocate: AllocateStrategy,
) -> Option<Vec<MessageQueue>> {
    let route = match instance.route(topic).await {
        Ok(r) => r,
        Err(_) => instance.update_route(topic).await.ok()?,
    };
    let mqs = read_queues(topic, &route);
    match model {
        MessageModel::Broadcasting => Some(mqs),
        MessageModel::Clustering => match consumer_ids(instance, &route, group).await {
            Ok(ids) => Some(allocate.allocate(instance.client_id(), &mqs, &ids)),
            Err(e) => {
                tracing::debug!(topic, cause = %e, "consumer list unavailable; keeping queues");
                None
            }
        },
    }
}

/// Where a newly taken queue starts: its committed offset, else 0 for a retry topic, else the
/// group's `from_where`.
pub async fn start_offset(
    instance: &ClientInstance,
    offsets: &OffsetStore,
    mq: &MessageQueue,
    from_where: ConsumeFromWhere,
) -> Result<i64> {
    if let Some(o) = offsets.read_stored(mq).await?.filter(|o| *o >= 0) {
        return Ok(o);
    }
    if rmq_common::topic::is_retry(&mq.topic) {
        return Ok(0);
    }
    match from_where {
        ConsumeFromWhere::FirstOffset => min_offset(instance, mq).await,
        ConsumeFromWhere::LastOffset => max_offset(instance, mq).await,
        ConsumeFromWhere::Timestamp(ts) => offset_by_time(instance, mq, ts).await,
    }
}

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
