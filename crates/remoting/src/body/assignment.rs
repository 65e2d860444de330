//! Server-side load balancing bodies (Apache RocketMQ 5.x): QUERY_ASSIGNMENT (400) request and
//! answer, SET_MESSAGE_REQUEST_MODE (401) request, and the broker's whole mode table
//! (GET_ALL_MESSAGE_REQUEST_MODE (402), messageRequestMode.json).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{MessageModel, MessageQueue, MessageRequestMode};

/// A group's mode on one topic (`SetMessageRequestModeRequestBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetMessageRequestModeRequestBody {
    /// Topic.
    pub topic: String,
    /// Consumer group.
    pub consumer_group: String,
    /// PULL or POP.
    pub mode: MessageRequestMode,
    /// POP: how many following consumers' queues each consumer also pops (0: all queues).
    pub pop_share_queue_num: i32,
}

/// QUERY_ASSIGNMENT request body (`QueryAssignmentRequestBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryAssignmentRequestBody {
    /// Topic (the group's retry topic too).
    pub topic: String,
    /// Consumer group.
    pub consumer_group: String,
    /// The asking client.
    pub client_id: String,
    /// Allocation strategy name (`AVG`, `AVG_BY_CIRCLE`).
    pub strategy_name: String,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
}

/// One assigned queue and how to read it (`MessageQueueAssignment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueueAssignment {
    /// The queue (queue id -1: every queue of that broker, POP).
    pub message_queue: MessageQueue,
    /// PULL or POP.
    pub mode: MessageRequestMode,
    /// Extra attributes (unused, absent when null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<HashMap<String, String>>,
}

/// QUERY_ASSIGNMENT answer body (`QueryAssignmentResponseBody`); `None` (absent) tells the
/// client to keep its current assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryAssignmentResponseBody {
    /// The client's queues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_queue_assignments: Option<Vec<MessageQueueAssignment>>,
}

/// The broker's mode table, topic → group → mode (`MessageRequestModeSerializeWrapper`, also
/// the content of messageRequestMode.json).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageRequestModeSerializeWrapper {
    /// Modes by topic, then group.
    pub message_request_mode_map: BTreeMap<String, BTreeMap<String, SetMessageRequestModeRequestBody>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_java_bodies_leniently() {
        let b: SetMessageRequestModeRequestBody =
            crate::body::decode(br#"{"consumerGroup":"g","mode":1,"popShareQueueNum":"2","topic":"t"}"#).unwrap();
        assert_eq!((b.mode, b.pop_share_queue_num), (MessageRequestMode::Pop, 2));
        let q: QueryAssignmentRequestBody = crate::body::decode(
            br#"{"clientId":"c","consumerGroup":"g","messageModel":"CLUSTERING","strategyName":"AVG","topic":"t"}"#,
        )
        .unwrap();
        assert_eq!((q.strategy_name.as_str(), q.message_model), ("AVG", MessageModel::Clustering));
    }

    #[test]
    fn writes_assignments_as_fastjson_does() {
        let mq = MessageQueue { topic: "t".into(), broker_name: "b".into(), queue_id: -1 };
        let a = MessageQueueAssignment { message_queue: mq, mode: MessageRequestMode::Pop, attachments: None };
        let body = QueryAssignmentResponseBody { message_queue_assignments: Some(vec![a]) };
        let text = serde_json::to_string(&body).unwrap();
        assert_eq!(
            text,
            r#"{"messageQueueAssignments":[{"messageQueue":{"topic":"t","brokerName":"b","queueId":-1},"mode":"POP"}]}"#
        );
        let none = serde_json::to_string(&QueryAssignmentResponseBody::default()).unwrap();
        assert_eq!(none, "{}");
    }
}
