//! POP consumption headers (RocketMQ 5.x): POP_MESSAGE, ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME,
//! PEEK_MESSAGE, NOTIFICATION and POLLING_INFO. Field keys are the official Java field names;
//! `bname` is the 5.x RPC header's broker name, sent by the proxy and some clients.

use crate::command_header;

command_header! {
    /// POP_MESSAGE (200050) request header.
    pub struct PopMessageRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id; -1 pops from every readable queue.
        pub queue_id: i32 = "queueId",
        /// Max messages to return (at most 32).
        pub max_msg_nums: i32 = "maxMsgNums",
        /// How long the popped messages stay invisible, ms.
        pub invisible_time: i64 = "invisibleTime",
        /// Long-poll hold time, ms.
        pub poll_time: i64 = "pollTime",
        /// Client time the request was made, ms.
        pub born_time: i64 = "bornTime",
        /// `ConsumeInitMode`: 0 = MIN, 1 = MAX.
        pub init_mode: i32 = "initMode",
        /// `TAG` or `SQL92`.
        pub exp_type: Option<String> = "expType",
        /// Subscription expression.
        pub exp: Option<String> = "exp",
        /// Orderly pop.
        pub order: Option<bool> = "order",
        /// Orderly pop attempt id (5.x proxy).
        pub attempt_id: Option<String> = "attemptId",
        /// Broker name (`bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// POP_MESSAGE response header.
    pub struct PopMessageResponseHeader {
        /// When the broker popped the batch, ms.
        pub pop_time: i64 = "popTime",
        /// The request's invisible time, ms.
        pub invisible_time: i64 = "invisibleTime",
        /// Revive queue of the checkpoint (999 for orderly pops).
        pub revive_qid: i32 = "reviveQid",
        /// Messages left in the queues popped.
        pub rest_num: i64 = "restNum",
        /// `retry queueId startOffset` per queue popped, `;`-separated.
        pub start_offset_info: Option<String> = "startOffsetInfo",
        /// `retry queueId off1,off2,...` per queue popped, `;`-separated.
        pub msg_offset_info: Option<String> = "msgOffsetInfo",
        /// Orderly pops: `retry qo<queueId>%<offset> count` (or `retry queueId count`), `;`-separated.
        pub order_count_info: Option<String> = "orderCountInfo",
    }
}

command_header! {
    /// ACK_MESSAGE (200051) request header.
    pub struct AckMessageRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic (the original topic, also for retried messages).
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// The message's `POP_CK` handle.
        pub extra_info: String = "extraInfo",
        /// The message's queue offset.
        pub offset: i64 = "offset",
        /// Broker name (`bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// CHANGE_MESSAGE_INVISIBLETIME (200053) request header.
    pub struct ChangeInvisibleTimeRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// The message's `POP_CK` handle.
        pub extra_info: String = "extraInfo",
        /// The message's queue offset.
        pub offset: i64 = "offset",
        /// New invisible time from now, ms.
        pub invisible_time: i64 = "invisibleTime",
        /// Broker name (`bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// CHANGE_MESSAGE_INVISIBLETIME response header.
    pub struct ChangeInvisibleTimeResponseHeader {
        /// New pop time, ms.
        pub pop_time: i64 = "popTime",
        /// New invisible time, ms.
        pub invisible_time: i64 = "invisibleTime",
        /// Revive queue of the new checkpoint.
        pub revive_qid: i32 = "reviveQid",
    }
}

command_header! {
    /// PEEK_MESSAGE (200052) request header.
    pub struct PeekMessageRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Queue id; -1 peeks every readable queue.
        pub queue_id: i32 = "queueId",
        /// Max messages to return.
        pub max_msg_nums: i32 = "maxMsgNums",
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Broker name (`bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// NOTIFICATION (200054) request header.
    pub struct NotificationRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id; -1 for any queue.
        pub queue_id: i32 = "queueId",
        /// Long-poll hold time, ms.
        pub poll_time: i64 = "pollTime",
        /// Client time the request was made, ms.
        pub born_time: i64 = "bornTime",
        /// Orderly consumer.
        pub order: Option<bool> = "order",
        /// Orderly attempt id.
        pub attempt_id: Option<String> = "attemptId",
        /// Broker name (`bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// NOTIFICATION response header.
    pub struct NotificationResponseHeader {
        /// Whether a message can be popped.
        pub has_msg: bool = "hasMsg",
        /// Whether the polling queue was full.
        pub polling_full: bool = "pollingFull",
    }
}

command_header! {
    /// POLLING_INFO (200055) request header.
    pub struct PollingInfoRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Broker name (`bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// POLLING_INFO response header.
    pub struct PollingInfoResponseHeader {
        /// Pop requests parked on the queue.
        pub polling_num: i32 = "pollingNum",
    }
}
