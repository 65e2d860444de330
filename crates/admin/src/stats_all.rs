//! `statsAll`: per topic and consumer group, the put and get rates of the last minute and the
//! counts of the last 24 hours from the masters' moving windows (VIEW_BROKER_STATS_DATA), with
//! the group's backlog, as the official command computes them.

use rmq_remoting::body::ConsumeStats;
use rmq_remoting::header::GetConsumeStatsRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use serde::Serialize;

use crate::ops::Ops;
use crate::topic::{TopicClusterGroups, Topics};
use crate::{Admin, Progress, Result};

/// One line of `statsAll`: a topic with one of its groups (or none).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsRow {
    /// Topic.
    pub topic: String,
    /// Consumer group, `None` for a topic nobody consumes.
    pub group: Option<String>,
    /// The group's backlog (broker offset minus consumer offset), 0 without a group.
    pub accumulation: i64,
    /// Messages put per second over the last minute.
    pub in_tps: f64,
    /// Messages the group got per second over the last minute.
    pub out_tps: Option<f64>,
    /// Messages put in the last 24 hours.
    pub in_msg_24_hour: i64,
    /// Messages the group got in the last 24 hours.
    pub out_msg_24_hour: Option<i64>,
}

/// Every topic (or `only`), its groups and their figures; `active_only` keeps lines with
/// traffic in the last 24 hours (the official `-a`).
pub async fn stats_all(
    admin: &Admin,
    only: Option<&str>,
    active_only: bool,
    progress: Progress<'_>,
) -> Result<Vec<StatsRow>> {
    let topics = Topics::new(admin).topic_list_with_groups(progress).await?;
    let mut rows = Vec::new();
    for t in topics.iter().filter(|t| only.is_none_or(|o| o == t.topic)) {
        rows.extend(topic_rows(admin, t).await?);
    }
    rows.retain(|r| !active_only || r.in_msg_24_hour > 0 || r.out_msg_24_hour.unwrap_or(0) > 0);
    Ok(rows)
}

/// The master address of each broker set of the topic's route.
async fn masters(admin: &Admin, topic: &str) -> Result<Vec<String>> {
    let route = admin.route(topic).await?;
    Ok(route.broker_datas.iter().filter_map(|b| b.broker_addrs.get(&0).cloned()).collect())
}

/// Sums an item's minute rate and 24-hour count over the masters.
async fn sum_item(ops: Ops<'_>, masters: &[String], name: &str, key: &str) -> Result<(f64, i64)> {
    let (mut tps, mut count) = (0.0, 0);
    for addr in masters {
        if let Some(d) = ops.stats_data(addr, name, key).await? {
            tps += d.stats_minute.tps;
            count += d.sum_24h();
        }
    }
    Ok((tps, count))
}

async fn topic_rows(admin: &Admin, t: &TopicClusterGroups) -> Result<Vec<StatsRow>> {
    let ops = Ops::new(admin);
    let Ok(masters) = masters(admin, &t.topic).await else { return Ok(Vec::new()) };
    let (in_tps, in_msg_24_hour) = sum_item(ops, &masters, "TOPIC_PUT_NUMS", &t.topic).await?;
    let base = StatsRow {
        topic: t.topic.clone(),
        group: None,
        accumulation: 0,
        in_tps,
        out_tps: None,
        in_msg_24_hour,
        out_msg_24_hour: None,
    };
    if t.groups.is_empty() {
        return Ok(vec![base]);
    }
    let mut rows = Vec::new();
    for group in &t.groups {
        let (out_tps, out) = sum_item(ops, &masters, "GROUP_GET_NUMS", &format!("{}@{group}", t.topic)).await?;
        rows.push(StatsRow {
            group: Some(group.clone()),
            accumulation: backlog(admin, &masters, group, &t.topic).await.max(0),
            out_tps: Some(out_tps),
            out_msg_24_hour: Some(out),
            ..base.clone()
        });
    }
    Ok(rows)
}

/// The group's backlog on the topic over the masters (0 where it has no stats).
async fn backlog(admin: &Admin, masters: &[String], group: &str, topic: &str) -> i64 {
    let mut total = 0;
    for addr in masters {
        let h = GetConsumeStatsRequestHeader { consumer_group: group.to_owned(), topic: Some(topic.to_owned()) };
        let req = RemotingCommand::request_with_header(RequestCode::GetConsumeStats, &h);
        let Ok(resp) = admin.broker_call(addr, req).await else { continue };
        if resp.response_code() == ResponseCode::Success {
            total += ConsumeStats::parse(&resp.body).map_or(0, |s| s.total_diff());
        }
    }
    total
}
