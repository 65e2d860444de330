//! Bodies whose maps are keyed by MessageQueue objects. fastjson writes such keys as JSON
//! objects (not valid standard JSON) and the official admin tools expect exactly that, so they
//! are written by hand here.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A queue as fastjson writes it: keys in alphabetical order.
#[must_use]
pub fn mq_key(topic: &str, broker_name: &str, queue_id: i32) -> String {
    format!(
        "{{\"brokerName\":{},\"queueId\":{queue_id},\"topic\":{}}}",
        serde_json::Value::from(broker_name),
        serde_json::Value::from(topic)
    )
}

/// One queue of a topic with its offsets (TopicStatsTable entry).
#[derive(Debug, Clone)]
pub struct TopicOffsetRow {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Min offset.
    pub min_offset: i64,
    /// Max offset.
    pub max_offset: i64,
    /// Store time of the last message, ms (0 when empty).
    pub last_update_timestamp: i64,
}

/// GET_TOPIC_STATS_INFO body: `{"offsetTable":{<mq>:{"lastUpdateTimestamp":..,"maxOffset":..,"minOffset":..}},"topicPutTps":..}`
/// (`topicPutTps` as 5.x writes it: messages put on the topic per second).
#[must_use]
pub fn topic_stats_table(rows: &[TopicOffsetRow], topic_put_tps: f64) -> Vec<u8> {
    let mut out = String::from("{\"offsetTable\":{");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{}:{{\"lastUpdateTimestamp\":{},\"maxOffset\":{},\"minOffset\":{}}}",
            mq_key(&r.topic, &r.broker_name, r.queue_id),
            r.last_update_timestamp,
            r.max_offset,
            r.min_offset
        );
    }
    let _ = write!(out, "}},\"topicPutTps\":{}}}", java_double(topic_put_tps));
    out.into_bytes()
}

/// A double as Java writes it (`0.0`, `1.5`), never an integer literal.
fn java_double(v: f64) -> String {
    if v.is_finite() {
        let s = format!("{v}");
        if s.contains('.') || s.contains('e') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        "0.0".to_owned()
    }
}

/// One queue of a group's consumption (ConsumeStats entry).
#[derive(Debug, Clone)]
pub struct ConsumeRow {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Queue max offset.
    pub broker_offset: i64,
    /// Group's committed offset.
    pub consumer_offset: i64,
    /// Store time of the last consumed message, ms.
    pub last_timestamp: i64,
    /// 5.x: the next offset pulls handed out (at least the committed offset).
    pub pull_offset: i64,
}

/// GET_CONSUME_STATS body: `{"consumeTps":..,"offsetTable":{<mq>:{"brokerOffset":..,"consumerOffset":..,"lastTimestamp":..,"pullOffset":..}}}`.
#[must_use]
pub fn consume_stats(rows: &[ConsumeRow], consume_tps: f64) -> Vec<u8> {
    let mut out = format!("{{\"consumeTps\":{consume_tps:.1},\"offsetTable\":{{");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{}:{{\"brokerOffset\":{},\"consumerOffset\":{},\"lastTimestamp\":{},\"pullOffset\":{}}}",
            mq_key(&r.topic, &r.broker_name, r.queue_id),
            r.broker_offset,
            r.consumer_offset,
            r.last_timestamp,
            r.pull_offset
        );
    }
    out.push_str("}}");
    out.into_bytes()
}

/// ResetOffsetBody: `{"offsetTable":{<mq>:offset}}`.
#[must_use]
pub fn reset_offset_body(topic: &str, broker_name: &str, offsets: &BTreeMap<i32, i64>) -> Vec<u8> {
    let mut out = String::from("{\"offsetTable\":{");
    for (i, (q, o)) in offsets.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}:{o}", mq_key(topic, broker_name, *q));
    }
    out.push_str("}}");
    out.into_bytes()
}

/// KVTable: `{"table":{k:v}}`.
#[must_use]
pub fn kv_table(table: &BTreeMap<String, String>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "table": table })).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_fastjson_object_keys() {
        let body = topic_stats_table(
            &[TopicOffsetRow {
                topic: "T".into(),
                broker_name: "b".into(),
                queue_id: 1,
                min_offset: 0,
                max_offset: 5,
                last_update_timestamp: 9,
            }],
            0.0,
        );
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"lastUpdateTimestamp":9,"maxOffset":5,"minOffset":0}},"topicPutTps":0.0}"#
        );
        let body = consume_stats(
            &[ConsumeRow {
                topic: "T".into(),
                broker_name: "b".into(),
                queue_id: 0,
                broker_offset: 7,
                consumer_offset: 3,
                last_timestamp: 4,
                pull_offset: 5,
            }],
            1.5,
        );
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":7,"consumerOffset":3,"lastTimestamp":4,"pullOffset":5}}}"#
        );
        assert_eq!(
            (java_double(2.0), java_double(0.25), java_double(f64::NAN)),
            ("2.0".into(), "0.25".into(), "0.0".into())
        );
        let mut m = BTreeMap::new();
        m.insert(0, 3);
        assert_eq!(
            String::from_utf8(reset_offset_body("T", "b", &m)).unwrap(),
            r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:3}}"#
        );
    }
}
