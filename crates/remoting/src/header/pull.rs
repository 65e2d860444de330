//! PULL_MESSAGE request and response headers.

use crate::command_header;

command_header! {
    /// PULL_MESSAGE (11) request header. Java always sends every field; we accept the
    /// commit offset, suspend timeout and sub version as optional, as other clients may omit them.
    pub struct PullMessageRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Logical offset to start from.
        pub queue_offset: i64 = "queueOffset",
        /// Max messages to return.
        pub max_msg_nums: i32 = "maxMsgNums",
        /// Pull sys flag bits.
        pub sys_flag: i32 = "sysFlag",
        /// Offset to commit when the commit bit is set.
        pub commit_offset: Option<i64> = "commitOffset",
        /// Long-poll hold time, ms.
        pub suspend_timeout_millis: Option<i64> = "suspendTimeoutMillis",
        /// Subscription expression (when the subscription bit is set).
        pub subscription: Option<String> = "subscription",
        /// Subscription version.
        pub sub_version: Option<i64> = "subVersion",
        /// `TAG` or `SQL92`.
        pub expression_type: Option<String> = "expressionType",
        /// Byte limit (5.x).
        pub max_msg_bytes: Option<i32> = "maxMsgBytes",
        /// Broker name (`bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// PULL_MESSAGE response header.
    pub struct PullMessageResponseHeader {
        /// Broker id to pull from next (0 = master).
        pub suggest_which_broker_id: i64 = "suggestWhichBrokerId",
        /// Offset of the next pull.
        pub next_begin_offset: i64 = "nextBeginOffset",
        /// Queue min offset.
        pub min_offset: i64 = "minOffset",
        /// Queue max offset.
        pub max_offset: i64 = "maxOffset",
        /// 5.x: the topic's sys flag (absent from 4.x brokers' answers).
        pub topic_sys_flag: Option<i32> = "topicSysFlag",
        /// 5.x: the group's sys flag (absent from 4.x brokers' answers).
        pub group_sys_flag: Option<i32> = "groupSysFlag",
    }
}
