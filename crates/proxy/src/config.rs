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
        /// TLS on the gRPC port: `permissive` (default, as RocketMQ's proxy: TLS and plaintext
        /// clients on one port, told apart by the first byte), `enforcing` (TLS only) or
        /// `disabled` (plaintext only).
        pub tls_server_mode: rmq_common::tls::TlsServerMode = "tls.server.mode" => rmq_common::tls::TlsServerMode::Permissive,
        /// Serve TLS with a self-signed certificate made at start unless `tlsCertPath` and
        /// `tlsKeyPath` name files (default true, as RocketMQ's `tlsTestModeEnable`).
        pub tls_test_mode_enable: bool = "tlsTestModeEnable" => true,
        /// PEM certificate chain of the gRPC port (default empty: none).
        pub tls_cert_path: String = "tlsCertPath" => String::new(),
        /// PEM private key (PKCS#8, PKCS#1 or SEC1) of the gRPC port (default empty: none).
        pub tls_key_path: String = "tlsKeyPath" => String::new(),
        /// Shortest invisible duration a ReceiveMessage may ask, ms (default 10 000, as
        /// RocketMQ); shorter answers ILLEGAL_INVISIBLE_TIME. Tests lower it.
        pub min_invisible_time_mills_for_recv: i64 = "minInvisibleTimeMillsForRecv" => 10_000,
        /// Longest invisible duration of a receive or ChangeInvisibleDuration, ms (default 12 h).
        pub max_invisible_time_mills: i64 = "maxInvisibleTimeMills" => 12 * 3600 * 1000,
        /// Largest gRPC message the proxy decodes, bytes (default 130 MiB, as RocketMQ); a larger
        /// one fails that call with RESOURCE_EXHAUSTED, the connection lives on.
        pub grpc_max_inbound_message_size: usize = "grpcMaxInboundMessageSize" => 130 * 1024 * 1024,
        /// Check the credentials the 5.x SDKs sign each call with (ACL 2.0 users, fetched from
        /// a broker of `rocketMQClusterName`). Default false.
        pub authentication_enabled: bool = "authenticationEnabled" => false,
        /// Check each call's resources against the user's ACL 2.0 policies. Default false.
        pub authorization_enabled: bool = "authorizationEnabled" => false,
        /// RPCs not authenticated: full request message names separated by commas, e.g.
        /// `apache.rocketmq.v2.QueryRouteRequest`. Default empty.
        pub authentication_whitelist: String = "authenticationWhitelist" => String::new(),
        /// RPCs not authorized, named as in `authenticationWhitelist`. Default empty.
        pub authorization_whitelist: String = "authorizationWhitelist" => String::new(),
        /// The account the proxy signs its own requests to name servers and brokers with,
        /// `{"accessKey":"..","secretKey":".."}`; needed when the brokers check ACL. Default none.
        pub inner_client_authentication_credentials: Option<String> = "innerClientAuthenticationCredentials" => None,
        /// The cluster whose brokers users and ACLs are read from (default `DefaultCluster`).
        pub rocketmq_cluster_name: String = "rocketMQClusterName" => "DefaultCluster".to_owned(),
        /// Users cached at most (default 1000).
        pub user_cache_max_num: usize = "userCacheMaxNum" => 1000,
        /// A cached user unused this long is dropped, seconds (default 600).
        pub user_cache_expired_second: u64 = "userCacheExpiredSecond" => 600,
        /// A cached user older than this is read again from a broker, seconds (default 60).
        pub user_cache_refresh_second: u64 = "userCacheRefreshSecond" => 60,
        /// ACLs cached at most (default 1000).
        pub acl_cache_max_num: usize = "aclCacheMaxNum" => 1000,
        /// A cached ACL unused this long is dropped, seconds (default 600).
        pub acl_cache_expired_second: u64 = "aclCacheExpiredSecond" => 600,
        /// A cached ACL older than this is read again from a broker, seconds (default 60).
        pub acl_cache_refresh_second: u64 = "aclCacheRefreshSecond" => 60,
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
        self.check()
    }

    /// Bounds whose violation would break receives or the gRPC server.
    fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, reason: &str| Err(ConfigError::Invalid { key: key.into(), reason: reason.into() });
        if self.min_invisible_time_mills_for_recv < 0 {
            return bad("minInvisibleTimeMillsForRecv", "must not be negative");
        }
        if self.max_invisible_time_mills < self.min_invisible_time_mills_for_recv {
            return bad("maxInvisibleTimeMills", "must not be below minInvisibleTimeMillsForRecv");
        }
        if self.grpc_max_inbound_message_size < 1024 {
            return bad("grpcMaxInboundMessageSize", "must be at least 1024 bytes");
        }
        if let Some(json) = self.inner_client_authentication_credentials.as_deref() {
            if let Err(e) = rmq_acl::Credentials::from_json(json) {
                return bad("innerClientAuthenticationCredentials", &e);
            }
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
        c.apply(&parse_properties("tls.server.mode=enforcing\ntlsTestModeEnable=false\ntlsCertPath=/c.pem\n")).unwrap();
        assert_eq!(c.tls_server_mode, rmq_common::tls::TlsServerMode::Enforcing);
        assert!(!c.tls_test_mode_enable);
        assert_eq!(c.tls_cert_path, "/c.pem");
        assert!(c.apply(&parse_properties("tls.server.mode=sometimes")).is_err());
        assert!(c.apply(&parse_properties("nope=1")).is_err());
        assert!(c.apply(&parse_properties("proxyMode=local")).is_err());
    }

    #[test]
    fn invisible_time_and_inbound_size_are_bounded() {
        let mut c = ProxyConfig::default();
        assert_eq!(c.min_invisible_time_mills_for_recv, 10_000);
        assert_eq!(c.grpc_max_inbound_message_size, 130 * 1024 * 1024);
        c.apply(&parse_properties("minInvisibleTimeMillsForRecv=1000\ngrpcMaxInboundMessageSize=65536")).unwrap();
        assert_eq!((c.min_invisible_time_mills_for_recv, c.grpc_max_inbound_message_size), (1000, 65536));
        assert!(ProxyConfig::default().apply(&parse_properties("minInvisibleTimeMillsForRecv=-1")).is_err());
        assert!(ProxyConfig::default().apply(&parse_properties("maxInvisibleTimeMills=5000")).is_err());
        assert!(ProxyConfig::default().apply(&parse_properties("grpcMaxInboundMessageSize=10")).is_err());
    }
}
