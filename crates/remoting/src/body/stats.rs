//! Admin bodies keyed by MessageQueue objects: TopicStatsTable (GET_TOPIC_STATS_INFO),
//! ConsumeStats (GET_CONSUME_STATS) and ResetOffsetBody (INVOKE_BROKER_TO_RESET_OFFSET).
//!
//! fastjson writes those keys as JSON objects (`{{"brokerName":..}:{..}}`), which is not standard
//! JSON, so each type has a `parse` that goes through [`fastjson::normalize`].

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{fastjson, MessageQueue};
use crate::RemotingError;

/// One queue's offsets and last store time (TopicStatsTable entry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicOffset {
    /// Min offset.
    pub min_offset: i64,
    /// Max offset.
    pub max_offset: i64,
    /// Store time of the last message, ms (0 when empty).
    pub last_update_timestamp: i64,
}

/// GET_TOPIC_STATS_INFO body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicStatsTable {
    /// Offsets by queue.
    pub offset_table: BTreeMap<MessageQueue, TopicOffset>,
}

/// One queue of a group's consumption (ConsumeStats entry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OffsetWrapper {
    /// Queue max offset.
    pub broker_offset: i64,
    /// The group's committed offset.
    pub consumer_offset: i64,
    /// 5.x: the offset pulled so far (in flight between pull and commit).
    pub pull_offset: i64,
    /// Store time of the last consumed message, ms (0 when none).
    pub last_timestamp: i64,
}

/// GET_CONSUME_STATS body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsumeStats {
    /// Offsets by queue.
    pub offset_table: BTreeMap<MessageQueue, OffsetWrapper>,
    /// Messages consumed per second.
    pub consume_tps: f64,
}

/// ResetOffsetBody: the new offset of each queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetOffsetBody {
    /// Offsets by queue.
    pub offset_table: BTreeMap<MessageQueue, i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw<V> {
    #[serde(default = "BTreeMap::new")]
    offset_table: BTreeMap<String, V>,
    #[serde(default)]
    consume_tps: f64,
}

fn parse_raw<V: DeserializeOwned>(text: &[u8]) -> Result<(BTreeMap<MessageQueue, V>, f64), RemotingError> {
    let raw: Raw<V> = super::decode(text).map_err(|e| RemotingError::Body(e.to_string()))?;
    let mut table = BTreeMap::new();
    for (key, value) in raw.offset_table {
        let mq = fastjson::message_queue_key(&key)
            .ok_or_else(|| RemotingError::Body(format!("offsetTable key is not a message queue: {key}")))?;
        table.insert(mq, value);
    }
    Ok((table, raw.consume_tps))
}

impl TopicStatsTable {
    /// Parses the body as fastjson or standard JSON writes it.
    pub fn parse(body: &[u8]) -> Result<Self, RemotingError> {
        parse_raw(body).map(|(offset_table, _)| Self { offset_table })
    }
}

impl ConsumeStats {
    /// Parses the body as fastjson or standard JSON writes it.
    pub fn parse(body: &[u8]) -> Result<Self, RemotingError> {
        parse_raw(body).map(|(offset_table, consume_tps)| Self { offset_table, consume_tps })
    }

    /// Sum over queues of broker offset minus consumer offset.
    #[must_use]
    pub fn total_diff(&self) -> i64 {
        self.offset_table.values().map(|o| o.broker_offset - o.consumer_offset).sum()
    }
}

impl ResetOffsetBody {
    /// Parses the body as fastjson or standard JSON writes it.
    pub fn parse(body: &[u8]) -> Result<Self, RemotingError> {
        parse_raw(body).map(|(offset_table, _)| Self { offset_table })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fastjson_object_keys() {
        let t = br#"{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"lastUpdateTimestamp":9,"maxOffset":5,"minOffset":0}}}"#;
        let s = TopicStatsTable::parse(t).unwrap();
        let (mq, o) = s.offset_table.iter().next().unwrap();
        assert_eq!((mq.topic.as_str(), mq.broker_name.as_str(), mq.queue_id), ("T", "b", 1));
        assert_eq!((o.min_offset, o.max_offset, o.last_update_timestamp), (0, 5, 9));

        let c = br#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":7,"consumerOffset":3,"lastTimestamp":4}}}"#;
        let c = ConsumeStats::parse(c).unwrap();
        assert_eq!(c.total_diff(), 4);
        assert!((c.consume_tps - 1.5).abs() < f64::EPSILON);

        let r = ResetOffsetBody::parse(br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:3}}"#).unwrap();
        assert_eq!(r.offset_table.values().copied().collect::<Vec<_>>(), vec![3]);
        assert!(ResetOffsetBody::parse(br#"{"offsetTable":{"x":1}}"#).is_err());
        assert!(TopicStatsTable::parse(b"{}").unwrap().offset_table.is_empty());
    }
}
