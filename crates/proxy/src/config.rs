//! Proxy configuration: RocketMQ's ProxyConfig key names in the properties format.

use std::path::Path;

pub use rmq_common::properties::{parse_properties, render, ConfigError};

rmq_common::properties_config! {
    /// Proxy settings (a subset of RocketMQ's ProxyConfig keys).
    pub struct ProxyConfig {
        /// gRPC port the 5.x SDKs connect to (default 8081).
        pub grpc_server_port: u16 = "grpcServerPort" => 8081,
        /// Name servers, `host:port;host:port` (default `127.0.0.1:9876`).
        pub namesrv_addr: String = "namesrvAddr" => "127.0.0.1:9876".to_owned(),
        /// Only `cluster` is served: the proxy is a client of name servers and brokers.
        pub proxy_mode: String = "proxyMode" => "cluster".to_owned(),
        /// Address to bind the gRPC port to (default `0.0.0.0`).
        pub grpc_bind_address: String = "grpcBindAddress" => "0.0.0.0".to_owned(),
        /// Host the proxy advertises in routes when a client names no endpoint (default empty:
        /// the endpoint the client connected to).
        pub local_serve_addr: String = "localServeAddr" => String::new(),
        /// Cluster name, accepted for compatibility (default `DefaultCluster`).
        pub proxy_cluster_name: String = "proxyClusterName" => "DefaultCluster".to_owned(),
        /// Metrics exporter: DISABLE (default), PROM (a Prometheus endpoint), OTLP_GRPC or LOG
        /// (accepted, not served).
        pub metrics_exporter_type: rmq_metrics::ExporterType = "metricsExporterType" => rmq_metrics::ExporterType::Disable,
        /// Address the metrics endpoint binds; empty = all interfaces. Default empty.
        pub metrics_prom_exporter_host: String = "metricsPromExporterHost" => String::new(),
        /// Port of the metrics endpoint. Default 5557, as RocketMQ.
        pub metrics_prom_exporter_port: u16 = "metricsPromExporterPort" => 5557,
    }
}

impl ProxyConfig {
    /// Loads a properties file over the defaults; unknown keys are an error.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { path: path.display().to_string(), cause: e.to_string() })?;
        let mut cfg = Self::default();
        cfg.apply(&parse_properties(&text))?;
        Ok(cfg)
    }

    /// Applies pairs; an unknown key or a mode other than `cluster` is an error.
    pub fn apply(&mut self, pairs: &std::collections::BTreeMap<String, String>) -> Result<(), ConfigError> {
        for (k, v) in pairs {
            if !self.set(k, v)? {
                return Err(ConfigError::Invalid { key: k.clone(), reason: "unknown proxy config key".into() });
            }
        }
        if !self.proxy_mode.eq_ignore_ascii_case("cluster") {
            return Err(ConfigError::Invalid { key: "proxyMode".into(), reason: "only cluster mode is served".into() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_defaults() {
        let mut c = ProxyConfig::default();
        assert_eq!(c.grpc_server_port, 8081);
        c.apply(&parse_properties("grpcServerPort=18081\nnamesrvAddr=1.2.3.4:9876\n")).unwrap();
        assert_eq!(c.grpc_server_port, 18081);
        assert_eq!(c.namesrv_addr, "1.2.3.4:9876");
        assert!(c.apply(&parse_properties("nope=1")).is_err());
        assert!(c.apply(&parse_properties("proxyMode=local")).is_err());
    }
}
