//! HEART_BEAT body and the subscription data inside it.

use serde::{Deserialize, Serialize};

use super::{ConsumeFromWhere, ConsumeType, MessageModel};

/// A client's heartbeat: its id and the producer and consumer groups it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeartbeatData {
    /// `ip@instance`.
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// Producer groups of this client.
    pub producer_data_set: Vec<ProducerData>,
    /// Consumer groups of this client.
    pub consumer_data_set: Vec<ConsumerData>,
}

/// One producer group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerData {
    /// Group name.
    pub group_name: String,
}

/// One consumer group with its subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerData {
    /// Group name.
    pub group_name: String,
    /// Pull (`CONSUME_ACTIVELY`), push (`CONSUME_PASSIVELY`) or POP (5.x).
    pub consume_type: ConsumeType,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// Where a new group starts.
    pub consume_from_where: ConsumeFromWhere,
    /// Subscriptions, one per topic.
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode.
    pub unit_mode: bool,
}

/// A subscription: topic and tag expression, with the tags' Java hash codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionData {
    /// Class filter mode (unused).
    pub class_filter_mode: bool,
    /// Topic.
    pub topic: String,
    /// The expression text, `*` for all.
    pub sub_string: String,
    /// Tags of the expression.
    pub tags_set: Vec<String>,
    /// Java `String.hashCode()` of each tag (the Go client writes them as JSON strings,
    /// `["97"]`, which the lenient layer reads as numbers).
    pub code_set: Vec<i32>,
    /// Version (a timestamp); a pull with a newer one than the heartbeat's is refused.
    pub sub_version: i64,
    /// `TAG` or `SQL92`.
    pub expression_type: String,
}

impl SubscriptionData {
    /// Whether the expression accepts every tag.
    #[must_use]
    pub fn is_all(&self) -> bool {
        let s = self.sub_string.trim();
        s.is_empty() || s == "*"
    }
}

/// CHECK_CLIENT_CONFIG request body: a consumer asks whether the broker can serve a
/// subscription (the Java client sends it at start for SQL92 selectors).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckClientRequestBody {
    /// Client id.
    pub client_id: String,
    /// Consumer group.
    pub group: String,
    /// The subscription to check.
    pub subscription_data: Option<SubscriptionData>,
}

/// GET_CONSUMER_LIST_BY_GROUP response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerListBody {
    /// Client ids of the group's consumers.
    pub consumer_id_list: Vec<String>,
}
