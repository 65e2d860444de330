//! The route table: clusters, broker sets, topics' queues, and broker liveness.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use rmq_remoting::body::{
    BrokerData, ClusterInfo, DataVersion, QueueData, TopicConfigSerializeWrapper, TopicRouteData,
};

/// One registered broker address.
#[derive(Debug, Clone)]
struct Live {
    last_update: Instant,
    version: DataVersion,
    channel_id: u64,
    ha_server_addr: String,
    cluster: String,
    broker_name: String,
    broker_id: i64,
}

/// What a REGISTER_BROKER carries.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Cluster.
    pub cluster: String,
    /// Broker set name.
    pub broker_name: String,
    /// `ip:port`.
    pub broker_addr: String,
    /// `ip:haPort`.
    pub ha_server_addr: String,
    /// 0 = master.
    pub broker_id: i64,
    /// Whether the broker set lets a slave act as master (5.x header; false when absent).
    pub enable_acting_master: bool,
    /// Topic table (only a master's builds queue data).
    pub topics: TopicConfigSerializeWrapper,
    /// Connection it came on.
    pub channel_id: u64,
}

/// The answer to a registration: the master's addresses, for a slave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterAnswer {
    /// Master's HA address.
    pub ha_server_addr: Option<String>,
    /// Master's address.
    pub master_addr: Option<String>,
}

/// The route table.
#[derive(Debug, Default)]
pub struct RouteTable {
    clusters: BTreeMap<String, BTreeSet<String>>,
    brokers: BTreeMap<String, BrokerData>,
    topics: BTreeMap<String, BTreeMap<String, QueueData>>,
    live: HashMap<String, Live>,
}

impl RouteTable {
    /// Records a broker; rebuilds its topics' queue data when it is a master whose data
    /// version changed (or on first registration).
    pub fn register(&mut self, r: Registration) -> RegisterAnswer {
        self.clusters.entry(r.cluster.clone()).or_default().insert(r.broker_name.clone());
        let data = self.brokers.entry(r.broker_name.clone()).or_insert_with(|| BrokerData {
            cluster: r.cluster.clone(),
            broker_name: r.broker_name.clone(),
            broker_addrs: BTreeMap::new(),
            enable_acting_master: false,
        });
        data.enable_acting_master = r.enable_acting_master;
        // The same address under another id (slave switched to master): drop the old entry.
        data.broker_addrs.retain(|id, addr| !(*addr == r.broker_addr && *id != r.broker_id));
        let first = data.broker_addrs.insert(r.broker_id, r.broker_addr.clone()).is_none();
        let changed = self.live.get(&r.broker_addr).is_none_or(|l| l.version != r.topics.data_version);
        if r.broker_id == 0 && (first || changed) {
            let names: BTreeSet<&String> = r.topics.topic_config_table.keys().collect();
            for (topic, cfg) in &r.topics.topic_config_table {
                let q = QueueData {
                    broker_name: r.broker_name.clone(),
                    read_queue_nums: cfg.read_queue_nums,
                    write_queue_nums: cfg.write_queue_nums,
                    perm: cfg.perm,
                    topic_sys_flag: cfg.topic_sys_flag,
                    topic_syn_flag: cfg.topic_sys_flag,
                };
                self.topics.entry(topic.clone()).or_default().insert(r.broker_name.clone(), q);
            }
            // Topics the master no longer has leave this broker set.
            for (topic, qs) in &mut self.topics {
                if !names.contains(topic) {
                    qs.remove(&r.broker_name);
                }
            }
            self.topics.retain(|_, qs| !qs.is_empty());
        }
        self.live.insert(
            r.broker_addr.clone(),
            Live {
                last_update: Instant::now(),
                version: r.topics.data_version.clone(),
                channel_id: r.channel_id,
                ha_server_addr: r.ha_server_addr.clone(),
                cluster: r.cluster.clone(),
                broker_name: r.broker_name.clone(),
                broker_id: r.broker_id,
            },
        );
        let mut answer = RegisterAnswer::default();
        if r.broker_id != 0 {
            if let Some(master) = self.brokers.get(&r.broker_name).and_then(|b| b.broker_addrs.get(&0)) {
                if let Some(l) = self.live.get(master) {
                    answer.ha_server_addr = Some(l.ha_server_addr.clone());
                    answer.master_addr = Some(master.clone());
                }
            }
        }
        answer
    }

    /// Whether a broker's data version differs from what we hold (QUERY_DATA_VERSION).
    #[must_use]
    pub fn version_changed(&self, broker_addr: &str, version: &DataVersion) -> bool {
        self.live.get(broker_addr).is_none_or(|l| &l.version != version)
    }

    /// The data version held for a broker.
    #[must_use]
    pub fn version_of(&self, broker_addr: &str) -> Option<DataVersion> {
        self.live.get(broker_addr).map(|l| l.version.clone())
    }

    /// Removes a broker address (UNREGISTER_BROKER, expiry, closed connection).
    pub fn unregister(&mut self, cluster: &str, broker_name: &str, broker_addr: &str, broker_id: i64) {
        self.live.remove(broker_addr);
        let mut set_empty = false;
        if let Some(data) = self.brokers.get_mut(broker_name) {
            if data.broker_addrs.get(&broker_id).is_some_and(|a| a == broker_addr) {
                data.broker_addrs.remove(&broker_id);
            }
            set_empty = data.broker_addrs.is_empty();
        }
        if set_empty {
            self.brokers.remove(broker_name);
            if let Some(names) = self.clusters.get_mut(cluster) {
                names.remove(broker_name);
                if names.is_empty() {
                    self.clusters.remove(cluster);
                }
            }
        }
        // Queue data goes with the last member of the set: while a slave remains, consumers
        // keep reading there (producers skip a set without a master), as RocketMQ does.
        if set_empty {
            for qs in self.topics.values_mut() {
                qs.remove(broker_name);
            }
            self.topics.retain(|_, qs| !qs.is_empty());
        }
        tracing::info!(broker = broker_addr, name = broker_name, id = broker_id, "broker removed from routes");
    }

    fn remove_where(&mut self, pred: impl Fn(&Live) -> bool) -> usize {
        let gone: Vec<(String, Live)> =
            self.live.iter().filter(|(_, l)| pred(l)).map(|(a, l)| (a.clone(), l.clone())).collect();
        for (addr, l) in &gone {
            self.unregister(&l.cluster, &l.broker_name, addr, l.broker_id);
        }
        gone.len()
    }

    /// Drops brokers silent for longer than `max_idle`; returns how many.
    pub fn expire(&mut self, max_idle: Duration) -> usize {
        let now = Instant::now();
        self.remove_where(|l| now.duration_since(l.last_update) > max_idle)
    }

    /// Drops brokers registered over a closed connection.
    pub fn channel_closed(&mut self, channel_id: u64) -> usize {
        self.remove_where(|l| l.channel_id == channel_id)
    }

    /// The route of a topic, if any broker serves it.
    #[must_use]
    pub fn route(&self, topic: &str) -> Option<TopicRouteData> {
        let qs = self.topics.get(topic)?;
        let queue_datas: Vec<QueueData> = qs.values().cloned().collect();
        let broker_datas: Vec<BrokerData> = qs.keys().filter_map(|b| self.brokers.get(b).cloned()).collect();
        if broker_datas.is_empty() {
            return None;
        }
        Some(TopicRouteData { queue_datas, broker_datas, ..TopicRouteData::default() })
    }

    /// Cluster info.
    #[must_use]
    pub fn cluster_info(&self) -> ClusterInfo {
        ClusterInfo { broker_addr_table: self.brokers.clone(), cluster_addr_table: self.clusters.clone() }
    }

    /// All topics.
    #[must_use]
    pub fn topics(&self) -> Vec<String> {
        self.topics.keys().cloned().collect()
    }

    /// Topics served by a cluster's broker sets.
    #[must_use]
    pub fn topics_of_cluster(&self, cluster: &str) -> Vec<String> {
        let Some(names) = self.clusters.get(cluster) else { return Vec::new() };
        self.topics.iter().filter(|(_, qs)| qs.keys().any(|b| names.contains(b))).map(|(t, _)| t.clone()).collect()
    }

    /// Deletes a topic (from one cluster's broker sets, or everywhere).
    pub fn delete_topic(&mut self, topic: &str, cluster: Option<&str>) {
        match cluster.and_then(|c| self.clusters.get(c).cloned()) {
            Some(names) => {
                if let Some(qs) = self.topics.get_mut(topic) {
                    qs.retain(|b, _| !names.contains(b));
                    if qs.is_empty() {
                        self.topics.remove(topic);
                    }
                }
            }
            None => {
                self.topics.remove(topic);
            }
        }
    }

    /// Sets the write permission of every topic on a broker set; returns topics changed.
    pub fn set_write_perm(&mut self, broker_name: &str, writable: bool) -> i32 {
        let mut n = 0;
        for qs in self.topics.values_mut() {
            if let Some(q) = qs.get_mut(broker_name) {
                q.perm = rmq_common::perm::with_write(q.perm, writable);
                n += 1;
            }
        }
        n
    }

    /// Registers a topic's queue data directly (REGISTER_TOPIC_IN_NAMESRV).
    pub fn register_topic(&mut self, topic: &str, queues: Vec<QueueData>) {
        let e = self.topics.entry(topic.to_owned()).or_default();
        for q in queues {
            e.insert(q.broker_name.clone(), q);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_remoting::body::TopicConfig;

    fn reg(cluster: &str, name: &str, addr: &str, id: i64, topics: &[&str], counter: i64, ch: u64) -> Registration {
        let mut w = TopicConfigSerializeWrapper::default();
        for t in topics {
            w.topic_config_table.insert(
                (*t).into(),
                TopicConfig {
                    topic_name: (*t).into(),
                    read_queue_nums: 4,
                    write_queue_nums: 4,
                    ..TopicConfig::default()
                },
            );
        }
        w.data_version.counter = counter;
        Registration {
            cluster: cluster.into(),
            broker_name: name.into(),
            broker_addr: addr.into(),
            ha_server_addr: format!("{addr}-ha"),
            broker_id: id,
            enable_acting_master: false,
            topics: w,
            channel_id: ch,
        }
    }

    #[test]
    fn master_and_slave_routes() {
        let mut t = RouteTable::default();
        assert_eq!(t.register(reg("c", "a", "m:1", 0, &["T"], 1, 1)), RegisterAnswer::default());
        let ans = t.register(reg("c", "a", "s:1", 1, &["T"], 1, 2));
        assert_eq!(ans.master_addr.as_deref(), Some("m:1"));
        assert_eq!(ans.ha_server_addr.as_deref(), Some("m:1-ha"));
        t.register(reg("c", "b", "m:2", 0, &["T", "U"], 1, 3));
        let r = t.route("T").unwrap();
        assert_eq!(r.queue_datas.len(), 2);
        let a = r.broker_datas.iter().find(|b| b.broker_name == "a").unwrap();
        assert_eq!(a.broker_addrs.len(), 2);
        assert!(t.route("nope").is_none());
        assert_eq!(t.cluster_info().cluster_addr_table["c"].len(), 2);
        assert_eq!(t.topics_of_cluster("c"), vec!["T".to_owned(), "U".to_owned()]);
        // The slave's connection closes: only its address goes.
        assert_eq!(t.channel_closed(2), 1);
        assert_eq!(
            t.route("T").unwrap().broker_datas.iter().find(|b| b.broker_name == "a").unwrap().broker_addrs.len(),
            1
        );
        // The master of b unregisters: its queues go.
        t.unregister("c", "b", "m:2", 0);
        assert!(t.route("U").is_none());
        assert_eq!(t.route("T").unwrap().queue_datas.len(), 1);
    }

    #[test]
    fn expiry_and_topic_removal_on_new_version() {
        let mut t = RouteTable::default();
        t.register(reg("c", "a", "m:1", 0, &["T", "U"], 1, 1));
        t.register(reg("c", "a", "m:1", 0, &["T"], 2, 1));
        assert!(t.route("U").is_none());
        assert!(!t.version_changed("m:1", &t.version_of("m:1").unwrap()));
        assert_eq!(t.expire(Duration::from_secs(3600)), 0);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(t.expire(Duration::from_millis(1)), 1);
        assert!(t.route("T").is_none());
        assert!(t.cluster_info().broker_addr_table.is_empty());
    }
}
