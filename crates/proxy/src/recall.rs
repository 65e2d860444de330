//! RecallMessage: a delay message taken back before its delivery time. A broker that knows
//! RECALL_MESSAGE (RocketMQ 5.3.1+, ours) answers a timer message's send with a recall handle
//! (`rmq_common::recall::RecallHandle`, base64url); SendMessage hands it to the SDK and a recall
//! with it is RECALL_MESSAGE to the master of the broker set it names, as the official proxy
//! does. For a broker that answers no handle the proxy makes its own, self-describing one
//! (topic, broker set, due time, message id, plain text); a recall with that sends the broker
//! set's master a delete marker due at the same time (`TIMER_DEL_UNIQKEY` = `topic+messageId`,
//! as RocketMQ's timer store reads it), and the broker's timer drops the message and the marker
//! when their tick comes.

use rmq_client::ClientInstance;
use rmq_common::property;
use rmq_common::recall::RecallHandle as BrokerHandle;
use rmq_remoting::header::{
    RecallMessageRequestHeader, RecallMessageResponseHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::fault;
use crate::pb::{self, Code};
use crate::status;

/// The version tag our recall handles start with.
const VERSION: &str = "v1";
/// RocketMQ's timer property marking a delete marker (the broker's timer reads the same name).
pub const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";

/// What a recall handle names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallHandle {
    /// Real topic.
    pub topic: String,
    /// Broker set the message was stored on.
    pub broker: String,
    /// Due time, ms.
    pub deliver_ms: i64,
    /// The SDK's message id (UNIQ_KEY).
    pub message_id: String,
}

impl RecallHandle {
    /// The handle's text (no spaces can occur in topic, broker name or message id).
    #[must_use]
    pub fn encode(&self) -> String {
        format!("{VERSION} {} {} {} {}", self.topic, self.broker, self.deliver_ms, self.message_id)
    }

    /// Reads a handle; `None` when it is not one of ours.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(' ');
        if parts.next()? != VERSION {
            return None;
        }
        let (topic, broker, ms, id) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || [topic, broker, id].iter().any(|s| s.is_empty()) {
            return None;
        }
        let deliver_ms = ms.parse().ok()?;
        Some(Self { topic: topic.to_owned(), broker: broker.to_owned(), deliver_ms, message_id: id.to_owned() })
    }
}

/// The recall handle of a sent message: set for a timer message only.
#[must_use]
pub fn handle_for(topic: &str, broker: &str, props: &[(String, String)], message_id: &str) -> String {
    let Some(deliver_ms) = property::get(props, property::TIMER_DELIVER_MS).and_then(|v| v.parse().ok()) else {
        return String::new();
    };
    RecallHandle { topic: topic.to_owned(), broker: broker.to_owned(), deliver_ms, message_id: message_id.to_owned() }
        .encode()
}

fn answer(s: pb::Status, message_id: &str) -> pb::RecallMessageResponse {
    pb::RecallMessageResponse { status: Some(s), message_id: message_id.to_owned() }
}

/// Checks the request against its handle; the handle, or why the recall is refused.
pub fn validate(req: &pb::RecallMessageRequest, now_ms: i64) -> Result<RecallHandle, pb::Status> {
    let topic = req.topic.as_ref().map(|t| t.name.as_str()).unwrap_or_default();
    if topic.is_empty() {
        return Err(status::status(Code::IllegalTopic, "no topic"));
    }
    let Some(h) = RecallHandle::parse(&req.recall_handle) else {
        return Err(status::status(Code::BadRequest, "malformed recall handle"));
    };
    if h.topic != topic {
        return Err(status::status(Code::BadRequest, "the recall handle names another topic"));
    }
    if h.deliver_ms <= now_ms {
        return Err(status::status(Code::IllegalDeliveryTime, "the message was already delivered"));
    }
    Ok(h)
}

/// Recalls the message the handle names.
pub async fn recall(cluster: &ClientInstance, req: &pb::RecallMessageRequest) -> pb::RecallMessageResponse {
    if let Ok(h) = BrokerHandle::decode(&req.recall_handle) {
        return recall_at_broker(cluster, req, &h).await;
    }
    let h = match validate(req, rmq_common::time::now_ms()) {
        Ok(h) => h,
        Err(s) => return answer(s, ""),
    };
    let Some(addr) = cluster.broker_addr(&h.broker, 0) else {
        return answer(status::status(Code::NotFound, format!("no master of {}", h.broker)), &h.message_id);
    };
    let timeout = cluster.config().api_timeout;
    match cluster.remoting().invoke(&addr, marker(&h), timeout).await {
        Ok(resp) if fault::broker_code(resp.response_code()) == Code::Ok => answer(status::ok(), &h.message_id),
        Ok(resp) => {
            let code = fault::broker_code(resp.response_code());
            answer(status::status(code, format!("recall failed: {}", resp.remark_str())), &h.message_id)
        }
        Err(e) => answer(status::status(Code::ProxyTimeout, format!("recall at {addr}: {e}")), &h.message_id),
    }
}

/// RECALL_MESSAGE to the master of the broker set a broker's handle names; the broker checks the
/// handle (topic, broker, due time) and answers the message id.
async fn recall_at_broker(
    cluster: &ClientInstance,
    req: &pb::RecallMessageRequest,
    h: &BrokerHandle,
) -> pb::RecallMessageResponse {
    let topic = req.topic.as_ref().map(|t| t.name.clone()).unwrap_or_default();
    if topic.is_empty() {
        return answer(status::status(Code::IllegalTopic, "no topic"), "");
    }
    let Some(addr) = cluster.broker_addr(&h.broker_name, 0) else {
        return answer(status::status(Code::NotFound, format!("no master of {}", h.broker_name)), &h.message_id);
    };
    let header = RecallMessageRequestHeader {
        producer_group: None,
        topic,
        recall_handle: req.recall_handle.clone(),
        broker_name: Some(h.broker_name.clone()),
    };
    let call = RemotingCommand::request_with_header(RequestCode::RecallMessage, &header);
    match cluster.remoting().invoke(&addr, call, cluster.config().api_timeout).await {
        Ok(resp) if resp.response_code() == ResponseCode::Success => {
            let id = resp.header::<RecallMessageResponseHeader>().map_or_else(|_| h.message_id.clone(), |r| r.msg_id);
            answer(status::ok(), &id)
        }
        Ok(resp) => {
            let code = fault::broker_code(resp.response_code());
            answer(status::status(code, format!("recall failed: {}", resp.remark_str())), &h.message_id)
        }
        Err(e) => answer(status::status(Code::ProxyTimeout, format!("recall at {addr}: {e}")), &h.message_id),
    }
}

/// The delete marker: a timer message due with the recalled one, naming it.
fn marker(h: &RecallHandle) -> RemotingCommand {
    let mut props = Vec::new();
    property::set(&mut props, property::TIMER_DELIVER_MS, &h.deliver_ms.to_string());
    property::set(&mut props, TIMER_DEL_UNIQKEY, &format!("{}+{}", h.topic, h.message_id));
    let header = SendMessageRequestHeader {
        producer_group: h.topic.clone(),
        topic: h.topic.clone(),
        default_topic: rmq_common::topic::AUTO_CREATE.to_owned(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: rmq_common::time::now_ms(),
        flag: 0,
        properties: Some(property::encode(&props)),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(false),
        broker_name: Some(h.broker.clone()),
    };
    RemotingCommand::request_with_header(RequestCode::SendMessageV2, &SendMessageRequestHeaderV2::from(header))
        .with_body(b"recall".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(topic: &str, handle: &str) -> pb::RecallMessageRequest {
        pb::RecallMessageRequest {
            topic: Some(pb::Resource { name: topic.into(), ..Default::default() }),
            recall_handle: handle.into(),
        }
    }

    #[test]
    fn handles_round_trip_and_are_checked() {
        let props = vec![(property::TIMER_DELIVER_MS.to_owned(), "5000".to_owned())];
        let text = handle_for("T", "broker-a", &props, "ID1");
        let h = RecallHandle::parse(&text).unwrap();
        assert_eq!(
            (h.topic.as_str(), h.broker.as_str(), h.deliver_ms, h.message_id.as_str()),
            ("T", "broker-a", 5000, "ID1")
        );
        assert_eq!(handle_for("T", "broker-a", &[], "ID1"), "", "no handle for a message without a due time");
        assert_eq!(validate(&req("T", &text), 4000).unwrap(), h);
        let code = |r: Result<RecallHandle, pb::Status>| r.unwrap_err().code;
        assert_eq!(code(validate(&req("T", &text), 5000)), Code::IllegalDeliveryTime as i32);
        assert_eq!(code(validate(&req("U", &text), 4000)), Code::BadRequest as i32);
        assert_eq!(code(validate(&req("T", "v1 T b x ID"), 0)), Code::BadRequest as i32);
        assert_eq!(code(validate(&req("T", "garbage"), 0)), Code::BadRequest as i32);
        assert_eq!(code(validate(&req("", &text), 0)), Code::IllegalTopic as i32);
    }
}
