//! The name server: brokers register their topics here every 30 s; clients ask for routes.
//! Name servers are independent of each other. [`run`] serves until shutdown.

pub mod config;
mod error;
mod kv;
pub mod metrics;
mod processor;
mod routes;
mod tls;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use rmq_remoting::transport::{Channel, ChannelEventListener, Dispatcher, RemotingServer, RequestProcessor};

pub use config::NamesrvConfig;
pub use error::NamesrvError;
pub use kv::KvConfig;
pub use routes::{RegisterAnswer, Registration, RouteTable};

/// Shared state of a name server.
#[derive(Debug)]
pub struct NameServer {
    /// Settings as started; keys in [`config::LIVE_KEYS`] are read from `live`.
    pub config: NamesrvConfig,
    /// Current settings (UPDATE_NAMESRV_CONFIG).
    pub live: config::LiveConfig,
    /// Routes.
    pub routes: RwLock<RouteTable>,
    /// KV config.
    pub kv: KvConfig,
    /// Prometheus meters (recording nothing unless metrics are exported).
    pub meters: metrics::Meters,
}

struct CloseWatch(Arc<NameServer>);

impl ChannelEventListener for CloseWatch {
    fn on_close(&self, channel: &Channel) {
        let n = self.0.routes.write().channel_closed(channel.id());
        if n > 0 {
            tracing::info!(peer = %channel.peer_addr(), brokers = n, "broker connection closed");
        }
    }
}

/// The processor behind the ACL check when `aclEnable` is on.
fn guarded(processor: processor::Processor, config: &NamesrvConfig) -> Arc<dyn RequestProcessor> {
    if !config.acl_enable {
        return Arc::new(processor);
    }
    let validator = rmq_acl::AclValidator::open(config.acl_file(), rmq_acl::Scope::Namesrv);
    tracing::info!(file = %validator.path().display(), "ACL enabled: changes need a signed admin account");
    Arc::new(rmq_acl::AclGuard::new(Arc::new(processor), Arc::new(validator)))
}

/// Serves until `shutdown` resolves. Prints nothing itself; logs through tracing.
pub async fn run(config: NamesrvConfig, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let ns = Arc::new(NameServer {
        kv: KvConfig::load(PathBuf::from(&config.kv_config_path)),
        routes: RwLock::new(RouteTable::default()),
        live: config::LiveConfig::new(config.clone()),
        meters: metrics::Meters::new(config.metrics_exporter_type == rmq_metrics::ExporterType::Prom),
        config,
    });
    let dispatcher = Dispatcher::new()
        .processor(guarded(processor::Processor { ns: Arc::clone(&ns) }, &ns.config))
        .listener(Arc::new(CloseWatch(Arc::clone(&ns))));
    let addr = format!("{}:{}", ns.config.bind_address, ns.config.listen_port);
    let tls = tls::server_tls(&ns.config)?;
    let server_config = rmq_remoting::transport::ServerConfig { tls, ..ns.config.server_config() };
    let server = RemotingServer::bind(&addr, dispatcher, server_config).await?;
    tracing::info!(addr = %server.local_addr(), "The Name Server boot success. serializeType=JSON");
    let _metrics = metrics::start(&ns, server.local_addr()).await?;
    let scan = {
        let ns = Arc::clone(&ns);
        tokio::spawn(async move {
            loop {
                let live = ns.live.get();
                let period = Duration::from_millis(live.scan_not_active_broker_interval);
                let expiry = Duration::from_millis(live.broker_expired_millis);
                tokio::time::sleep(period).await;
                let n = ns.routes.write().expire(expiry);
                if n > 0 {
                    tracing::warn!(brokers = n, "removed brokers that stopped registering");
                }
            }
        })
    };
    shutdown.await;
    scan.abort();
    server.shutdown().await;
    tracing::info!("name server stopped");
    Ok(())
}
