//! SEND_MESSAGE / SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE and CONSUMER_SEND_MSG_BACK.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use rmq_common::property;
use rmq_common::sysflag::{TRANSACTION_COMMIT, TRANSACTION_MASK, TRANSACTION_PREPARED};
use rmq_remoting::header::{
    ConsumerSendMsgBackRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rmq_remoting::transport::RequestContext;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_store::{PutMessageResult, PutStatus, StoreMessage};

use crate::config::BrokerRole;
use crate::error::{BrokerError, HandlerResult};
use crate::topics::{perm, system, validate_topic_name};
use crate::Broker;

/// Longest properties string a record can hold (int16 length).
const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

fn decode_header(req: &RemotingCommand) -> Result<SendMessageRequestHeader, BrokerError> {
    match req.request_code() {
        RequestCode::SendMessageV2 | RequestCode::SendBatchMessage | RequestCode::SendReplyMessageV2 => {
            Ok(req.header::<SendMessageRequestHeaderV2>()?.into())
        }
        _ => Ok(req.header::<SendMessageRequestHeader>()?),
    }
}

/// Checks shared by single and batch sends; returns the topic config and the queue id.
fn check(
    broker: &Arc<Broker>,
    h: &SendMessageRequestHeader,
) -> Result<(rmq_remoting::body::TopicConfig, i32), BrokerError> {
    let cfg = &broker.config;
    if !cfg.is_master() {
        return Err(BrokerError::ServiceNotAvailable(format!(
            "the broker[{}] is a slave, not allowed to write messages",
            cfg.broker_addr()
        )));
    }
    if !perm::writable(cfg.broker_permission) {
        return Err(BrokerError::NoPermission(format!(
            "the broker[{}] sending message is forbidden",
            cfg.broker_addr()
        )));
    }
    validate_topic_name(&h.topic).map_err(BrokerError::MessageIllegal)?;
    if system::is_not_sendable(&h.topic) {
        return Err(BrokerError::NoPermission(format!("Sending message to topic[{}] is forbidden.", h.topic)));
    }
    let topic = broker.topics.get_or_create_on_send(&h.topic, &h.default_topic, h.default_topic_queue_nums, 0)?;
    let topic = match topic {
        Some(t) => t,
        None if h.topic.starts_with(system::RETRY_PREFIX) => {
            broker.topics.get_or_create_system(&h.topic, 1, perm::READ | perm::WRITE)?
        }
        None => {
            return Err(BrokerError::TopicNotExist(h.topic.clone()));
        }
    };
    if !perm::writable(topic.perm) {
        return Err(BrokerError::NoPermission(format!("the topic[{}] sending message is forbidden", h.topic)));
    }
    let queues = topic.write_queue_nums.max(topic.read_queue_nums);
    let queue_id =
        if h.queue_id < 0 { rand::random::<u32>() as i32 % topic.write_queue_nums.max(1) } else { h.queue_id };
    if queue_id.abs() >= queues {
        return Err(BrokerError::Invalid(format!(
            "request queueId[{queue_id}] is illegal, {} Producer: {}",
            h.topic, h.producer_group
        )));
    }
    Ok((topic, queue_id.abs()))
}

fn check_size(broker: &Broker, body_len: usize, properties: &str) -> Result<(), BrokerError> {
    let max = broker.config.max_message_size as usize;
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

/// Unique ids for messages sent without one (raw senders), in the client's layout.
fn unique_ids(broker: &Broker) -> &'static rmq_common::msgid::UniqueIdGenerator {
    static IDS: std::sync::OnceLock<rmq_common::msgid::UniqueIdGenerator> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let ip = broker.config.broker_ip1.parse().unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        let c = rmq_common::time::Civil::from_millis(crate::now_ms());
        let month_start = rmq_common::time::Civil { day: 1, hour: 0, minute: 0, second: 0, millis: 0, ..c }.to_millis();
        rmq_common::msgid::UniqueIdGenerator::new(ip, month_start)
    })
}

/// The message's UNIQ_KEY, given one first if it has none (as the 5.x broker does): answered as
/// the send response's `transactionId`.
fn ensure_unique_id(broker: &Broker, properties: &mut Vec<(String, String)>) -> String {
    if let Some(id) = property::get(properties, property::UNIQ_KEY).filter(|id| !id.is_empty()) {
        return id.to_owned();
    }
    let id = unique_ids(broker).next(crate::now_ms());
    property::set(properties, property::UNIQ_KEY, &id);
    id
}

fn put_response(broker: &Broker, result: &PutMessageResult, queue_id: i32) -> RemotingCommand {
    if !matches!(
        result.status,
        PutStatus::Ok | PutStatus::FlushDiskTimeout | PutStatus::FlushSlaveTimeout | PutStatus::SlaveNotAvailable
    ) {
        broker.stats.put_failed.fetch_add(1, Ordering::Relaxed);
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
    broker.stats.put_total.fetch_add(result.msg_ids.len() as u64, Ordering::Relaxed);
    let header = SendMessageResponseHeader {
        msg_id: result.msg_ids.join(","),
        queue_id,
        queue_offset: result.queue_offset,
        transaction_id: result.transaction_id.clone(),
        batch_uniq_id: None,
        msg_region: Some(broker.config.region_id.clone()),
        trace_on: Some(broker.config.trace_on.to_string()),
    };
    RemotingCommand::response(code, None).with_header(&header)
}

/// Sends of every kind.
pub async fn send(broker: &Arc<Broker>, ctx: &RequestContext, req: &RemotingCommand) -> HandlerResult {
    let mut h = decode_header(req)?;
    let born_host = ctx.channel.peer_addr();
    // A producer retry to a %RETRY% topic that has used up its retries goes to the DLQ.
    if h.topic.starts_with(system::RETRY_PREFIX) {
        let group = &h.topic[system::RETRY_PREFIX.len()..];
        let max = h.max_reconsume_times.unwrap_or_else(|| broker.groups.get(group).map_or(16, |g| g.retry_max_times));
        if h.reconsume_times.unwrap_or(0) >= max {
            let dlq = format!("{}{group}", system::DLQ_PREFIX);
            broker.topics.get_or_create_system(&dlq, 1, perm::READ | perm::WRITE)?;
            h.topic = dlq;
            h.queue_id = 0;
        }
    }
    let (_topic, queue_id) = check(broker, &h)?;
    let properties = h.properties.clone().unwrap_or_default();
    let is_batch = req.request_code() == RequestCode::SendBatchMessage || h.batch.unwrap_or(false);
    let mut base = StoreMessage {
        topic: h.topic.clone(),
        queue_id,
        flag: h.flag,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host,
        reconsume_times: h.reconsume_times.unwrap_or(0),
        body: req.body.clone(),
        properties: property::decode(&properties),
        ..StoreMessage::default()
    };
    // As RocketMQ, every accepted message carries the broker's region and trace switch: the
    // 5.x Java client drops the consume traces of messages without MSG_REGION.
    property::set(&mut base.properties, property::MSG_REGION, &broker.config.region_id);
    property::set(&mut base.properties, property::TRACE_ON, &broker.config.trace_on.to_string());
    let wait = property::get(&base.properties, property::WAIT) != Some("false");
    let unique_id = if is_batch { None } else { Some(ensure_unique_id(broker, &mut base.properties)) };
    let mut result = if is_batch {
        if h.topic.starts_with(system::RETRY_PREFIX) {
            return Err(BrokerError::MessageIllegal("batch request does not support retry group".into()));
        }
        let inner =
            rmq_common::message::decode_batch(&req.body).map_err(|e| BrokerError::MessageIllegal(e.to_string()))?;
        let mut messages = Vec::with_capacity(inner.len());
        for m in inner {
            let props = property::encode(&m.properties);
            check_size(broker, m.body.len(), &props)?;
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
            messages.push(broker.prepare(sm)?);
        }
        broker.store.put_messages(messages).await
    } else {
        check_size(broker, req.body.len(), &properties)?;
        if h.sys_flag & TRANSACTION_MASK == TRANSACTION_PREPARED {
            if broker.config.reject_transaction_message {
                return Err(BrokerError::NoPermission(format!(
                    "the broker[{}] sending transaction message is forbidden",
                    broker.config.broker_addr()
                )));
            }
            broker.topics.get_or_create_system(system::TRANS_HALF, 1, perm::READ | perm::WRITE)?;
            let mut half = broker.prepare(base)?;
            half = crate::transaction::park_half(half);
            broker.store.put_message(half).await
        } else {
            broker.store.put_message(broker.prepare(base)?).await
        }
    };
    await_replication(broker, &mut result, wait).await;
    if result.transaction_id.is_none() {
        result.transaction_id = unique_id;
    }
    Ok(put_response(broker, &result, queue_id))
}

/// Wakes the HA senders; on a SYNC_MASTER, waits until a slave has the data (when the producer
/// asked to wait), turning the status into FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE.
async fn await_replication(broker: &Broker, result: &mut PutMessageResult, wait: bool) {
    broker.ha.data.notify_waiters();
    if broker.config.broker_role == BrokerRole::SyncMaster && wait && result.status == PutStatus::Ok {
        let timeout = std::time::Duration::from_millis(broker.config.sync_flush_timeout);
        let end = u64::try_from(result.end_offset).unwrap_or(0);
        result.status = broker.ha.wait_for_slave(end, timeout).await;
    }
}

impl Broker {
    /// Broker-side rewriting before storing: the CLUSTER property; messages with a delay level
    /// moved to SCHEDULE_TOPIC_XXXX (queue = level − 1) and timer messages to the timer topic,
    /// both keeping REAL_TOPIC/REAL_QID. A delay level wins over timer properties (as RocketMQ).
    pub(crate) fn prepare(&self, mut m: StoreMessage) -> Result<StoreMessage, BrokerError> {
        property::set(&mut m.properties, property::CLUSTER, &self.config.broker_cluster_name);
        property::remove(&mut m.properties, property::WAIT);
        let tx = m.sys_flag & TRANSACTION_MASK;
        if tx != 0 && tx != TRANSACTION_COMMIT {
            return Ok(m);
        }
        let level = property::get(&m.properties, property::DELAY).and_then(|d| d.parse::<usize>().ok()).unwrap_or(0);
        if level > 0 && !self.delay_levels.is_empty() {
            crate::timer::clear_timer_properties(&mut m.properties);
            let level = level.min(self.delay_levels.len());
            park(&mut m, system::SCHEDULE, i32::try_from(level - 1).unwrap_or(0));
            let due = crate::now_ms() + i64::try_from(self.delay_levels[level - 1].as_millis()).unwrap_or(0);
            m.tag_code = Some(due);
            return Ok(m);
        }
        if property::get(&m.properties, property::TIMER_OUT_MS).is_some() {
            return Ok(m);
        }
        let now = crate::now_ms();
        let due = crate::timer::deliver_ms(&m.properties, now).map_err(BrokerError::MessageIllegal)?;
        let Some(due) = due.filter(|d| *d > now) else { return Ok(m) };
        if self.timer.is_none() {
            return Err(BrokerError::MessageIllegal(
                "timer messages are disabled on this broker (timerWheelEnable=false)".into(),
            ));
        }
        let max_ms = i64::try_from(self.config.timer_max_delay_sec).unwrap_or(i64::MAX / 1000).saturating_mul(1000);
        if due - now > max_ms {
            return Err(BrokerError::MessageIllegal(format!(
                "timer message illegal, the delay time should not be bigger than the max delay {max_ms}ms"
            )));
        }
        property::set(&mut m.properties, property::TIMER_OUT_MS, &due.to_string());
        park(&mut m, system::TIMER, 0);
        Ok(m)
    }
}

/// Moves a message to a system topic, keeping its real topic and queue in properties.
fn park(m: &mut StoreMessage, topic: &str, queue_id: i32) {
    property::set(&mut m.properties, property::REAL_TOPIC, &m.topic.clone());
    property::set(&mut m.properties, property::REAL_QID, &m.queue_id.to_string());
    m.topic = topic.to_owned();
    m.queue_id = queue_id;
}

/// CONSUMER_SEND_MSG_BACK: the failed message goes to %RETRY%<group> with a delay level, or
/// to %DLQ%<group> once its retries are used up.
pub async fn send_back(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let h: ConsumerSendMsgBackRequestHeader = req.header()?;
    if !broker.config.is_master() {
        return Err(BrokerError::ServiceNotAvailable("the broker is a slave, not allowed to write".into()));
    }
    let group = broker
        .groups
        .get_or_create(&h.group, broker.config.auto_create_subscription_group)?
        .ok_or_else(|| BrokerError::GroupNotExist(h.group.clone()))?;
    let record = broker
        .store
        .message_by_offset(h.offset)
        .ok_or_else(|| BrokerError::System(format!("look message by offset failed, {}", h.offset)))?;
    let msg = rmq_common::message::MessageExt::decode(&record).map_err(|e| BrokerError::System(e.to_string()))?;
    let max = h.max_reconsume_times.unwrap_or(group.retry_max_times);
    let reconsume = msg.reconsume_times;
    let mut props = msg.properties.clone();
    if property::get(&props, property::RETRY_TOPIC).is_none() {
        property::set(&mut props, property::RETRY_TOPIC, &msg.topic);
    }
    // As RocketMQ: the first send-back stamps the stored message's offset id; later ones keep
    // it. The header's originMsgId (clients put the unique id there) is not what is stored.
    if property::get(&props, property::ORIGIN_MESSAGE_ID).is_none_or(str::is_empty) {
        property::set(&mut props, property::ORIGIN_MESSAGE_ID, &msg.msg_id);
    }
    let (topic, queue_id, delay) = if reconsume >= max || h.delay_level < 0 {
        let dlq = format!("{}{}", system::DLQ_PREFIX, h.group);
        broker.topics.get_or_create_system(&dlq, 1, perm::READ | perm::WRITE)?;
        (dlq, 0, 0)
    } else {
        let retry = format!("{}{}", system::RETRY_PREFIX, h.group);
        let queues = group.retry_queue_nums.max(1);
        broker.topics.get_or_create_system(&retry, queues, perm::READ | perm::WRITE)?;
        let delay = if h.delay_level == 0 { 3 + reconsume } else { h.delay_level };
        (retry, rand::random::<u32>() as i32 % queues, delay)
    };
    property::remove(&mut props, property::DELAY);
    if delay > 0 {
        property::set(&mut props, property::DELAY, &delay.to_string());
    }
    let m = StoreMessage {
        topic,
        queue_id: queue_id.abs(),
        reconsume_times: reconsume + 1,
        prepared_transaction_offset: 0,
        properties: props,
        ..StoreMessage::from(&msg)
    };
    let result = broker.store.put_message(broker.prepare(m)?).await;
    match result.status {
        PutStatus::Ok | PutStatus::FlushDiskTimeout | PutStatus::FlushSlaveTimeout | PutStatus::SlaveNotAvailable => {
            Ok(RemotingCommand::success())
        }
        _ => Err(BrokerError::System(result.remark)),
    }
}
