//! Offset queries and updates.

use crate::command_header;

command_header! {
    /// QUERY_CONSUMER_OFFSET (14).
    pub struct QueryConsumerOffsetRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// 5.x: answer 0 instead of QUERY_NOT_FOUND.
        pub set_zero_if_not_found: Option<bool> = "setZeroIfNotFound",
    }
}

command_header! {
    /// UPDATE_CONSUMER_OFFSET (15).
    pub struct UpdateConsumerOffsetRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Offset to store.
        pub commit_offset: i64 = "commitOffset",
    }
}

command_header! {
    /// Response carrying one `offset` (QUERY_CONSUMER_OFFSET, GET_MAX/MIN_OFFSET, SEARCH_OFFSET).
    pub struct OffsetResponseHeader {
        /// The offset.
        pub offset: i64 = "offset",
    }
}

command_header! {
    /// GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32).
    pub struct TopicQueueRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// 5.x GET_MAX_OFFSET: committed offsets only (default true).
        pub committed: Option<bool> = "committed",
    }
}

command_header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29).
    pub struct SearchOffsetRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Store timestamp, ms.
        pub timestamp: i64 = "timestamp",
        /// 5.x: `upper` or `lower` boundary.
        pub boundary_type: Option<String> = "boundaryType",
    }
}

command_header! {
    /// GET_EARLIEST_MSG_STORETIME response.
    pub struct EarliestMsgStoretimeResponseHeader {
        /// Store timestamp, ms.
        pub timestamp: i64 = "timestamp",
    }
}

command_header! {
    /// RESET_CONSUMER_CLIENT_OFFSET (220) and INVOKE_BROKER_TO_RESET_OFFSET (222).
    pub struct ResetOffsetRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Consumer group.
        pub group: String = "group",
        /// Target store timestamp, ms.
        pub timestamp: i64 = "timestamp",
        /// Reset even forward (the key is literally `isForce`).
        pub is_force: bool = "isForce",
    }
}

command_header! {
    /// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) and GET_CONSUMER_STATUS_FROM_CLIENT (221).
    pub struct GetConsumerStatusRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Consumer group.
        pub group: String = "group",
        /// Client address filter.
        pub client_addr: Option<String> = "clientAddr",
    }
}

command_header! {
    /// CLONE_GROUP_OFFSET (314).
    pub struct CloneGroupOffsetRequestHeader {
        /// Source group.
        pub src_group: String = "srcGroup",
        /// Destination group.
        pub dest_group: String = "destGroup",
        /// Topic (optional: all topics of the source group).
        pub topic: Option<String> = "topic",
        /// Offline clone.
        pub offline: bool = "offline",
    }
}

command_header! {
    /// QUERY_CONSUME_QUEUE (321).
    pub struct QueryConsumeQueueRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// First logical offset.
        pub index: i64 = "index",
        /// Number of units.
        pub count: i32 = "count",
        /// Consumer group (to show its filter).
        pub consumer_group: Option<String> = "consumerGroup",
    }
}
