//! A stored message (`MessageExt`) as an `apache.rocketmq.v2.Message`, as the official proxy's
//! converter builds it: system keys go to `SystemProperties`, the rest to user properties, and
//! the body carries a CRC32 digest the SDKs verify.

use std::collections::HashMap;

use rmq_common::message::MessageExt;
use rmq_common::{property, sysflag};

use crate::pb::{self, Digest, DigestType, Encoding, MessageType, Resource, SystemProperties};

/// Property keys the SDKs see as system properties, never as user properties.
const SYSTEM_KEYS: &[&str] = &[
    property::KEYS,
    property::TAGS,
    property::WAIT,
    property::DELAY,
    property::RETRY_TOPIC,
    property::REAL_TOPIC,
    property::REAL_QID,
    property::TRAN_MSG,
    property::PGROUP,
    property::UNIQ_KEY,
    property::MAX_RECONSUME_TIMES,
    property::RECONSUME_TIME,
    property::ORIGIN_MESSAGE_ID,
    property::POP_CK,
    property::FIRST_POP_TIME,
    property::CLUSTER,
    property::MIN_OFFSET,
    property::MAX_OFFSET,
    property::TRACE_ON,
    property::MSG_REGION,
    property::TIMER_DELIVER_MS,
    property::TIMER_DELAY_SEC,
    property::TIMER_DELAY_MS,
    property::TIMER_OUT_MS,
    SHARDING_KEY,
    "CHECK_IMMUNITY_TIME_IN_SECONDS",
    "TRANSACTION_ID",
    "BORN_HOST",
];

/// The FIFO message group (RocketMQ's `__SHARDINGKEY`).
pub const SHARDING_KEY: &str = "__SHARDINGKEY";

/// The body's digest as the SDKs check it: CRC32, upper-case hex without padding.
#[must_use]
pub fn crc32_digest(body: &[u8]) -> Digest {
    Digest { r#type: DigestType::Crc32 as i32, checksum: format!("{:X}", crc32fast::hash(body)) }
}

fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

fn message_type(m: &MessageExt) -> MessageType {
    let get = |k| property::get(&m.properties, k);
    if get(property::TRAN_MSG) == Some("true") {
        MessageType::Transaction
    } else if get(property::DELAY).is_some() || get(property::TIMER_DELIVER_MS).is_some() {
        MessageType::Delay
    } else if get(SHARDING_KEY).is_some() {
        MessageType::Fifo
    } else {
        MessageType::Normal
    }
}

fn system_properties(m: &MessageExt) -> SystemProperties {
    let get = |k| property::get(&m.properties, k).map(str::to_owned);
    let encoding = if m.sys_flag & sysflag::COMPRESSED != 0 { Encoding::Gzip } else { Encoding::Identity };
    SystemProperties {
        tag: get(property::TAGS),
        keys: get(property::KEYS)
            .map(|k| k.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        message_id: get(property::UNIQ_KEY).unwrap_or_else(|| m.msg_id.clone()),
        body_digest: Some(crc32_digest(&m.body)),
        body_encoding: encoding as i32,
        message_type: message_type(m) as i32,
        born_timestamp: Some(timestamp(m.born_timestamp)),
        born_host: m.born_host.to_string(),
        store_timestamp: Some(timestamp(m.store_timestamp)),
        store_host: m.store_host.to_string(),
        delivery_timestamp: get(property::TIMER_DELIVER_MS).and_then(|s| s.parse().ok()).map(timestamp),
        receipt_handle: get(property::POP_CK),
        queue_id: m.queue_id,
        queue_offset: Some(m.queue_offset),
        delivery_attempt: Some(m.reconsume_times.saturating_add(1)),
        message_group: get(SHARDING_KEY),
        ..Default::default()
    }
}

/// `m` as the SDKs receive it.
#[must_use]
pub fn to_pb(m: &MessageExt) -> pb::Message {
    let user_properties: HashMap<String, String> = m
        .properties
        .iter()
        .filter(|(k, _)| !SYSTEM_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pb::Message {
        topic: Some(Resource { resource_namespace: String::new(), name: m.topic.clone() }),
        user_properties,
        system_properties: Some(system_properties(m)),
        body: m.body.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored message with `body` and no properties.
    pub(crate) fn sample(body: &'static [u8]) -> MessageExt {
        let addr: std::net::SocketAddr = "127.0.0.1:10911".parse().unwrap();
        MessageExt {
            topic: "T".into(),
            queue_id: 0,
            flag: 0,
            queue_offset: 7,
            commit_log_offset: 100,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: addr,
            store_timestamp: 0,
            store_host: addr,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: 0,
            body: bytes::Bytes::from_static(body),
            properties: Vec::new(),
            msg_id: String::new(),
            store_size: 0,
        }
    }

    #[test]
    fn system_and_user_properties_are_split() {
        let mut m = sample(b"hello");
        for (k, v) in [(property::TAGS, "a"), (property::KEYS, "k1 k2"), (property::UNIQ_KEY, "ID1"), ("color", "red")]
        {
            property::set(&mut m.properties, k, v);
        }
        let p = to_pb(&m);
        let s = p.system_properties.unwrap();
        assert_eq!(s.tag.as_deref(), Some("a"));
        assert_eq!(s.keys, vec!["k1", "k2"]);
        assert_eq!(s.message_id, "ID1");
        assert_eq!(s.body_digest.unwrap().checksum, format!("{:X}", crc32fast::hash(b"hello")));
        assert_eq!(p.user_properties.len(), 1);
        assert_eq!(p.user_properties["color"], "red");
        assert_eq!(timestamp(1_500).seconds, 1);
        assert_eq!(timestamp(1_500).nanos, 500_000_000);
    }
}
