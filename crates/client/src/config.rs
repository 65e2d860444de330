//! Settings shared by every producer and consumer of one client instance.

use std::time::Duration;

use crate::builder::config_builder;
use rmq_remoting::transport::ClientTlsOptions;

/// Client settings, with the official clients' defaults. Build with [`ClientConfig::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Name server addresses, `host:port;host:port`. When unset: the NAMESRV_ADDR environment
    /// variable, then the HTTP endpoint.
    pub namesrv_addr: Option<String>,
    /// HTTP endpoint returning `host:port;host:port` (fetched at start and every 2 minutes) when
    /// no address is given otherwise. Default: the `ROCKETMQ_NAMESRV_ENDPOINT` environment variable.
    pub namesrv_endpoint: Option<String>,
    /// Instance name (part of the client id). Default: the process id.
    pub instance_name: String,
    /// This host's address as brokers should see it (part of the client id).
    pub client_ip: String,
    /// Route refresh period (30 s).
    pub poll_name_server_interval: Duration,
    /// Heartbeat period (30 s).
    pub heartbeat_broker_interval: Duration,
    /// Consumer offset commit period (5 s).
    pub persist_consumer_offset_interval: Duration,
    /// Timeout of name server and admin calls (3 s).
    pub api_timeout: Duration,
    /// Unit name appended to the client id, if any.
    pub unit_name: Option<String>,
    /// ACL account that signs every request (RocketMQ's `AclClientRPCHook`). Default: none.
    pub credentials: Option<rmq_acl::Credentials>,
    /// Connect to name servers and brokers with TLS (the Java client's `setUseTLS(true)` /
    /// `-Dtls.enable=true`); `ClientTlsOptions::default()` trusts any server certificate, as
    /// the official clients do by default. `None` (default): plaintext.
    pub tls: Option<ClientTlsOptions>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            namesrv_addr: None,
            namesrv_endpoint: std::env::var("ROCKETMQ_NAMESRV_ENDPOINT").ok().filter(|s| !s.is_empty()),
            instance_name: std::env::var("rocketmq.client.name")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| std::process::id().to_string()),
            client_ip: local_ip(),
            poll_name_server_interval: Duration::from_secs(30),
            heartbeat_broker_interval: Duration::from_secs(30),
            persist_consumer_offset_interval: Duration::from_secs(5),
            api_timeout: Duration::from_secs(3),
            unit_name: None,
            credentials: None,
            tls: None,
        }
    }
}

impl ClientConfig {
    /// A config with these name servers.
    #[must_use]
    pub fn with_namesrv(addr: impl Into<String>) -> Self {
        Self { namesrv_addr: Some(addr.into()), ..Self::default() }
    }

    /// A builder starting from the defaults.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::from_config(Self::default())
    }

    /// This config, connecting with TLS and trusting any server certificate.
    #[must_use]
    pub fn with_tls(self) -> Self {
        Self { tls: Some(ClientTlsOptions::default()), ..self }
    }

    /// `ip@instance[@unit]`, as the official clients build it.
    #[must_use]
    pub fn client_id(&self) -> String {
        let mut id = format!("{}@{}", self.client_ip, self.instance_name);
        if let Some(u) = &self.unit_name {
            id.push('@');
            id.push_str(u);
        }
        id
    }
}

config_builder! {
    /// Builds a [`ClientConfig`].
    ClientConfigBuilder for ClientConfig {
        instance_name: String,
        client_ip: String,
        poll_name_server_interval: Duration,
        heartbeat_broker_interval: Duration,
        persist_consumer_offset_interval: Duration,
        api_timeout: Duration,
    }
}

impl ClientConfigBuilder {
    /// Name server addresses, `host:port;host:port` (namesrvAddr).
    pub fn namesrv_addr(mut self, addr: impl Into<String>) -> Self {
        self.config.namesrv_addr = Some(addr.into());
        self
    }

    /// HTTP endpoint returning the name server list.
    pub fn namesrv_endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.namesrv_endpoint = Some(url.into());
        self
    }

    /// Unit name appended to the client id.
    pub fn unit_name(mut self, unit: impl Into<String>) -> Self {
        self.config.unit_name = Some(unit.into());
        self
    }
}

/// The address of the interface used to reach the outside (no packet is sent), or loopback.
fn local_ip() -> String {
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").and_then(|s| {
        s.connect("192.0.2.1:9")?;
        s.local_addr()
    });
    match probe {
        Ok(a) if !a.ip().is_unspecified() => a.ip().to_string(),
        _ => "127.0.0.1".to_owned(),
    }
}
