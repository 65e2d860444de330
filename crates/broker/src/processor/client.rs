//! HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, LOCK/UNLOCK_BATCH_MQ and
//! CHECK_CLIENT_CONFIG.

use rmq_remoting::body::{ConsumerListBody, HeartbeatData, LockBatchRequestBody, LockBatchResponseBody, MessageQueue};
use rmq_remoting::header::{ConsumerGroupRequestHeader, UnregisterClientRequestHeader};
use rmq_remoting::transport::{Channel, RequestContext};
use rmq_remoting::{LanguageCode, RemotingCommand, ResponseCode};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::state::clients::ClientIdentity;
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

/// HEART_BEAT: record producers and consumers, create groups and retry topics, notify groups
/// whose membership changed.
pub fn heartbeat(ctx: &BrokerContext, caller: &Caller<'_>, data: HeartbeatData) -> HandlerResult {
    let who = ClientIdentity {
        channel: caller.channel,
        client_id: &data.client_id,
        language: caller.language,
        version: caller.version,
    };
    let (cfg, tables) = (ctx.live.get(), &ctx.tables);
    for consumer in &data.consumer_data_set {
        let group = tables.groups.get_or_create(&consumer.group_name, cfg.topics.auto_create_subscription_group)?;
        if let Some(group_cfg) = &group {
            let retry = system::retry_topic(&consumer.group_name);
            if cfg.is_master() {
                tables.topics.get_or_create_system(
                    &retry,
                    group_cfg.retry_queue_nums.max(1),
                    perm::READ | perm::WRITE,
                )?;
            }
        }
        let changed = tables.clients.register_consumer(consumer, &who);
        let notify = group.as_ref().is_none_or(|g| g.notify_consumer_ids_changed_enable);
        if changed && notify && cfg.topics.notify_consumer_ids_changed_enable {
            tables.clients.notify_consumer_ids_changed(&consumer.group_name);
        }
    }
    for producer in &data.producer_data_set {
        tables.clients.register_producer(&producer.group_name, &who);
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

/// CHECK_CLIENT_CONFIG: only TAG subscriptions are supported.
pub fn check_client_config(body: &[u8]) -> HandlerResult {
    let text = String::from_utf8_lossy(body);
    if text.contains("\"SQL92\"") {
        return Err(BrokerError::Code(
            ResponseCode::SubscriptionParseFailed,
            "The broker does not support consumer to filter message by SQL92".into(),
        ));
    }
    Ok(RemotingCommand::success())
}
