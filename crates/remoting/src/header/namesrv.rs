//! Name server headers: broker registration, routes, KV config.

use crate::command_header;

command_header! {
    /// REGISTER_BROKER (103).
    pub struct RegisterBrokerRequestHeader {
        /// Broker set name.
        pub broker_name: String = "brokerName",
        /// `ip:listenPort`.
        pub broker_addr: String = "brokerAddr",
        /// Cluster name.
        pub cluster_name: String = "clusterName",
        /// `ip:haListenPort`.
        pub ha_server_addr: String = "haServerAddr",
        /// 0 = master, > 0 slave.
        pub broker_id: i64 = "brokerId",
        /// 5.x: liveness timeout for this broker.
        pub heartbeat_timeout_millis: Option<i64> = "heartbeatTimeoutMillis",
        /// 5.x acting master.
        pub enable_acting_master: Option<bool> = "enableActingMaster",
        /// Body is the compressed form.
        pub compressed: Option<bool> = "compressed",
        /// CRC32 of the body & 0x7FFFFFFF (0 = unchecked).
        pub body_crc32: Option<i32> = "bodyCrc32",
    }
}

command_header! {
    /// REGISTER_BROKER response.
    pub struct RegisterBrokerResponseHeader {
        /// The master's HA address (answer to a slave).
        pub ha_server_addr: Option<String> = "haServerAddr",
        /// The master's address (answer to a slave).
        pub master_addr: Option<String> = "masterAddr",
    }
}

command_header! {
    /// UNREGISTER_BROKER (104), and QUERY_DATA_VERSION (322) which has the same fields.
    pub struct UnregisterBrokerRequestHeader {
        /// Broker set name.
        pub broker_name: String = "brokerName",
        /// `ip:port`.
        pub broker_addr: String = "brokerAddr",
        /// Cluster name.
        pub cluster_name: String = "clusterName",
        /// Broker id.
        pub broker_id: i64 = "brokerId",
    }
}

command_header! {
    /// QUERY_DATA_VERSION response.
    pub struct QueryDataVersionResponseHeader {
        /// Whether the name server's data version differs.
        pub changed: bool = "changed",
    }
}

command_header! {
    /// GET_ROUTEINFO_BY_TOPIC (105).
    pub struct GetRouteInfoRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Ask for standard JSON even from an old version.
        pub accept_standard_json_only: Option<bool> = "acceptStandardJsonOnly",
    }
}

command_header! {
    /// DELETE_TOPIC_IN_NAMESRV (216).
    pub struct DeleteTopicFromNamesrvRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Only from this cluster.
        pub cluster_name: Option<String> = "clusterName",
    }
}

command_header! {
    /// GET_TOPICS_BY_CLUSTER (224).
    pub struct GetTopicsByClusterRequestHeader {
        /// Cluster name.
        pub cluster: String = "cluster",
    }
}

command_header! {
    /// PUT_KV_CONFIG (100).
    pub struct PutKvConfigRequestHeader {
        /// Namespace, e.g. `ORDER_TOPIC_CONFIG`.
        pub namespace: String = "namespace",
        /// Key.
        pub key: String = "key",
        /// Value.
        pub value: String = "value",
    }
}

command_header! {
    /// GET_KV_CONFIG (101) and DELETE_KV_CONFIG (102).
    pub struct KvConfigKeyRequestHeader {
        /// Namespace.
        pub namespace: String = "namespace",
        /// Key.
        pub key: String = "key",
    }
}

command_header! {
    /// GET_KV_CONFIG response.
    pub struct GetKvConfigResponseHeader {
        /// Value, absent when not found.
        pub value: Option<String> = "value",
    }
}

command_header! {
    /// GET_KVLIST_BY_NAMESPACE (219).
    pub struct GetKvListByNamespaceRequestHeader {
        /// Namespace.
        pub namespace: String = "namespace",
    }
}

command_header! {
    /// WIPE_WRITE_PERM_OF_BROKER (205) and ADD_WRITE_PERM_OF_BROKER (327).
    pub struct BrokerNameRequestHeader {
        /// Broker set name.
        pub broker_name: String = "brokerName",
    }
}

command_header! {
    /// WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER response.
    pub struct WritePermResponseHeader {
        /// Number of topics changed (`wipeTopicCount` / `addTopicCount`).
        pub wipe_topic_count: Option<i32> = "wipeTopicCount",
        /// Number of topics changed by ADD_WRITE_PERM.
        pub add_topic_count: Option<i32> = "addTopicCount",
    }
}
