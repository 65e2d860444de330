//! Server-side load balancing, as Apache RocketMQ 5.x's `QueryAssignmentProcessor`:
//! QUERY_ASSIGNMENT (400) tells a consumer that left rebalancing to the broker which queues it
//! reads and how (PULL or POP); SET_MESSAGE_REQUEST_MODE (401) switches a group between PULL
//! and POP on a topic; GET_ALL_MESSAGE_REQUEST_MODE (402) hands the table to slaves.

use std::collections::BTreeSet;

use rmq_common::topic::is_retry;
use rmq_remoting::body::{
    MessageModel, MessageQueue, MessageQueueAssignment, MessageRequestMode, QueryAssignmentRequestBody,
    QueryAssignmentResponseBody, SetMessageRequestModeRequestBody,
};
use rmq_remoting::{RemotingCommand, ResponseCode};

use super::allocate::{allocate_for_pop, Strategy};
use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::services::Services;

/// Light message queue topics (one queue each, `MixAll.LMQ_PREFIX`).
const LMQ_PREFIX: &str = "%LMQ%";
/// The queue id of a light message queue (`MixAll.LMQ_QUEUE_ID`).
const LMQ_QUEUE_ID: i32 = 0;

/// The group's mode on the topic: the one set, else the retry topic's PULL, else the defaults.
fn mode_of(ctx: &BrokerContext, topic: &str, group: &str) -> SetMessageRequestModeRequestBody {
    if let Some(set) = ctx.tables.request_modes.get(topic, group) {
        return set;
    }
    let cfg = &ctx.config;
    let mode = if is_retry(topic) { MessageRequestMode::Pull } else { cfg.default_request_mode().unwrap_or_default() };
    let share = if mode == MessageRequestMode::Pop { cfg.consume.default_pop_share_queue_num } else { 0 };
    SetMessageRequestModeRequestBody {
        topic: topic.to_owned(),
        consumer_group: group.to_owned(),
        mode,
        pop_share_queue_num: share,
    }
}

/// QUERY_ASSIGNMENT: always SUCCESS; no assignment list when the broker cannot tell (unknown
/// topic, no members, unknown strategy), so the client keeps what it has.
pub async fn query_assignment(
    ctx: &BrokerContext,
    services: &Services,
    b: QueryAssignmentRequestBody,
) -> HandlerResult {
    let mode = mode_of(ctx, &b.topic, &b.consumer_group);
    let queues = load_balance(ctx, services, &b, &mode).await;
    let assignments = queues.map(|qs| {
        qs.into_iter()
            .map(|message_queue| MessageQueueAssignment { message_queue, mode: mode.mode, attachments: None })
            .collect()
    });
    let body = QueryAssignmentResponseBody { message_queue_assignments: assignments };
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&body).unwrap_or_default()))
}

/// The queues of the asking client, `None` when it should keep its current ones.
async fn load_balance(
    ctx: &BrokerContext,
    services: &Services,
    b: &QueryAssignmentRequestBody,
    mode: &SetMessageRequestModeRequestBody,
) -> Option<BTreeSet<MessageQueue>> {
    let all = if b.topic.starts_with(LMQ_PREFIX) {
        let lmq = MessageQueue {
            topic: b.topic.clone(),
            broker_name: ctx.config.identity.broker_name.clone(),
            queue_id: LMQ_QUEUE_ID,
        };
        Some(BTreeSet::from([lmq]))
    } else {
        services.routes.subscribe_queues(&b.topic).await
    };
    let Some(all) = all else {
        if !is_retry(&b.topic) {
            tracing::warn!(group = %b.consumer_group, topic = %b.topic, "QueryLoad: no assignment, the topic does not exist");
        }
        return None;
    };
    if b.message_model == MessageModel::Broadcasting || !ctx.config.consume.server_load_balancer_enable {
        return Some(all);
    }
    let cids = ctx.tables.clients.consumer_group(&b.consumer_group)?.client_ids();
    let strategy = Strategy::from_name(&b.strategy_name);
    let Some(strategy) = strategy else {
        tracing::warn!(strategy = %b.strategy_name, "QueryLoad: unsupported strategy");
        return None;
    };
    let mqs: Vec<MessageQueue> = all.into_iter().collect();
    if cids.is_empty() || b.client_id.is_empty() {
        return None;
    }
    let mine = if mode.mode == MessageRequestMode::Pop {
        allocate_for_pop(strategy, &b.client_id, &mqs, &cids, mode.pop_share_queue_num)
    } else {
        strategy.allocate(&b.client_id, &mqs, &cids)
    };
    Some(mine.into_iter().collect())
}

/// SET_MESSAGE_REQUEST_MODE, with the official refusals (retry topic, unknown topic or group).
pub fn set_request_mode(ctx: &BrokerContext, b: SetMessageRequestModeRequestBody) -> HandlerResult {
    if is_retry(&b.topic) {
        return Err(BrokerError::NoPermission("retry topic is not allowed to set mode".into()));
    }
    if ctx.tables.topics.get(&b.topic).is_none() {
        return Err(BrokerError::Code(ResponseCode::TopicNotExist, format!("topic[{}] not exist", b.topic)));
    }
    if ctx.tables.groups.get(&b.consumer_group).is_none() {
        return Err(BrokerError::Code(
            ResponseCode::SubscriptionGroupNotExist,
            "subscription group does not exist".into(),
        ));
    }
    tracing::info!(topic = %b.topic, group = %b.consumer_group, mode = %b.mode, share = b.pop_share_queue_num, "message request mode set");
    ctx.tables.request_modes.set(b)?;
    Ok(RemotingCommand::success())
}

/// GET_ALL_MESSAGE_REQUEST_MODE: the whole table (messageRequestMode.json's content).
pub fn all_request_modes(ctx: &BrokerContext) -> HandlerResult {
    let table = ctx.tables.request_modes.wrapper();
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&table).unwrap_or_default()))
}
