//! The broker's listening ports and the connection watch that drops closed clients.

use std::sync::Arc;

use rmq_remoting::transport::{ChannelEventListener, Dispatcher, RemotingServer, ServerConfig};

use super::BrokerProcessor;
use crate::config::BrokerConfig;
use crate::context::BrokerContext;
use crate::error::StartError;
use crate::state::clients::ClientRegistry;

/// Server settings from the broker config.
#[must_use]
pub fn server_config(config: &BrokerConfig) -> ServerConfig {
    let idle = config.conn.server_channel_max_idle_time_seconds;
    ServerConfig {
        max_frame_size: config.net.max_frame_size,
        write_budget: config.conn.write_buffer_high_water_mark,
        total_write_budget: config.conn.server_total_write_buffer_bytes,
        idle_timeout: (idle > 0).then(|| std::time::Duration::from_secs(idle)),
        max_connections: config.conn.server_max_connections,
        ..ServerConfig::default()
    }
}

/// Binds the main port (and the VIP port, listenPort − 2, when enabled).
pub async fn start_servers(
    ctx: &BrokerContext,
    processor: &BrokerProcessor,
) -> Result<Vec<RemotingServer>, StartError> {
    let (config, clients) = (&*ctx.config, &ctx.tables.clients);
    let mut ports = vec![config.net.listen_port];
    if config.net.fast_listen_enable && config.net.listen_port > 2 {
        ports.push(config.net.listen_port - 2);
    }
    let mut servers = Vec::new();
    let auth = crate::auth::Auth::open(config)?;
    let tls = crate::config::tls::server_tls(config).map_err(StartError::Tls)?;
    if let Some(tls) = &tls {
        tracing::info!(mode = tls.mode().name(), "TLS on the broker's ports");
    }
    for port in ports {
        let addr = format!("{}:{port}", config.net.bind_address);
        let dispatcher = Dispatcher::new()
            .processor(crate::acl::guard(auth.wrap(Arc::new(processor.clone())), ctx.acl.as_ref()))
            .listener(Arc::new(ConnectionWatch { clients: Arc::clone(clients) }));
        let server_config = ServerConfig { tls: tls.clone(), ..server_config(config) };
        let server = RemotingServer::bind(&addr, dispatcher, server_config)
            .await
            .map_err(|cause| StartError::Bind { addr: addr.clone(), cause })?;
        servers.push(server);
    }
    Ok(servers)
}

/// Drops a closed connection's clients and tells their groups.
struct ConnectionWatch {
    clients: Arc<ClientRegistry>,
}

impl ChannelEventListener for ConnectionWatch {
    fn on_close(&self, channel: &rmq_remoting::transport::Channel) {
        for group in self.clients.channel_closed(channel) {
            self.clients.notify_consumer_ids_changed(&group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_keys_reach_the_server_config() {
        let mut config = BrokerConfig::default();
        assert_eq!(server_config(&config).idle_timeout, Some(std::time::Duration::from_secs(120)));
        config.conn.server_channel_max_idle_time_seconds = 0;
        config.conn.server_max_connections = 3;
        config.conn.write_buffer_high_water_mark = 10;
        config.conn.server_total_write_buffer_bytes = 20;
        let server = server_config(&config);
        assert_eq!(server.idle_timeout, None);
        assert_eq!((server.max_connections, server.write_budget, server.total_write_budget), (3, 10, 20));
    }
}
