//! Prometheus metrics shared by the servers (broker, name server, proxy), as Apache RocketMQ 5
//! names them (`BrokerMetricsConstant`, `RemotingMetricsConstant`, ...), so that dashboards
//! built for RocketMQ work unchanged.
//!
//! * [`meters`]: lock-free meters for hot paths: counters and fixed-bucket histograms on
//!   atomics, found by key in a [`meters::MeterMap`] whose reads take no lock.
//! * [`encode`]: writing rows (labels and a value) into a scrape, for collectors that compute
//!   their values when scraped (lags, table sizes) instead of on the hot path.
//! * [`names`]: metric and label names, bucket bounds.
//! * [`exporter`]: `metricsExporterType`, and the HTTP endpoint Prometheus scrapes.
//! * [`rpc`]: `rocketmq_rpc_latency` by request and response code, shared by the remoting
//!   servers.

pub mod encode;
pub mod exporter;
pub mod meters;
pub mod names;
pub mod rpc;

pub use exporter::{Exporter, ExporterType, MetricsError};
pub use prometheus_client::collector::Collector;
pub use prometheus_client::encoding::DescriptorEncoder;

use prometheus_client::registry::Registry;

/// A server's metrics: the collectors a scrape runs, in registration order.
#[derive(Debug, Default)]
pub struct MetricsRegistry {
    registry: Registry,
}

impl MetricsRegistry {
    /// Adds a collector, run on every scrape.
    pub fn register(&mut self, collector: impl Collector) {
        self.registry.register_collector(Box::new(collector));
    }

    /// The Prometheus text exposition (format 0.0.4) of every collector.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry) {
            tracing::warn!(cause = %e, "metrics encoding failed");
        }
        out
    }
}
