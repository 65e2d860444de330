//! HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, LOCK/UNLOCK_BATCH_MQ,
//! CHECK_CLIENT_CONFIG, and the NOTIFY_CONSUMER_IDS_CHANGED fan-out.

use std::sync::Arc;

use rmq_remoting::body::{ConsumerListBody, HeartbeatData, LockBatchRequestBody, LockBatchResponseBody, MessageQueue};
use rmq_remoting::header::{ConsumerGroupRequestHeader, UnregisterClientRequestHeader};
use rmq_remoting::transport::RequestContext;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::clients::ClientIdentity;
use crate::error::{BrokerError, HandlerResult};
use crate::topics::{perm, system};
use crate::Broker;

fn json_body<T: serde::de::DeserializeOwned>(req: &RemotingCommand) -> Result<T, BrokerError> {
    rmq_remoting::body::decode(&req.body).map_err(|e| BrokerError::Body(e.to_string()))
}

/// HEART_BEAT: record producers and consumers, create groups and retry topics, notify groups
/// whose membership changed.
pub fn heartbeat(broker: &Arc<Broker>, ctx: &RequestContext, req: &RemotingCommand) -> HandlerResult {
    let data: HeartbeatData = json_body(req)?;
    let who = ClientIdentity {
        channel: &ctx.channel,
        client_id: &data.client_id,
        language: req.language,
        version: req.version,
    };
    for consumer in &data.consumer_data_set {
        let group = broker.groups.get_or_create(&consumer.group_name, broker.config.auto_create_subscription_group)?;
        if let Some(group_cfg) = &group {
            let retry = format!("{}{}", system::RETRY_PREFIX, consumer.group_name);
            if broker.config.is_master() {
                broker.topics.get_or_create_system(
                    &retry,
                    group_cfg.retry_queue_nums.max(1),
                    perm::READ | perm::WRITE,
                )?;
            }
        }
        let changed = broker.clients.register_consumer(consumer, &who);
        let notify = group.as_ref().is_none_or(|g| g.notify_consumer_ids_changed_enable);
        if changed && notify && broker.config.notify_consumer_ids_changed_enable {
            broker.notify_consumer_ids_changed(&consumer.group_name);
        }
    }
    for producer in &data.producer_data_set {
        broker.clients.register_producer(&producer.group_name, &who);
    }
    Ok(RemotingCommand::success())
}

/// UNREGISTER_CLIENT.
pub fn unregister_client(broker: &Arc<Broker>, ctx: &RequestContext, req: &RemotingCommand) -> HandlerResult {
    let h: UnregisterClientRequestHeader = req.header()?;
    if let Some(g) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
        broker.clients.unregister_producer(g, &ctx.channel);
    }
    if let Some(g) = h.consumer_group.as_deref().filter(|g| !g.is_empty()) {
        if broker.clients.unregister_consumer(g, &ctx.channel) {
            broker.notify_consumer_ids_changed(g);
        }
    }
    Ok(RemotingCommand::success())
}

/// GET_CONSUMER_LIST_BY_GROUP.
pub fn consumer_list(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let h: ConsumerGroupRequestHeader = req.header()?;
    match broker.clients.consumer_group(&h.consumer_group) {
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
pub fn lock_batch(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let body: LockBatchRequestBody = json_body(req)?;
    let held = broker.locks.lock(&body.consumer_group, &body.client_id, &queue_keys(&body.mq_set));
    let lock_ok_mq_set =
        held.into_iter().map(|(topic, broker_name, queue_id)| MessageQueue { topic, broker_name, queue_id }).collect();
    let resp = LockBatchResponseBody { lock_ok_mq_set };
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&resp).unwrap_or_default()))
}

/// UNLOCK_BATCH_MQ.
pub fn unlock_batch(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let body: LockBatchRequestBody = json_body(req)?;
    broker.locks.unlock(&body.consumer_group, &body.client_id, &queue_keys(&body.mq_set));
    Ok(RemotingCommand::success())
}

/// CHECK_CLIENT_CONFIG: only TAG subscriptions are supported.
pub fn check_client_config(req: &RemotingCommand) -> HandlerResult {
    let text = String::from_utf8_lossy(&req.body);
    if text.contains("\"SQL92\"") {
        return Err(BrokerError::Code(
            ResponseCode::SubscriptionParseFailed,
            "The broker does not support consumer to filter message by SQL92".into(),
        ));
    }
    Ok(RemotingCommand::success())
}

impl Broker {
    /// Tells every consumer of `group` that membership changed (one-way), so they rebalance.
    pub fn notify_consumer_ids_changed(&self, group: &str) {
        let Some(g) = self.clients.consumer_group(group) else { return };
        let header = ConsumerGroupRequestHeader { consumer_group: group.to_owned() };
        for member in g.channels.values() {
            let ch = member.channel.clone();
            let request = RemotingCommand::request_with_header(RequestCode::NotifyConsumerIdsChanged, &header);
            tokio::spawn(async move {
                if let Err(e) = ch.invoke_oneway(request).await {
                    tracing::debug!(peer = %ch.peer_addr(), cause = %e, "notify consumer ids changed failed");
                }
            });
        }
    }
}
