//! Client lifecycle headers: unregister, group membership, send-back, running info.

use crate::command_header;

command_header! {
    /// UNREGISTER_CLIENT (35).
    pub struct UnregisterClientRequestHeader {
        /// Client id.
        pub client_id: String = "clientID",
        /// Producer group being left.
        pub producer_group: Option<String> = "producerGroup",
        /// Consumer group being left.
        pub consumer_group: Option<String> = "consumerGroup",
    }
}

command_header! {
    /// GET_CONSUMER_LIST_BY_GROUP (38) and NOTIFY_CONSUMER_IDS_CHANGED (40), and the
    /// connection-list queries keyed by group.
    pub struct ConsumerGroupRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
    }
}

command_header! {
    /// GET_PRODUCER_CONNECTION_LIST (204).
    pub struct ProducerGroupRequestHeader {
        /// Producer group.
        pub producer_group: String = "producerGroup",
    }
}

command_header! {
    /// CONSUMER_SEND_MSG_BACK (36).
    pub struct ConsumerSendMsgBackRequestHeader {
        /// Commit-log offset of the failed message.
        pub offset: i64 = "offset",
        /// Consumer group.
        pub group: String = "group",
        /// Delay level: 0 = broker decides, < 0 = straight to the DLQ.
        pub delay_level: i32 = "delayLevel",
        /// Original message id.
        pub origin_msg_id: Option<String> = "originMsgId",
        /// Original topic.
        pub origin_topic: Option<String> = "originTopic",
        /// Unit mode.
        pub unit_mode: Option<bool> = "unitMode",
        /// Max reconsume times.
        pub max_reconsume_times: Option<i32> = "maxReconsumeTimes",
    }
}

command_header! {
    /// GET_CONSUMER_RUNNING_INFO (307).
    pub struct GetConsumerRunningInfoRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Client id.
        pub client_id: String = "clientId",
        /// Include a thread dump.
        pub jstack_enable: Option<bool> = "jstackEnable",
    }
}

command_header! {
    /// CONSUME_MESSAGE_DIRECTLY (309).
    pub struct ConsumeMessageDirectlyRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Client id.
        pub client_id: Option<String> = "clientId",
        /// Message id.
        pub msg_id: Option<String> = "msgId",
        /// Broker name.
        pub broker_name: Option<String> = "brokerName",
    }
}
