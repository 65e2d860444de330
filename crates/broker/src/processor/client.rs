//! HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, LOCK/UNLOCK_BATCH_MQ and
//! CHECK_CLIENT_CONFIG.

use rmq_remoting::body::{
    CheckClientRequestBody, ConsumerListBody, HeartbeatData, LockBatchRequestBody, LockBatchResponseBody, MessageQueue,
    SubscriptionGroupConfig,
};
use rmq_remoting::header::{ConsumerGroupRequestHeader, UnregisterClientRequestHeader};
use rmq_remoting::transport::{Channel, RequestContext};
use rmq_remoting::{LanguageCode, RemotingCommand};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::state::clients::ClientIdentity;
use crate::state::filters::{is_tag_type, sql_disabled, SubscriptionFilter};
use crate::state::topics::{perm, system};

/// The connection a request came on, with the client's language and version.
#[derive(Debug)]
pub struct Caller<'a> {
    channel: &'a Channel,
    language: LanguageCode,
    version: i32,
}

impl<'a> Caller<'a> {
    /// The caller of `req`.
    #[must_use]
    pub fn of(rctx: &'a RequestContext, req: &RemotingCommand) -> Self {
        Self { channel: &rctx.channel, language: req.language, version: req.version }
    }
}

/// How many more groups this heartbeat may create (`heartbeatMaxNewGroups`), and how many it
/// could not.
#[derive(Debug)]
struct NewGroups {
    left: usize,
    skipped: usize,
}

/// The group's config, created when auto-creation and the heartbeat's budget allow; on a master
/// its retry topic too.
fn group_of(ctx: &BrokerContext, name: &str, budget: &mut NewGroups) -> Option<SubscriptionGroupConfig> {
    let (cfg, tables) = (&ctx.config, &ctx.tables);
    let group = match tables.groups.get(name) {
        Some(g) => g,
        None if !cfg.topics.auto_create_subscription_group => return None,
        None if budget.left == 0 => {
            budget.skipped += 1;
            return None;
        }
        None => {
            budget.left -= 1;
            tables.groups.get_or_create(name, true)?
        }
    };
    if cfg.is_master() {
        let queues = group.retry_queue_nums.max(1);
        tables.topics.get_or_create_system(&system::retry_topic(name), queues, perm::READ | perm::WRITE);
    }
    Some(group)
}

/// HEART_BEAT: record producers and consumers, create groups and retry topics (at most
/// `heartbeatMaxNewGroups` groups per heartbeat), notify groups whose membership changed.
pub fn heartbeat(ctx: &BrokerContext, caller: &Caller<'_>, data: HeartbeatData) -> HandlerResult {
    let who = ClientIdentity {
        channel: caller.channel,
        client_id: &data.client_id,
        language: caller.language,
        version: caller.version,
    };
    let (cfg, tables) = (&ctx.config, &ctx.tables);
    let mut budget = NewGroups { left: cfg.consume.heartbeat_max_new_groups, skipped: 0 };
    for consumer in &data.consumer_data_set {
        let group = group_of(ctx, &consumer.group_name, &mut budget);
        let changed = tables.clients.register_consumer(consumer, &who);
        let notify = group.as_ref().is_none_or(|g| g.notify_consumer_ids_changed_enable);
        if changed && notify && cfg.topics.notify_consumer_ids_changed_enable {
            tables.clients.notify_consumer_ids_changed(&consumer.group_name);
        }
    }
    for producer in &data.producer_data_set {
        tables.clients.register_producer(&producer.group_name, &who);
    }
    if budget.skipped > 0 {
        let (client, max, skipped) = (&data.client_id, cfg.consume.heartbeat_max_new_groups, budget.skipped);
        tracing::warn!(
            client,
            max,
            skipped,
            "heartbeat names more new groups than heartbeatMaxNewGroups; the rest come with the next heartbeats"
        );
    }
    Ok(RemotingCommand::success())
}

/// UNREGISTER_CLIENT.
pub fn unregister_client(
    ctx: &BrokerContext,
    rctx: &RequestContext,
    h: UnregisterClientRequestHeader,
) -> HandlerResult {
    let clients = &ctx.tables.clients;
    if let Some(g) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
        clients.unregister_producer(g, &rctx.channel);
    }
    if let Some(g) = h.consumer_group.as_deref().filter(|g| !g.is_empty()) {
        if clients.unregister_consumer(g, &rctx.channel) {
            clients.notify_consumer_ids_changed(g);
        }
    }
    Ok(RemotingCommand::success())
}

/// GET_CONSUMER_LIST_BY_GROUP.
pub fn consumer_list(ctx: &BrokerContext, h: ConsumerGroupRequestHeader) -> HandlerResult {
    match ctx.tables.clients.consumer_group(&h.consumer_group) {
        Some(g) if !g.channels.is_empty() => {
            let body = ConsumerListBody { consumer_id_list: g.client_ids() };
            Ok(RemotingCommand::success().with_body(serde_json::to_vec(&body).unwrap_or_default()))
        }
        _ => Err(BrokerError::System(format!("no consumer for this group, {}", h.consumer_group))),
    }
}

fn queue_keys(mqs: &[MessageQueue]) -> Vec<(String, String, i32)> {
    mqs.iter().map(|q| (q.topic.clone(), q.broker_name.clone(), q.queue_id)).collect()
}

/// LOCK_BATCH_MQ.
pub fn lock_batch(ctx: &BrokerContext, body: LockBatchRequestBody) -> HandlerResult {
    let held = ctx.tables.locks.lock(&body.consumer_group, &body.client_id, &queue_keys(&body.mq_set));
    let lock_ok_mq_set =
        held.into_iter().map(|(topic, broker_name, queue_id)| MessageQueue { topic, broker_name, queue_id }).collect();
    let resp = LockBatchResponseBody { lock_ok_mq_set };
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&resp).unwrap_or_default()))
}

/// UNLOCK_BATCH_MQ.
pub fn unlock_batch(ctx: &BrokerContext, body: LockBatchRequestBody) -> HandlerResult {
    ctx.tables.locks.unlock(&body.consumer_group, &body.client_id, &queue_keys(&body.mq_set));
    Ok(RemotingCommand::success())
}

/// CHECK_CLIENT_CONFIG: TAG subscriptions pass; SQL92 ones are SYSTEM_ERROR unless
/// enablePropertyFilter, then compiled: a bad expression is SUBSCRIPTION_PARSE_FAILED with the
/// parser's line, column and reason.
pub fn check_client_config(ctx: &BrokerContext, body: &CheckClientRequestBody) -> HandlerResult {
    let Some(sub) = &body.subscription_data else { return Ok(RemotingCommand::success()) };
    let t = Some(sub.expression_type.as_str());
    if is_tag_type(t) {
        return Ok(RemotingCommand::success());
    }
    if !ctx.config.consume.enable_property_filter {
        return Err(sql_disabled(&sub.expression_type));
    }
    if let Err(e) = SubscriptionFilter::compile(t, &sub.sub_string) {
        tracing::warn!(client = %body.client_id, group = %body.group, expression = %sub.sub_string, "subscription check failed: {e}");
        return Err(e);
    }
    Ok(RemotingCommand::success())
}
