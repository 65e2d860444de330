//! ACL 1.0 admin headers (RocketMQ 4.9.x / 5.x `plain_acl.yml` management).

use crate::command_header;

command_header! {
    /// UPDATE_AND_CREATE_ACL_CONFIG (50): one account, created or updated field by field.
    pub struct CreateAccessConfigRequestHeader {
        /// The account's AccessKey.
        pub access_key: String = "accessKey",
        /// SecretKey (kept when absent on an existing account).
        pub secret_key: Option<String> = "secretKey",
        /// Address pattern whose requests need no signature.
        pub white_remote_address: Option<String> = "whiteRemoteAddress",
        /// Admin account.
        pub admin: Option<bool> = "admin",
        /// `PUB`, `SUB`, `PUB|SUB` or `DENY` on topics not listed.
        pub default_topic_perm: Option<String> = "defaultTopicPerm",
        /// The same on groups not listed.
        pub default_group_perm: Option<String> = "defaultGroupPerm",
        /// `topicA=PUB,topicB=SUB|PUB` (replaces the list when present).
        pub topic_perms: Option<String> = "topicPerms",
        /// `groupA=SUB,...` (replaces the list when present).
        pub group_perms: Option<String> = "groupPerms",
    }
}

command_header! {
    /// DELETE_ACL_CONFIG (51).
    pub struct DeleteAccessConfigRequestHeader {
        /// The account to remove.
        pub access_key: String = "accessKey",
    }
}

command_header! {
    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): replaces `globalWhiteRemoteAddresses`.
    pub struct UpdateGlobalWhiteAddrsConfigRequestHeader {
        /// Comma-separated address patterns (empty: none).
        pub global_white_addrs: String = "globalWhiteAddrs",
        /// Which ACL file (RocketMQ 4.9.7+); only the broker's own file is accepted.
        pub acl_file_full_path: Option<String> = "aclFileFullPath",
    }
}

command_header! {
    /// GET_BROKER_CLUSTER_ACL_INFO (52) response: the ACL file's version and the broker.
    pub struct GetBrokerAclConfigResponseHeader {
        /// `DataVersion` JSON of the file.
        pub version: String = "version",
        /// `{"<file path>": DataVersion}` JSON (4.9.7+ multi-file layout).
        pub all_acl_file_version: Option<String> = "allAclFileVersion",
        /// Broker name.
        pub broker_name: String = "brokerName",
        /// Broker address.
        pub broker_addr: String = "brokerAddr",
        /// Cluster name.
        pub cluster_name: String = "clusterName",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::CommandHeader;
    use crate::ExtFields;

    #[test]
    fn create_header_reads_what_the_java_admin_writes() {
        let mut ext = ExtFields::default();
        ext.insert("accessKey".into(), "user01".into());
        ext.insert("secretKey".into(), "secret01".into());
        ext.insert("admin".into(), "false".into());
        ext.insert("topicPerms".into(), "t1=PUB,t2=SUB".into());
        let h = CreateAccessConfigRequestHeader::read(&ext).unwrap();
        assert_eq!(h.access_key, "user01");
        assert_eq!(h.admin, Some(false));
        assert_eq!(h.topic_perms.as_deref(), Some("t1=PUB,t2=SUB"));
        assert_eq!(h.group_perms, None);
        assert!(DeleteAccessConfigRequestHeader::read(&ExtFields::default()).is_err());
    }
}
