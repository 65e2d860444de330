//! Operators' calls: write permission of a broker set on the name servers, the name servers'
//! KV config (and order confs kept there), the brokers' moving-window stats (`statsAll`), the
//! consume stats of a whole broker, HA status, consume-queue housekeeping and raw units.

use rmq_remoting::body::ConsumeStats;
use rmq_remoting::header::{
    BrokerNameRequestHeader, GetConsumeStatsInBrokerHeader, GetKvConfigResponseHeader, KvConfigKeyRequestHeader,
    PutKvConfigRequestHeader, QueryConsumeQueueRequestHeader, ViewBrokerStatsDataRequestHeader,
    WritePermResponseHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{parse_json, Admin, AdminError, Result};

pub use rmq_common::topic::ORDER_TOPIC_CONFIG;

/// What one name server did with a write-permission change.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermOnNamesrv {
    /// The name server.
    pub namesrv: String,
    /// Topics whose permission changed.
    pub topic_count: i32,
}

/// One window of a stats item (`BrokerStatsItem`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatsItem {
    /// Sum over the window.
    pub sum: i64,
    /// Per second.
    pub tps: f64,
    /// Per event.
    pub avgpt: f64,
}

/// VIEW_BROKER_STATS_DATA's answer (`BrokerStatsData`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerStatsData {
    /// Last minute.
    pub stats_minute: StatsItem,
    /// Last hour.
    pub stats_hour: StatsItem,
    /// Last day.
    pub stats_day: StatsItem,
}

impl BrokerStatsData {
    /// The 24-hour count as `statsAll` computes it: the day's sum, else the hour's, else the minute's.
    #[must_use]
    pub fn sum_24h(&self) -> i64 {
        [self.stats_day.sum, self.stats_hour.sum, self.stats_minute.sum].into_iter().find(|s| *s != 0).unwrap_or(0)
    }
}

/// One queue of `brokerConsumeStats`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerConsumeRow {
    /// Topic.
    pub topic: String,
    /// Consumer group.
    pub group: String,
    /// Broker set.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Queue max offset.
    pub broker_offset: i64,
    /// The group's offset.
    pub consumer_offset: i64,
    /// Store time of the last consumed message, ms.
    pub last_timestamp: i64,
}

/// One unit of a consume queue (`queryCq`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CqUnit {
    /// Commit-log offset.
    pub physic_offset: i64,
    /// Record size.
    pub physic_size: i32,
    /// Tag hash code.
    pub tags_code: i64,
}

/// QUERY_CONSUME_QUEUE's answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CqData {
    /// Units from the requested index.
    pub queue_data: Vec<CqUnit>,
    /// Max logical offset.
    pub max_queue_index: i64,
    /// Min logical offset.
    pub min_queue_index: i64,
}

/// The operators' calls (`Ops::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Ops<'a> {
    admin: &'a Admin,
}

impl<'a> Ops<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// Removes (`wipe`) or restores the write permission of a broker set's topics on every
    /// name server (WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER).
    pub async fn write_perm(&self, broker_name: &str, wipe: bool) -> Result<Vec<PermOnNamesrv>> {
        let code = if wipe { RequestCode::WipeWritePermOfBroker } else { RequestCode::AddWritePermOfBroker };
        let h = BrokerNameRequestHeader { broker_name: broker_name.to_owned() };
        let mut out = Vec::new();
        for namesrv in self.admin.instance().namesrv_addrs() {
            let resp = self.admin.broker_ok(&namesrv, RemotingCommand::request_with_header(code, &h)).await?;
            let r: WritePermResponseHeader = resp.header().map_err(|e| bad(&namesrv, &e))?;
            let topic_count = r.wipe_topic_count.or(r.add_topic_count).unwrap_or(0);
            out.push(PermOnNamesrv { namesrv, topic_count });
        }
        Ok(out)
    }

    /// PUT_KV_CONFIG on every name server.
    pub async fn put_kv(&self, namespace: &str, key: &str, value: &str) -> Result<()> {
        let h =
            PutKvConfigRequestHeader { namespace: namespace.to_owned(), key: key.to_owned(), value: value.to_owned() };
        for namesrv in self.admin.instance().namesrv_addrs() {
            let req = RemotingCommand::request_with_header(RequestCode::PutKvConfig, &h);
            self.admin.broker_ok(&namesrv, req).await?;
        }
        Ok(())
    }

    /// GET_KV_CONFIG; `None` when no name server has the key.
    pub async fn get_kv(&self, namespace: &str, key: &str) -> Result<Option<String>> {
        let h = KvConfigKeyRequestHeader { namespace: namespace.to_owned(), key: key.to_owned() };
        let resp = self.admin.namesrv_call(RemotingCommand::request_with_header(RequestCode::GetKvConfig, &h)).await?;
        if resp.response_code() != rmq_remoting::ResponseCode::Success {
            return Ok(None);
        }
        Ok(resp.header::<GetKvConfigResponseHeader>().ok().and_then(|r| r.value))
    }

    /// DELETE_KV_CONFIG on every name server.
    pub async fn delete_kv(&self, namespace: &str, key: &str) -> Result<()> {
        let h = KvConfigKeyRequestHeader { namespace: namespace.to_owned(), key: key.to_owned() };
        for namesrv in self.admin.instance().namesrv_addrs() {
            let req = RemotingCommand::request_with_header(RequestCode::DeleteKvConfig, &h);
            self.admin.broker_ok(&namesrv, req).await?;
        }
        Ok(())
    }

    /// VIEW_BROKER_STATS_DATA of one item (`TOPIC_PUT_NUMS` of a topic, `GROUP_GET_NUMS` of
    /// `topic@group`); `None` when the broker never counted it.
    pub async fn stats_data(&self, addr: &str, name: &str, key: &str) -> Result<Option<BrokerStatsData>> {
        let h = ViewBrokerStatsDataRequestHeader { stats_name: name.to_owned(), stats_key: key.to_owned() };
        let req = RemotingCommand::request_with_header(RequestCode::ViewBrokerStatsData, &h);
        let resp = self.admin.broker_call(addr, req).await?;
        if resp.response_code() != rmq_remoting::ResponseCode::Success {
            return Ok(None);
        }
        parse_json(addr, &resp.body).map(Some)
    }

    /// GET_BROKER_CONSUME_STATS: every group's queues on the broker at `addr`, and the total lag.
    pub async fn broker_consume_stats(&self, addr: &str, order_only: bool) -> Result<(Vec<BrokerConsumeRow>, i64)> {
        let h = GetConsumeStatsInBrokerHeader { is_order: order_only };
        let req = RemotingCommand::request_with_header(RequestCode::GetBrokerConsumeStats, &h);
        let resp = self.admin.broker_ok(addr, req).await?;
        let text = rmq_remoting::body::fastjson::normalize(&String::from_utf8_lossy(&resp.body));
        let body: Value = serde_json::from_str(&text).map_err(|e| bad(addr, &e))?;
        let mut rows = Vec::new();
        for by_group in body["consumeStatsList"].as_array().into_iter().flatten() {
            for (group, list) in by_group.as_object().into_iter().flatten() {
                for stats in list.as_array().into_iter().flatten() {
                    let stats = ConsumeStats::parse(stats.to_string().as_bytes()).map_err(|e| bad(addr, &e))?;
                    rows.extend(stats.offset_table.iter().map(|(mq, o)| BrokerConsumeRow {
                        topic: mq.topic.clone(),
                        group: group.clone(),
                        broker_name: mq.broker_name.clone(),
                        queue_id: mq.queue_id,
                        broker_offset: o.broker_offset,
                        consumer_offset: o.consumer_offset,
                        last_timestamp: o.last_timestamp,
                    }));
                }
            }
        }
        Ok((rows, body["totalDiff"].as_i64().unwrap_or(0)))
    }

    /// GET_BROKER_HA_STATUS (`HARuntimeInfo`, as JSON).
    pub async fn ha_status(&self, addr: &str) -> Result<Value> {
        let resp = self.admin.broker_ok(addr, RemotingCommand::request(RequestCode::GetBrokerHaStatus)).await?;
        parse_json(addr, &resp.body)
    }

    /// CLEAN_EXPIRED_CONSUMEQUEUE on the broker at `addr`.
    pub async fn clean_expired_cq(&self, addr: &str) -> Result<()> {
        self.admin.broker_ok(addr, RemotingCommand::request(RequestCode::CleanExpiredConsumequeue)).await.map(|_| ())
    }

    /// QUERY_CONSUME_QUEUE: `count` units of a queue from `index`.
    pub async fn query_cq(&self, addr: &str, topic: &str, queue_id: i32, index: i64, count: i32) -> Result<CqData> {
        let h =
            QueryConsumeQueueRequestHeader { topic: topic.to_owned(), queue_id, index, count, consumer_group: None };
        let resp = self
            .admin
            .broker_ok(addr, RemotingCommand::request_with_header(RequestCode::QueryConsumeQueue, &h))
            .await?;
        parse_json(addr, &resp.body)
    }
}

fn bad(addr: &str, e: &dyn std::fmt::Display) -> AdminError {
    AdminError::BadAnswer { addr: addr.to_owned(), reason: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_24_hour_count_falls_back_to_shorter_windows() {
        let mut d = BrokerStatsData::default();
        assert_eq!(d.sum_24h(), 0);
        d.stats_minute.sum = 3;
        assert_eq!(d.sum_24h(), 3);
        d.stats_hour.sum = 7;
        assert_eq!(d.sum_24h(), 7);
        d.stats_day.sum = 9;
        assert_eq!(d.sum_24h(), 9);
    }

    #[test]
    fn stats_data_reads_the_official_body() -> Result<()> {
        let d: BrokerStatsData = parse_json(
            "b",
            br#"{"statsDay":{"avgpt":1.0,"sum":12,"tps":0.0},"statsHour":{"sum":"12","tps":0.1},"statsMinute":{"sum":2,"tps":0.03}}"#,
        )?;
        assert_eq!((d.stats_day.sum, d.stats_minute.sum), (12, 2));
        Ok(())
    }
}
