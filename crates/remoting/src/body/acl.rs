//! ACL 1.0 bodies: one account as `PlainAccessConfig` and the whole file as `AclConfig`
//! (GET_BROKER_CLUSTER_ACL_CONFIG, 54).

use serde::{Deserialize, Serialize};

/// One plain_acl.yml account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PlainAccessConfig {
    /// AccessKey.
    pub access_key: String,
    /// SecretKey.
    pub secret_key: String,
    /// Address pattern whose requests need no signature.
    pub white_remote_address: String,
    /// Admin account.
    pub admin: bool,
    /// Permission on topics not listed.
    pub default_topic_perm: String,
    /// Permission on groups not listed.
    pub default_group_perm: String,
    /// `topic=PERM` entries.
    pub topic_perms: Vec<String>,
    /// `group=PERM` entries.
    pub group_perms: Vec<String>,
}

/// The whole ACL file: global whitelist and accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AclConfig {
    /// `globalWhiteRemoteAddresses`.
    pub global_white_addrs: Vec<String>,
    /// `accounts`.
    pub plain_access_configs: Vec<PlainAccessConfig>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_config_reads_java_json_leniently() {
        let json = br#"{"globalWhiteAddrs":["10.0.0.*"],"plainAccessConfigs":[{"accessKey":"user01","admin":"true","topicPerms":["t=PUB"]}]}"#;
        let c: AclConfig = crate::body::decode(json).unwrap();
        assert_eq!(c.global_white_addrs, ["10.0.0.*"]);
        assert!(c.plain_access_configs[0].admin);
        assert_eq!(c.plain_access_configs[0].topic_perms, ["t=PUB"]);
        let out = serde_json::to_string(&c).unwrap();
        assert!(out.contains("\"plainAccessConfigs\":[{\"accessKey\":\"user01\""), "{out}");
    }
}
