//! The PROM exporter: `metricsExporterType`, and a small HTTP/1.1 endpoint that answers every
//! GET of `/metrics` (or `/`) with the registry's text exposition and closes the connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rmq_common::properties::PropValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::MetricsRegistry;

/// RocketMQ's `MetricsExporterType`: which exporter runs (only `PROM` does here; `OTLP_GRPC`
/// and `LOG` are accepted and run none, with a warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExporterType {
    /// No metrics (the default).
    #[default]
    Disable,
    /// OpenTelemetry over gRPC (not served).
    OtlpGrpc,
    /// The Prometheus endpoint.
    Prom,
    /// Metrics written to the log (not served).
    Log,
}

impl ExporterType {
    const NAMES: [(&'static str, ExporterType); 4] =
        [("DISABLE", Self::Disable), ("OTLP_GRPC", Self::OtlpGrpc), ("PROM", Self::Prom), ("LOG", Self::Log)];
}

impl PropValue for ExporterType {
    const EXPECTED: &'static str = "DISABLE, OTLP_GRPC, PROM or LOG (or 0..3)";
    fn parse_prop(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(n) = text.parse::<usize>() {
            return Self::NAMES.get(n).map(|(_, t)| *t);
        }
        Self::NAMES.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)).map(|(_, t)| *t)
    }
    fn render_prop(&self) -> String {
        Self::NAMES.iter().find(|(_, t)| t == self).map_or("DISABLE", |(n, _)| n).to_owned()
    }
}

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The port could not be bound.
    #[error("metrics endpoint cannot bind {addr}: {source}")]
    Bind {
        /// Address asked for.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// A running endpoint; it stops when dropped.
#[derive(Debug)]
pub struct Exporter {
    addr: SocketAddr,
    stop: CancellationToken,
}

impl Exporter {
    /// Binds `host:port` (an empty host = all interfaces, as RocketMQ) and serves `registry`.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(host: &str, port: u16, registry: Arc<MetricsRegistry>) -> Result<Self, MetricsError> {
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        let addr = format!("{host}:{port}");
        let listener =
            TcpListener::bind(&addr).await.map_err(|source| MetricsError::Bind { addr: addr.clone(), source })?;
        let local = listener.local_addr().map_err(|source| MetricsError::Bind { addr, source })?;
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(listener, registry, stop.clone()));
        tracing::info!(addr = %local, "metrics endpoint (Prometheus) listening");
        Ok(Self { addr: local, stop })
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept_loop(listener: TcpListener, registry: Arc<MetricsRegistry>, stop: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(serve(stream, Arc::clone(&registry)));
            }
            Err(e) => {
                tracing::debug!(cause = %e, "metrics accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Answers one request and closes.
async fn serve(mut stream: TcpStream, registry: Arc<MetricsRegistry>) {
    let Ok(Some(path)) = tokio::time::timeout(Duration::from_secs(5), read_path(&mut stream)).await else {
        return;
    };
    let (status, body) = if path == "/metrics" || path == "/" {
        let rendered = tokio::task::spawn_blocking(move || registry.render()).await.unwrap_or_default();
        ("200 OK", rendered)
    } else {
        ("404 Not Found", "not found; metrics are at /metrics\n".to_owned())
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads the request head (at most 8 KiB) and returns the path of a GET.
async fn read_path(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > 8 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    request_path(&buf)
}

/// The path of a `GET <path> HTTP/1.x` request line, without its query.
fn request_path(head: &[u8]) -> Option<String> {
    let line = head.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    if parts.next()? != "GET" {
        return None;
    }
    let target = parts.next()?;
    Some(target.split('?').next().unwrap_or(target).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exporter_type_reads_names_and_ordinals() {
        assert_eq!(ExporterType::parse_prop("PROM"), Some(ExporterType::Prom));
        assert_eq!(ExporterType::parse_prop("prom"), Some(ExporterType::Prom));
        assert_eq!(ExporterType::parse_prop("2"), Some(ExporterType::Prom));
        assert_eq!(ExporterType::parse_prop("0"), Some(ExporterType::Disable));
        assert_eq!(ExporterType::parse_prop("OTLP"), None);
        assert_eq!(ExporterType::Prom.render_prop(), "PROM");
    }

    #[test]
    fn request_path_reads_a_get_line() {
        assert_eq!(request_path(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n").as_deref(), Some("/metrics"));
        assert_eq!(request_path(b"POST /metrics HTTP/1.1\r\n\r\n"), None);
    }

    #[tokio::test]
    async fn endpoint_serves_the_registry_and_stops_when_dropped() {
        let exporter = Exporter::start("127.0.0.1", 0, Arc::new(MetricsRegistry::default())).await.unwrap();
        let addr = exporter.local_addr();
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        drop(exporter);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(TcpStream::connect(addr).await.is_err());
    }
}
