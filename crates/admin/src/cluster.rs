//! Cluster calls: the brokers of each cluster with their runtime stats, broker status, broker
//! config (read and update).

use std::collections::BTreeMap;

use rmq_remoting::body::KvTable;
use rmq_remoting::{RemotingCommand, RequestCode};
use serde::Serialize;

use crate::{cluster_brokers, parse_json, parse_properties, Admin, BrokerRef, Progress, Result, Target};

/// One broker of `clusterList`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerInfo {
    /// Cluster name.
    pub cluster: String,
    /// Broker set name.
    pub broker_name: String,
    /// 0 = master.
    pub broker_id: i64,
    /// `host:port`.
    pub addr: String,
    /// `ASYNC_MASTER`, `SYNC_MASTER` or `SLAVE`.
    pub role: String,
    /// Version the broker reports (`brokerVersionDesc`).
    pub version: String,
    /// Messages put per second.
    pub in_tps: f64,
    /// Messages transferred to consumers per second.
    pub out_tps: f64,
    /// Messages put today.
    pub in_total_today: i64,
    /// Messages read today.
    pub out_total_today: i64,
    /// Bytes a slave is behind its master (on a master: its best slave), when known.
    pub replication_lag_bytes: Option<i64>,
    /// When the broker started, ms.
    pub boot_timestamp: Option<i64>,
    /// Why its stats could not be read, if they could not.
    pub error: Option<String>,
}

/// Runtime stats of one broker (`brokerStatus`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerStatus {
    /// The broker.
    #[serde(flatten)]
    pub broker: BrokerRef,
    /// Its GET_BROKER_RUNTIME_INFO table.
    pub stats: BTreeMap<String, String>,
}

/// Effective config of one broker (`getBrokerConfig`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerConfig {
    /// The broker.
    #[serde(flatten)]
    pub broker: BrokerRef,
    /// Keys and values.
    pub config: BTreeMap<String, String>,
}

fn first_number(text: Option<&String>) -> f64 {
    text.and_then(|t| t.split_whitespace().next()).and_then(|t| t.parse().ok()).unwrap_or(0.0)
}

fn int(table: &BTreeMap<String, String>, key: &str) -> Option<i64> {
    table.get(key).and_then(|v| v.trim().parse().ok())
}

/// The admin calls on brokers and their runtime stats, broker config (`Cluster::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Cluster<'a> {
    pub(crate) admin: &'a Admin,
}

impl<'a> Cluster<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// GET_BROKER_RUNTIME_INFO of the broker at `addr`.
    pub async fn broker_runtime(&self, addr: &str) -> Result<BTreeMap<String, String>> {
        let resp = self.admin.broker_ok(addr, RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo)).await?;
        let table: KvTable = parse_json(addr, &resp.body)?;
        Ok(table.table)
    }

    /// Every broker (masters and slaves) of `cluster`, or of all clusters, with its stats.
    /// A broker whose stats cannot be read is listed with `error` set.
    pub async fn cluster_list(&self, cluster: Option<&str>, progress: Progress<'_>) -> Result<Vec<BrokerInfo>> {
        let info = self.admin.cluster_info().await?;
        let mut brokers = Vec::new();
        match cluster {
            Some(c) => brokers.extend(cluster_brokers(&info, c, true)?),
            None => {
                for c in info.cluster_addr_table.keys() {
                    brokers.extend(cluster_brokers(&info, c, true)?);
                }
            }
        }
        let mut out = Vec::with_capacity(brokers.len());
        for (i, b) in brokers.into_iter().enumerate() {
            progress(i, out.capacity());
            out.push(match self.broker_runtime(&b.addr).await {
                Ok(t) => broker_info(b, &t),
                Err(e) => BrokerInfo {
                    role: if b.broker_id == 0 { "MASTER" } else { "SLAVE" }.to_owned(),
                    cluster: b.cluster,
                    broker_name: b.broker_name,
                    broker_id: b.broker_id,
                    addr: b.addr,
                    version: String::new(),
                    in_tps: 0.0,
                    out_tps: 0.0,
                    in_total_today: 0,
                    out_total_today: 0,
                    replication_lag_bytes: None,
                    boot_timestamp: None,
                    error: Some(e.to_string()),
                },
            });
        }
        progress(out.len(), out.len());
        Ok(out)
    }

    /// Runtime stats of the target brokers (`-b addr`, or every broker of `-c cluster`).
    pub async fn broker_status(&self, target: &Target, progress: Progress<'_>) -> Result<Vec<BrokerStatus>> {
        let brokers = self.admin.resolve(target, true).await?;
        let mut out = Vec::new();
        for (i, broker) in brokers.iter().enumerate() {
            progress(i, brokers.len());
            out.push(BrokerStatus { stats: self.broker_runtime(&broker.addr).await?, broker: broker.clone() });
        }
        progress(out.len(), out.len());
        Ok(out)
    }

    /// The effective config of the target brokers (masters and slaves of a cluster).
    pub async fn broker_config(&self, target: &Target) -> Result<Vec<BrokerConfig>> {
        let mut out = Vec::new();
        for broker in self.admin.resolve(target, true).await? {
            let resp =
                self.admin.broker_ok(&broker.addr, RemotingCommand::request(RequestCode::GetBrokerConfig)).await?;
            out.push(BrokerConfig { config: parse_properties(&String::from_utf8_lossy(&resp.body)), broker });
        }
        Ok(out)
    }

    /// Sets `key=value` on the target brokers (a cluster's masters, and its slaves with
    /// `slaves`). Returns the brokers updated.
    pub async fn update_broker_config(
        &self,
        target: &Target,
        key: &str,
        value: &str,
        slaves: bool,
    ) -> Result<Vec<BrokerRef>> {
        let brokers = self.admin.resolve(target, slaves).await?;
        let body = format!("{key}={value}\n");
        for broker in &brokers {
            let req = RemotingCommand::request(RequestCode::UpdateBrokerConfig).with_body(body.clone().into_bytes());
            self.admin.broker_ok(&broker.addr, req).await?;
        }
        Ok(brokers)
    }
}

fn broker_info(b: BrokerRef, t: &BTreeMap<String, String>) -> BrokerInfo {
    let out_tps = t.get("getTransferredTps").or_else(|| t.get("getTransferedTps"));
    let diff = |now: &str, morning: &str| match (int(t, now), int(t, morning)) {
        (Some(n), Some(m)) => n - m,
        _ => 0,
    };
    BrokerInfo {
        role: t.get("brokerRole").cloned().unwrap_or_default(),
        version: t.get("brokerVersionDesc").cloned().unwrap_or_default(),
        in_tps: first_number(t.get("putTps")),
        out_tps: first_number(out_tps),
        in_total_today: diff("msgPutTotalTodayNow", "msgPutTotalTodayMorning"),
        out_total_today: diff("msgGetTotalTodayNow", "msgGetTotalTodayMorning"),
        replication_lag_bytes: int(t, "haReplicationLagBytes").filter(|v| *v >= 0),
        boot_timestamp: int(t, "bootTimestamp"),
        error: None,
        cluster: b.cluster,
        broker_name: b.broker_name,
        broker_id: b.broker_id,
        addr: b.addr,
    }
}
