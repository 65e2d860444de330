//! Name server configuration: the official namesrv.conf keys.

use std::path::{Path, PathBuf};

pub use rmq_common::properties::{parse_properties, render, ConfigError};

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

rmq_common::properties_config! {
    /// Name server settings (NamesrvConfig + NettyServerConfig keys).
    pub struct NamesrvConfig {
        /// Port to listen on.
        pub listen_port: u16 = "listenPort" => 9876,
        /// Address to bind (`0.0.0.0` = all interfaces).
        pub bind_address: String = "bindAddress" => "0.0.0.0".to_owned(),
        /// RocketMQ home (accepted for compatibility).
        pub rocketmq_home: Option<String> = "rocketmqHome" => None,
        /// KV config file.
        pub kv_config_path: String = "kvConfigPath" => home().join("namesrv").join("kvConfig.json").to_string_lossy().into_owned(),
        /// Where the config is written by UPDATE_NAMESRV_CONFIG.
        pub config_store_path: String = "configStorePath" => home().join("namesrv").join("namesrv.properties").to_string_lossy().into_owned(),
        /// Broker expiry without registration, ms.
        pub broker_expired_millis: u64 = "brokerExpiredMillis" => 120_000,
        /// Liveness scan period, ms.
        pub scan_not_active_broker_interval: u64 = "scanNotActiveBrokerInterval" => 5_000,
        /// Order messages enabled (accepted for compatibility).
        pub order_message_enable: bool = "orderMessageEnable" => false,
        /// Cluster test mode (accepted for compatibility).
        pub cluster_test: bool = "clusterTest" => false,
        /// Largest frame, bytes.
        pub max_frame_size: usize = "frameMaxLength" => 16 * 1024 * 1024,
        // wt-net keys
        /// Close a connection when no frame arrives for this many seconds (or its answers
        /// cannot be written for as long); 0 never closes. Default 120, as RocketMQ.
        pub server_channel_max_idle_time_seconds: u64 = "serverChannelMaxIdleTimeSeconds" => 120,
        /// Open connections beyond which new ones are closed at once, with a log line; 0: no
        /// limit. Default 10,000.
        pub server_max_connections: usize = "serverMaxConnections" => 10_000,
        /// Bytes of answers queued for one connection above which its requests are not read
        /// until they drain (back-pressure); 0: no limit. Default 4 MiB.
        pub write_buffer_high_water_mark: usize = "writeBufferHighWaterMark" => 4 * 1024 * 1024,
        /// Bytes of answers queued for all connections of a port above which every connection
        /// with answers waiting is paused; 0: no limit. Default 256 MiB.
        pub server_total_write_buffer_bytes: usize = "serverTotalWriteBufferBytes" => 256 * 1024 * 1024,
        // wt-admin keys
        /// Log line format: `text` or `json` (JSON lines). Default `text`.
        pub log_format: String = "logFormat" => "text".to_owned(),
        /// The log file rolls before passing this many bytes. Default 128 MiB.
        pub log_max_file_size: u64 = "logMaxFileSize" => 128 * 1024 * 1024,
        /// Rolled log files kept (`<name>.1` .. `<name>.N`). Default 10.
        pub log_max_files: usize = "logMaxFiles" => 10,
    }
}

impl NamesrvConfig {
    /// The transport settings these keys give.
    #[must_use]
    pub fn server_config(&self) -> rmq_remoting::transport::ServerConfig {
        let idle = self.server_channel_max_idle_time_seconds;
        rmq_remoting::transport::ServerConfig {
            max_frame_size: self.max_frame_size,
            write_budget: self.write_buffer_high_water_mark,
            total_write_budget: self.server_total_write_buffer_bytes,
            idle_timeout: (idle > 0).then(|| std::time::Duration::from_secs(idle)),
            max_connections: self.server_max_connections,
            ..rmq_remoting::transport::ServerConfig::default()
        }
    }

    /// Loads a properties file over the defaults; unknown keys are an error.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { path: path.display().to_string(), cause: e.to_string() })?;
        let mut cfg = Self::default();
        cfg.apply(&parse_properties(&text))?;
        Ok(cfg)
    }

    /// Applies pairs; an unknown key is an error, as the issue asks of the name server.
    pub fn apply(&mut self, pairs: &std::collections::BTreeMap<String, String>) -> Result<(), ConfigError> {
        for (k, v) in pairs {
            if !self.set(k, v)? {
                return Err(ConfigError::Invalid { key: k.clone(), reason: "unknown name server config key".into() });
            }
        }
        if self.scan_not_active_broker_interval == 0 || self.broker_expired_millis == 0 {
            return Err(ConfigError::Invalid { key: "brokerExpiredMillis".into(), reason: "must be > 0".into() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let mut cfg = NamesrvConfig::default();
        let pairs = parse_properties("listenPort=9999\nkvConfigPath=/tmp/kv.json\n");
        cfg.apply(&pairs).unwrap();
        assert_eq!(cfg.listen_port, 9999);
        let err = NamesrvConfig::default().apply(&parse_properties("listenPrt=1\n")).unwrap_err();
        assert!(err.to_string().contains("listenPrt"), "{err}");
        let err = NamesrvConfig::default().apply(&parse_properties("listenPort=99999\n")).unwrap_err();
        assert!(err.to_string().contains("listenPort"), "{err}");
        assert!(render(&NamesrvConfig::default().to_pairs()).contains("listenPort=9876"));
    }

    #[test]
    fn transport_keys_reach_the_server_config() {
        let mut cfg = NamesrvConfig::default();
        let defaults = cfg.server_config();
        assert_eq!(defaults.idle_timeout, Some(std::time::Duration::from_secs(120)));
        assert_eq!(defaults.write_budget, 4 * 1024 * 1024);
        let pairs = parse_properties(
            "serverChannelMaxIdleTimeSeconds=0\nserverMaxConnections=7\nwriteBufferHighWaterMark=1024\nserverTotalWriteBufferBytes=2048\n",
        );
        cfg.apply(&pairs).unwrap();
        let server = cfg.server_config();
        assert_eq!(server.idle_timeout, None);
        assert_eq!((server.max_connections, server.write_budget, server.total_write_budget), (7, 1024, 2048));
    }
}
