//! Prometheus metrics of the name server: `rocketmq_rpc_latency` by request and response code
//! (as RocketMQ's remoting layer records it), and at scrape time the routes it holds: topics,
//! broker sets and live brokers per cluster. Labels: `node_type=namesrv`, `node_id` its
//! listen address.

use std::sync::Arc;
use std::time::Instant;

use rmq_metrics::encode::{gauges, NodeLabels};
use rmq_metrics::rpc::{RpcCollector, RpcLatency};
use rmq_metrics::{Collector, DescriptorEncoder, Exporter, ExporterType, MetricsRegistry};

use crate::NameServer;

/// Broker sets per cluster (ours; RocketMQ 5's name server exports none).
const BROKER_SETS: &str = "rocketmq_namesrv_broker_sets";
/// Live broker addresses per cluster (ours).
const BROKERS: &str = "rocketmq_namesrv_brokers";

/// What requests record.
#[derive(Debug, Default)]
pub struct Meters {
    on: bool,
    rpc: Arc<RpcLatency>,
}

impl Meters {
    /// Meters that record when `on`.
    #[must_use]
    pub fn new(on: bool) -> Self {
        Self { on, rpc: Arc::default() }
    }

    /// When a request started, if latencies are recorded.
    #[must_use]
    pub fn started(&self) -> Option<Instant> {
        self.on.then(Instant::now)
    }

    /// Records a request's latency.
    pub fn rpc(&self, started: Option<Instant>, request: i32, response: Option<i32>) {
        if let Some(t) = started {
            self.rpc.record(request, response, t);
        }
    }
}

/// The routes as a scrape sees them.
#[derive(Debug)]
struct RouteGauges {
    ns: Arc<NameServer>,
    node: NodeLabels,
}

impl Collector for RouteGauges {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (topics, info) = {
            let routes = self.ns.routes.read();
            (routes.topics().len(), routes.cluster_info())
        };
        let n = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
        gauges(&mut enc, rmq_metrics::names::TOPIC_NUMBER, "Topics with a route", &[(self.node.with(&[]), n(topics))])?;
        let (mut sets, mut brokers) = (Vec::new(), Vec::new());
        for (cluster, names) in &info.cluster_addr_table {
            let labels = self.node.with(&[("broker_cluster", cluster.as_str())]);
            let live: usize =
                names.iter().filter_map(|b| info.broker_addr_table.get(b)).map(|d| d.broker_addrs.len()).sum();
            sets.push((labels.clone(), n(names.len())));
            brokers.push((labels, n(live)));
        }
        gauges(&mut enc, BROKER_SETS, "Broker sets registered, per cluster", &sets)?;
        gauges(&mut enc, BROKERS, "Brokers registered, per cluster", &brokers)
    }
}

/// Starts the endpoint when `metricsExporterType=PROM`.
///
/// # Errors
/// When the port cannot be bound.
pub async fn start(ns: &Arc<NameServer>, local: std::net::SocketAddr) -> std::io::Result<Option<Exporter>> {
    let c = &ns.config;
    if c.metrics_exporter_type != ExporterType::Prom {
        if c.metrics_exporter_type != ExporterType::Disable {
            tracing::warn!(exporter = ?c.metrics_exporter_type, "metricsExporterType not served here; only PROM is");
        }
        return Ok(None);
    }
    let node = NodeLabels { cluster: String::new(), node_type: "namesrv", node_id: local.to_string() };
    let mut reg = MetricsRegistry::default();
    reg.register(RpcCollector { rpc: Arc::clone(&ns.meters.rpc), node: node.clone() });
    reg.register(RouteGauges { ns: Arc::clone(ns), node });
    let exporter = Exporter::start(&c.metrics_prom_exporter_host, c.metrics_prom_exporter_port, Arc::new(reg))
        .await
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::AddrInUse, e.to_string()))?;
    Ok(Some(exporter))
}
