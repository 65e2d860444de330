//! The text fields of POP answers: the per-message `POP_CK` handle (`extraInfo`, echoed back in
//! ACK_MESSAGE and CHANGE_MESSAGE_INVISIBLETIME) and the `startOffsetInfo`, `msgOffsetInfo` and
//! `orderCountInfo` response-header fields, in the official `ExtraInfoUtil` formats.
//!
//! `extraInfo` is `ckQueueOffset popTime invisibleTime reviveQid retry brokerName queueId
//! [msgQueueOffset]`, space-separated; `retry` is `0` (the topic itself), `1` (retry topic
//! `%RETRY%group_topic`) or `2` (V2 retry topic `%RETRY%group+topic`).

use std::fmt;

/// Revive queue id the official broker gives orderly pops (`KeyBuilder.POP_ORDER_REVIVE_QUEUE`).
pub const POP_ORDER_REVIVE_QUEUE: i32 = 999;

/// Which topic a popped message was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RetryMark {
    /// `0`: the topic itself.
    Normal,
    /// `1`: the group's retry topic `%RETRY%group_topic`.
    RetryV1,
    /// `2`: the group's V2 retry topic `%RETRY%group+topic`.
    RetryV2,
}

impl RetryMark {
    /// Parses `0`, `1` or `2`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "0" => Some(Self::Normal),
            "1" => Some(Self::RetryV1),
            "2" => Some(Self::RetryV2),
            _ => None,
        }
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "0",
            Self::RetryV1 => "1",
            Self::RetryV2 => "2",
        }
    }
}

/// A parsed `POP_CK` / `extraInfo` handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraInfo {
    /// Start offset of the checkpoint (the batch's first offset in its queue).
    pub ck_queue_offset: i64,
    /// Pop time of the checkpoint, ms.
    pub pop_time: i64,
    /// Invisible time, ms.
    pub invisible_time: i64,
    /// Revive queue id (999 for orderly).
    pub revive_qid: i32,
    /// Topic the message was read from.
    pub retry: RetryMark,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// The message's own queue offset, when the handle carries it.
    pub queue_offset: Option<i64>,
}

/// Why an `extraInfo` could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed extraInfo {text:?}: {reason}")]
pub struct ExtraInfoError {
    /// The text received.
    pub text: String,
    /// What was wrong.
    pub reason: &'static str,
}

impl ExtraInfo {
    /// Parses a handle; needs at least the seven fixed fields.
    pub fn parse(text: &str) -> Result<Self, ExtraInfoError> {
        let bad = |reason| ExtraInfoError { text: text.to_owned(), reason };
        let parts: Vec<&str> = text.split(' ').collect();
        if parts.len() < 7 {
            return Err(bad("fewer than 7 fields"));
        }
        let int = |i: usize| parts[i].parse::<i64>().map_err(|_| bad("a field is not a number"));
        Ok(Self {
            ck_queue_offset: int(0)?,
            pop_time: int(1)?,
            invisible_time: int(2)?,
            revive_qid: parts[3].parse().map_err(|_| bad("reviveQid is not a number"))?,
            retry: RetryMark::parse(parts[4]).ok_or_else(|| bad("retry mark is not 0, 1 or 2"))?,
            broker_name: parts[5].to_owned(),
            queue_id: parts[6].parse().map_err(|_| bad("queueId is not a number"))?,
            queue_offset: match parts.get(7) {
                Some(_) => Some(int(7)?),
                None => None,
            },
        })
    }

    /// Whether the handle is of an orderly pop.
    pub fn is_order(&self) -> bool {
        self.revive_qid == POP_ORDER_REVIVE_QUEUE
    }
}

impl fmt::Display for ExtraInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} {}",
            self.ck_queue_offset,
            self.pop_time,
            self.invisible_time,
            self.revive_qid,
            self.retry.as_str(),
            self.broker_name,
            self.queue_id
        )?;
        if let Some(off) = self.queue_offset {
            write!(f, " {off}")?;
        }
        Ok(())
    }
}

/// Builds the `;`-separated response-header fields of one POP answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PopOffsetInfo {
    start: Vec<String>,
    msgs: Vec<String>,
    order: Vec<String>,
}

impl PopOffsetInfo {
    /// Adds one queue's batch: its start offset and the offsets of the messages returned;
    /// `mark` tells which topic the queue belongs to.
    pub fn add_queue(&mut self, mark: RetryMark, queue_id: i32, start_offset: i64, offsets: &[i64]) {
        let mark = mark.as_str();
        self.start.push(format!("{mark} {queue_id} {start_offset}"));
        let list: Vec<String> = offsets.iter().map(i64::to_string).collect();
        self.msgs.push(format!("{mark} {queue_id} {}", list.join(",")));
    }

    /// Adds an orderly pop's reconsume count of one message (`retry qo<queueId>%<offset> count`).
    pub fn add_order_count(&mut self, mark: RetryMark, queue_id: i32, offset: i64, count: i32) {
        let mark = mark.as_str();
        self.order.push(format!("{mark} qo{queue_id}%{offset} {count}"));
    }

    /// `startOffsetInfo`.
    pub fn start_offset_info(&self) -> String {
        self.start.join(";")
    }

    /// `msgOffsetInfo`.
    pub fn msg_offset_info(&self) -> String {
        self.msgs.join(";")
    }

    /// `orderCountInfo`.
    pub fn order_count_info(&self) -> String {
        self.order.join(";")
    }
}

/// Parses `startOffsetInfo` into (`retry@queueId`, start offset) pairs.
pub fn parse_start_offset_info(text: &str) -> Option<Vec<(String, i64)>> {
    split_entries(text)?.into_iter().map(|(k, v)| v.parse().ok().map(|n| (k, n))).collect()
}

/// Parses `msgOffsetInfo` into (`retry@queueId`, offsets) pairs.
pub fn parse_msg_offset_info(text: &str) -> Option<Vec<(String, Vec<i64>)>> {
    split_entries(text)?
        .into_iter()
        .map(|(k, v)| {
            let offsets: Option<Vec<i64>> = v.split(',').map(|s| s.parse().ok()).collect();
            offsets.map(|o| (k, o))
        })
        .collect()
}

/// Parses `orderCountInfo` into (`retry@key`, count) pairs, `key` being `queueId` or
/// `qo<queueId>%<offset>`.
pub fn parse_order_count_info(text: &str) -> Option<Vec<(String, i32)>> {
    split_entries(text)?.into_iter().map(|(k, v)| v.parse().ok().map(|n| (k, n))).collect()
}

fn split_entries(text: &str) -> Option<Vec<(String, String)>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(';')
        .map(|one| {
            let parts: Vec<&str> = one.split(' ').collect();
            match parts.as_slice() {
                [mark, key, value] => Some((format!("{mark}@{key}"), (*value).to_owned())),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_info_round_trips_with_and_without_the_message_offset() {
        let text = "5 1700000000000 30000 3 1 broker-a 2 7";
        let info = ExtraInfo::parse(text).expect("parse");
        assert_eq!(info.ck_queue_offset, 5);
        assert_eq!(info.pop_time, 1_700_000_000_000);
        assert_eq!(info.invisible_time, 30_000);
        assert_eq!(info.revive_qid, 3);
        assert_eq!(info.retry, RetryMark::RetryV1);
        assert_eq!(info.broker_name, "broker-a");
        assert_eq!(info.queue_id, 2);
        assert_eq!(info.queue_offset, Some(7));
        assert_eq!(info.to_string(), text);
        let short = ExtraInfo { queue_offset: None, ..info };
        assert_eq!(short.to_string(), "5 1700000000000 30000 3 1 broker-a 2");
        assert_eq!(ExtraInfo::parse(&short.to_string()), Ok(short));
    }

    #[test]
    fn garbled_extra_info_is_refused() {
        for bad in ["", "1 2 3", "x 1 2 3 0 b 0", "1 2 3 4 9 b 0", "1 2 3 4 0 b q", "1 2 3 4 0 b 0 z"] {
            assert!(ExtraInfo::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn offset_info_fields_have_the_official_layout() {
        let mut info = PopOffsetInfo::default();
        info.add_queue(RetryMark::Normal, 1, 10, &[10, 11, 12]);
        info.add_queue(RetryMark::RetryV1, 0, 4, &[4]);
        info.add_order_count(RetryMark::Normal, 1, 10, 0);
        info.add_order_count(RetryMark::Normal, 1, 11, 2);
        assert_eq!(info.start_offset_info(), "0 1 10;1 0 4");
        assert_eq!(info.msg_offset_info(), "0 1 10,11,12;1 0 4");
        assert_eq!(info.order_count_info(), "0 qo1%10 0;0 qo1%11 2");
        assert_eq!(
            parse_start_offset_info(&info.start_offset_info()),
            Some(vec![("0@1".to_owned(), 10), ("1@0".to_owned(), 4)])
        );
        assert_eq!(
            parse_msg_offset_info(&info.msg_offset_info()),
            Some(vec![("0@1".to_owned(), vec![10, 11, 12]), ("1@0".to_owned(), vec![4])])
        );
        assert_eq!(
            parse_order_count_info(&info.order_count_info()),
            Some(vec![("0@qo1%10".to_owned(), 0), ("0@qo1%11".to_owned(), 2)])
        );
        assert_eq!(parse_start_offset_info("0 1"), None);
    }
}
