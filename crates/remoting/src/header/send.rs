//! Send headers: SEND_MESSAGE (long names), SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE (one-letter
//! names), and the send response.

use crate::command_header;

command_header! {
    /// SEND_MESSAGE (10) request header, long key names.
    pub struct SendMessageRequestHeader {
        /// Producer group.
        pub producer_group: String = "producerGroup",
        /// Target topic.
        pub topic: String = "topic",
        /// Template topic for auto-creation, normally `TBW102`.
        pub default_topic: String = "defaultTopic",
        /// Queue count for auto-creation.
        pub default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        /// Target queue; negative lets the broker choose.
        pub queue_id: i32 = "queueId",
        /// Message sys flag.
        pub sys_flag: i32 = "sysFlag",
        /// Born timestamp, ms.
        pub born_timestamp: i64 = "bornTimestamp",
        /// User flag.
        pub flag: i32 = "flag",
        /// Property string.
        pub properties: Option<String> = "properties",
        /// Reconsume times (retry sends).
        pub reconsume_times: Option<i32> = "reconsumeTimes",
        /// Unit mode.
        pub unit_mode: Option<bool> = "unitMode",
        /// Batch flag.
        pub batch: Option<bool> = "batch",
        /// Max reconsume times (retry sends).
        pub max_reconsume_times: Option<i32> = "maxReconsumeTimes",
        /// Broker name (4.9.5+ `bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320) request header: the same fields under
    /// one-letter keys. Go and C++ clients omit `k` and `m`, so those are optional here.
    pub struct SendMessageRequestHeaderV2 {
        /// a: producer group.
        pub a: String = "a",
        /// b: topic.
        pub b: String = "b",
        /// c: default topic.
        pub c: String = "c",
        /// d: default topic queue nums.
        pub d: i32 = "d",
        /// e: queue id.
        pub e: i32 = "e",
        /// f: sys flag.
        pub f: i32 = "f",
        /// g: born timestamp.
        pub g: i64 = "g",
        /// h: flag.
        pub h: i32 = "h",
        /// i: properties.
        pub i: Option<String> = "i",
        /// j: reconsume times.
        pub j: Option<i32> = "j",
        /// k: unit mode.
        pub k: Option<bool> = "k",
        /// l: max reconsume times.
        pub l: Option<i32> = "l",
        /// m: batch.
        pub m: Option<bool> = "m",
        /// n: broker name.
        pub n: Option<String> = "n",
    }
}

impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v: SendMessageRequestHeaderV2) -> Self {
        Self {
            producer_group: v.a,
            topic: v.b,
            default_topic: v.c,
            default_topic_queue_nums: v.d,
            queue_id: v.e,
            sys_flag: v.f,
            born_timestamp: v.g,
            flag: v.h,
            properties: v.i,
            reconsume_times: v.j,
            unit_mode: v.k,
            max_reconsume_times: v.l,
            batch: v.m,
            broker_name: v.n,
        }
    }
}

impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    fn from(v: SendMessageRequestHeader) -> Self {
        Self {
            a: v.producer_group,
            b: v.topic,
            c: v.default_topic,
            d: v.default_topic_queue_nums,
            e: v.queue_id,
            f: v.sys_flag,
            g: v.born_timestamp,
            h: v.flag,
            i: v.properties,
            j: v.reconsume_times,
            k: v.unit_mode,
            l: v.max_reconsume_times,
            m: v.batch,
            n: v.broker_name,
        }
    }
}

command_header! {
    /// Send response header. The broker also adds `MSG_REGION` and `TRACE_ON` ext fields.
    pub struct SendMessageResponseHeader {
        /// Offset message id (comma-joined for a batch).
        pub msg_id: String = "msgId",
        /// Queue the message went to.
        pub queue_id: i32 = "queueId",
        /// Consume-queue offset (the first one for a batch).
        pub queue_offset: i64 = "queueOffset",
        /// Transaction id, for half messages.
        pub transaction_id: Option<String> = "transactionId",
        /// Batch unique id (5.x).
        pub batch_uniq_id: Option<String> = "batchUniqId",
        /// Region of the broker (`MSG_REGION`).
        pub msg_region: Option<String> = "MSG_REGION",
        /// Whether traces are on (`TRACE_ON`).
        pub trace_on: Option<String> = "TRACE_ON",
        /// Recall handle of a timer message (5.3.1+), for RECALL_MESSAGE.
        pub recall_handle: Option<String> = "recallHandle",
    }
}

command_header! {
    /// RECALL_MESSAGE (370, 5.3.1+): take back a timer message before it is due.
    pub struct RecallMessageRequestHeader {
        /// Producer group of the caller.
        pub producer_group: Option<String> = "producerGroup",
        /// Real topic of the message.
        pub topic: String = "topic",
        /// The `recallHandle` its send answered.
        pub recall_handle: String = "recallHandle",
        /// Broker name (`bname`).
        pub broker_name: Option<String> = "bname",
    }
}

command_header! {
    /// RECALL_MESSAGE response header.
    pub struct RecallMessageResponseHeader {
        /// Unique id of the recalled message.
        pub msg_id: String = "msgId",
    }
}

command_header! {
    /// PUSH_REPLY_MESSAGE_TO_CLIENT (326), broker to requester: the reply's send header, with
    /// where it came from and when the broker took it.
    pub struct ReplyMessageRequestHeader {
        /// Producer group of the replier.
        pub producer_group: String = "producerGroup",
        /// Reply topic (`<cluster>_REPLY_TOPIC`).
        pub topic: String = "topic",
        /// Default topic of the replier's send.
        pub default_topic: String = "defaultTopic",
        /// Default topic queue nums of the replier's send.
        pub default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        /// Queue id the replier asked for.
        pub queue_id: i32 = "queueId",
        /// Sys flag (compression).
        pub sys_flag: i32 = "sysFlag",
        /// Born timestamp of the reply, ms.
        pub born_timestamp: i64 = "bornTimestamp",
        /// User flag.
        pub flag: i32 = "flag",
        /// Property string (with PUSH_REPLY_TIME).
        pub properties: Option<String> = "properties",
        /// Reconsume times.
        pub reconsume_times: Option<i32> = "reconsumeTimes",
        /// Unit mode.
        pub unit_mode: Option<bool> = "unitMode",
        /// The replier's address, `ip:port`.
        pub born_host: String = "bornHost",
        /// The broker's address, `ip:port`.
        pub store_host: String = "storeHost",
        /// When the broker took the reply, ms.
        pub store_timestamp: i64 = "storeTimestamp",
    }
}
