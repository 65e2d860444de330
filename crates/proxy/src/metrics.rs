//! The proxy's Prometheus endpoint (`metricsExporterType=PROM`): `rocketmq_proxy_up` with
//! RocketMQ's labels (`node_type=proxy`, `proxy_mode`), so a scrape target and its dashboards
//! see the proxy. Request metrics of the gRPC service are for later.

use std::sync::Arc;

use rmq_metrics::encode::{gauges, NodeLabels};
use rmq_metrics::{Collector, DescriptorEncoder, Exporter, ExporterType, MetricsError, MetricsRegistry};

use crate::ProxyConfig;

/// `rocketmq_proxy_up`: 1 while the proxy runs.
#[derive(Debug)]
struct Up {
    node: NodeLabels,
    mode: String,
}

impl Collector for Up {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let rows = vec![(self.node.with(&[("proxy_mode", &self.mode)]), 1)];
        gauges(&mut enc, "rocketmq_proxy_up", "Whether the proxy is up", &rows)
    }
}

/// Starts the endpoint when the config asks for PROM.
///
/// # Errors
/// When the port cannot be bound.
pub async fn start(config: &ProxyConfig, grpc_addr: std::net::SocketAddr) -> Result<Option<Exporter>, MetricsError> {
    if config.metrics_exporter_type != ExporterType::Prom {
        return Ok(None);
    }
    let node =
        NodeLabels { cluster: config.proxy_cluster_name.clone(), node_type: "proxy", node_id: grpc_addr.to_string() };
    let mut reg = MetricsRegistry::default();
    reg.register(Up { node, mode: config.proxy_mode.to_ascii_lowercase() });
    let port = config.metrics_prom_exporter_port;
    Exporter::start(&config.metrics_prom_exporter_host, port, Arc::new(reg)).await.map(Some)
}
