//! Name server configuration: the official namesrv.conf keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use rmq_common::properties::check::{check_all, Check, Rule};
pub use rmq_common::properties::{parse_properties, render, ConfigError};
use rmq_common::properties::{read_properties, update_properties};
use rmq_common::tls::{TlsClientAuth, TlsServerMode, TlsServerSettings};

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
        /// Where UPDATE_NAMESRV_CONFIG persists changes: the `-c` file unless the file sets this
        /// key; without `-c`, this default, read at start.
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
        // wt-tls keys (RocketMQ's TlsSystemConfig; docs/security.md)
        /// `disabled` (default), `permissive` (TLS and plaintext on the port) or `enforcing`.
        pub tls_server_mode: TlsServerMode = "tls.server.mode" => TlsServerMode::Disabled,
        /// PEM certificate chain; required unless disabled. Default unset.
        pub tls_server_cert_path: Option<String> = "tls.server.certPath" => None,
        /// PEM private key (PKCS#8, RSA or EC). Default unset.
        pub tls_server_key_path: Option<String> = "tls.server.keyPath" => None,
        /// Client certificates: `none` (default), `optional`, `require`.
        pub tls_server_need_client_auth: TlsClientAuth = "tls.server.need.client.auth" => TlsClientAuth::None,
        /// PEM roots client certificates must chain to. Default unset.
        pub tls_server_trust_cert_path: Option<String> = "tls.server.trustCertPath" => None,
        /// tls.properties whose keys override these (all but `tls.server.mode`). Default unset.
        pub tls_config_file: Option<String> = "tls.config.file" => None,
        // wt-acl keys
        /// Refuse unsigned or non-admin requests that change the name server (register,
        /// unregister, delete topic, KV writes, broker write permission, config); route reads
        /// stay open. Ours: RocketMQ 4.x/5.x name servers have no ACL 1.0. Default false.
        pub acl_enable: bool = "aclEnable" => false,
        /// The ACL file (RocketMQ's `rocketmq.acl.plain.file`): absolute, or relative to
        /// `rocketmqHome` (else `ROCKETMQ_HOME`, else the working directory).
        pub acl_plain_file: String = "rocketmq.acl.plain.file" => "conf/plain_acl.yml".to_owned(),
        // wt-ctrl keys
        /// Run a controller (controller mode, #25) in this process, configured by the
        /// controller.conf keys of the same file (`controllerDLegerPeers`, ...). Default false.
        pub enable_controller_in_namesrv: bool = "enableControllerInNamesrv" => false,
        // wt-metrics keys
        /// Metrics exporter, as the broker's key: DISABLE (default), PROM (a Prometheus
        /// endpoint), OTLP_GRPC or LOG (accepted, not served).
        pub metrics_exporter_type: rmq_metrics::ExporterType = "metricsExporterType" => rmq_metrics::ExporterType::Disable,
        /// Address the metrics endpoint binds; empty = all interfaces. Default empty.
        pub metrics_prom_exporter_host: String = "metricsPromExporterHost" => String::new(),
        /// Port of the metrics endpoint. Default 5557, as the broker's.
        pub metrics_prom_exporter_port: u16 = "metricsPromExporterPort" => 5557,
    }
}

impl NamesrvConfig {
    /// The ACL file, resolved against the RocketMQ home unless absolute.
    #[must_use]
    pub fn acl_file(&self) -> PathBuf {
        let file = PathBuf::from(&self.acl_plain_file);
        if file.is_absolute() {
            return file;
        }
        let home = self.rocketmq_home.clone().or_else(|| std::env::var("ROCKETMQ_HOME").ok());
        home.map_or(file.clone(), |h| PathBuf::from(h).join(&file))
    }
}

/// Allowed values, one row per key with a bound or a format.
pub const CHECKS: &[Check] = &[
    ("listenPort", Rule::Range(1, 65_535)),
    ("bindAddress", Rule::Ip),
    ("kvConfigPath", Rule::NonEmpty),
    ("configStorePath", Rule::NonEmpty),
    ("brokerExpiredMillis", Rule::Range(1000, 86_400_000)),
    ("scanNotActiveBrokerInterval", Rule::Range(100, 3_600_000)),
    ("frameMaxLength", Rule::Range(1024, i32::MAX as i128)),
    ("serverChannelMaxIdleTimeSeconds", Rule::Range(0, 86_400)),
    ("serverMaxConnections", Rule::Range(0, 1_000_000)),
    ("writeBufferHighWaterMark", Rule::Range(0, i32::MAX as i128)),
    ("serverTotalWriteBufferBytes", Rule::Range(0, i32::MAX as i128)),
    ("logMaxFileSize", Rule::Range(1, i32::MAX as i128)),
    ("logMaxFiles", Rule::Range(1, 1000)),
    ("rocketmq.acl.plain.file", Rule::NonEmpty),
    ("metricsPromExporterHost", Rule::Ip),
    ("metricsPromExporterPort", Rule::Range(1, 65_535)),
];

/// Keys UPDATE_NAMESRV_CONFIG changes while the name server runs.
pub const LIVE_KEYS: &[&str] =
    &["orderMessageEnable", "clusterTest", "brokerExpiredMillis", "scanNotActiveBrokerInterval"];

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

    /// The TLS keys as one group (before the `tls.config.file` overlay).
    #[must_use]
    pub fn tls_settings(&self) -> TlsServerSettings {
        TlsServerSettings {
            mode: self.tls_server_mode,
            cert_path: self.tls_server_cert_path.clone(),
            key_path: self.tls_server_key_path.clone(),
            need_client_auth: self.tls_server_need_client_auth,
            trust_cert_path: self.tls_server_trust_cert_path.clone(),
            config_file: self.tls_config_file.clone(),
        }
    }

    /// Loads a properties file over the defaults; returns the config and its unknown keys
    /// (named in a warning). Runtime changes persist to this file unless it sets
    /// `configStorePath`; those kept at `configStorePath` are applied over it.
    pub fn from_file(path: &Path) -> Result<(Self, Vec<String>), ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { path: path.display().to_string(), cause: e.to_string() })?;
        let pairs = parse_properties(&text);
        let mut cfg = Self::default();
        if !pairs.contains_key("configStorePath") {
            cfg.config_store_path = path.display().to_string();
        }
        let unknown = cfg.apply(&pairs)?;
        cfg.load_store_copy()?;
        Ok((cfg, unknown))
    }

    /// Applies pairs and checks the result; returns the unknown keys.
    pub fn apply(&mut self, pairs: &BTreeMap<String, String>) -> Result<Vec<String>, ConfigError> {
        let mut unknown = Vec::new();
        for (k, v) in pairs {
            if !self.set(k, v)? {
                unknown.push(k.clone());
            }
        }
        check_all(&self.to_pairs(), CHECKS)?;
        Ok(unknown)
    }

    /// Applies the runtime changes kept at `configStorePath` (only its live keys).
    pub fn load_store_copy(&mut self) -> Result<(), ConfigError> {
        let Ok(text) = std::fs::read_to_string(&self.config_store_path) else { return Ok(()) };
        let live = read_properties(&text)
            .into_iter()
            .filter(|(k, _)| LIVE_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k, v.trim().to_owned()))
            .collect();
        self.apply(&live).map(drop)
    }
}

/// The current name server config, swapped whole by UPDATE_NAMESRV_CONFIG.
#[derive(Debug)]
pub struct LiveConfig {
    current: RwLock<Arc<NamesrvConfig>>,
    update: Mutex<()>,
}

impl LiveConfig {
    /// Starts from the start-time config.
    #[must_use]
    pub fn new(config: NamesrvConfig) -> Self {
        Self { current: RwLock::new(Arc::new(config)), update: Mutex::new(()) }
    }

    /// The current values.
    #[must_use]
    pub fn get(&self) -> Arc<NamesrvConfig> {
        Arc::clone(&self.current.read())
    }

    /// Checks the pairs (only [`LIVE_KEYS`]), persists them to `configStorePath`, then makes
    /// them current. The error names the key.
    pub fn update(&self, pairs: &BTreeMap<String, String>) -> Result<(), ConfigError> {
        let _serial = self.update.lock();
        if pairs.is_empty() {
            return Ok(());
        }
        if let Some(key) = pairs.keys().find(|k| !LIVE_KEYS.contains(&k.as_str())) {
            let reason = if NamesrvConfig::KEYS.contains(&key.as_str()) {
                "cannot change at run time; edit the config file and restart"
            } else {
                "is not a name server config key"
            };
            return Err(ConfigError::Invalid { key: key.clone(), reason: reason.to_owned() });
        }
        let mut next = (*self.get()).clone();
        next.apply(pairs)?;
        let path = PathBuf::from(&next.config_store_path);
        let io = |e: std::io::Error| ConfigError::Io { path: path.display().to_string(), cause: e.to_string() };
        let text = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            other => other.map_err(io)?,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, update_properties(&text, pairs))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(io)?;
        *self.current.write() = Arc::new(next);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_returned_and_bad_values_are_errors() {
        let mut cfg = NamesrvConfig::default();
        let pairs = parse_properties("listenPort=9999\nkvConfigPath=/tmp/kv.json\n");
        assert!(cfg.apply(&pairs).unwrap().is_empty());
        assert_eq!(cfg.listen_port, 9999);
        let unknown = NamesrvConfig::default().apply(&parse_properties("listenPrt=1\n")).unwrap();
        assert_eq!(unknown, ["listenPrt"]);
        for (line, words) in [
            ("listenPort=99999", ["listenPort", "99999"]),
            ("listenPort=0", ["listenPort", "1..=65535"]),
            ("bindAddress=anywhere", ["bindAddress", "IP address"]),
            ("brokerExpiredMillis=5", ["brokerExpiredMillis", "1000..="]),
            ("scanNotActiveBrokerInterval=0", ["scanNotActiveBrokerInterval", "100..="]),
            ("frameMaxLength=1", ["frameMaxLength", "1024..="]),
        ] {
            let err = NamesrvConfig::default().apply(&parse_properties(line)).unwrap_err().to_string();
            assert!(words.iter().all(|w| err.contains(w)), "{line}: {err}");
        }
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

    #[test]
    fn every_numeric_key_has_a_bound() {
        for (key, value) in NamesrvConfig::default().to_pairs() {
            if value.parse::<i128>().is_ok() {
                assert!(CHECKS.iter().any(|(k, r)| *k == key && matches!(r, Rule::Range(..))), "{key}");
            }
        }
        for key in LIVE_KEYS.iter().chain(CHECKS.iter().map(|(k, _)| k)) {
            assert!(NamesrvConfig::KEYS.contains(key), "{key}");
        }
    }

    #[test]
    fn live_updates_persist_and_refuse_fixed_keys() {
        let dir = std::env::temp_dir().join(format!("rmq-ns-live-{}", std::process::id()));
        let file = dir.join("namesrv.conf");
        let cfg = NamesrvConfig { config_store_path: file.display().to_string(), ..NamesrvConfig::default() };
        let live = LiveConfig::new(cfg.clone());
        let err = live.update(&parse_properties("listenPort=1")).unwrap_err().to_string();
        assert!(err.contains("listenPort"), "{err}");
        live.update(&parse_properties("orderMessageEnable=true")).unwrap();
        assert!(live.get().order_message_enable);
        let mut restarted = cfg;
        restarted.load_store_copy().unwrap();
        assert!(restarted.order_message_enable);
        let _ = std::fs::remove_dir_all(dir);
    }
}
