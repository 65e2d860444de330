//! The broker's listening ports and the connection watch that drops closed clients.

use std::sync::Arc;

use rmq_remoting::transport::{ChannelEventListener, Dispatcher, RemotingServer, ServerConfig};

use super::BrokerProcessor;
use crate::config::BrokerConfig;
use crate::error::StartError;
use crate::state::clients::ClientRegistry;

/// Server settings from the broker config.
#[must_use]
pub fn server_config(config: &BrokerConfig) -> ServerConfig {
    ServerConfig { max_frame_size: config.net.max_frame_size, ..ServerConfig::default() }
}

/// Binds the main port (and the VIP port, listenPort − 2, when enabled).
pub async fn start_servers(
    config: &BrokerConfig,
    processor: &BrokerProcessor,
    clients: &Arc<ClientRegistry>,
) -> Result<Vec<RemotingServer>, StartError> {
    let mut ports = vec![config.net.listen_port];
    if config.net.fast_listen_enable && config.net.listen_port > 2 {
        ports.push(config.net.listen_port - 2);
    }
    let mut servers = Vec::new();
    for port in ports {
        let addr = format!("{}:{port}", config.net.bind_address);
        let dispatcher = Dispatcher::new()
            .processor(Arc::new(processor.clone()))
            .listener(Arc::new(ConnectionWatch { clients: Arc::clone(clients) }));
        let server = RemotingServer::bind(&addr, dispatcher, server_config(config))
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
