//! Starts the proxy: a client of the cluster and the gRPC server on `grpcServerPort`.

use std::future::Future;
use std::net::SocketAddr;

use rmq_client::{ClientConfig, ClientInstance};
use tokio_stream::wrappers::ReceiverStream;

use crate::config::ProxyConfig;
use crate::pb::messaging_service_server::MessagingServiceServer;
use crate::service::Proxy;

/// Why the proxy could not run.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The gRPC address could not be bound.
    #[error("cannot bind {addr}: {cause}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        cause: std::io::Error,
    },
    /// The gRPC port's TLS could not be set up.
    #[error("gRPC TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// The client of the cluster could not start.
    #[error("cluster client: {0}")]
    Client(#[from] rmq_client::ClientError),
    /// The gRPC server failed.
    #[error("grpc server: {0}")]
    Serve(#[from] tonic::transport::Error),
}

/// Binds the gRPC port (TLS as `tls.server.mode` says) and returns the bound address and the future serving it until `shutdown`.
pub async fn bind(
    config: ProxyConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, impl Future<Output = Result<(), ProxyError>>), ProxyError> {
    let tls = crate::tls::GrpcTls::build(&config)?;
    let addr = format!("{}:{}", config.grpc_bind_address, config.grpc_server_port);
    let listener =
        tokio::net::TcpListener::bind(&addr).await.map_err(|cause| ProxyError::Bind { addr: addr.clone(), cause })?;
    let local = listener.local_addr().map_err(|cause| ProxyError::Bind { addr, cause })?;
    let mut client = ClientConfig::with_namesrv(config.namesrv_addr.clone());
    client.instance_name = format!("proxy-{}", local.port());
    // The proxy's own requests to name servers and brokers are signed with its account, as the
    // official proxy's with `innerClientAuthenticationCredentials` (checked by `apply`).
    client.credentials =
        config.inner_client_authentication_credentials.as_deref().and_then(|j| rmq_acl::Credentials::from_json(j).ok());
    let cluster = ClientInstance::start(client).await?;
    let mut config = config;
    config.grpc_server_port = local.port();
    let inbound = config.grpc_max_inbound_message_size;
    let service = MessagingServiceServer::new(Proxy::new(config, cluster)).max_decoding_message_size(inbound);
    let serve = async move {
        let (incoming, accept) = crate::tls::incoming(listener, tls);
        let served = tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(ReceiverStream::new(incoming), shutdown)
            .await;
        accept.abort();
        served.map_err(ProxyError::from)
    };
    Ok((local, serve))
}

/// Runs the proxy until `shutdown`.
pub async fn run(config: ProxyConfig, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ProxyError> {
    let metrics_config = config.clone();
    let (addr, serve) = bind(config, shutdown).await?;
    tracing::info!(%addr, "proxy gRPC server listening");
    let _metrics = crate::metrics::start(&metrics_config, addr).await.map_err(|e| match e {
        rmq_metrics::MetricsError::Bind { addr, source } => ProxyError::Bind { addr, cause: source },
    })?;
    serve.await
}
