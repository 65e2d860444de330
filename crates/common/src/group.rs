//! Names of the consumer and producer groups the protocol reserves (`MixAll`).

/// Admin tools' consumer group (raw pulls, offset queries).
pub const TOOLS_CONSUMER: &str = "TOOLS_CONSUMER";
/// Filter server consumer group.
pub const FILTERSRV_CONSUMER: &str = "FILTERSRV_CONSUMER";
/// Monitor consumer group.
pub const MONITOR_CONSUMER: &str = "__MONITOR_CONSUMER";
/// The client's inner producer group (send-back, traces).
pub const CLIENT_INNER_PRODUCER: &str = "CLIENT_INNER_PRODUCER";
/// Self test producer group.
pub const SELF_TEST_PRODUCER: &str = "SELF_TEST_P_GROUP";
/// Self test consumer group.
pub const SELF_TEST_CONSUMER: &str = "SELF_TEST_C_GROUP";
/// ONS HTTP proxy group.
pub const ONS_HTTP_PROXY: &str = "CID_ONS-HTTP-PROXY";
/// ONS API permission group.
pub const ONSAPI_PERMISSION: &str = "CID_ONSAPI_PERMISSION";
/// ONS API owner group.
pub const ONSAPI_OWNER: &str = "CID_ONSAPI_OWNER";
/// ONS API pull group.
pub const ONSAPI_PULL: &str = "CID_ONSAPI_PULL";
/// The broker's transaction checker (its progress is kept as this group's offsets).
pub const TRANS_CHECK: &str = "CID_RMQ_SYS_TRANS";
/// A consumer's group when none is configured.
pub const DEFAULT_CONSUMER: &str = "DEFAULT_CONSUMER";
/// A producer's group when none is configured.
pub const DEFAULT_PRODUCER: &str = "DEFAULT_PRODUCER";

/// Groups a broker creates for itself.
pub const SYSTEM: &[&str] = &[
    TOOLS_CONSUMER,
    FILTERSRV_CONSUMER,
    MONITOR_CONSUMER,
    CLIENT_INNER_PRODUCER,
    SELF_TEST_PRODUCER,
    SELF_TEST_CONSUMER,
    ONS_HTTP_PROXY,
    ONSAPI_PERMISSION,
    ONSAPI_OWNER,
    ONSAPI_PULL,
    TRANS_CHECK,
];
