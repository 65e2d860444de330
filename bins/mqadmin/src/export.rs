//! getConsumerConfig, exportConfigs, exportMetadata: a group's config on each broker set, and
//! the cluster's configs and metadata written to JSON files as the official tool writes them.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use rmq_admin::export::{consumer_config, export_configs, export_metadata, GroupOnBrokerSet};
use rmq_admin::{Admin, Target};
use serde_json::{json, Value};

use crate::output::Output;

/// The official tool's default export directory.
const DEFAULT_DIR: &str = "/tmp/rocketmq/export";

/// Export commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Print a consumer group's config on each broker set.
    #[command(name = "getConsumerConfig")]
    GetConsumerConfig {
        /// Consumer group.
        #[arg(short = 'g', long = "groupName")]
        group: String,
    },
    /// Export the cluster's main broker config keys to `<dir>/configs.json`.
    #[command(name = "exportConfigs")]
    ExportConfigs {
        /// Cluster.
        #[arg(short = 'c', long = "clusterName")]
        cluster: String,
        /// Directory.
        #[arg(short = 'f', long = "filePath", default_value = DEFAULT_DIR)]
        dir: PathBuf,
    },
    /// Export topics and subscription groups to `<dir>/metadata.json` (`topic.json` with -t,
    /// `subscriptionGroup.json` with -g).
    #[command(name = "exportMetadata")]
    ExportMetadata {
        /// Cluster (its masters).
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
        /// Broker address.
        #[arg(short = 'b', long = "brokerAddr")]
        broker: Option<String>,
        /// Directory.
        #[arg(short = 'f', long = "filePath", default_value = DEFAULT_DIR)]
        dir: PathBuf,
        /// Topics only.
        #[arg(short = 't', long = "topic")]
        topics_only: bool,
        /// Subscription groups only.
        #[arg(short = 'g', long = "subscriptionGroup")]
        groups_only: bool,
    },
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        match self {
            Self::GetConsumerConfig { group } => {
                let configs = consumer_config(admin, &group).await?;
                out.print(&configs, || consumer_config_text(&configs))
            }
            Self::ExportConfigs { cluster, dir } => {
                let data = export_configs(admin, &cluster).await?;
                write(out, &dir.join("configs.json"), &data)
            }
            Self::ExportMetadata { cluster, broker, dir, topics_only, groups_only } => {
                let target = match (broker, cluster) {
                    (Some(b), _) => Target::Broker(b),
                    (None, Some(c)) => Target::Cluster(c),
                    (None, None) => {
                        anyhow::bail!(rmq_admin::AdminError::Invalid("give -c clusterName or -b brokerAddr".into()))
                    }
                };
                let (file, data) = metadata_file(export_metadata(admin, &target).await?, topics_only, groups_only);
                write(out, &dir.join(file), &data)
            }
        }
    }
}

/// The file name and content: `topic.json` (`-t`), `subscriptionGroup.json` (`-g`) or `metadata.json`.
fn metadata_file(data: Value, topics_only: bool, groups_only: bool) -> (&'static str, Value) {
    let time = data["exportTime"].clone();
    match (topics_only, groups_only) {
        (true, _) => ("topic.json", json!({"topicConfigTable": data["topicConfigTable"], "exportTime": time})),
        (false, true) => (
            "subscriptionGroup.json",
            json!({"subscriptionGroupTable": data["subscriptionGroupTable"], "exportTime": time}),
        ),
        _ => ("metadata.json", data),
    }
}

/// Writes `data` (pretty JSON) to `path` and says so.
fn write(out: Output, path: &Path, data: &Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(data)? + "\n")?;
    let shown = path.display().to_string();
    out.print(&json!({"path": shown}), || format!("export {shown} success\n"))
}

/// getConsumerConfig's text: a banner per broker set, then `field = value` lines.
fn consumer_config_text(configs: &[GroupOnBrokerSet]) -> String {
    let mut t = String::new();
    for c in configs {
        t += &format!("============================={}:{}=============================\n", c.cluster, c.broker_name);
        let fields = serde_json::to_value(&c.config).unwrap_or_default();
        for (k, v) in fields.as_object().into_iter().flatten() {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            t += &format!("{k:<40}=  {v}\n");
        }
    }
    t
}
