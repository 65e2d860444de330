//! Cluster commands: clusterList, brokerStatus, getBrokerConfig, updateBrokerConfig.

use clap::Subcommand;
use rmq_admin::cluster::Cluster;
use rmq_admin::cluster::{BrokerConfig, BrokerInfo, BrokerStatus};
use rmq_admin::Admin;
use serde_json::json;

use crate::output::{time, Output, Table, TargetArgs};

/// Cluster and broker commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the brokers of each cluster: role, address, version, in/out TPS, replication lag.
    #[command(name = "clusterList")]
    ClusterList {
        /// Only this cluster.
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
    },
    /// Fetch broker runtime status data.
    #[command(name = "brokerStatus")]
    BrokerStatus {
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Get broker config by cluster or broker.
    #[command(name = "getBrokerConfig")]
    GetBrokerConfig {
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Update a broker config key (persisted by the broker; most keys apply at restart).
    #[command(name = "updateBrokerConfig")]
    UpdateBrokerConfig {
        #[command(flatten)]
        target: TargetArgs,
        /// Config key.
        #[arg(short = 'k', long = "key")]
        key: String,
        /// Config value.
        #[arg(short = 'v', long = "value")]
        value: String,
        /// With -c: update slaves too.
        #[arg(short = 'a', long = "updateAllBroker")]
        all: Option<bool>,
    },
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        match self {
            Self::ClusterList { cluster } => {
                let brokers = Cluster::new(admin).cluster_list(cluster.as_deref(), &out.progress("brokers")).await?;
                out.print(&brokers, || cluster_table(&brokers))
            }
            Self::BrokerStatus { target } => {
                let status = Cluster::new(admin).broker_status(&target.target(), &out.progress("brokers")).await?;
                out.print(&status, || status_table(&status))
            }
            Self::GetBrokerConfig { target } => {
                let configs = Cluster::new(admin).broker_config(&target.target()).await?;
                out.print(&configs, || config_text(&configs))
            }
            Self::UpdateBrokerConfig { target, key, value, all } => {
                let brokers = Cluster::new(admin)
                    .update_broker_config(&target.target(), &key, &value, all.unwrap_or(false))
                    .await?;
                out.print(&json!({"key": key, "value": value, "brokers": brokers}), || {
                    brokers
                        .iter()
                        .map(|b| format!("update broker config success, {} {key}={value}\n", b.addr))
                        .collect()
                })
            }
        }
    }
}

/// clusterList's table.
fn cluster_table(brokers: &[BrokerInfo]) -> String {
    let mut t = Table::new(&[
        "Cluster Name",
        "Broker Name",
        "BID",
        "Addr",
        "Role",
        "Version",
        "InTPS",
        "OutTPS",
        "InToday",
        "OutToday",
        "ReplLag(B)",
        "Boot Time",
        "Status",
    ]);
    for b in brokers {
        t.row(vec![
            b.cluster.clone(),
            b.broker_name.clone(),
            b.broker_id.to_string(),
            b.addr.clone(),
            b.role.clone(),
            b.version.clone(),
            format!("{:.2}", b.in_tps),
            format!("{:.2}", b.out_tps),
            b.in_total_today.to_string(),
            b.out_total_today.to_string(),
            b.replication_lag_bytes.map_or_else(|| "-".to_owned(), |l| l.to_string()),
            b.boot_timestamp.map_or_else(|| "-".to_owned(), time),
            b.error.clone().unwrap_or_else(|| "OK".to_owned()),
        ]);
    }
    t.render()
}

/// brokerStatus's table.
fn status_table(status: &[BrokerStatus]) -> String {
    let mut t = Table::new(&["Broker Addr", "Key", "Value"]);
    for s in status {
        for (k, v) in &s.stats {
            t.row(vec![s.broker.addr.clone(), k.clone(), v.clone()]);
        }
    }
    t.render()
}

/// getBrokerConfig's text.
fn config_text(configs: &[BrokerConfig]) -> String {
    let mut text = String::new();
    for c in configs {
        text.push_str(&format!("============ {} {} ============\n", c.broker.broker_name, c.broker.addr));
        for (k, v) in &c.config {
            text.push_str(&format!("{k:<50}=  {v}\n"));
        }
    }
    text
}
