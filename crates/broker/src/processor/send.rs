//! SEND_MESSAGE / SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE and CONSUMER_SEND_MSG_BACK.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use rand::Rng;
use rmq_common::message::MessageExt;
use rmq_common::{property, sysflag};
use rmq_remoting::body::TopicConfig;
use rmq_remoting::header::{ConsumerSendMsgBackRequestHeader, SendMessageRequestHeader, SendMessageResponseHeader};
use rmq_remoting::transport::RequestContext;
use rmq_remoting::{RemotingCommand, ResponseCode};
use rmq_store::{PutMessageResult, PutStatus, StoreMessage};

use super::prepare::prepare;
use super::validate;
use crate::config::BrokerRole;
use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::services::{stored, Services};
use crate::state::topics::{perm, system, validate_topic_name};

/// Longest properties string a record can hold (int16 length).
const MAX_PROPERTIES_LEN: usize = 32_767;

/// The body of a send and whether it holds a batch.
#[derive(Debug)]
pub struct Payload {
    /// The message body, or the encoded batch.
    pub body: Bytes,
    /// SEND_BATCH_MESSAGE.
    pub batch: bool,
}

impl Payload {
    /// One message's body.
    #[must_use]
    pub fn single(body: Bytes) -> Self {
        Self { body, batch: false }
    }
}

/// A random queue in `0..n` (`n` at least 1).
fn random_queue(n: i32) -> i32 {
    rand::thread_rng().gen_range(0..n.max(1))
}

/// Refuses writes on a slave or a broker without write permission.
fn check_writable(ctx: &BrokerContext) -> Result<(), BrokerError> {
    let cfg = ctx.live.get();
    if !cfg.is_master() {
        return Err(BrokerError::ServiceNotAvailable(format!(
            "the broker[{}] is a slave, not allowed to write messages",
            cfg.broker_addr()
        )));
    }
    if !perm::writable(cfg.topics.broker_permission) {
        return Err(BrokerError::NoPermission(format!(
            "the broker[{}] sending message is forbidden",
            cfg.broker_addr()
        )));
    }
    Ok(())
}

/// Checks shared by single and batch sends; returns the topic config and the queue id.
pub(super) fn check(ctx: &BrokerContext, h: &SendMessageRequestHeader) -> Result<(TopicConfig, i32), BrokerError> {
    check_writable(ctx)?;
    validate_topic_name(&h.topic).map_err(BrokerError::MessageIllegal)?;
    if system::is_not_sendable(&h.topic) {
        return Err(BrokerError::NoPermission(format!("Sending message to topic[{}] is forbidden.", h.topic)));
    }
    let topics = &ctx.tables.topics;
    let topic = match topics.get_or_create_on_send(&h.topic, &h.default_topic, h.default_topic_queue_nums, 0) {
        Some(t) => t,
        None if system::is_retry(&h.topic) => topics.get_or_create_system(&h.topic, 1, perm::READ | perm::WRITE),
        None => return Err(BrokerError::TopicNotExist(h.topic.clone())),
    };
    if !perm::writable(topic.perm) {
        return Err(BrokerError::NoPermission(format!("the topic[{}] sending message is forbidden", h.topic)));
    }
    let queues = topic.write_queue_nums.max(topic.read_queue_nums);
    let queue_id = if h.queue_id < 0 { random_queue(topic.write_queue_nums) } else { h.queue_id };
    if queue_id.abs() >= queues {
        return Err(BrokerError::Invalid(format!(
            "request queueId[{queue_id}] is illegal, {} Producer: {}",
            h.topic, h.producer_group
        )));
    }
    Ok((topic, queue_id.abs()))
}

pub(super) fn check_size(ctx: &BrokerContext, body_len: usize, properties: &str) -> Result<(), BrokerError> {
    let max = usize::try_from(ctx.live.get().send.max_message_size).unwrap_or(usize::MAX);
    if body_len > max {
        return Err(BrokerError::MessageIllegal(format!("the message body size {body_len} is over the limit {max}")));
    }
    if properties.len() > MAX_PROPERTIES_LEN {
        return Err(BrokerError::MessageIllegal(format!(
            "the message properties length {} is over 32767",
            properties.len()
        )));
    }
    Ok(())
}

/// The message's UNIQ_KEY, given one first if it has none (as the 5.x broker does): answered as
/// the send response's `transactionId`.
fn ensure_unique_id(ctx: &BrokerContext, properties: &mut Vec<(String, String)>) -> String {
    if let Some(id) = property::get(properties, property::UNIQ_KEY).filter(|id| !id.is_empty()) {
        return id.to_owned();
    }
    let id = ctx.unique_ids.next(crate::now_ms());
    property::set(properties, property::UNIQ_KEY, &id);
    id
}

fn put_response(ctx: &BrokerContext, result: &PutMessageResult, stored_as: &Stored, bytes: usize) -> RemotingCommand {
    let (topic, queue_id) = (stored_as.topic, stored_as.queue_id);
    if !stored(result.status) {
        ctx.stats.put_failed.fetch_add(1, Ordering::Relaxed);
    }
    let code = match result.status {
        PutStatus::Ok => ResponseCode::Success,
        PutStatus::FlushDiskTimeout => ResponseCode::FlushDiskTimeout,
        PutStatus::FlushSlaveTimeout => ResponseCode::FlushSlaveTimeout,
        PutStatus::SlaveNotAvailable => ResponseCode::SlaveNotAvailable,
        PutStatus::MessageIllegal => {
            return RemotingCommand::error(ResponseCode::MessageIllegal, result.remark.clone())
        }
        PutStatus::ServiceNotAvailable => {
            return RemotingCommand::error(ResponseCode::ServiceNotAvailable, result.remark.clone());
        }
        PutStatus::Error => return RemotingCommand::error(ResponseCode::SystemError, result.remark.clone()),
    };
    ctx.stats.count_put(&ctx.config.identity.broker_cluster_name, topic, result.msg_ids.len() as u64, bytes as u64);
    let header = SendMessageResponseHeader {
        msg_id: result.msg_ids.join(","),
        queue_id,
        queue_offset: result.queue_offset,
        transaction_id: result.transaction_id.clone(),
        batch_uniq_id: None,
        msg_region: Some(ctx.config.identity.region_id.clone()),
        trace_on: Some(ctx.live.get().send.trace_on.to_string()),
        recall_handle: stored_as.recall_handle.clone(),
    };
    RemotingCommand::response(code, None).with_header(&header)
}

/// Where a send went: its topic and queue, and the recall handle of a timer message.
struct Stored<'a> {
    topic: &'a str,
    queue_id: i32,
    recall_handle: Option<String>,
}

/// The recall handle of a stored single message that the timer holds (as the 5.3.1+ broker's
/// `attachRecallHandle`: not for retries).
fn recall_handle(ctx: &BrokerContext, m: &StoreMessage) -> Option<String> {
    let due = property::get(&m.properties, property::TIMER_OUT_MS)?.parse::<i64>().ok()?;
    let real = property::get(&m.properties, property::REAL_TOPIC).filter(|t| !system::is_retry(t))?;
    let uniq = property::get(&m.properties, property::UNIQ_KEY)?;
    let handle = rmq_common::recall::RecallHandle::for_timer(real, &ctx.config.identity.broker_name, due, uniq);
    Some(handle.encode())
}

/// A producer retry to a %RETRY% topic that has used up its retries goes to the DLQ.
fn redirect_exhausted_retry(ctx: &BrokerContext, h: &mut SendMessageRequestHeader) -> Result<(), BrokerError> {
    let Some(group) = system::retry_group(&h.topic) else { return Ok(()) };
    let max = h.max_reconsume_times.unwrap_or_else(|| ctx.tables.groups.get(group).map_or(16, |g| g.retry_max_times));
    if h.reconsume_times.unwrap_or(0) >= max {
        let dlq = system::dlq_topic(group);
        ctx.tables.topics.get_or_create_system(&dlq, 1, perm::READ | perm::WRITE);
        h.topic = dlq;
        h.queue_id = 0;
    }
    Ok(())
}

/// The message as the header describes it, stamped with the broker's region and trace switch.
fn base_message(
    ctx: &BrokerContext,
    h: &SendMessageRequestHeader,
    queue_id: i32,
    rctx: &RequestContext,
) -> StoreMessage {
    let mut base = StoreMessage {
        topic: h.topic.clone(),
        queue_id,
        flag: h.flag,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: rctx.channel.peer_addr(),
        reconsume_times: h.reconsume_times.unwrap_or(0),
        properties: property::decode(h.properties.as_deref().unwrap_or_default()),
        ..StoreMessage::default()
    };
    // As RocketMQ, every accepted message carries the broker's region and trace switch: the
    // 5.x Java client drops the consume traces of messages without MSG_REGION.
    property::set(&mut base.properties, property::MSG_REGION, &ctx.config.identity.region_id);
    property::set(&mut base.properties, property::TRACE_ON, &ctx.live.get().send.trace_on.to_string());
    base
}

/// Refuses a send to a topic whose creation is not on disk yet and cannot be saved: an
/// acknowledged message on a topic a restart forgets could never be read.
pub(super) async fn ensure_durable(ctx: &BrokerContext, topic: &str) -> Result<(), BrokerError> {
    ctx.tables.topics.durable(topic).await.map_err(|cause| {
        BrokerError::System(format!("the topic[{topic}] could not be persisted, the message is not stored: {cause}"))
    })
}

/// Sends of every kind.
pub async fn send(
    ctx: &BrokerContext,
    services: &Services,
    rctx: &RequestContext,
    mut h: SendMessageRequestHeader,
    payload: Payload,
) -> HandlerResult {
    redirect_exhausted_retry(ctx, &mut h)?;
    let (_topic, queue_id) = check(ctx, &h)?;
    let is_batch = payload.batch || h.batch.unwrap_or(false);
    validate::sys_flag(h.sys_flag, &payload.body, is_batch)?;
    validate::properties(h.properties.as_deref().unwrap_or_default())?;
    ensure_durable(ctx, &h.topic).await?;
    let mut base = base_message(ctx, &h, queue_id, rctx);
    let wait = property::get(&base.properties, property::WAIT) != Some("false");
    check_in_sync_replicas(ctx, services, wait)?;
    let bytes = payload.body.len();
    let kind = ctx.stats.meters.kind_of(&base.properties);
    let unique_id = if is_batch { None } else { Some(ensure_unique_id(ctx, &mut base.properties)) };
    let (mut result, recall_handle) = if is_batch {
        if system::is_retry(&h.topic) {
            return Err(BrokerError::MessageIllegal("batch request does not support retry group".into()));
        }
        (store_batch(ctx, services, base, &payload.body).await?, None)
    } else {
        check_size(ctx, payload.body.len(), h.properties.as_deref().unwrap_or_default())?;
        store_single(ctx, services, StoreMessage { body: payload.body, ..base }).await?
    };
    await_replication(ctx, services, &mut result, wait).await;
    if result.transaction_id.is_none() {
        result.transaction_id = unique_id;
    }
    if crate::services::stored(result.status) {
        ctx.stats.meters.put(&h.topic, kind, result.msg_ids.len(), bytes);
    }
    let stored_as = Stored { topic: &h.topic, queue_id, recall_handle };
    Ok(put_response(ctx, &result, &stored_as, bytes))
}

/// Stores each message of a batch, with the batch's properties where a message has none.
async fn store_batch(
    ctx: &BrokerContext,
    services: &Services,
    base: StoreMessage,
    body: &Bytes,
) -> Result<PutMessageResult, BrokerError> {
    let inner = rmq_common::message::decode_batch(body).map_err(|e| BrokerError::MessageIllegal(e.to_string()))?;
    let mut messages = Vec::with_capacity(inner.len());
    for m in inner {
        check_size(ctx, m.body.len(), &property::encode(&m.properties))?;
        let mut sm = base.clone();
        sm.flag = m.flag;
        sm.body = m.body;
        sm.properties = m.properties;
        // Batch-level properties (WAIT, CLUSTER, ...) apply to each message, but never
        // override the message's own (its UNIQ_KEY above all).
        for (k, v) in &base.properties {
            if property::get(&sm.properties, k).is_none() {
                sm.properties.push((k.clone(), v.clone()));
            }
        }
        messages.push(prepare(ctx, services, sm)?);
    }
    Ok(ctx.store.put_messages(messages).await)
}

/// Stores one message, with the recall handle of a timer message; a prepared transaction
/// message is parked as a half message.
async fn store_single(
    ctx: &BrokerContext,
    services: &Services,
    m: StoreMessage,
) -> Result<(PutMessageResult, Option<String>), BrokerError> {
    if m.sys_flag & sysflag::TRANSACTION_MASK != sysflag::TRANSACTION_PREPARED {
        let m = prepare(ctx, services, m)?;
        let handle = recall_handle(ctx, &m);
        return Ok((ctx.store.put_message(m).await, handle));
    }
    if ctx.live.get().send.reject_transaction_message {
        return Err(BrokerError::NoPermission(format!(
            "the broker[{}] sending transaction message is forbidden",
            ctx.config.broker_addr()
        )));
    }
    ctx.tables.topics.get_or_create_system(system::TRANS_HALF, 1, perm::READ | perm::WRITE);
    ensure_durable(ctx, system::TRANS_HALF).await?;
    let half = crate::services::transaction::park_half(prepare(ctx, services, m)?);
    Ok((ctx.store.put_message(half).await, None))
}

/// Controller mode, a SYNC write the producer waits for: refused before it is stored when the
/// SyncStateSet has fewer than `minInSyncReplicas` replicas (RocketMQ's
/// IN_SYNC_REPLICAS_NOT_ENOUGH, answered as SYSTEM_ERROR "in-sync replicas not enough").
fn check_in_sync_replicas(ctx: &BrokerContext, services: &Services, wait: bool) -> Result<(), BrokerError> {
    let c = &ctx.config.controller;
    let crate::services::ha::Replication::Master(master) = &services.replication else { return Ok(()) };
    if !c.enable_controller_mode || !wait || ctx.config.identity.broker_role != BrokerRole::SyncMaster {
        return Ok(());
    }
    let min = usize::try_from(c.min_in_sync_replicas).unwrap_or(usize::MAX);
    if master.in_sync_replicas() < min {
        return Err(BrokerError::System("in-sync replicas not enough".into()));
    }
    Ok(())
}

/// Wakes the HA senders; on a SYNC_MASTER, waits until the data is on enough replicas (when
/// the producer asked to wait), turning the status into FLUSH_SLAVE_TIMEOUT or
/// SLAVE_NOT_AVAILABLE. In controller mode "enough" is `inSyncReplicas` (the master included),
/// or every member of the SyncStateSet with `allAckInSyncStateSet`.
async fn await_replication(ctx: &BrokerContext, services: &Services, result: &mut PutMessageResult, wait: bool) {
    services.replication.new_data();
    let crate::services::ha::Replication::Master(master) = &services.replication else { return };
    if ctx.config.identity.broker_role == BrokerRole::SyncMaster && wait && result.status == PutStatus::Ok {
        let timeout = std::time::Duration::from_millis(ctx.config.flush.sync_flush_timeout);
        let end = u64::try_from(result.end_offset).unwrap_or(0);
        let c = &ctx.config.controller;
        result.status = if !c.enable_controller_mode {
            master.wait_for_slave(end, timeout).await
        } else if c.all_ack_in_sync_state_set {
            master.wait_for_sync_state_set(end, timeout).await
        } else {
            let needed = usize::try_from(c.in_sync_replicas.saturating_sub(1)).unwrap_or(0);
            master.wait_for_acks(end, needed, timeout).await
        };
    }
}

/// Where a sent-back message goes: its retry topic with a delay level, or the DLQ.
fn send_back_target(
    ctx: &BrokerContext,
    h: &ConsumerSendMsgBackRequestHeader,
    retry_queue_nums: i32,
    reconsume: i32,
    exhausted: bool,
) -> Result<(String, i32, i32), BrokerError> {
    if exhausted || h.delay_level < 0 {
        let dlq = system::dlq_topic(&h.group);
        ctx.tables.topics.get_or_create_system(&dlq, 1, perm::READ | perm::WRITE);
        return Ok((dlq, 0, 0));
    }
    let retry = system::retry_topic(&h.group);
    let queues = retry_queue_nums.max(1);
    ctx.tables.topics.get_or_create_system(&retry, queues, perm::READ | perm::WRITE);
    let delay = if h.delay_level == 0 { 3 + reconsume } else { h.delay_level };
    Ok((retry, random_queue(queues), delay))
}

/// The properties of a sent-back message: its first topic and offset id kept, the delay set.
fn send_back_properties(msg: &MessageExt, delay: i32) -> Vec<(String, String)> {
    let mut props = msg.properties.clone();
    if property::get(&props, property::RETRY_TOPIC).is_none() {
        property::set(&mut props, property::RETRY_TOPIC, &msg.topic);
    }
    // As RocketMQ: the first send-back stamps the stored message's offset id; later ones keep
    // it. The header's originMsgId (clients put the unique id there) is not what is stored.
    if property::get(&props, property::ORIGIN_MESSAGE_ID).is_none_or(str::is_empty) {
        property::set(&mut props, property::ORIGIN_MESSAGE_ID, &msg.msg_id);
    }
    property::remove(&mut props, property::DELAY);
    if delay > 0 {
        property::set(&mut props, property::DELAY, &delay.to_string());
    }
    props
}

/// CONSUMER_SEND_MSG_BACK: the failed message goes to %RETRY%<group> with a delay level, or
/// to %DLQ%<group> once its retries are used up.
pub async fn send_back(ctx: &BrokerContext, services: &Services, h: ConsumerSendMsgBackRequestHeader) -> HandlerResult {
    if !ctx.config.is_master() {
        return Err(BrokerError::ServiceNotAvailable("the broker is a slave, not allowed to write".into()));
    }
    let group = ctx
        .tables
        .groups
        .get_or_create(&h.group, ctx.live.get().topics.auto_create_subscription_group)
        .ok_or_else(|| BrokerError::GroupNotExist(h.group.clone()))?;
    let record = ctx
        .store
        .message_by_offset(h.offset)
        .ok_or_else(|| BrokerError::System(format!("look message by offset failed, {}", h.offset)))?;
    let msg = MessageExt::decode(&record).map_err(|e| BrokerError::System(e.to_string()))?;
    let reconsume = msg.reconsume_times;
    let exhausted = reconsume >= h.max_reconsume_times.unwrap_or(group.retry_max_times);
    let (topic, queue_id, delay) = send_back_target(ctx, &h, group.retry_queue_nums, reconsume, exhausted)?;
    ensure_durable(ctx, &topic).await?;
    let m = StoreMessage {
        topic,
        queue_id,
        reconsume_times: reconsume + 1,
        prepared_transaction_offset: 0,
        properties: send_back_properties(&msg, delay),
        ..StoreMessage::from(&msg)
    };
    let result = ctx.store.put_message(prepare(ctx, services, m)?).await;
    if stored(result.status) {
        Ok(RemotingCommand::success())
    } else {
        Err(BrokerError::System(result.remark))
    }
}
