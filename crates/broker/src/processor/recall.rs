//! RECALL_MESSAGE (370, RocketMQ 5.3.1+): takes back a timer message before it is due. The
//! request names the message by the `recallHandle` its send answered; the broker checks it as
//! the official broker does and stores a delete marker (`TIMER_DEL_UNIQKEY`) due at the same
//! time, which the timer drops together with the message when their tick comes.

use rmq_common::message::StoreMessage;
use rmq_common::property;
use rmq_common::recall::RecallHandle;
use rmq_remoting::header::{RecallMessageRequestHeader, RecallMessageResponseHeader};
use rmq_remoting::transport::RequestContext;
use rmq_remoting::{RemotingCommand, ResponseCode};

use super::prepare::prepare;
use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::services::timer::TIMER_DEL_UNIQKEY;
use crate::services::{stored, Services};
use crate::state::topics::perm;

/// The tag of a delete marker (as RocketMQ).
const RECALL_TAG: &str = "_RECALL_TAG_";

fn refused(code: ResponseCode, remark: &str) -> BrokerError {
    BrokerError::Code(code, remark.to_owned())
}

/// The handle of the request, checked against this broker (the official broker's checks, in
/// its order).
fn checked_handle(ctx: &BrokerContext, h: &RecallMessageRequestHeader) -> Result<RecallHandle, BrokerError> {
    let cfg = ctx.live.get();
    if !cfg.send.recall_message_enable {
        return Err(refused(ResponseCode::NoPermission, "recall failed, operation is forbidden"));
    }
    if !cfg.is_master() {
        return Err(refused(ResponseCode::SlaveNotAvailable, "recall failed, broker service not available"));
    }
    if !perm::writable(cfg.topics.broker_permission) && !cfg.send.allow_recall_when_broker_not_writeable {
        return Err(refused(ResponseCode::ServiceNotAvailable, "recall failed, broker service not available"));
    }
    if ctx.topic(&h.topic).is_none() {
        let remark = format!("recall failed, the topic[{}] not exist", h.topic);
        return Err(BrokerError::Code(ResponseCode::TopicNotExist, remark));
    }
    let handle = RecallHandle::decode(&h.recall_handle)
        .map_err(|e| BrokerError::Code(ResponseCode::IllegalOperation, e.to_string()))?;
    if handle.topic != h.topic {
        return Err(refused(ResponseCode::IllegalOperation, "recall failed, topic not match"));
    }
    if handle.broker_name != cfg.identity.broker_name {
        return Err(refused(ResponseCode::IllegalOperation, "recall failed, broker service not available"));
    }
    let left = handle.due_ms() - crate::now_ms();
    let max_ms = i64::try_from(cfg.delay.timer_max_delay_sec).unwrap_or(i64::MAX / 1000).saturating_mul(1000);
    if left <= 0 || left >= max_ms {
        return Err(refused(ResponseCode::IllegalOperation, "recall failed, timestamp invalid"));
    }
    Ok(handle)
}

/// The delete marker of `handle`: on the message's topic, due when the message is (so both land
/// in the same timer tick), keyed `topic+uniqKey`.
fn marker(h: &RecallMessageRequestHeader, handle: &RecallHandle, rctx: &RequestContext) -> StoreMessage {
    let mut props = vec![
        (property::TAGS.to_owned(), RECALL_TAG.to_owned()),
        (TIMER_DEL_UNIQKEY.to_owned(), format!("{}+{}", handle.topic, handle.message_id)),
        (property::UNIQ_KEY.to_owned(), handle.message_id.clone()),
        (property::TIMER_DELIVER_MS.to_owned(), handle.due_ms().to_string()),
    ];
    if let Some(group) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
        props.push((property::PGROUP.to_owned(), group.to_owned()));
    }
    StoreMessage {
        topic: handle.topic.clone(),
        queue_id: 0,
        born_timestamp: crate::now_ms(),
        born_host: rctx.channel.peer_addr(),
        body: bytes::Bytes::from_static(b"0"),
        properties: props,
        ..StoreMessage::default()
    }
}

/// RECALL_MESSAGE.
pub async fn recall(
    ctx: &BrokerContext,
    services: &Services,
    rctx: &RequestContext,
    h: RecallMessageRequestHeader,
) -> HandlerResult {
    let region = ctx.config.identity.region_id.clone();
    let handle = checked_handle(ctx, &h)?;
    let m = prepare(ctx, services, marker(&h, &handle, rctx))?;
    let result = ctx.store.put_message(m).await;
    if !stored(result.status) {
        return Err(refused(ResponseCode::SystemError, "recall failed, execute error"));
    }
    tracing::info!(topic = %handle.topic, msg_id = %handle.message_id, "timer message recalled");
    let header = RecallMessageResponseHeader { msg_id: handle.message_id };
    Ok(RemotingCommand::success().with_header(&header).with_ext(property::MSG_REGION, region))
}
