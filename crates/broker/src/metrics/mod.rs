//! Prometheus metrics of the broker, with Apache RocketMQ 5's names and labels
//! (`BrokerMetricsManager`, `DefaultStoreMetricsManager`, `RemotingMetricsManager`).
//!
//! * `traffic`: [`Meters`], what the send, pull and request paths record: one-line calls,
//!   lock-free (atomics in maps read without a lock), nothing at all when metrics are off.
//! * `gauges`: values computed at scrape time from the tables, the store and replication (lag
//!   per group and topic, inflight, connections, storage, HA lag), never on the hot path.
//! * [`start`]: the endpoint, when `metricsExporterType=PROM`.

mod gauges;
mod traffic;

use std::sync::Arc;

use rmq_metrics::encode::NodeLabels;
use rmq_metrics::rpc::RpcCollector;
use rmq_metrics::{Exporter, ExporterType, MetricsRegistry};
use rmq_store::MessageStore;

use crate::config::BrokerConfig;
use crate::services::ha::Replication;
use crate::state::Tables;

pub use traffic::Meters;

/// What the scrape-time gauges read.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Configuration.
    pub config: Arc<BrokerConfig>,
    /// The store.
    pub store: Arc<MessageStore>,
    /// The tables.
    pub tables: Tables,
    /// Master or slave replication.
    pub replication: Replication,
    /// The hot-path meters.
    pub meters: Arc<Meters>,
}

/// Starts the endpoint when the config asks for PROM (other exporters are named in a warning).
///
/// # Errors
/// When the port cannot be bound.
pub async fn start(sources: Sources) -> Result<Option<Exporter>, rmq_metrics::MetricsError> {
    let m = &sources.config.metrics;
    match m.metrics_exporter_type {
        ExporterType::Disable => return Ok(None),
        ExporterType::Prom => {}
        other => {
            tracing::warn!(exporter = ?other, "metricsExporterType not served here; only PROM is (no metrics exported)");
            return Ok(None);
        }
    }
    let (host, port) = (m.metrics_prom_exporter_host.clone(), m.metrics_prom_exporter_port);
    let registry = Arc::new(registry(sources));
    Exporter::start(&host, port, registry).await.map(Some)
}

/// The broker's collectors.
fn registry(sources: Sources) -> MetricsRegistry {
    let node = node_labels(&sources.config);
    let mut reg = MetricsRegistry::default();
    reg.register(traffic::TrafficCollector { meters: Arc::clone(&sources.meters), node: node.clone() });
    reg.register(RpcCollector { rpc: Arc::clone(&sources.meters.rpc), node: node.clone() });
    reg.register(gauges::BrokerGauges { sources, node });
    reg
}

/// cluster, node_type=broker, node_id=broker name (as RocketMQ labels every broker meter).
fn node_labels(config: &BrokerConfig) -> NodeLabels {
    NodeLabels {
        cluster: config.identity.broker_cluster_name.clone(),
        node_type: "broker",
        node_id: config.identity.broker_name.clone(),
    }
}

/// A system topic or group (RocketMQ's `isSystem`: reserved topics, `CID_RMQ_SYS_` groups).
fn is_system(topic: &str, group: Option<&str>) -> bool {
    rmq_common::topic::is_system(topic) || group.is_some_and(|g| g.to_ascii_lowercase().starts_with("cid_rmq_sys_"))
}

/// A client version ordinal as RocketMQ's `MQVersion.getVersionDesc`, lower case (`v4_9_8`):
/// from 4.0.0 on, each version has a SNAPSHOT ordinal then its release one; earlier
/// ordinals are given as numbers.
fn version_desc(ordinal: i32) -> String {
    const V4_0_0_SNAPSHOT: i32 = 212;
    if ordinal < V4_0_0_SNAPSHOT {
        return ordinal.to_string();
    }
    let n = ordinal - V4_0_0_SNAPSHOT;
    let k = n / 2;
    let snapshot = if n % 2 == 0 { "_snapshot" } else { "" };
    format!("v{}_{}_{}{snapshot}", 4 + k / 100, (k / 10) % 10, k % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_desc_follows_mqversion() {
        assert_eq!(version_desc(409), "v4_9_8");
        assert_eq!(version_desc(412), "v5_0_0_snapshot");
        assert_eq!(version_desc(513), "v5_5_0");
        assert_eq!(version_desc(212), "v4_0_0_snapshot");
        assert_eq!(version_desc(17), "17");
    }

    #[test]
    fn system_topics_and_groups_are_flagged() {
        assert!(is_system("TBW102", None));
        assert!(is_system("t", Some("CID_RMQ_SYS_TRANS")));
        assert!(!is_system("t", Some("g")));
    }
}
