//! Consumer and producer group calls: subscription group config, consume progress, connections,
//! and the running info consumers report.

use std::collections::BTreeMap;

use rmq_remoting::body::{
    fastjson, Connection, ConsumeStats, ConsumerConnection, MessageQueue, OffsetWrapper, ProducerConnection,
    SubscriptionGroupConfig, SubscriptionGroupWrapper,
};
use rmq_remoting::header::{
    ConsumerGroupRequestHeader, DeleteSubscriptionGroupRequestHeader, GetConsumeStatsRequestHeader,
    GetConsumerRunningInfoRequestHeader, ProducerGroupRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use serde::Serialize;

use crate::topic::Topics;
use crate::{cluster_brokers, parse_json, route_addr, Admin, AdminError, BrokerRef, Progress, Result, Target};
use rmq_client::ClientError;

/// What `updateSubGroup` changes; `None` keeps the broker's current value (or the default for a
/// new group).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct GroupSpec {
    pub consume_enable: Option<bool>,
    pub consume_from_min_enable: Option<bool>,
    pub consume_broadcast_enable: Option<bool>,
    pub consume_message_orderly: Option<bool>,
    pub retry_queue_nums: Option<i32>,
    pub retry_max_times: Option<i32>,
    pub broker_id: Option<i64>,
    pub which_broker_when_consume_slowly: Option<i64>,
    pub notify_consumer_ids_changed_enable: Option<bool>,
}

impl GroupSpec {
    fn apply(&self, c: &mut SubscriptionGroupConfig) {
        fn set<T: Copy>(slot: &mut T, v: Option<T>) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        set(&mut c.consume_enable, self.consume_enable);
        set(&mut c.consume_from_min_enable, self.consume_from_min_enable);
        set(&mut c.consume_broadcast_enable, self.consume_broadcast_enable);
        set(&mut c.consume_message_orderly, self.consume_message_orderly);
        set(&mut c.retry_queue_nums, self.retry_queue_nums);
        set(&mut c.retry_max_times, self.retry_max_times);
        set(&mut c.broker_id, self.broker_id);
        set(&mut c.which_broker_when_consume_slowly, self.which_broker_when_consume_slowly);
        set(&mut c.notify_consumer_ids_changed_enable, self.notify_consumer_ids_changed_enable);
    }
}

/// A group's config as one broker now has it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupOnBroker {
    /// The broker.
    pub broker: BrokerRef,
    /// The config.
    pub config: SubscriptionGroupConfig,
}

/// One queue of `consumerProgress -g`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressRow {
    /// Topic.
    pub topic: String,
    /// Broker set name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Queue max offset.
    pub broker_offset: i64,
    /// The group's committed offset.
    pub consumer_offset: i64,
    /// Lag: broker offset − consumer offset.
    pub diff: i64,
    /// Pulled but not yet committed: pull offset − consumer offset (5.x `pullOffset`; 0 from
    /// brokers that do not report it).
    pub inflight: i64,
    /// Store time of the last consumed message, ms (0 = none).
    pub last_timestamp: i64,
}

impl ProgressRow {
    /// The row of queue `mq` with the broker's offsets `o`.
    fn new(mq: &MessageQueue, o: &OffsetWrapper) -> Self {
        Self {
            topic: mq.topic.clone(),
            broker_name: mq.broker_name.clone(),
            queue_id: mq.queue_id,
            broker_offset: o.broker_offset,
            consumer_offset: o.consumer_offset,
            diff: o.broker_offset - o.consumer_offset,
            inflight: if o.pull_offset > 0 { (o.pull_offset - o.consumer_offset).max(0) } else { 0 },
            last_timestamp: o.last_timestamp,
        }
    }
}

/// `consumerProgress -g`: per queue offsets and lag, with totals.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerProgress {
    /// Group.
    pub group: String,
    /// Queues by topic, broker and queue id.
    pub queues: Vec<ProgressRow>,
    /// Sum of the lags.
    pub diff_total: i64,
    /// Sum of the in-flight counts.
    pub inflight_total: i64,
    /// Messages consumed per second.
    pub consume_tps: f64,
}

/// One group of `consumerProgress` without `-g`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSummary {
    /// Group.
    pub group: String,
    /// Online consumers.
    pub count: usize,
    /// Lowest client version ordinal of the online consumers.
    pub version: Option<i32>,
    /// `PUSH` or `PULL` (empty when offline).
    pub consume_type: String,
    /// `CLUSTERING` or `BROADCASTING` (empty when offline).
    pub message_model: String,
    /// Messages consumed per second.
    pub consume_tps: f64,
    /// Sum of the lags.
    pub diff_total: i64,
}

/// What one consumer reports about itself (`consumerStatus`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerRunningInfo {
    /// Client id.
    pub client_id: String,
    /// Client properties (group, model, start time, version...).
    pub properties: BTreeMap<String, serde_json::Value>,
    /// Subscriptions.
    pub subscriptions: Vec<serde_json::Value>,
    /// Queues it holds, with its offsets and cache.
    pub queues: Vec<QueueRunningInfo>,
}

/// One queue held by a consumer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRunningInfo {
    /// Topic.
    pub topic: String,
    /// Broker set name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// What the consumer reports (commitOffset, cachedMsgCount, locked...).
    pub info: serde_json::Value,
}

/// The admin calls on subscription groups, consume progress, connections, consumer running info (`Groups::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Groups<'a> {
    pub(crate) admin: &'a Admin,
}

impl<'a> Groups<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// The group's config on the broker at `addr`, `None` when the broker's group table does not
    /// have it. Read from the whole table (GET_ALL_SUBSCRIPTIONGROUP_CONFIG), as the official
    /// tools test existence: GET_SUBSCRIPTIONGROUP_CONFIG creates an unknown group on a broker
    /// with `autoCreateSubscriptionGroup=true`, so it cannot answer "not found".
    pub async fn group_config(&self, addr: &str, group: &str) -> Result<Option<SubscriptionGroupConfig>> {
        let req = RemotingCommand::request(RequestCode::GetAllSubscriptiongroupConfig);
        let resp = self.admin.broker_ok(addr, req).await?;
        let mut all: SubscriptionGroupWrapper = parse_json(addr, &resp.body)?;
        Ok(all.subscription_group_table.remove(group))
    }

    /// Creates or updates a subscription group on the target brokers (current values kept where
    /// `spec` says nothing).
    pub async fn update_sub_group(&self, target: &Target, group: &str, spec: &GroupSpec) -> Result<Vec<GroupOnBroker>> {
        let mut out = Vec::new();
        for broker in self.admin.resolve(target, false).await? {
            let mut config =
                self.group_config(&broker.addr, group).await?.unwrap_or_else(|| SubscriptionGroupConfig::named(group));
            spec.apply(&mut config);
            let body = serde_json::to_vec(&config).map_err(|e| AdminError::Invalid(e.to_string()))?;
            let req = RemotingCommand::request(RequestCode::UpdateAndCreateSubscriptiongroup).with_body(body);
            self.admin.broker_ok(&broker.addr, req).await?;
            out.push(GroupOnBroker { broker, config });
        }
        Ok(out)
    }

    /// Deletes a subscription group (and with `remove_offset` its offsets) from the target
    /// brokers; fails when none of them has its config or offsets.
    pub async fn delete_sub_group(&self, target: &Target, group: &str, remove_offset: bool) -> Result<Vec<BrokerRef>> {
        let brokers = self.admin.resolve(target, false).await?;
        let mut deleted = Vec::new();
        for broker in brokers {
            if self.group_config(&broker.addr, group).await?.is_none() && !self.has_offsets(&broker.addr, group).await?
            {
                continue;
            }
            let h = DeleteSubscriptionGroupRequestHeader {
                group_name: group.to_owned(),
                remove_offset: Some(remove_offset),
            };
            self.admin
                .broker_ok(&broker.addr, RemotingCommand::request_with_header(RequestCode::DeleteSubscriptiongroup, &h))
                .await?;
            deleted.push(broker);
        }
        if deleted.is_empty() {
            return Err(AdminError::GroupNotFound(group.to_owned()));
        }
        Ok(deleted)
    }

    /// Whether the broker at `addr` keeps offsets of `group`.
    async fn has_offsets(&self, addr: &str, group: &str) -> Result<bool> {
        let h = GetConsumeStatsRequestHeader { consumer_group: group.to_owned(), topic: None };
        let resp = self
            .admin
            .broker_call(addr, RemotingCommand::request_with_header(RequestCode::GetConsumeStats, &h))
            .await?;
        if resp.response_code() != ResponseCode::Success {
            return Ok(false);
        }
        let stats = ConsumeStats::parse(&resp.body)
            .map_err(|e| AdminError::BadAnswer { addr: addr.to_owned(), reason: e.to_string() })?;
        Ok(!stats.offset_table.is_empty())
    }

    /// Masters of every cluster.
    pub(crate) async fn all_masters(&self) -> Result<Vec<BrokerRef>> {
        let info = self.admin.cluster_info().await?;
        let mut out = Vec::new();
        for c in info.cluster_addr_table.keys() {
            out.extend(cluster_brokers(&info, c, false)?);
        }
        Ok(out)
    }

    /// The group's offsets and lag on every queue (of `topic` only, when given).
    pub async fn consumer_progress(
        &self,
        group: &str,
        topic: Option<&str>,
        progress: Progress<'_>,
    ) -> Result<ConsumerProgress> {
        let addrs: Vec<String> = match topic {
            Some(t) => {
                let route = self.admin.route(t).await?;
                route.broker_datas.iter().filter_map(|b| route_addr(&route, &b.broker_name, false)).collect()
            }
            None => self.all_masters().await?.into_iter().map(|b| b.addr).collect(),
        };
        let stats = self.consume_stats(group, topic, &addrs, progress).await?;
        if stats.offset_table.is_empty() && !self.group_known(group, &addrs).await? {
            return Err(AdminError::GroupNotFound(group.to_owned()));
        }
        let queues: Vec<ProgressRow> = stats.offset_table.iter().map(|(mq, o)| ProgressRow::new(mq, o)).collect();
        Ok(ConsumerProgress {
            group: group.to_owned(),
            diff_total: stats.total_diff(),
            inflight_total: queues.iter().map(|q| q.inflight).sum(),
            consume_tps: stats.consume_tps,
            queues,
        })
    }

    /// The group's consume stats summed over the brokers at `addrs` (those that do not know
    /// the group are skipped).
    async fn consume_stats(
        &self,
        group: &str,
        topic: Option<&str>,
        addrs: &[String],
        progress: Progress<'_>,
    ) -> Result<ConsumeStats> {
        let mut stats = ConsumeStats::default();
        for (i, addr) in addrs.iter().enumerate() {
            progress(i, addrs.len());
            let h = GetConsumeStatsRequestHeader { consumer_group: group.to_owned(), topic: topic.map(str::to_owned) };
            let resp = self
                .admin
                .broker_ok(addr, RemotingCommand::request_with_header(RequestCode::GetConsumeStats, &h))
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(AdminError::Client(ClientError::Broker {
                    code: ResponseCode::SubscriptionGroupNotExist, ..
                })) => continue,
                Err(e) => return Err(e),
            };
            let part = ConsumeStats::parse(&resp.body)
                .map_err(|e| AdminError::BadAnswer { addr: addr.clone(), reason: e.to_string() })?;
            stats.consume_tps += part.consume_tps;
            stats.offset_table.extend(part.offset_table);
        }
        progress(addrs.len(), addrs.len());
        Ok(stats)
    }

    async fn group_known(&self, group: &str, addrs: &[String]) -> Result<bool> {
        for addr in addrs {
            if self.group_config(addr, group).await?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every consumer group with a retry topic, with its lag and online consumers.
    pub async fn group_list(&self, progress: Progress<'_>) -> Result<Vec<GroupSummary>> {
        let groups: Vec<String> = Topics::new(self.admin)
            .topic_list()
            .await?
            .into_iter()
            .filter_map(|t| rmq_common::topic::retry_group(&t).map(str::to_owned))
            .collect();
        let mut out = Vec::with_capacity(groups.len());
        for (i, group) in groups.iter().enumerate() {
            progress(i, groups.len());
            let stats = self.consumer_progress(group, None, &crate::no_progress).await.ok();
            let conn = self.consumer_connection(group).await.ok();
            let online = conn.as_ref().map_or(0, |c| c.connection_set.len());
            out.push(GroupSummary {
                group: group.clone(),
                count: online,
                version: conn.as_ref().and_then(|c| c.connection_set.iter().map(|x| x.version).min()),
                consume_type: conn
                    .as_ref()
                    .filter(|_| online > 0)
                    .map(|c| {
                        if c.consume_type == rmq_remoting::body::ConsumeType::Actively { "PULL" } else { "PUSH" }
                            .to_owned()
                    })
                    .unwrap_or_default(),
                message_model: conn
                    .as_ref()
                    .filter(|_| online > 0)
                    .map(|c| c.message_model.to_string())
                    .unwrap_or_default(),
                consume_tps: stats.as_ref().map_or(0.0, |s| s.consume_tps),
                diff_total: stats.as_ref().map_or(0, |s| s.diff_total),
            });
        }
        progress(groups.len(), groups.len());
        Ok(out)
    }

    /// The group's online consumers, their subscriptions and settings.
    pub async fn consumer_connection(&self, group: &str) -> Result<ConsumerConnection> {
        self.consumer_connection_at(group).await.map(|(_, c)| c)
    }

    async fn consumer_connection_at(&self, group: &str) -> Result<(String, ConsumerConnection)> {
        let h = ConsumerGroupRequestHeader { consumer_group: group.to_owned() };
        for broker in self.all_masters().await? {
            let req = RemotingCommand::request_with_header(RequestCode::GetConsumerConnectionList, &h);
            let resp = self.admin.broker_call(&broker.addr, req).await?;
            if resp.response_code() == ResponseCode::Success {
                let conn: ConsumerConnection = parse_json(&broker.addr, &resp.body)?;
                if !conn.connection_set.is_empty() {
                    return Ok((broker.addr, conn));
                }
            }
        }
        Err(AdminError::ConsumerNotOnline(group.to_owned()))
    }

    /// The group's producers connected to the brokers of `topic`.
    pub async fn producer_connection(&self, group: &str, topic: &str) -> Result<ProducerConnection> {
        let route = self.admin.route(topic).await?;
        let h = ProducerGroupRequestHeader { producer_group: group.to_owned() };
        let mut seen: BTreeMap<String, Connection> = BTreeMap::new();
        for b in &route.broker_datas {
            let Some(addr) = route_addr(&route, &b.broker_name, true) else { continue };
            let req = RemotingCommand::request_with_header(RequestCode::GetProducerConnectionList, &h);
            let resp = self.admin.broker_call(&addr, req).await?;
            if resp.response_code() == ResponseCode::Success {
                let conn: ProducerConnection = parse_json(&addr, &resp.body)?;
                for c in conn.connection_set {
                    seen.entry(c.client_id.clone()).or_insert(c);
                }
            }
        }
        if seen.is_empty() {
            return Err(AdminError::ProducerNotOnline(group.to_owned()));
        }
        Ok(ProducerConnection { connection_set: seen.into_values().collect() })
    }

    /// What the group's consumers (or the one with `client_id`) report about themselves.
    pub async fn consumer_status(&self, group: &str, client_id: Option<&str>) -> Result<Vec<ConsumerRunningInfo>> {
        let (addr, conn) = self.consumer_connection_at(group).await?;
        let mut clients: Vec<String> = conn.connection_set.iter().map(|c| c.client_id.clone()).collect();
        clients.sort();
        if let Some(id) = client_id {
            if !clients.iter().any(|c| c == id) {
                return Err(AdminError::ConsumerNotOnline(format!("{group} (client {id})")));
            }
            clients.retain(|c| c == id);
        }
        let mut out = Vec::new();
        for client in clients {
            let h = GetConsumerRunningInfoRequestHeader {
                consumer_group: group.to_owned(),
                client_id: client.clone(),
                jstack_enable: Some(false),
            };
            let req = RemotingCommand::request_with_header(RequestCode::GetConsumerRunningInfo, &h);
            let resp = self.admin.broker_ok(&addr, req).await?;
            out.push(running_info(&addr, client, &resp.body)?);
        }
        Ok(out)
    }
}

fn running_info(addr: &str, client_id: String, body: &[u8]) -> Result<ConsumerRunningInfo> {
    let v: serde_json::Value = parse_json(addr, body)?;
    let properties = v
        .get("properties")
        .and_then(serde_json::Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let subscriptions = v.get("subscriptionSet").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    let mut queues: Vec<QueueRunningInfo> = v
        .get("mqTable")
        .and_then(serde_json::Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, info)| {
                    fastjson::message_queue_key(k).map(|mq| QueueRunningInfo {
                        topic: mq.topic,
                        broker_name: mq.broker_name,
                        queue_id: mq.queue_id,
                        info: info.clone(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    queues.sort_by(|a, b| (&a.topic, &a.broker_name, a.queue_id).cmp(&(&b.topic, &b.broker_name, b.queue_id)));
    Ok(ConsumerRunningInfo { client_id, properties, subscriptions, queues })
}
