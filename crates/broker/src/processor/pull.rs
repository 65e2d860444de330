//! PULL_MESSAGE with long polling and server-side tag and SQL92 filtering.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_common::{property, topic as system};
use rmq_remoting::body::{SubscriptionData, SubscriptionGroupConfig, TopicConfig};
use rmq_remoting::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rmq_remoting::transport::Channel;
use rmq_remoting::{RemotingCommand, ResponseCode};
use rmq_store::{GetMessageResult, GetMessageStatus, ReadFilter};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::processor::resubscribe;
use crate::state::filters::{is_tag_type, sql_disabled, SubscriptionFilter};
use crate::state::topics::perm;

use rmq_common::pullflag as flag;

struct PullAnswer {
    code: ResponseCode,
    next_begin_offset: i64,
    min_offset: i64,
    max_offset: i64,
    suggest_slave: bool,
    remark: &'static str,
    result: GetMessageResult,
}

fn answer(result: GetMessageResult, request_offset: i64) -> PullAnswer {
    use GetMessageStatus as S;
    let (code, next) = match result.status {
        S::Found => (ResponseCode::Success, result.next_begin_offset),
        S::NoMatchedMessage | S::MessageWasRemoving => (ResponseCode::PullRetryImmediately, result.next_begin_offset),
        S::NoMessageInQueue | S::NoMatchedLogicQueue => {
            if request_offset == 0 {
                (ResponseCode::PullNotFound, 0)
            } else {
                (ResponseCode::PullOffsetMoved, 0)
            }
        }
        S::OffsetTooSmall => (ResponseCode::PullOffsetMoved, result.next_begin_offset),
        S::OffsetOverflowOne | S::OffsetFoundNull => (ResponseCode::PullNotFound, result.next_begin_offset),
        S::OffsetOverflowBadly => (ResponseCode::PullOffsetMoved, result.next_begin_offset),
    };
    PullAnswer {
        code,
        next_begin_offset: next,
        min_offset: result.min_offset,
        max_offset: result.max_offset,
        suggest_slave: result.suggest_pull_from_slave,
        remark: result.status.name(),
        result,
    }
}

/// The filter of `group` on `topic` for an expression (SQL92 only when enablePropertyFilter),
/// compiled once and cached.
pub(crate) fn expression_filter(
    ctx: &BrokerContext,
    group: &str,
    topic: &str,
    expression_type: Option<&str>,
    expression: &str,
) -> Result<Arc<SubscriptionFilter>, BrokerError> {
    if !is_tag_type(expression_type) && !ctx.config.consume.enable_property_filter {
        return Err(sql_disabled(expression_type.unwrap_or_default()));
    }
    ctx.tables.filters.get(group, topic, expression_type, expression)
}

/// The filter of a heartbeat's subscription (TAG ones by their code set).
fn registered_filter(
    ctx: &BrokerContext,
    group: &str,
    sub: &SubscriptionData,
) -> Result<Arc<SubscriptionFilter>, BrokerError> {
    if is_tag_type(Some(&sub.expression_type)) {
        return Ok(Arc::new(SubscriptionFilter::tags_of(sub)));
    }
    expression_filter(ctx, group, &sub.topic, Some(&sub.expression_type), &sub.sub_string)
}

/// filterSupportRetry: a message of the group's retry topic passes the group's filter of the
/// topic it was first sent to (its RETRY_TOPIC property); without that subscription, it passes.
fn retry_accepts(ctx: &BrokerContext, group: &str, record: &[u8]) -> bool {
    let Ok(m) = MessageExt::decode(record) else { return false };
    let Some(real) = property::get(&m.properties, property::RETRY_TOPIC) else { return true };
    match ctx.tables.clients.subscription(group, real) {
        Some(sub) => registered_filter(ctx, group, &sub).map_or(true, |f| f.accepts_properties(&m.properties)),
        None => true,
    }
}

/// The filter of a pull: the expression the request carries (subscription bit; none means
/// every tag, as RocketMQ reads it), else the subscription the group's heartbeats registered.
///
/// A pull whose `subVersion` is newer than the registered one is served without a broker-side
/// tag filter instead of being refused with SUBSCRIPTION_NOT_LATEST, when both are TAG
/// subscriptions. The 5.x Java client stamps a new version on every rebalance change and then
/// sends a heartbeat under a try-lock; when its periodic heartbeat holds that lock (both fire
/// about 1 s after start), the new version reaches no broker until the next heartbeat, 30 s
/// later, and RocketMQ's refusal stalls the consumer that long. Sending every tag is safe: the
/// client filters what it receives by its own, current tag set, so a stale broker-side filter
/// can neither drop nor leak a message. A SQL92 subscription is filtered by the broker only, so
/// there the broker reads the current subscription back from the client (`resubscribe.rs`).
async fn subscription_filter(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &PullMessageRequestHeader,
) -> Result<Arc<SubscriptionFilter>, BrokerError> {
    let carried =
        h.sys_flag & flag::SUBSCRIPTION != 0 || (h.sys_flag & flag::LITE_PULL != 0 && h.subscription.is_some());
    if carried {
        let expression = h.subscription.as_deref().unwrap_or("*");
        return expression_filter(ctx, &h.consumer_group, &h.topic, h.expression_type.as_deref(), expression);
    }
    let requested = h.sub_version.unwrap_or(0);
    let registered = match ctx.tables.clients.subscription(&h.consumer_group, &h.topic) {
        Some(sub) if sub.sub_version < requested && !is_tag_type(h.expression_type.as_deref()) => {
            Some(resubscribe::from_client(ctx, channel, h).await.unwrap_or(sub))
        }
        other => other,
    };
    match registered {
        Some(sub) if sub.sub_version >= requested => registered_filter(ctx, &h.consumer_group, &sub),
        Some(sub) if is_tag_type(h.expression_type.as_deref()) && is_tag_type(Some(&sub.expression_type)) => {
            tracing::debug!(
                group = %h.consumer_group,
                topic = %h.topic,
                registered = sub.sub_version,
                requested,
                "pull with a newer subscription than the heartbeat's: served without tag filter"
            );
            Ok(Arc::new(SubscriptionFilter::All))
        }
        Some(_) => {
            Err(BrokerError::Code(ResponseCode::SubscriptionNotLatest, "the consumer's subscription not latest".into()))
        }
        None => Err(not_registered(ctx, h)),
    }
}

/// SUBSCRIPTION_NOT_EXIST for a group or topic no heartbeat registered.
fn not_registered(ctx: &BrokerContext, h: &PullMessageRequestHeader) -> BrokerError {
    let remark = if ctx.tables.clients.consumer_group(&h.consumer_group).is_none() {
        format!("the consumer's group info not exist, group: {}", h.consumer_group)
    } else {
        format!("the consumer's subscription not exist, group: {} topic: {}", h.consumer_group, h.topic)
    };
    BrokerError::Code(ResponseCode::SubscriptionNotExist, remark)
}

/// Checks the broker, group, topic and queue of a pull; returns the group's and the topic's
/// config.
fn check(
    ctx: &BrokerContext,
    h: &PullMessageRequestHeader,
) -> Result<(SubscriptionGroupConfig, TopicConfig), BrokerError> {
    let cfg = ctx.live.get();
    if !perm::readable(cfg.topics.broker_permission) {
        return Err(BrokerError::NoPermission(format!(
            "the broker[{}] pulling message is forbidden",
            cfg.broker_addr()
        )));
    }
    let group = ctx
        .tables
        .groups
        .get_or_create(&h.consumer_group, cfg.topics.auto_create_subscription_group)
        .ok_or_else(|| BrokerError::GroupNotExist(h.consumer_group.clone()))?;
    if !group.consume_enable {
        return Err(BrokerError::NoPermission(format!("subscription group no permission, {}", h.consumer_group)));
    }
    let topic = ctx.topic(&h.topic).ok_or_else(|| BrokerError::TopicNotExist(h.topic.clone()))?;
    if !perm::readable(topic.perm) {
        return Err(BrokerError::NoPermission(format!("the topic[{}] pulling message is forbidden", h.topic)));
    }
    if h.queue_id < 0 || h.queue_id >= topic.read_queue_nums {
        return Err(BrokerError::Invalid(format!(
            "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
            h.queue_id, h.topic, topic.read_queue_nums, h.consumer_group
        )));
    }
    Ok((group, topic))
}

/// How long a pull that finds nothing may wait.
fn hold_time(ctx: &BrokerContext, h: &PullMessageRequestHeader) -> Duration {
    if ctx.live.get().pull.long_polling_enable {
        Duration::from_millis(u64::try_from(h.suspend_timeout_millis.unwrap_or(0)).unwrap_or(0).min(60_000))
    } else {
        Duration::from_millis(ctx.live.get().pull.short_polling_time_mills)
    }
}

/// Reads the queue; a suspendable pull that finds nothing waits (parked) for an arrival or its
/// hold time, reading again after each wake-up.
async fn read_or_wait(ctx: &BrokerContext, h: &PullMessageRequestHeader, filter: &SubscriptionFilter) -> PullAnswer {
    let max_msgs = u32::try_from(h.max_msg_nums.clamp(1, 1024)).unwrap_or(32);
    let suspend = h.sys_flag & flag::SUSPEND != 0;
    let deadline = tokio::time::Instant::now() + hold_time(ctx, h);
    let notifier = ctx.parking.notifier(&h.topic, h.queue_id);
    let retry = ctx.config.consume.filter_support_retry && system::is_retry(&h.topic);
    let tag_code = |code: i64| filter.accepts_tag_code(code);
    let record = |rec: &[u8]| filter.accepts_record(rec) && (!retry || retry_accepts(ctx, &h.consumer_group, rec));
    let read = |offset: i64| {
        let f = ReadFilter { tag_code: &tag_code, record: &record };
        answer(ctx.store.get_messages_filtered(&h.topic, h.queue_id, offset, max_msgs, f), offset)
    };
    let started = std::time::Instant::now();
    let mut outcome = read(h.queue_offset);
    let read_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    ctx.stats.get_time_max_ms.fetch_max(read_ms, Ordering::Relaxed);
    // Each round registers for the queue's next arrival before it reads, so an arrival between
    // the read and the wait is not lost, and each wake-up reads the store once.
    // (An arrival that races the deadline is served by the consumer's next pull.)
    while suspend && outcome.code == ResponseCode::PullNotFound && !ctx.stop.is_cancelled() {
        let notified = notifier.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        outcome = read(h.queue_offset);
        if outcome.code != ResponseCode::PullNotFound {
            break;
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    outcome
}

/// PULL_MESSAGE.
pub async fn pull(ctx: &BrokerContext, channel: &Channel, h: PullMessageRequestHeader) -> HandlerResult {
    let (group, topic) = check(ctx, &h)?;
    let filter = subscription_filter(ctx, channel, &h).await?;
    // Commit the offset the consumer carries now, on receipt: a pull parked for long polling
    // must not write an older offset later, over a newer UPDATE_CONSUMER_OFFSET.
    let is_master = ctx.config.is_master();
    if h.sys_flag & flag::COMMIT_OFFSET != 0 && is_master {
        if let Some(commit) = h.commit_offset.filter(|c| *c >= 0) {
            ctx.tables.offsets.commit(&h.consumer_group, &h.topic, h.queue_id, commit);
        }
    }
    // A pull of data that has left memory may wait for the disk (consume-queue pages, records a
    // filter reads): it goes on in a task of its own, so the connection's other requests do not
    // wait behind it. (Records themselves are not touched here: the response is written from
    // the mapped file.)
    if ctx.store.is_in_disk(&h.topic, h.queue_id, h.queue_offset) {
        tokio::task::yield_now().await;
    }
    let outcome = read_or_wait(ctx, &h, &filter).await;
    let stats = &ctx.stats;
    let counter = if outcome.code == ResponseCode::Success { &stats.pulls_found } else { &stats.pulls_missed };
    counter.fetch_add(1, Ordering::Relaxed);
    if is_master {
        ctx.tables.offsets.commit_pull(&h.consumer_group, &h.topic, h.queue_id, outcome.next_begin_offset);
    }
    let suggest = if outcome.suggest_slave && is_master { group.which_broker_when_consume_slowly } else { 0 };
    Ok(respond(ctx, &h, outcome, suggest, group.group_sys_flag, topic.topic_sys_flag))
}

/// The response of a pull: header, and the records found as the body.
fn respond(
    ctx: &BrokerContext,
    h: &PullMessageRequestHeader,
    outcome: PullAnswer,
    suggest: i64,
    group_sys_flag: i32,
    topic_sys_flag: i32,
) -> RemotingCommand {
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: suggest,
        next_begin_offset: outcome.next_begin_offset,
        min_offset: outcome.min_offset,
        max_offset: outcome.max_offset,
        topic_sys_flag: Some(topic_sys_flag),
        group_sys_flag: Some(group_sys_flag),
    };
    let resp = RemotingCommand::response(outcome.code, Some(outcome.remark.to_owned())).with_header(&header);
    if outcome.code != ResponseCode::Success {
        return resp;
    }
    let messages = &outcome.result.messages;
    let total: usize = messages.iter().map(bytes::Bytes::len).sum();
    let cluster = &ctx.config.identity.broker_cluster_name;
    ctx.stats.count_get(cluster, &h.topic, &h.consumer_group, messages.len() as u64, total as u64);
    ctx.stats.meters.got(&h.topic, &h.consumer_group, messages.len(), total);
    // The records are slices of the mapped commit log: written out from there, not copied.
    resp.with_body_parts(outcome.result.messages)
}
