//! The properties string: `name 0x01 value 0x02`, repeated. Decoding is lenient: a trailing
//! 0x02 may be present or not, and entries with an empty name or value are dropped.

/// Properties in insertion order.
pub type Properties = Vec<(String, String)>;

/// User keys, space-separated (indexed).
pub const KEYS: &str = "KEYS";
/// The tag.
pub const TAGS: &str = "TAGS";
/// Wait for store OK.
pub const WAIT: &str = "WAIT";
/// Delay level.
pub const DELAY: &str = "DELAY";
/// Original topic of a retried message.
pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
/// Real topic of a delayed or half message.
pub const REAL_TOPIC: &str = "REAL_TOPIC";
/// Real queue id of a delayed or half message.
pub const REAL_QID: &str = "REAL_QID";
/// Half message marker.
pub const TRAN_MSG: &str = "TRAN_MSG";
/// Producer group of a half message.
pub const PGROUP: &str = "PGROUP";
/// Client unique message id.
pub const UNIQ_KEY: &str = "UNIQ_KEY";
/// Max reconsume times.
pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
/// Reconsume times (client fallback retry).
pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
/// First message id of a retried message.
pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
/// POP: the handle (`extraInfo`) of a popped message, set by the broker on retried messages.
pub const POP_CK: &str = "POP_CK";
/// POP: when a revived message was first popped, ms.
pub const FIRST_POP_TIME: &str = "1ST_POP_TIME";
/// Cluster of the storing broker.
pub const CLUSTER: &str = "CLUSTER";
/// Queue min offset (set by the client after a pull).
pub const MIN_OFFSET: &str = "MIN_OFFSET";
/// Queue max offset (set by the client after a pull).
pub const MAX_OFFSET: &str = "MAX_OFFSET";
/// Region of the broker.
pub const MSG_REGION: &str = "MSG_REGION";
/// Trace switch.
pub const TRACE_ON: &str = "TRACE_ON";
/// Request-reply: the id pairing a reply with its request.
pub const CORRELATION_ID: &str = "CORRELATION_ID";
/// Request-reply: client id of the requester, where the broker pushes the reply.
pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
/// Request-reply: the request's timeout, ms.
pub const MESSAGE_TTL: &str = "TTL";
/// Request-reply: when the requester received the reply, ms.
pub const REPLY_MESSAGE_ARRIVE_TIME: &str = "ARRIVE_TIME";
/// Request-reply: when the broker pushed the reply, ms.
pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
/// Message type; `reply` ([`REPLY_MESSAGE_FLAG`]) marks a reply, sent with SEND_REPLY_MESSAGE.
pub const MESSAGE_TYPE: &str = "MSG_TYPE";
/// The [`MESSAGE_TYPE`] value of a reply.
pub const REPLY_MESSAGE_FLAG: &str = "reply";
/// 5.x timer: absolute delivery time, ms.
pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
/// 5.x timer: delay in seconds.
pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
/// 5.x timer: delay in ms.
pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
/// 4.x ONS-style delivery time.
pub const START_DELIVER_TIME: &str = "__STARTDELIVERTIME";
/// Due time (ms) the broker computed for a timer message.
pub const TIMER_OUT_MS: &str = "TIMER_OUT_MS";

const NAME_SEP: char = '\u{1}';
const PROP_SEP: char = '\u{2}';

/// Length in bytes of [`encode`]'s output, without building it.
#[must_use]
pub fn encoded_len(props: &[(String, String)]) -> usize {
    props.iter().map(|(k, v)| k.len() + v.len() + 1).sum::<usize>() + props.len().saturating_sub(1)
}

/// Encodes properties as the client and broker do (no trailing separator).
#[must_use]
pub fn encode(props: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in props {
        if !out.is_empty() {
            out.push(PROP_SEP);
        }
        out.push_str(k);
        out.push(NAME_SEP);
        out.push_str(v);
    }
    out
}

/// Decodes a properties string.
#[must_use]
pub fn decode(text: &str) -> Properties {
    let mut out = Vec::new();
    for item in text.split(PROP_SEP) {
        if let Some((k, v)) = item.split_once(NAME_SEP) {
            if !k.is_empty() && !v.is_empty() {
                out.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    out
}

/// The value of `key`.
#[must_use]
pub fn get<'a>(props: &'a [(String, String)], key: &str) -> Option<&'a str> {
    props.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Sets `key` (replacing an existing value).
pub fn set(props: &mut Properties, key: &str, value: &str) {
    if let Some(e) = props.iter_mut().find(|(k, _)| k == key) {
        value.clone_into(&mut e.1);
    } else {
        props.push((key.to_owned(), value.to_owned()));
    }
}

/// Removes `key`.
pub fn remove(props: &mut Properties, key: &str) {
    props.retain(|(k, _)| k != key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_leniency() {
        let p = vec![("TAGS".to_owned(), "a".to_owned()), ("KEYS".to_owned(), "k1 k2".to_owned())];
        let s = encode(&p);
        assert_eq!(s, "TAGS\u{1}a\u{2}KEYS\u{1}k1 k2");
        assert_eq!(encoded_len(&p), s.len());
        assert_eq!(encoded_len(&p[..1]), encode(&p[..1]).len());
        assert_eq!(encoded_len(&[]), 0);
        assert_eq!(decode(&s), p);
        assert_eq!(decode(&format!("{s}\u{2}")), p);
        assert_eq!(decode("\u{1}x\u{2}k\u{1}\u{2}a\u{1}b"), vec![("a".to_owned(), "b".to_owned())]);
        assert!(decode("").is_empty());
    }
}
