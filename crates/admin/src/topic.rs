//! Topic calls: create or update, delete, list, route, status per queue, clusters, permissions.

use rmq_remoting::body::{GroupList, TopicConfig, TopicList, TopicStatsTable};
use rmq_remoting::header::{
    CreateTopicRequestHeader, DeleteTopicFromNamesrvRequestHeader, GetTopicConfigRequestHeader,
    KvConfigKeyRequestHeader, PutKvConfigRequestHeader, QueryTopicConsumeByWhoRequestHeader, TopicRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};
use serde::Serialize;

use crate::{find_by_addr, parse_json, route_addr, Admin, AdminError, BrokerRef, Progress, Result, Target};

// Name-server KV namespace of ordered topics' `brokerName:queues;...` config.
use rmq_common::topic::ORDER_TOPIC_CONFIG;
// Template topic named in create requests.
/// Permission bits (their one home is rmq-common).
pub use rmq_common::perm::{READ as PERM_READ, WRITE as PERM_WRITE};
use rmq_common::topic::AUTO_CREATE as DEFAULT_TOPIC;

/// What `updateTopic` sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// Topic name.
    pub topic: String,
    /// Read queues (official default 8).
    pub read_queue_nums: i32,
    /// Write queues (official default 8).
    pub write_queue_nums: i32,
    /// Permission: 2 = write, 4 = read, 6 = both.
    pub perm: i32,
    /// Ordered topic (also written to the name servers' order config).
    pub order: bool,
    /// Topic sys flag.
    pub sys_flag: i32,
    /// 5.x attributes, `+a=b,-c`.
    pub attributes: Option<String>,
}

impl TopicSpec {
    /// The official defaults for `topic`: 8 read and write queues, read-write, unordered.
    #[must_use]
    pub fn new(topic: &str) -> Self {
        Self {
            topic: topic.to_owned(),
            read_queue_nums: 8,
            write_queue_nums: 8,
            perm: PERM_READ | PERM_WRITE,
            order: false,
            sys_flag: 0,
            attributes: None,
        }
    }
}

/// One topic of `topicList -c`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicClusterGroups {
    /// Cluster of its first broker.
    pub cluster: String,
    /// Topic.
    pub topic: String,
    /// Consumer groups that consume it.
    pub groups: Vec<String>,
}

/// One queue of `topicStatus`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    /// Broker set name.
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

/// One broker's permission change of `updateTopicPerm`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermChange {
    /// Broker set name.
    pub broker_name: String,
    /// Master address.
    pub addr: String,
    /// Permission before.
    pub old_perm: i32,
    /// Permission now.
    pub new_perm: i32,
    /// False when the permission was already `new_perm`.
    pub changed: bool,
}

/// The admin calls on create, delete, list, route, status, permissions (`Topics::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Topics<'a> {
    pub(crate) admin: &'a Admin,
}

impl<'a> Topics<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// Creates or updates a topic on the target brokers; returns them.
    pub async fn create_topic(&self, target: &Target, spec: &TopicSpec) -> Result<Vec<BrokerRef>> {
        check_perm(spec.perm)?;
        if spec.read_queue_nums <= 0 || spec.write_queue_nums <= 0 {
            return Err(AdminError::Invalid("read and write queue numbers must be positive".into()));
        }
        let brokers = self.admin.resolve(target, false).await?;
        let header = CreateTopicRequestHeader {
            topic: spec.topic.clone(),
            default_topic: DEFAULT_TOPIC.to_owned(),
            read_queue_nums: spec.read_queue_nums,
            write_queue_nums: spec.write_queue_nums,
            perm: spec.perm,
            topic_filter_type: rmq_remoting::body::TopicFilterType::SingleTag.as_str().to_owned(),
            topic_sys_flag: Some(spec.sys_flag),
            order: spec.order,
            attributes: spec.attributes.clone(),
        };
        for b in &brokers {
            let req = RemotingCommand::request_with_header(RequestCode::UpdateAndCreateTopic, &header);
            self.admin.broker_ok(&b.addr, req).await?;
        }
        if spec.order {
            let conf: Vec<String> =
                brokers.iter().map(|b| format!("{}:{}", b.broker_name, spec.write_queue_nums)).collect();
            self.put_order_conf(&spec.topic, &conf.join(";")).await?;
        }
        Ok(brokers)
    }

    async fn put_order_conf(&self, topic: &str, conf: &str) -> Result<()> {
        let h = PutKvConfigRequestHeader {
            namespace: ORDER_TOPIC_CONFIG.to_owned(),
            key: topic.to_owned(),
            value: conf.to_owned(),
        };
        for addr in self.admin.instance.namesrv_addrs() {
            self.admin.broker_ok(&addr, RemotingCommand::request_with_header(RequestCode::PutKvConfig, &h)).await?;
        }
        Ok(())
    }

    /// Deletes a topic from every master of `cluster` and from every name server.
    pub async fn delete_topic(&self, cluster: &str, topic: &str) -> Result<Vec<BrokerRef>> {
        self.admin.route(topic).await?;
        let brokers = self.admin.resolve(&Target::Cluster(cluster.to_owned()), false).await?;
        let h = TopicRequestHeader { topic: topic.to_owned() };
        for b in &brokers {
            self.admin
                .broker_ok(&b.addr, RemotingCommand::request_with_header(RequestCode::DeleteTopicInBroker, &h))
                .await?;
        }
        let h = DeleteTopicFromNamesrvRequestHeader { topic: topic.to_owned(), cluster_name: Some(cluster.to_owned()) };
        let kv = KvConfigKeyRequestHeader { namespace: ORDER_TOPIC_CONFIG.to_owned(), key: topic.to_owned() };
        for addr in self.admin.instance.namesrv_addrs() {
            self.admin
                .broker_ok(&addr, RemotingCommand::request_with_header(RequestCode::DeleteTopicInNamesrv, &h))
                .await?;
            // Most topics have no order config; a failure here changes nothing.
            let _ = self
                .admin
                .broker_call(&addr, RemotingCommand::request_with_header(RequestCode::DeleteKvConfig, &kv))
                .await;
        }
        Ok(brokers)
    }

    /// Every topic the name servers know, sorted.
    pub async fn topic_list(&self) -> Result<Vec<String>> {
        let resp = self.admin.namesrv_ok(RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver)).await?;
        let mut list: TopicList = parse_json("name server", &resp.body)?;
        list.topic_list.sort();
        Ok(list.topic_list)
    }

    /// Every topic except retry and dead-letter topics, with its cluster and consumer groups.
    pub async fn topic_list_with_groups(&self, progress: Progress<'_>) -> Result<Vec<TopicClusterGroups>> {
        let topics: Vec<String> = self
            .topic_list()
            .await?
            .into_iter()
            .filter(|t| !rmq_common::topic::is_retry(t) && !rmq_common::topic::is_dlq(t))
            .collect();
        let mut out = Vec::with_capacity(topics.len());
        for (i, topic) in topics.iter().enumerate() {
            progress(i, topics.len());
            let Ok(route) = self.admin.route(topic).await else { continue };
            let cluster = route.broker_datas.first().map(|b| b.cluster.clone()).unwrap_or_default();
            let mut groups = Vec::new();
            if let Some(addr) = route.broker_datas.first().and_then(|b| route_addr(&route, &b.broker_name, false)) {
                let h = QueryTopicConsumeByWhoRequestHeader { topic: topic.clone() };
                let req = RemotingCommand::request_with_header(RequestCode::QueryTopicConsumeByWho, &h);
                if let Ok(resp) = self.admin.broker_ok(&addr, req).await {
                    groups = parse_json::<GroupList>(&addr, &resp.body)?.group_list;
                }
            }
            out.push(TopicClusterGroups { cluster, topic: topic.clone(), groups });
        }
        progress(topics.len(), topics.len());
        Ok(out)
    }

    /// Min and max offset and last store time of each queue of `topic`, by broker and queue.
    pub async fn topic_status(&self, topic: &str, progress: Progress<'_>) -> Result<Vec<QueueStatus>> {
        let route = self.admin.route(topic).await?;
        let mut rows = Vec::new();
        for (i, b) in route.broker_datas.iter().enumerate() {
            progress(i, route.broker_datas.len());
            let Some(addr) = route_addr(&route, &b.broker_name, false) else { continue };
            let h = TopicRequestHeader { topic: topic.to_owned() };
            let resp = self
                .admin
                .broker_ok(&addr, RemotingCommand::request_with_header(RequestCode::GetTopicStatsInfo, &h))
                .await?;
            let table = TopicStatsTable::parse(&resp.body)
                .map_err(|e| AdminError::BadAnswer { addr: addr.clone(), reason: e.to_string() })?;
            rows.extend(table.offset_table.into_iter().map(|(mq, o)| QueueStatus {
                broker_name: mq.broker_name,
                queue_id: mq.queue_id,
                min_offset: o.min_offset,
                max_offset: o.max_offset,
                last_update_timestamp: o.last_update_timestamp,
            }));
        }
        progress(route.broker_datas.len(), route.broker_datas.len());
        rows.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
        Ok(rows)
    }

    /// Clusters that serve `topic`.
    pub async fn topic_clusters(&self, topic: &str) -> Result<Vec<String>> {
        let route = self.admin.route(topic).await?;
        let mut clusters: Vec<String> = route.broker_datas.iter().map(|b| b.cluster.clone()).collect();
        if clusters.iter().any(String::is_empty) {
            let info = self.admin.cluster_info().await?;
            clusters = route
                .broker_datas
                .iter()
                .filter_map(|b| {
                    info.cluster_addr_table
                        .iter()
                        .find(|(_, names)| names.contains(&b.broker_name))
                        .map(|(c, _)| c.clone())
                })
                .collect();
        }
        clusters.sort();
        clusters.dedup();
        Ok(clusters)
    }

    /// The masters whose topic permission `updateTopicPerm` sets: the broker given (it must be
    /// a registered master), or the cluster's.
    async fn perm_targets(&self, target: &Target) -> Result<Vec<BrokerRef>> {
        Ok(match target {
            Target::Broker(addr) => {
                let info = self.admin.cluster_info().await?;
                let b = find_by_addr(&info, addr)
                    .filter(|b| b.broker_id == 0)
                    .ok_or_else(|| AdminError::BrokerNotFound(format!("{addr} (not a registered master)")))?;
                vec![b]
            }
            Target::Cluster(_) => self.admin.resolve(target, false).await?,
        })
    }

    /// Writes `cfg` of `topic` to the broker at `addr` (UPDATE_AND_CREATE_TOPIC).
    async fn set_topic_config(&self, addr: &str, topic: &str, cfg: &TopicConfig) -> Result<()> {
        let h = CreateTopicRequestHeader {
            topic: topic.to_owned(),
            default_topic: DEFAULT_TOPIC.to_owned(),
            read_queue_nums: cfg.read_queue_nums,
            write_queue_nums: cfg.write_queue_nums,
            perm: cfg.perm,
            topic_filter_type: cfg.topic_filter_type.to_string(),
            topic_sys_flag: Some(cfg.topic_sys_flag),
            order: cfg.order,
            attributes: None,
        };
        self.admin.broker_ok(addr, RemotingCommand::request_with_header(RequestCode::UpdateAndCreateTopic, &h)).await?;
        Ok(())
    }

    /// Sets the permission of `topic` on the target brokers' masters.
    pub async fn update_topic_perm(&self, topic: &str, perm: i32, target: &Target) -> Result<Vec<PermChange>> {
        check_perm(perm)?;
        let route = self.admin.route(topic).await?;
        let brokers = self.perm_targets(target).await?;
        let mut out = Vec::new();
        for b in brokers {
            let Some(queues) = route.queue_datas.iter().find(|q| q.broker_name == b.broker_name) else {
                if matches!(target, Target::Broker(_)) {
                    return Err(AdminError::TopicNotFound(format!("{topic} on broker {}", b.broker_name)));
                }
                continue;
            };
            let mut cfg = self.topic_config(&b.addr, topic).await.unwrap_or_else(|| TopicConfig {
                topic_name: topic.to_owned(),
                read_queue_nums: queues.read_queue_nums,
                write_queue_nums: queues.write_queue_nums,
                perm: queues.perm,
                topic_sys_flag: queues.topic_sys_flag,
                ..TopicConfig::default()
            });
            let old_perm = queues.perm;
            let changed = old_perm != perm;
            if changed {
                cfg.perm = perm;
                self.set_topic_config(&b.addr, topic, &cfg).await?;
            }
            out.push(PermChange { broker_name: b.broker_name, addr: b.addr, old_perm, new_perm: perm, changed });
        }
        if out.is_empty() {
            return Err(AdminError::TopicNotFound(format!("{topic} on the target brokers")));
        }
        Ok(out)
    }

    /// The topic's config on one broker (GET_TOPIC_CONFIG, 5.x), if the broker answers it.
    async fn topic_config(&self, addr: &str, topic: &str) -> Option<TopicConfig> {
        let h = GetTopicConfigRequestHeader { topic: topic.to_owned() };
        let resp = self
            .admin
            .broker_ok(addr, RemotingCommand::request_with_header(RequestCode::GetTopicConfig, &h))
            .await
            .ok()?;
        parse_json(addr, &resp.body).ok()
    }
}

fn check_perm(perm: i32) -> Result<()> {
    if matches!(perm, 2 | 4 | 6) {
        Ok(())
    } else {
        Err(AdminError::Invalid(format!("bad perm {perm}: expected 2 (write), 4 (read) or 6 (read and write)")))
    }
}
