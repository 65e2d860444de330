//! gRPC load modes: `grpc-producer` and `grpc-consumer` drive a RocketMQ 5.x proxy (ours or the
//! official `rocketmq-proxy`) through `apache.rocketmq.v2.MessagingService`, as the 5.x SDKs do:
//! the SDK's metadata headers, a Telemetry stream with the client's settings, SendMessage for
//! producers and ReceiveMessage + AckMessage (over the broker's POP) for consumers. Requests are
//! pipelined: `-w` calls in flight, spread over `--channels` HTTP/2 connections.

pub mod consumer;
pub mod producer;

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::{self, Resource};
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// A client of the proxy that sends the SDK's metadata headers on every call.
pub type Client = MessagingServiceClient<InterceptedService<Channel, Headers>>;

/// The headers every 5.x SDK sends (the official proxy refuses a call without a client id).
#[derive(Clone, Debug)]
pub struct Headers {
    client_id: MetadataValue<tonic::metadata::Ascii>,
}

static REQUEST_ID: AtomicU64 = AtomicU64::new(0);

impl tonic::service::Interceptor for Headers {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let md = req.metadata_mut();
        md.insert("x-mq-client-id", self.client_id.clone());
        md.insert("x-mq-language", MetadataValue::from_static("RUST"));
        md.insert("x-mq-protocol", MetadataValue::from_static("v2"));
        md.insert("x-mq-client-version", MetadataValue::from_static("5.0.0"));
        let id = REQUEST_ID.fetch_add(1, Ordering::Relaxed);
        if let Ok(v) = MetadataValue::try_from(id.to_string()) {
            md.insert("x-mq-request-id", v);
        }
        Ok(req)
    }
}

/// A resource in the default namespace.
pub fn resource(name: &str) -> Option<Resource> {
    Some(Resource { resource_namespace: String::new(), name: name.to_owned() })
}

/// The proxy's address as the route requests name it.
pub fn endpoints(proxy: &str) -> anyhow::Result<pb::Endpoints> {
    let (host, port) = proxy.rsplit_once(':').context("--proxy must be host:port")?;
    let port: i32 = port.parse().context("--proxy port")?;
    Ok(pb::Endpoints {
        scheme: pb::AddressScheme::IPv4 as i32,
        addresses: vec![pb::Address { host: host.to_owned(), port }],
    })
}

/// A client id unique to this process (`host@pid#n`, as the SDKs form theirs).
pub fn client_id(role: &str) -> String {
    format!("mqbench-{role}@{}#{}", std::process::id(), crate::clock::now_ms())
}

/// Opens `n` HTTP/2 connections to `proxy` (`host:port`), each a client with the SDK headers.
pub async fn connect(proxy: &str, n: usize, id: &str) -> anyhow::Result<Vec<Client>> {
    let client_id = MetadataValue::try_from(id).context("client id")?;
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let channel = Endpoint::from_shared(format!("http://{proxy}"))?
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("connecting to the proxy at {proxy}"))?;
        let headers = Headers { client_id: client_id.clone() };
        clients.push(MessagingServiceClient::with_interceptor(channel, headers));
    }
    Ok(clients)
}

/// Opens the Telemetry stream and sends `settings` (the official proxy needs a consumer's
/// settings before ReceiveMessage); the stream stays open until the returned sender drops.
pub async fn announce(
    client: &mut Client,
    settings: pb::Settings,
) -> anyhow::Result<tokio::sync::mpsc::Sender<pb::TelemetryCommand>> {
    use pb::telemetry_command::Command;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(pb::TelemetryCommand { status: None, command: Some(Command::Settings(settings)) }).await?;
    let mut answers = client.telemetry(tokio_stream::wrappers::ReceiverStream::new(rx)).await?.into_inner();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), answers.message()).await;
    first.context("no Telemetry answer in 10 s")?.context("Telemetry")?;
    // Keep reading (and ignoring) what the proxy sends for the rest of the run.
    tokio::spawn(async move { while let Ok(Some(_)) = answers.message().await {} });
    Ok(tx)
}

/// A status code's name for error messages.
pub fn code_name(code: i32) -> String {
    pb::Code::try_from(code).map_or_else(|_| code.to_string(), |c| c.as_str_name().to_owned())
}

/// A protobuf timestamp in ms since the epoch.
pub fn timestamp_ms(t: &prost_types::Timestamp) -> i64 {
    t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos / 1_000_000))
}
