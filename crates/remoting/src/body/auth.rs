//! ACL 2.0 bodies (RocketMQ 5.3+ `UserInfo`, `AclInfo`): what AUTH_* requests carry and
//! answer. Enum-like fields stay text here (`Super`, `enable`, `Allow`, `Pub`, ...): the
//! broker reads them case-insensitively, as RocketMQ's `getByName` does. Null fields are left
//! out, as fastjson writes them.

use serde::{Deserialize, Serialize};

/// A user (AUTH_CREATE_USER / AUTH_UPDATE_USER body, AUTH_GET_USER answer, AUTH_LIST_USER
/// answer items).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserInfo {
    /// Name (the AccessKey a client signs with).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password (the SecretKey).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `Super` or `Normal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// `enable` or `disable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_status: Option<String>,
}

/// A subject's policies (AUTH_CREATE_ACL / AUTH_UPDATE_ACL body, AUTH_GET_ACL answer,
/// AUTH_LIST_ACL answer items).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AclInfo {
    /// `User:name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Policies by type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<PolicyInfo>>,
}

/// One policy: its type and entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyInfo {
    /// `Custom` (absent = Custom) or `Default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<String>,
    /// Entries, one per resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<PolicyEntryInfo>>,
}

/// One entry: a resource, the actions, where from, allowed or denied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyEntryInfo {
    /// `Topic:t`, `Group:g*`, `Cluster:c`, `Topic:*` or `*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// `Pub`, `Sub`, `Create`, `Update`, `Delete`, `Get`, `List`, `All`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
    /// Addresses or CIDR blocks the entry applies to (absent = everywhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ips: Option<Vec<String>>,
    /// `Allow` or `Deny`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_bodies_read_and_nulls_are_left_out() {
        let json = br#"{"subject":"User:u1","policies":[{"entries":[{"actions":["Pub","Sub"],
            "decision":"Allow","resource":"Topic:t*","sourceIps":["10.0.0.0/8"]}]}]}"#;
        let acl: AclInfo = crate::body::decode(json).unwrap();
        let policies = acl.policies.clone().unwrap();
        let entry = &policies[0].entries.as_ref().unwrap()[0];
        assert_eq!(entry.resource.as_deref(), Some("Topic:t*"));
        assert_eq!(policies[0].policy_type, None);
        let user = UserInfo { username: Some("u".into()), password: Some("p".into()), ..UserInfo::default() };
        assert_eq!(serde_json::to_string(&user).unwrap(), r#"{"username":"u","password":"p"}"#);
    }
}
