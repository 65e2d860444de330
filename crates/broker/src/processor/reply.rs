//! SEND_REPLY_MESSAGE / SEND_REPLY_MESSAGE_V2: a replier's answer to a request, pushed to the
//! requesting client with PUSH_REPLY_MESSAGE_TO_CLIENT over that client's own connection and,
//! with `storeReplyMessageEnable`, also stored on the reply topic.
//!
//! As RocketMQ's `ReplyMessageProcessor`: the replier is answered with the push's outcome
//! (SYSTEM_ERROR naming the reason when the requester is unknown here, gone, or refused the
//! reply); a stored reply's message id and offset are filled in either way.

use std::time::Duration;

use bytes::Bytes;
use rmq_common::property;
use rmq_remoting::header::{ReplyMessageRequestHeader, SendMessageRequestHeader, SendMessageResponseHeader};
use rmq_remoting::transport::RequestContext;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_store::StoreMessage;

use super::send::{check, check_size};
use crate::context::BrokerContext;
use crate::error::HandlerResult;
use crate::services::stored;

/// How long the requester has to acknowledge a pushed reply (RocketMQ's `callClient`).
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the push reached the requester, and if not, why (the replier's remark).
type PushOutcome = Result<(), String>;

/// SEND_REPLY_MESSAGE(_V2).
pub async fn send_reply(
    ctx: &BrokerContext,
    rctx: &RequestContext,
    h: SendMessageRequestHeader,
    body: Bytes,
) -> HandlerResult {
    let (_topic, queue_id) = check(ctx, &h)?;
    check_size(ctx, body.len(), h.properties.as_deref().unwrap_or_default())?;
    let msg = StoreMessage {
        topic: h.topic.clone(),
        queue_id,
        flag: h.flag,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: rctx.channel.peer_addr(),
        reconsume_times: h.reconsume_times.unwrap_or(0),
        properties: property::decode(h.properties.as_deref().unwrap_or_default()),
        body,
        ..StoreMessage::default()
    };
    let pushed = push_reply(ctx, rctx, &h, &msg).await;
    let mut header = SendMessageResponseHeader {
        msg_id: "0".to_owned(),
        queue_id,
        queue_offset: 0,
        msg_region: Some(ctx.config.identity.region_id.clone()),
        trace_on: Some(ctx.live.get().send.trace_on.to_string()),
        ..SendMessageResponseHeader::default()
    };
    if ctx.config.send.store_reply_message_enable {
        let result = ctx.store.put_message(msg).await;
        if stored(result.status) {
            header.msg_id = result.msg_ids.join(",");
            header.queue_offset = result.queue_offset;
        } else {
            tracing::warn!(topic = %h.topic, status = ?result.status, remark = %result.remark, "storing a reply failed");
        }
    }
    let response = match pushed {
        Ok(()) => RemotingCommand::response(ResponseCode::Success, None),
        Err(remark) => RemotingCommand::error(ResponseCode::SystemError, remark),
    };
    Ok(response.with_header(&header))
}

/// Pushes the reply to the client its REPLY_TO_CLIENT names, over that client's connection.
async fn push_reply(
    ctx: &BrokerContext,
    rctx: &RequestContext,
    h: &SendMessageRequestHeader,
    msg: &StoreMessage,
) -> PushOutcome {
    let Some(requester) = property::get(&msg.properties, property::REPLY_TO_CLIENT) else {
        let remark = format!("reply message properties[{}] is null", property::REPLY_TO_CLIENT);
        tracing::warn!(from = %rctx.channel.peer_addr(), "{} is null, can not reply message", property::REPLY_TO_CLIENT);
        return Err(remark);
    };
    if property::get(&msg.properties, property::CORRELATION_ID).is_none() {
        // RocketMQ pushes it all the same; the requester drops a reply it cannot match.
        tracing::warn!(%requester, from = %rctx.channel.peer_addr(), "reply message without CORRELATION_ID");
    }
    let Some(client) = ctx.tables.clients.find_producer_channel(requester) else {
        let remark = format!("push reply message fail, channel of <{requester}> not found.");
        tracing::warn!(from = %rctx.channel.peer_addr(), "{remark}");
        return Err(remark);
    };
    let mut properties = msg.properties.clone();
    property::set(&mut properties, property::PUSH_REPLY_TIME, &crate::now_ms().to_string());
    let header = ReplyMessageRequestHeader {
        producer_group: h.producer_group.clone(),
        topic: h.topic.clone(),
        default_topic: h.default_topic.clone(),
        default_topic_queue_nums: h.default_topic_queue_nums,
        queue_id: h.queue_id,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        flag: h.flag,
        properties: Some(property::encode(&properties)),
        reconsume_times: h.reconsume_times,
        unit_mode: Some(h.unit_mode.unwrap_or(false)),
        born_host: msg.born_host.to_string(),
        store_host: ctx.config.broker_addr(),
        store_timestamp: crate::now_ms(),
    };
    let push = RemotingCommand::request_with_header(RequestCode::PushReplyMessageToClient, &header)
        .with_body(msg.body.to_vec());
    let fail = format!("push reply message to {requester}fail.");
    match client.channel.invoke(push, PUSH_TIMEOUT).await {
        Ok(resp) if resp.response_code() == ResponseCode::Success => Ok(()),
        Ok(resp) => {
            let remark = resp.remark.unwrap_or_default();
            tracing::warn!(%requester, code = resp.code, %remark, "push reply message returned fail");
            Err(fail)
        }
        Err(e) => {
            tracing::warn!(%requester, peer = %client.channel.peer_addr(), cause = %e, "push reply message failed");
            Err(fail)
        }
    }
}
