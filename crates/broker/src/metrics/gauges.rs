//! Gauges computed when scraped, from the tables, the store and replication: table sizes,
//! connections by language and version, consumer lag, inflight and queueing per group and
//! topic, storage, HA lag. Nothing here runs on a request path.

use std::collections::{BTreeMap, HashMap};

use rmq_metrics::encode::{gauges, Labels, NodeLabels};
use rmq_metrics::names::{self, label};
use rmq_metrics::{Collector, DescriptorEncoder};
use rmq_remoting::body::ConsumeType;

use super::Sources;
use crate::services::ha::Replication;

type Rows = Vec<(Labels, i64)>;

/// The scrape-time gauges of a broker.
#[derive(Debug)]
pub struct BrokerGauges {
    /// What they read.
    pub sources: Sources,
    /// The broker's labels.
    pub node: NodeLabels,
}

/// One group's standing on one topic.
#[derive(Debug, Default)]
struct Lag {
    lag: i64,
    lag_latency: i64,
    inflight: i64,
    queueing_latency: i64,
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl BrokerGauges {
    fn tables(&self, enc: &mut DescriptorEncoder<'_>) -> std::fmt::Result {
        let t = &self.sources.tables;
        let topics = vec![(self.node.with(&[]), len_i64(t.topics.names().len()))];
        gauges(enc, names::TOPIC_NUMBER, "Active topic number", &topics)?;
        let groups = vec![(self.node.with(&[]), len_i64(t.groups.wrapper().subscription_group_table.len()))];
        gauges(enc, names::CONSUMER_GROUP_NUMBER, "Active subscription group number", &groups)?;
        let perm = i64::from(self.sources.config.topics.broker_permission);
        gauges(enc, names::BROKER_PERMISSION, "Broker permission", &[(self.node.with(&[]), perm)])
    }

    fn producers(&self) -> Rows {
        let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (lang, version) in self.sources.tables.clients.producer_connections() {
            *counts.entry((lang.as_str().to_ascii_lowercase(), super::version_desc(version))).or_default() += 1;
        }
        let row = |((lang, version), n): ((String, String), i64)| {
            let labels = self.node.with(&[
                (label::LANGUAGE, &lang),
                (label::VERSION, &version),
                (label::PROTOCOL_TYPE, "remoting"),
            ]);
            (labels, n)
        };
        counts.into_iter().map(row).collect()
    }

    fn consumers(&self) -> Rows {
        let mut counts: BTreeMap<(String, String, String, &'static str), i64> = BTreeMap::new();
        for (group, lang, version, kind) in self.sources.tables.clients.consumer_connections() {
            let mode = match kind {
                ConsumeType::Actively => "pull",
                ConsumeType::Passively => "push",
                ConsumeType::Pop => "pop",
            };
            let key = (group, lang.as_str().to_ascii_lowercase(), super::version_desc(version), mode);
            *counts.entry(key).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|((g, lang, version, mode), n)| (self.consumer_labels(&g, &lang, &version, mode), n))
            .collect()
    }

    fn consumer_labels(&self, group: &str, lang: &str, version: &str, mode: &str) -> Labels {
        let system = super::is_system("", Some(group)).to_string();
        self.node.with(&[
            (label::CONSUMER_GROUP, group),
            (label::LANGUAGE, lang),
            (label::VERSION, version),
            (label::CONSUME_MODE, mode),
            (label::PROTOCOL_TYPE, "remoting"),
            (label::IS_SYSTEM, &system),
        ])
    }

    fn connections(&self, enc: &mut DescriptorEncoder<'_>) -> std::fmt::Result {
        gauges(enc, names::PRODUCER_CONNECTIONS, "Producer connections", &self.producers())?;
        gauges(enc, names::CONSUMER_CONNECTIONS, "Consumer connections", &self.consumers())
    }

    /// A group's lag on a topic, over the queues it committed offsets for.
    fn lag_of(&self, topic: &str, group: &str, queues: &BTreeMap<i32, i64>, now: i64) -> Lag {
        let (store, offsets) = (&self.sources.store, &self.sources.tables.offsets);
        let (mut lag, mut oldest_unconsumed, mut oldest_unpulled) = (Lag::default(), i64::MAX, i64::MAX);
        for (&q, &committed) in queues {
            let max = store.max_offset(topic, q);
            let committed = committed.clamp(0, max.max(0));
            let pulled = offsets.query_pull(group, topic, q).clamp(committed, max.max(committed));
            lag.lag += max - committed;
            lag.inflight += pulled - committed;
            if committed < max {
                oldest_unconsumed = oldest_unconsumed.min(store.store_time_of(topic, q, committed).unwrap_or(now));
            }
            if pulled < max {
                oldest_unpulled = oldest_unpulled.min(store.store_time_of(topic, q, pulled).unwrap_or(now));
            }
        }
        lag.lag_latency = if oldest_unconsumed == i64::MAX { 0 } else { (now - oldest_unconsumed).max(0) };
        lag.queueing_latency = if oldest_unpulled == i64::MAX { 0 } else { (now - oldest_unpulled).max(0) };
        lag
    }

    fn lags(&self, enc: &mut DescriptorEncoder<'_>) -> std::fmt::Result {
        let now = crate::now_ms();
        let mut rows: [Rows; 4] = Default::default();
        let mut committed = self.sources.tables.offsets.all_committed();
        committed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        for (topic, group, queues) in committed {
            let l = self.lag_of(&topic, &group, &queues, now);
            let labels = self.node.with(&[
                (label::CONSUMER_GROUP, &group),
                (label::TOPIC, &topic),
                (label::IS_RETRY, &rmq_common::topic::is_retry(&topic).to_string()),
                (label::IS_SYSTEM, &super::is_system(&topic, Some(&group)).to_string()),
            ]);
            for (i, v) in [l.lag, l.lag_latency, l.inflight, l.queueing_latency].into_iter().enumerate() {
                rows[i].push((labels.clone(), v));
            }
        }
        gauges(enc, names::CONSUMER_LAG_MESSAGES, "Consumer lag messages", &rows[0])?;
        gauges(enc, names::CONSUMER_LAG_LATENCY, "Consumer lag time, ms", &rows[1])?;
        gauges(enc, names::CONSUMER_INFLIGHT_MESSAGES, "Consumer inflight messages", &rows[2])?;
        gauges(enc, names::CONSUMER_QUEUEING_LATENCY, "Consumer queueing time, ms", &rows[3])
    }

    fn storage(&self, enc: &mut DescriptorEncoder<'_>) -> std::fmt::Result {
        let info: HashMap<String, String> = self.sources.store.runtime_info().into_iter().collect();
        let num = |k: &str| info.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let labels = self.node.with(&[(label::STORAGE_TYPE, "local"), (label::STORAGE_MEDIUM, "disk")]);
        let size = num("commitLogMaxOffset") - num("commitLogMinOffset");
        gauges(enc, names::STORAGE_SIZE, "Commit-log bytes held", &[(labels.clone(), size)])?;
        let flush = vec![(labels.clone(), num("remainHowManyDataToFlush"))];
        gauges(enc, names::STORAGE_FLUSH_BEHIND, "Bytes written and not flushed", &flush)?;
        let dispatch = vec![(labels, num("dispatchBehindBytes"))];
        gauges(enc, names::STORAGE_DISPATCH_BEHIND, "Bytes not dispatched to consume queues", &dispatch)
    }

    fn ha(&self, enc: &mut DescriptorEncoder<'_>) -> std::fmt::Result {
        let max = self.sources.store.commit_log_max_offset();
        let (lag, slaves) = match &self.sources.replication {
            Replication::Master(m) => {
                let slaves = m.slaves();
                let lag = slaves.iter().map(|s| s.1).max().map_or(0, |best| max.saturating_sub(best));
                (lag, len_i64(slaves.len()))
            }
            Replication::Slave(s) => (s.master_offset().saturating_sub(max), 0),
        };
        let lag = vec![(self.node.with(&[]), i64::try_from(lag).unwrap_or(i64::MAX))];
        gauges(enc, names::HA_LAG_BYTES, "Replication lag: bytes the best slave (or this slave) is behind", &lag)?;
        let slaves = vec![(self.node.with(&[]), slaves)];
        gauges(enc, names::HA_CONNECTED_SLAVES, "Slaves connected to this master", &slaves)
    }
}

impl Collector for BrokerGauges {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        self.tables(&mut enc)?;
        self.connections(&mut enc)?;
        self.lags(&mut enc)?;
        self.storage(&mut enc)?;
        self.ha(&mut enc)
    }
}
