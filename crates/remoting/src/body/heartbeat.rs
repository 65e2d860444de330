//! HEART_BEAT body and the subscription data inside it.

use serde::{Deserialize, Serialize};

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
    /// `CONSUME_ACTIVELY` (pull) or `CONSUME_PASSIVELY` (push), `CONSUME_POP` (5.x).
    pub consume_type: String,
    /// `CLUSTERING` or `BROADCASTING`.
    pub message_model: String,
    /// Where a new group starts, e.g. `CONSUME_FROM_LAST_OFFSET`.
    pub consume_from_where: String,
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
    /// Java `String.hashCode()` of each tag. The Go client writes them as JSON strings
    /// (`["97"]`); fastjson accepts both, and so do we.
    #[serde(deserialize_with = "lenient_codes")]
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

/// GET_CONSUMER_LIST_BY_GROUP response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerListBody {
    /// Client ids of the group's consumers.
    pub consumer_id_list: Vec<String>,
}

/// Numbers or numeric strings (Go client) into `i32`s; anything else is an error.
fn lenient_codes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i32>, D::Error> {
    use serde::de::Error;
    let raw = Vec::<serde_json::Value>::deserialize(d)?;
    raw.into_iter()
        .map(|v| match &v {
            serde_json::Value::Number(n) => {
                n.as_i64().and_then(|x| i32::try_from(x).ok()).ok_or_else(|| D::Error::custom(format!("bad code {v}")))
            }
            serde_json::Value::String(s) => {
                s.trim().parse::<i32>().map_err(|_| D::Error::custom(format!("bad code {v}")))
            }
            _ => Err(D::Error::custom(format!("bad code {v}"))),
        })
        .collect()
}

#[cfg(test)]
mod lenient_tests {
    use super::*;

    #[test]
    fn go_client_string_codes_are_accepted() {
        let go = r#"{"topic":"T","subString":"a || b","tagsSet":["a","b"],"codeSet":["97","98"],"subVersion":1,"expressionType":"TAG"}"#;
        let s: SubscriptionData = serde_json::from_str(go).unwrap();
        assert_eq!(s.code_set, vec![97, 98]);
        let java = r#"{"topic":"T","codeSet":[97,98]}"#;
        assert_eq!(serde_json::from_str::<SubscriptionData>(java).unwrap().code_set, vec![97, 98]);
        assert!(serde_json::from_str::<SubscriptionData>(r#"{"codeSet":["x"]}"#).is_err());
    }
}
