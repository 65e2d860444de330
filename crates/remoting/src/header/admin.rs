//! Admin headers: topics, groups, queries, broker config.

use crate::command_header;

command_header! {
    /// UPDATE_AND_CREATE_TOPIC (17).
    pub struct CreateTopicRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Template topic.
        pub default_topic: String = "defaultTopic",
        /// Read queues.
        pub read_queue_nums: i32 = "readQueueNums",
        /// Write queues.
        pub write_queue_nums: i32 = "writeQueueNums",
        /// Permission bits.
        pub perm: i32 = "perm",
        /// `SINGLE_TAG` or `MULTI_TAG`.
        pub topic_filter_type: String = "topicFilterType",
        /// Topic sys flag.
        pub topic_sys_flag: Option<i32> = "topicSysFlag",
        /// Ordered topic.
        pub order: bool = "order",
        /// 5.x attributes, `+k=v,...`.
        pub attributes: Option<String> = "attributes",
    }
}

command_header! {
    /// DELETE_TOPIC_IN_BROKER (215), GET_TOPIC_STATS_INFO (202), and other topic-only requests.
    pub struct TopicRequestHeader {
        /// Topic.
        pub topic: String = "topic",
    }
}

command_header! {
    /// GET_CONSUME_STATS (208).
    pub struct GetConsumeStatsRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Only this topic.
        pub topic: Option<String> = "topic",
    }
}

command_header! {
    /// DELETE_SUBSCRIPTIONGROUP (207).
    pub struct DeleteSubscriptionGroupRequestHeader {
        /// Group name.
        pub group_name: String = "groupName",
        /// Also remove the group's offsets.
        pub remove_offset: Option<bool> = "removeOffset",
    }
}

command_header! {
    /// GET_BROKER_CONFIG response.
    pub struct GetBrokerConfigResponseHeader {
        /// Data version text.
        pub version: String = "version",
    }
}

command_header! {
    /// QUERY_MESSAGE (12). The ext field `_UNIQUE_KEY_QUERY` selects unique-key queries.
    pub struct QueryMessageRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Key.
        pub key: String = "key",
        /// Max results.
        pub max_num: i32 = "maxNum",
        /// Range start, ms.
        pub begin_timestamp: i64 = "beginTimestamp",
        /// Range end, ms.
        pub end_timestamp: i64 = "endTimestamp",
        /// Query by unique key.
        pub unique_key_query: Option<bool> = "_UNIQUE_KEY_QUERY",
    }
}

command_header! {
    /// QUERY_MESSAGE response.
    pub struct QueryMessageResponseHeader {
        /// Last index update time.
        pub index_last_update_timestamp: i64 = "indexLastUpdateTimestamp",
        /// Last indexed physical offset.
        pub index_last_update_phyoffset: i64 = "indexLastUpdatePhyoffset",
    }
}

command_header! {
    /// VIEW_MESSAGE_BY_ID (33).
    pub struct ViewMessageRequestHeader {
        /// Commit-log offset.
        pub offset: i64 = "offset",
    }
}

command_header! {
    /// GET_BROKER_CONSUME_STATS (317).
    pub struct GetConsumeStatsInBrokerHeader {
        /// Order topics only.
        pub is_order: bool = "isOrder",
    }
}

command_header! {
    /// QUERY_TOPIC_CONSUME_BY_WHO (300) and QUERY_TOPICS_BY_CONSUMER (343).
    pub struct QueryTopicConsumeByWhoRequestHeader {
        /// Topic.
        pub topic: String = "topic",
    }
}

command_header! {
    /// QUERY_TOPICS_BY_CONSUMER (343).
    pub struct QueryTopicsByConsumerRequestHeader {
        /// Group.
        pub group: String = "group",
    }
}

command_header! {
    /// QUERY_CONSUME_TIME_SPAN (303).
    pub struct QueryConsumeTimeSpanRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Group.
        pub group: String = "group",
    }
}

command_header! {
    /// GET_TOPIC_CONFIG (351, 5.x).
    pub struct GetTopicConfigRequestHeader {
        /// Topic.
        pub topic: String = "topic",
    }
}

command_header! {
    /// GET_SUBSCRIPTIONGROUP_CONFIG (352, 5.x).
    pub struct GetSubscriptionGroupConfigRequestHeader {
        /// Group.
        pub group: String = "group",
    }
}

command_header! {
    /// VIEW_BROKER_STATS_DATA (315): one stats item, e.g. `TOPIC_PUT_NUMS` of a topic or
    /// `GROUP_GET_NUMS` of `topic@group`.
    pub struct ViewBrokerStatsDataRequestHeader {
        /// Stats name (`TOPIC_PUT_NUMS`, `GROUP_GET_NUMS`, ...).
        pub stats_name: String = "statsName",
        /// Stats key (a topic, `topic@group`, or the cluster name for `BROKER_*`).
        pub stats_key: String = "statsKey",
    }
}
