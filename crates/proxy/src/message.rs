//! Messages between the two protocols, as the official proxy converts them: an SDK's
//! `apache.rocketmq.v2.Message` becomes remoting properties (the SDK's message id kept as
//! UNIQ_KEY, the message group as `__SHARDINGKEY`, a delivery timestamp as TIMER_DELIVER_MS), and
//! a stored `MessageExt` becomes a `v2.Message` with its receipt handle.

use std::collections::HashMap;

use rmq_common::message::MessageExt;
use rmq_common::property::{self, Properties};
use rmq_common::sysflag;

use crate::pb::{self, Code, Digest, DigestType, Encoding, MessageType, Resource, SystemProperties};
use crate::status;

/// The FIFO message group (RocketMQ's `__SHARDINGKEY`).
pub const SHARDING_KEY: &str = "__SHARDINGKEY";
/// Born host the SDK names (`__BORNHOST`).
pub const BORN_HOST: &str = "__BORNHOST";
/// Transaction check immunity, seconds.
pub const CHECK_IMMUNITY: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
/// Trace context of the SDK.
pub const TRACE_CONTEXT: &str = "TRACE_CONTEXT";
/// Most user properties a message may carry (ProxyConfig `userPropertyMaxNum`).
pub const MAX_USER_PROPERTIES: usize = 128;
/// Longest a delivery timestamp may be ahead, ms (`maxDelayTimeMills`, one day).
pub const MAX_DELAY_MS: i64 = 24 * 3600 * 1000;

/// Keys the SDK may not set as user properties (they are the broker's own).
const RESERVED: &[&str] = &[
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
    property::POP_CK,
    property::TIMER_DELIVER_MS,
    property::TIMER_DELAY_SEC,
    property::TIMER_DELAY_MS,
    SHARDING_KEY,
    CHECK_IMMUNITY,
    TRACE_CONTEXT,
    BORN_HOST,
];

/// An SDK message ready for a SEND_MESSAGE: properties and sys flag; the body is the SDK's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Properties (user ones plus the system ones the SDK set).
    pub properties: Properties,
    /// Sys flag (compression, transaction prepared).
    pub sys_flag: i32,
    /// The SDK's message id (UNIQ_KEY).
    pub id: String,
}

fn bad(code: Code, message: impl Into<String>) -> pb::Status {
    status::status(code, message)
}

/// Milliseconds of a protobuf timestamp.
#[must_use]
pub fn millis(t: &prost_types::Timestamp) -> i64 {
    t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos / 1_000_000))
}

/// A protobuf timestamp of `ms`.
#[must_use]
pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    let nanos = i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0);
    prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos }
}

/// Converts an SDK message for the broker; `peer` is the client's address (born host when the
/// SDK names none) and `group` the producer group written as PGROUP (the topic, as the official
/// proxy does for the transaction checker).
pub fn outgoing(m: &pb::Message, peer: &str, group: &str, now_ms: i64) -> Result<Outgoing, pb::Status> {
    let sys = m.system_properties.clone().unwrap_or_default();
    if m.body.is_empty() {
        return Err(bad(Code::MessageBodyEmpty, "the message body is empty"));
    }
    let mut props = user_properties(&m.user_properties)?;
    if sys.message_id.trim().is_empty() {
        return Err(bad(Code::IllegalMessageId, "message id cannot be empty"));
    }
    property::set(&mut props, property::UNIQ_KEY, &sys.message_id);
    system_keys(&sys, &mut props)?;
    let mut sys_flag = 0;
    if sys.body_encoding == Encoding::Gzip as i32 {
        sys_flag |= sysflag::COMPRESSED;
    }
    if sys.message_type == MessageType::Transaction as i32 {
        sys_flag |= sysflag::TRANSACTION_PREPARED;
        property::set(&mut props, property::TRAN_MSG, "true");
        if let Some(d) = &sys.orphaned_transaction_recovery_duration {
            property::set(&mut props, CHECK_IMMUNITY, &d.seconds.to_string());
        }
    }
    delivery(&sys, &mut props, now_ms)?;
    property::set(&mut props, property::RECONSUME_TIME, &sys.delivery_attempt.unwrap_or(0).to_string());
    property::set(&mut props, property::PGROUP, group);
    let born = if sys.born_host.is_empty() { peer } else { sys.born_host.as_str() };
    if !born.is_empty() {
        property::set(&mut props, BORN_HOST, born);
    }
    Ok(Outgoing { properties: props, sys_flag, id: sys.message_id })
}

/// User properties, refused when they use a system key or are too many.
fn user_properties(user: &HashMap<String, String>) -> Result<Properties, pb::Status> {
    if user.len() > MAX_USER_PROPERTIES {
        return Err(bad(Code::MessagePropertiesTooLarge, "too many user properties"));
    }
    let mut props: Properties = Vec::with_capacity(user.len() + 8);
    let mut keys: Vec<&String> = user.keys().collect();
    keys.sort();
    for k in keys {
        if RESERVED.contains(&k.as_str()) {
            return Err(bad(Code::IllegalMessagePropertyKey, format!("property is used by system: {k}")));
        }
        if k.is_empty() || has_control(k) || has_control(&user[k]) {
            return Err(bad(Code::IllegalMessagePropertyKey, "a property holds a control character"));
        }
        props.push((k.clone(), user[k].clone()));
    }
    Ok(props)
}

/// Control characters would break the property encoding (`\u{1}`, `\u{2}` are its separators).
fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Tag, keys, message group and trace context.
fn system_keys(sys: &SystemProperties, props: &mut Properties) -> Result<(), pb::Status> {
    if let Some(tag) = sys.tag.as_deref().filter(|t| !t.is_empty()) {
        if tag.contains('|') || has_control(tag) || tag.trim().is_empty() {
            return Err(bad(Code::IllegalMessageTag, format!("illegal tag {tag:?}")));
        }
        property::set(props, property::TAGS, tag);
    }
    if sys.keys.iter().any(|k| k.trim().is_empty() || has_control(k)) {
        return Err(bad(Code::IllegalMessageKey, "a message key is blank or holds a control character"));
    }
    if !sys.keys.is_empty() {
        property::set(props, property::KEYS, &sys.keys.join(" "));
    }
    if let Some(g) = sys.message_group.as_deref().filter(|g| !g.is_empty()) {
        if has_control(g) {
            return Err(bad(Code::IllegalMessageGroup, "the message group holds a control character"));
        }
        property::set(props, SHARDING_KEY, g);
    }
    if let Some(t) = sys.trace_context.as_deref().filter(|t| !t.is_empty()) {
        property::set(props, TRACE_CONTEXT, t);
    }
    Ok(())
}

/// A delivery timestamp becomes TIMER_DELIVER_MS (the broker's timer delivers it).
fn delivery(sys: &SystemProperties, props: &mut Properties, now_ms: i64) -> Result<(), pb::Status> {
    let Some(at) = sys.delivery_timestamp.as_ref().map(millis) else { return Ok(()) };
    if at - now_ms > MAX_DELAY_MS {
        return Err(bad(Code::IllegalDeliveryTime, "the delivery timestamp is too far ahead"));
    }
    property::set(props, property::TIMER_DELIVER_MS, &at.to_string());
    Ok(())
}

/// The body's digest as the SDKs check it: CRC32, upper-case hex without padding.
#[must_use]
pub fn crc32_digest(body: &[u8]) -> Digest {
    Digest { r#type: DigestType::Crc32 as i32, checksum: format!("{:X}", crc32fast::hash(body)) }
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

/// A popped message for the SDK, with `handle` as its receipt handle.
#[must_use]
pub fn incoming(mut m: MessageExt, topic: &str, handle: String, invisible_ms: i64) -> pb::Message {
    rmq_client::decode_body(&mut m);
    let get = |k| property::get(&m.properties, k).map(str::to_owned);
    let sys = SystemProperties {
        tag: get(property::TAGS),
        keys: get(property::KEYS)
            .map(|k| k.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        message_id: m.unique_id().to_owned(),
        body_digest: Some(crc32_digest(&m.body)),
        body_encoding: Encoding::Identity as i32,
        message_type: message_type(&m) as i32,
        born_timestamp: Some(timestamp(m.born_timestamp)),
        born_host: get(BORN_HOST).unwrap_or_else(|| m.born_host.to_string()),
        store_timestamp: Some(timestamp(m.store_timestamp)),
        store_host: m.store_host.to_string(),
        delivery_timestamp: get(property::TIMER_DELIVER_MS).and_then(|s| s.parse().ok()).map(timestamp),
        receipt_handle: Some(handle),
        queue_id: m.queue_id,
        queue_offset: Some(m.queue_offset),
        invisible_duration: Some(prost_types::Duration {
            seconds: invisible_ms / 1000,
            nanos: i32::try_from((invisible_ms % 1000) * 1_000_000).unwrap_or(0),
        }),
        delivery_attempt: Some(m.reconsume_times.saturating_add(1)),
        message_group: get(SHARDING_KEY),
        trace_context: get(TRACE_CONTEXT),
        ..Default::default()
    };
    let user = m.properties.iter().filter(|(k, _)| !is_system(k)).cloned().collect();
    pb::Message {
        topic: Some(Resource { resource_namespace: String::new(), name: topic.to_owned() }),
        user_properties: user,
        system_properties: Some(sys),
        body: m.body.to_vec(),
    }
}

/// A stored message as the SDKs receive it outside POP (the pull consumer, a transaction
/// check): no receipt handle, no invisible duration.
#[must_use]
pub fn stored(m: &MessageExt) -> pb::Message {
    let mut p = incoming(m.clone(), &m.topic, String::new(), 0);
    if let Some(s) = p.system_properties.as_mut() {
        s.receipt_handle = None;
        s.invisible_duration = None;
    }
    p
}

/// Whether a stored property is the broker's or the SDK's system data (not shown as a user
/// property).
fn is_system(k: &str) -> bool {
    RESERVED.contains(&k)
        || k.starts_with("__")
        || k.starts_with("POP_")
        || matches!(
            k,
            property::ORIGIN_MESSAGE_ID
                | property::FIRST_POP_TIME
                | property::CLUSTER
                | property::MIN_OFFSET
                | property::MAX_OFFSET
                | property::TRACE_ON
                | property::MSG_REGION
                | property::TIMER_OUT_MS
                | "TRANSACTION_ID"
                | "DLQ_ORIGIN_TOPIC"
                | "DLQ_ORIGIN_MESSAGE_ID"
                | "INNER_NUM"
                | "INNER_BASE"
                | "TIMER_ENQUEUE_MS"
                | "TIMER_ROLL_TIMES"
                | "TIMER_DEQUEUE_MS"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk_message() -> pb::Message {
        let sys = SystemProperties {
            tag: Some("TagA".into()),
            keys: vec!["k1".into(), "k2".into()],
            message_id: "01AABBCC".into(),
            message_group: Some("g1".into()),
            delivery_timestamp: Some(timestamp(5_000)),
            ..Default::default()
        };
        pb::Message {
            topic: Some(Resource { resource_namespace: String::new(), name: "T".into() }),
            user_properties: HashMap::from([("color".to_owned(), "red".to_owned())]),
            system_properties: Some(sys),
            body: b"hello".to_vec(),
        }
    }

    #[test]
    fn outgoing_keeps_id_tag_keys_group_and_properties() {
        let out = outgoing(&sdk_message(), "10.0.0.1:5", "T", 1_000).unwrap();
        let get = |k| property::get(&out.properties, k);
        assert_eq!(out.id, "01AABBCC");
        assert_eq!(get(property::UNIQ_KEY), Some("01AABBCC"));
        assert_eq!(get(property::TAGS), Some("TagA"));
        assert_eq!(get(property::KEYS), Some("k1 k2"));
        assert_eq!(get(SHARDING_KEY), Some("g1"));
        assert_eq!(get(property::TIMER_DELIVER_MS), Some("5000"));
        assert_eq!(get("color"), Some("red"));
        assert_eq!(get(BORN_HOST), Some("10.0.0.1:5"));
        assert_eq!(out.sys_flag, 0);
    }

    #[test]
    fn outgoing_refuses_bad_input_with_protocol_codes() {
        let code = |m: &pb::Message| outgoing(m, "", "T", 0).unwrap_err().code;
        let mut m = sdk_message();
        m.body.clear();
        assert_eq!(code(&m), Code::MessageBodyEmpty as i32);
        let mut m = sdk_message();
        m.user_properties.insert("UNIQ_KEY".into(), "x".into());
        assert_eq!(code(&m), Code::IllegalMessagePropertyKey as i32);
        let mut m = sdk_message();
        m.system_properties.as_mut().unwrap().message_id.clear();
        assert_eq!(code(&m), Code::IllegalMessageId as i32);
        let mut m = sdk_message();
        m.system_properties.as_mut().unwrap().tag = Some("a|b".into());
        assert_eq!(code(&m), Code::IllegalMessageTag as i32);
        let mut m = sdk_message();
        m.system_properties.as_mut().unwrap().delivery_timestamp = Some(timestamp(MAX_DELAY_MS * 2));
        assert_eq!(code(&m), Code::IllegalDeliveryTime as i32);
    }

    #[test]
    fn transaction_messages_are_prepared() {
        let mut m = sdk_message();
        m.system_properties.as_mut().unwrap().message_type = MessageType::Transaction as i32;
        let out = outgoing(&m, "", "T", 0).unwrap();
        assert_eq!(out.sys_flag & sysflag::TRANSACTION_MASK, sysflag::TRANSACTION_PREPARED);
        assert_eq!(property::get(&out.properties, property::TRAN_MSG), Some("true"));
    }

    #[test]
    fn incoming_shows_system_and_user_properties_apart() {
        let host: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let m = MessageExt {
            topic: "T".into(),
            queue_id: 0,
            flag: 0,
            queue_offset: 3,
            commit_log_offset: 0,
            sys_flag: 0,
            born_timestamp: 1,
            born_host: host,
            store_timestamp: 2,
            store_host: host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: 0,
            body: bytes::Bytes::from_static(b"hi"),
            msg_id: String::new(),
            store_size: 0,
            properties: vec![
                ("TAGS".into(), "a".into()),
                ("KEYS".into(), "x y".into()),
                ("UNIQ_KEY".into(), "ID1".into()),
                ("color".into(), "red".into()),
            ],
        };
        let pulled = stored(&m).system_properties.unwrap();
        assert_eq!(pulled.message_id, "ID1");
        assert!(pulled.receipt_handle.is_none() && pulled.invisible_duration.is_none());
        let p = incoming(m, "T", "h".into(), 30_000);
        let sys = p.system_properties.unwrap();
        assert_eq!(sys.message_id, "ID1");
        assert_eq!(sys.tag.as_deref(), Some("a"));
        assert_eq!(sys.keys, vec!["x", "y"]);
        assert_eq!(sys.receipt_handle.as_deref(), Some("h"));
        assert_eq!(sys.body_digest.unwrap().checksum, format!("{:X}", crc32fast::hash(b"hi")));
        assert_eq!(p.user_properties.len(), 1);
        assert_eq!(p.user_properties["color"], "red");
    }
}
