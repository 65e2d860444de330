//! Controller configuration: RocketMQ's controller.conf keys (`ControllerConfig`), read from a
//! properties file of its own (`mqcontroller -c`) or from the name server's file when the
//! controller is embedded (`enableControllerInNamesrv=true`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rmq_common::properties::check::{check_all, Check, Rule};
pub use rmq_common::properties::{parse_properties, render, ConfigError};

use crate::error::ControllerError;

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

rmq_common::properties_config! {
    /// Controller settings (RocketMQ `ControllerConfig` + the listen port).
    pub struct ControllerConfig {
        /// Port to listen on, for brokers, admin tools and the other controllers. Default 9878.
        pub listen_port: u16 = "listenPort" => 9878,
        /// Address to bind (`0.0.0.0` = all interfaces).
        pub bind_address: String = "bindAddress" => "0.0.0.0".to_owned(),
        /// The Raft group's name (RocketMQ's DLedger group). Default `DefaultControllerGroup`.
        pub controller_dleger_group: String = "controllerDLegerGroup" => "DefaultControllerGroup".to_owned(),
        /// Every controller of the group, `n0-host:port;n1-host:port;...`: the Raft peers,
        /// each reached on its `listenPort`. Default one controller, `n0-127.0.0.1:9878`.
        pub controller_dleger_peers: String = "controllerDLegerPeers" => "n0-127.0.0.1:9878".to_owned(),
        /// This controller's name in `controllerDLegerPeers`. Default `n0`.
        pub controller_dleger_self_id: String = "controllerDLegerSelfId" => "n0".to_owned(),
        /// Where the Raft log, vote and snapshots live. Default `~/DledgerController`.
        pub controller_store_path: String = "controllerStorePath" => home().join("DledgerController").to_string_lossy().into_owned(),
        /// Elect a master from outside the SyncStateSet when none of it is alive (may lose
        /// acknowledged messages). Default false.
        pub enable_elect_unclean_master: bool = "enableElectUncleanMaster" => false,
        /// Tell a broker set's replicas when its master or SyncStateSet changes
        /// (NOTIFY_BROKER_ROLE_CHANGED). Default true.
        pub notify_broker_role_changed: bool = "notifyBrokerRoleChanged" => true,
        /// How often the leader looks for brokers whose heartbeats stopped, ms. Default 5000.
        pub scan_not_active_broker_interval: u64 = "scanNotActiveBrokerInterval" => 5_000,
        /// A broker that sent no heartbeat for this long is dead, unless its heartbeats say
        /// otherwise (`heartbeatTimeoutMills`), ms. Default 10,000, as RocketMQ.
        pub broker_heartbeat_timeout_millis: u64 = "controllerHeartBeatTimeoutMills" => 10_000,
        /// Raft entries applied between two snapshots. Default 1000.
        pub snapshot_every_entries: u64 = "snapshotEveryEntries" => 1_000,
        /// Log line format: `text` or `json`. Default `text`.
        pub log_format: String = "logFormat" => "text".to_owned(),
        /// The log file rolls before passing this many bytes. Default 128 MiB.
        pub log_max_file_size: u64 = "logMaxFileSize" => 128 * 1024 * 1024,
        /// Rolled log files kept. Default 10.
        pub log_max_files: usize = "logMaxFiles" => 10,
    }
}

/// Allowed values, one row per key with a bound or a format.
pub const CHECKS: &[Check] = &[
    ("listenPort", Rule::Range(1, 65_535)),
    ("bindAddress", Rule::Ip),
    ("controllerDLegerGroup", Rule::NonEmpty),
    ("controllerDLegerPeers", Rule::NonEmpty),
    ("controllerDLegerSelfId", Rule::NonEmpty),
    ("controllerStorePath", Rule::NonEmpty),
    ("scanNotActiveBrokerInterval", Rule::Range(100, 3_600_000)),
    ("controllerHeartBeatTimeoutMills", Rule::Range(500, 3_600_000)),
    ("snapshotEveryEntries", Rule::Range(10, 100_000_000)),
    ("logMaxFileSize", Rule::Range(1, i32::MAX as i128)),
    ("logMaxFiles", Rule::Range(1, 1000)),
];

/// One Raft peer: `n<id>-host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Raft node id (the number after `n`).
    pub id: u64,
    /// `host:port` of its controller server.
    pub addr: String,
}

impl ControllerConfig {
    /// Reads a properties file; returns the config and the keys it did not know.
    pub fn from_file(path: &Path) -> Result<(Self, Vec<String>), ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { path: path.display().to_string(), cause: e.to_string() })?;
        let mut cfg = Self::default();
        let unknown = cfg.apply(&parse_properties(&text))?;
        Ok((cfg, unknown))
    }

    /// Applies pairs and checks the result; returns the unknown keys.
    pub fn apply(&mut self, pairs: &BTreeMap<String, String>) -> Result<Vec<String>, ConfigError> {
        let mut unknown = Vec::new();
        for (k, v) in pairs {
            if !self.set(k, v.trim())? {
                unknown.push(k.clone());
            }
        }
        check_all(&self.to_pairs(), CHECKS)?;
        Ok(unknown)
    }

    /// The controller embedded in a name server (`enableControllerInNamesrv=true`): the
    /// controller keys of the name server's file; it listens on its own address in
    /// `controllerDLegerPeers` (the name server keeps `listenPort`). Returns the config and the
    /// keys neither the controller nor `namesrv_keys` know.
    pub fn embedded(path: &Path, namesrv_keys: &[&str]) -> Result<(Self, Vec<String>), ControllerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ControllerError::Store { path: path.display().to_string(), source: e })?;
        let mut pairs = parse_properties(&text);
        pairs.remove("listenPort");
        let mut cfg = Self::default();
        let unknown = cfg.apply(&pairs).map_err(|e| ControllerError::Config(e.to_string()))?;
        let id = cfg.self_id()?;
        let me =
            cfg.peers()?.into_iter().find(|p| p.id == id).ok_or_else(|| {
                ControllerError::Config("controllerDLegerSelfId is not in controllerDLegerPeers".into())
            })?;
        let port = me.addr.rsplit(':').next().and_then(|p| p.parse().ok());
        cfg.listen_port = port.ok_or_else(|| ControllerError::Config(format!("bad port in {}", me.addr)))?;
        Ok((cfg, unknown.into_iter().filter(|k| !namesrv_keys.contains(&k.as_str())).collect()))
    }

    /// `controllerDLegerPeers` parsed, in the file's order.
    pub fn peers(&self) -> Result<Vec<Peer>, ControllerError> {
        self.controller_dleger_peers.split(';').map(str::trim).filter(|p| !p.is_empty()).map(parse_peer).collect()
    }

    /// This controller's Raft id.
    pub fn self_id(&self) -> Result<u64, ControllerError> {
        node_id(&self.controller_dleger_self_id)
    }
}

fn parse_peer(text: &str) -> Result<Peer, ControllerError> {
    let bad = || ControllerError::Config(format!("controllerDLegerPeers: `{text}` is not n<id>-host:port"));
    let (name, addr) = text.split_once('-').ok_or_else(bad)?;
    if !addr.contains(':') {
        return Err(bad());
    }
    Ok(Peer { id: node_id(name)?, addr: addr.to_owned() })
}

/// `n3` → 3.
fn node_id(name: &str) -> Result<u64, ControllerError> {
    name.strip_prefix('n')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| ControllerError::Config(format!("controller id `{name}` is not n<number>")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_parse_as_rocketmq_writes_them() {
        let mut cfg = ControllerConfig {
            controller_dleger_peers: "n0-127.0.0.1:9878;n1-127.0.0.1:9868; n2-10.0.0.3:9858".into(),
            controller_dleger_self_id: "n1".into(),
            ..ControllerConfig::default()
        };
        let peers = cfg.peers().unwrap();
        assert_eq!(peers.len(), 3);
        assert_eq!(peers[2], Peer { id: 2, addr: "10.0.0.3:9858".into() });
        assert_eq!(cfg.self_id().unwrap(), 1);
        cfg.controller_dleger_peers = "n0:127.0.0.1:9878".into();
        assert!(cfg.peers().is_err());
    }

    #[test]
    fn file_keys_are_rocketmq_names() {
        let mut cfg = ControllerConfig::default();
        let pairs = parse_properties("controllerDLegerGroup=g1\nenableElectUncleanMaster=true\nfoo=1\n");
        let unknown = cfg.apply(&pairs).unwrap();
        assert_eq!(unknown, vec!["foo".to_owned()]);
        assert!(cfg.enable_elect_unclean_master);
        assert_eq!(cfg.controller_dleger_group, "g1");
        assert!(cfg.apply(&parse_properties("scanNotActiveBrokerInterval=1")).is_err());
    }
}
