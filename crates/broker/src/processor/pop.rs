//! POP_MESSAGE (with long polling), PEEK_MESSAGE, NOTIFICATION and POLLING_INFO, answered as
//! the official 5.x broker answers them. The state and the reading are the POP service's
//! (`services::pop`); this module checks requests and parks pops that found nothing.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rmq_common::topic as system;
use rmq_remoting::body::{SubscriptionGroupConfig, TopicConfig};
use rmq_remoting::header::{
    NotificationRequestHeader, NotificationResponseHeader, PeekMessageRequestHeader, PollingInfoRequestHeader,
    PollingInfoResponseHeader, PopMessageRequestHeader, PopMessageResponseHeader,
};
use rmq_remoting::{RemotingCommand, ResponseCode};
use tokio::sync::Notify;

use super::pull::expression_filter;
use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::services::pop::read::{PopBatch, PopRequest};
use crate::services::pop::PopService;
use crate::services::Services;
use crate::state::filters::SubscriptionFilter;
use crate::state::topics::perm;

/// Most messages one pop may ask for (as RocketMQ).
const MAX_POP_NUMS: i32 = 32;
/// A parked pop re-checks at least this often (orderly expiries wake nobody).
const RECHECK: Duration = Duration::from_millis(1000);

/// The filter of a pop (TAG, or SQL92 when enablePropertyFilter), compiled once per group,
/// topic and expression; a bad expression is SUBSCRIPTION_PARSE_FAILED with its position.
fn pop_filter(ctx: &BrokerContext, h: &PopMessageRequestHeader) -> Result<Arc<SubscriptionFilter>, BrokerError> {
    let expression = h.exp.as_deref().unwrap_or("*");
    expression_filter(ctx, &h.consumer_group, &h.topic, h.exp_type.as_deref(), expression)
}

/// The checks every POP-family request starts with: master, readable broker, topic, queue id
/// (INVALID_PARAMETER past the readable queues), group.
pub(super) fn check_common(
    ctx: &BrokerContext,
    group: &str,
    topic: &str,
    queue_id: i32,
) -> Result<(TopicConfig, SubscriptionGroupConfig), BrokerError> {
    let cfg = ctx.live.get();
    if !cfg.is_master() {
        return Err(BrokerError::ServiceNotAvailable(format!(
            "the broker[{}] is a slave: POP consumption is served by the master of {}",
            cfg.broker_addr(),
            cfg.identity.broker_name
        )));
    }
    if !perm::readable(cfg.topics.broker_permission) {
        return Err(BrokerError::NoPermission(format!("the broker[{}] pop message is forbidden", cfg.net.broker_ip1)));
    }
    let t = ctx.topic(topic).ok_or_else(|| BrokerError::TopicNotExist(topic.to_owned()))?;
    if !perm::readable(t.perm) {
        return Err(BrokerError::NoPermission(format!("the topic[{topic}] peeking message is forbidden")));
    }
    if queue_id >= t.read_queue_nums {
        return Err(BrokerError::Code(
            ResponseCode::InvalidParameter,
            format!(
                "queueId[{queue_id}] is illegal, topic:[{topic}] topicConfig.readQueueNums:[{}] consumer:[{group}]",
                t.read_queue_nums
            ),
        ));
    }
    let g = ctx
        .tables
        .groups
        .get_or_create(group, cfg.topics.auto_create_subscription_group)
        .ok_or_else(|| BrokerError::GroupNotExist(group.to_owned()))?;
    if !g.consume_enable {
        return Err(BrokerError::NoPermission(format!("subscription group no permission, {group}")));
    }
    Ok((t, g))
}

fn pop_header(h: &PopMessageRequestHeader, batch: &PopBatch) -> PopMessageResponseHeader {
    PopMessageResponseHeader {
        pop_time: batch.pop_time,
        invisible_time: h.invisible_time,
        revive_qid: batch.revive_qid,
        rest_num: batch.rest_num,
        start_offset_info: Some(batch.info.start_offset_info()),
        msg_offset_info: Some(batch.info.msg_offset_info()),
        order_count_info: h.order.unwrap_or(false).then(|| batch.info.order_count_info()),
    }
}

/// The wake-up points of a pop: the topic's queues, the group's retry queues, the service's.
fn wake_points(ctx: &BrokerContext, service: &PopService, group: &str, topic: &str, queue_id: i32) -> Vec<Arc<Notify>> {
    let mut points = vec![service.wake()];
    let n = ctx.tables.topics.get(topic).map_or(0, |t| t.read_queue_nums);
    for q in 0..n {
        if queue_id < 0 || q == queue_id {
            points.push(ctx.parking.notifier(topic, q));
        }
    }
    points.push(ctx.parking.notifier(&system::pop_retry_topic(group, topic), 0));
    points
}

/// Waits for any wake-up point, `until` (ms) or the stop signal; `probe` runs after the
/// waiters are registered, so an arrival between the probe and the wait is not lost. Returns
/// the probe's answer when it has one.
async fn park<T>(
    ctx: &BrokerContext,
    points: &[Arc<Notify>],
    until: i64,
    mut probe: impl FnMut() -> Result<Option<T>, BrokerError>,
) -> Result<Option<T>, BrokerError> {
    loop {
        let mut waits: Vec<_> = points.iter().map(|p| Box::pin(p.notified())).collect();
        for w in &mut waits {
            w.as_mut().enable();
        }
        if let Some(found) = probe()? {
            return Ok(Some(found));
        }
        let now = crate::now_ms();
        if now >= until || ctx.stop.is_cancelled() {
            return Ok(None);
        }
        let left = Duration::from_millis(u64::try_from(until - now).unwrap_or(0)).min(RECHECK);
        tokio::select! {
            _ = futures::future::select_all(waits) => {}
            () = tokio::time::sleep(left) => {}
            () = ctx.stop.cancelled() => {}
        }
    }
}

/// The request with `bornTime` set to now when it is missing or 0, as the official broker fills
/// it in (POP_MESSAGE, NOTIFICATION): the official rocketmq-proxy sends no born time, and without
/// this every pop of it would be "timeout too much" and every long poll would end at once.
pub fn stamped(mut req: RemotingCommand) -> RemotingCommand {
    if req.ext_fields.get("bornTime").is_none_or(|t| t.trim() == "0") {
        req.ext_fields.insert("bornTime".to_owned(), crate::now_ms().to_string());
    }
    req
}

/// The bounds of a pop, as the official broker checks them (a non-positive count or invisible
/// time is refused too: the official broker would answer nothing for it).
fn check_pop(ctx: &BrokerContext, h: &PopMessageRequestHeader) -> Result<Option<RemotingCommand>, BrokerError> {
    let now = crate::now_ms();
    if now - h.born_time - h.poll_time > 500 {
        return Ok(Some(RemotingCommand::error(
            ResponseCode::PollingTimeout,
            format!("the broker[{}] pop message is timeout too much", ctx.config.net.broker_ip1),
        )));
    }
    if h.max_msg_nums > MAX_POP_NUMS {
        return Err(BrokerError::Code(
            ResponseCode::InvalidParameter,
            format!("the broker[{}] pop message's num is greater than 32", ctx.config.net.broker_ip1),
        ));
    }
    if h.max_msg_nums <= 0 || h.invisible_time <= 0 {
        return Err(BrokerError::Code(
            ResponseCode::InvalidParameter,
            format!(
                "the broker[{}] pop message's num ({}) and invisible time ({}) must be positive",
                ctx.config.net.broker_ip1, h.max_msg_nums, h.invisible_time
            ),
        ));
    }
    check_common(ctx, &h.consumer_group, &h.topic, h.queue_id)?;
    Ok(None)
}

/// The answer of a pop: SUCCESS with the records, or POLLING_TIMEOUT.
fn pop_answer(h: &PopMessageRequestHeader, found: Option<PopBatch>, last: Option<PopBatch>) -> RemotingCommand {
    let Some(batch) = found else {
        let batch = last.unwrap_or_default();
        return RemotingCommand::response(ResponseCode::PollingTimeout, Some("NO_MESSAGE_IN_QUEUE".to_owned()))
            .with_header(&pop_header(h, &batch));
    };
    let mut body = BytesMut::with_capacity(batch.messages.iter().map(bytes::Bytes::len).sum());
    for m in &batch.messages {
        body.extend_from_slice(m);
    }
    let mut resp =
        RemotingCommand::response(ResponseCode::Success, Some("FOUND".to_owned())).with_header(&pop_header(h, &batch));
    resp.body = body.freeze();
    resp
}

/// POP_MESSAGE.
pub async fn pop(ctx: &BrokerContext, services: &Services, h: PopMessageRequestHeader) -> HandlerResult {
    if let Some(refused) = check_pop(ctx, &h)? {
        return Ok(refused);
    }
    let filter = pop_filter(ctx, &h)?;
    let req = PopRequest {
        group: &h.consumer_group,
        topic: &h.topic,
        queue_id: h.queue_id,
        max: usize::try_from(h.max_msg_nums).unwrap_or(1),
        invisible_time: h.invisible_time,
        init_mode: h.init_mode,
        order: h.order.unwrap_or(false),
        filter: &filter,
    };
    let service = &services.pop;
    let mut last = None;
    let mut probe = || -> Result<Option<PopBatch>, BrokerError> {
        let batch = service.pop(&req)?;
        if batch.messages.is_empty() {
            last = Some(batch);
            Ok(None)
        } else {
            Ok(Some(batch))
        }
    };
    let found = if h.poll_time > 0 {
        match probe()? {
            Some(batch) => Some(batch),
            None if !service.polling_enter(&h.topic, &h.consumer_group, h.queue_id) => {
                let header = pop_header(&h, &last.unwrap_or_default());
                return Ok(RemotingCommand::response(
                    ResponseCode::PollingFull,
                    Some("NO_MESSAGE_IN_QUEUE".to_owned()),
                )
                .with_header(&header));
            }
            None => {
                let points = wake_points(ctx, service, &h.consumer_group, &h.topic, h.queue_id);
                let r = park(ctx, &points, h.born_time + h.poll_time, &mut probe).await;
                service.polling_leave(&h.topic, &h.consumer_group, h.queue_id);
                r?
            }
        }
    } else {
        probe()?
    };
    Ok(pop_answer(&h, found, last))
}

/// PEEK_MESSAGE: messages at the group's cursors, nothing checkpointed.
pub fn peek(ctx: &BrokerContext, services: &Services, h: &PeekMessageRequestHeader) -> HandlerResult {
    check_common(ctx, &h.consumer_group, &h.topic, h.queue_id)?;
    let max = usize::try_from(h.max_msg_nums.clamp(0, MAX_POP_NUMS)).unwrap_or(0);
    let (messages, rest) = services.pop.peek(&h.consumer_group, &h.topic, h.queue_id, max);
    let header = PopMessageResponseHeader { rest_num: rest, ..PopMessageResponseHeader::default() };
    if messages.is_empty() {
        return Ok(RemotingCommand::response(ResponseCode::PullNotFound, Some("NO_MESSAGE_IN_QUEUE".to_owned()))
            .with_header(&header));
    }
    let mut resp = RemotingCommand::response(ResponseCode::Success, Some("FOUND".to_owned())).with_header(&header);
    resp.body = messages.concat().into();
    Ok(resp)
}

/// NOTIFICATION: whether the group has something to pop, waiting up to the poll time.
pub async fn notification(ctx: &BrokerContext, services: &Services, h: NotificationRequestHeader) -> HandlerResult {
    check_common(ctx, &h.consumer_group, &h.topic, h.queue_id)?;
    let service = &services.pop;
    let order = h.order.unwrap_or(false);
    let probe = || Ok(service.has_message(&h.consumer_group, &h.topic, h.queue_id, order).then_some(()));
    let has_msg = if h.poll_time > 0 {
        let points = wake_points(ctx, service, &h.consumer_group, &h.topic, h.queue_id);
        park(ctx, &points, h.born_time + h.poll_time, probe).await?.is_some()
    } else {
        probe()?.is_some()
    };
    Ok(RemotingCommand::success().with_header(&NotificationResponseHeader { has_msg, polling_full: false }))
}

/// POLLING_INFO: pops parked on the queue.
pub fn polling_info(ctx: &BrokerContext, services: &Services, h: &PollingInfoRequestHeader) -> HandlerResult {
    check_common(ctx, &h.consumer_group, &h.topic, h.queue_id)?;
    let polling_num = services.pop.polling_num(&h.topic, &h.consumer_group, h.queue_id);
    Ok(RemotingCommand::success().with_header(&PollingInfoResponseHeader { polling_num }))
}
