//! ACK_MESSAGE, BATCH_ACK_MESSAGE and CHANGE_MESSAGE_INVISIBLETIME, with the official codes:
//! an unknown topic is TOPIC_NOT_EXIST, a queue id out of range MESSAGE_ILLEGAL, an offset
//! outside the queue NO_MESSAGE, an empty batch NO_MESSAGE, a handle that is not an
//! `extraInfo` SYSTEM_ERROR (the official broker fails parsing it); an ack of a handle no live
//! checkpoint has (acked before, revived, never popped) is SUCCESS, as RocketMQ answers it.

use rmq_remoting::body::BatchAckMessageRequestBody;
use rmq_remoting::header::pop_info::{ExtraInfo, RetryMark};
use rmq_remoting::header::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
};
use rmq_remoting::{RemotingCommand, ResponseCode};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::services::Services;

fn master_only(ctx: &BrokerContext) -> Result<(), BrokerError> {
    if ctx.config.is_master() {
        Ok(())
    } else {
        Err(BrokerError::ServiceNotAvailable(format!(
            "the broker[{}] is a slave: POP acks are served by the master of {}",
            ctx.config.broker_addr(),
            ctx.config.identity.broker_name
        )))
    }
}

/// Topic and queue checks of ACK and CHANGE_INVISIBLETIME.
fn check_queue(ctx: &BrokerContext, topic: &str, queue_id: i32) -> Result<(), BrokerError> {
    master_only(ctx)?;
    let t = ctx.tables.topics.get(topic).ok_or_else(|| BrokerError::TopicNotExist(topic.to_owned()))?;
    if queue_id < 0 || queue_id >= t.read_queue_nums {
        return Err(BrokerError::MessageIllegal(format!(
            "queueId[{queue_id}] is illegal, topic:[{topic}] topicConfig.readQueueNums:[{}]",
            t.read_queue_nums
        )));
    }
    Ok(())
}

fn parse_handle(text: &str) -> Result<ExtraInfo, BrokerError> {
    ExtraInfo::parse(text).map_err(|e| BrokerError::System(e.to_string()))
}

/// The offset must lie in the queue the handle names (`upper_inclusive` for ACK, as RocketMQ).
fn check_offset(
    ctx: &BrokerContext,
    group: &str,
    topic: &str,
    info: &ExtraInfo,
    offset: i64,
    upper_inclusive: bool,
) -> Result<(), BrokerError> {
    let real = crate::services::pop::handle_topic(topic, group, info);
    let (min, max) = (ctx.store.min_offset(&real, info.queue_id), ctx.store.max_offset(&real, info.queue_id));
    let above = if upper_inclusive { offset > max } else { offset >= max };
    if offset < min || above {
        return Err(BrokerError::Code(
            ResponseCode::NoMessage,
            format!("offset is illegal, key:{real}@{}, commit:{offset}, store:{min}~{max}", info.queue_id),
        ));
    }
    Ok(())
}

/// ACK_MESSAGE.
pub fn ack(ctx: &BrokerContext, services: &Services, h: &AckMessageRequestHeader) -> HandlerResult {
    check_queue(ctx, &h.topic, h.queue_id)?;
    let info = parse_handle(&h.extra_info)?;
    check_offset(ctx, &h.consumer_group, &h.topic, &info, h.offset, true)?;
    services.pop.ack(&h.consumer_group, &h.topic, &info, h.offset)?;
    Ok(RemotingCommand::success())
}

/// BATCH_ACK_MESSAGE: each entry acks the offsets its bit set names in one checkpoint.
pub fn batch_ack(ctx: &BrokerContext, services: &Services, body: &BatchAckMessageRequestBody) -> HandlerResult {
    master_only(ctx)?;
    if body.acks.is_empty() {
        return Ok(RemotingCommand::error(ResponseCode::NoMessage, "no ack in the request"));
    }
    for a in &body.acks {
        let retry = RetryMark::parse(&a.retry)
            .ok_or_else(|| BrokerError::System(format!("getRetry fail, format is wrong: {:?}", a.retry)))?;
        let info = ExtraInfo {
            ck_queue_offset: a.start_offset,
            pop_time: a.pop_time,
            invisible_time: a.invisible_time,
            revive_qid: a.revive_queue_id,
            retry,
            broker_name: body.broker_name.clone(),
            queue_id: a.queue_id,
            queue_offset: None,
        };
        for bit in a.bit_set.indexes() {
            let offset = a.start_offset + i64::try_from(bit).unwrap_or(0);
            services.pop.ack(&a.consumer_group, &a.topic, &info, offset)?;
        }
    }
    Ok(RemotingCommand::success())
}

/// CHANGE_MESSAGE_INVISIBLETIME: the message gets a new handle, invisible from now.
pub fn change_invisible(
    ctx: &BrokerContext,
    services: &Services,
    h: &ChangeInvisibleTimeRequestHeader,
) -> HandlerResult {
    check_queue(ctx, &h.topic, h.queue_id)?;
    let info = parse_handle(&h.extra_info)?;
    check_offset(ctx, &h.consumer_group, &h.topic, &info, h.offset, false)?;
    if h.invisible_time <= 0 {
        return Err(BrokerError::Code(
            ResponseCode::InvalidParameter,
            format!("invisible time must be positive, got {}", h.invisible_time),
        ));
    }
    let changed = services.pop.change_invisible(&h.consumer_group, &h.topic, &info, h.offset, h.invisible_time)?;
    // An unknown or acked handle: nothing to make invisible; answered as a success with a
    // fresh pop time, as the official broker answers every well-formed handle.
    let (pop_time, revive_qid) = changed.unwrap_or((crate::now_ms(), info.revive_qid));
    let header = ChangeInvisibleTimeResponseHeader { pop_time, invisible_time: h.invisible_time, revive_qid };
    Ok(RemotingCommand::success().with_header(&header))
}
