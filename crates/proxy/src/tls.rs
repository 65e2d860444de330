//! TLS on the gRPC port (rustls, ring provider), as RocketMQ's proxy serves it: `tls.server.mode`
//! permissive by default (a connection whose first byte starts a TLS handshake record runs TLS,
//! any other is plaintext HTTP/2), enforcing (TLS only) or disabled; the certificate is the PEM
//! pair `tlsCertPath`/`tlsKeyPath`, or, with `tlsTestModeEnable` (the default) and no files, a
//! self-signed one made at start. ALPN offers `h2`, which gRPC clients require.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rmq_common::tls::TlsServerMode;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::config::ProxyConfig;

/// The first byte of a TLS handshake record.
const HANDSHAKE_RECORD: u8 = 0x16;
/// How long a client has to send its first byte and finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections accepted and opened but not yet taken by the gRPC server.
const READY_BACKLOG: usize = 64;

/// Why the gRPC port's TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{key} {path}: {reason}")]
    File {
        /// The config key naming the file.
        key: &'static str,
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The settings do not fit together.
    #[error("{0}")]
    Setting(String),
    /// The self-signed certificate could not be made.
    #[error("self-signed certificate: {0}")]
    SelfSigned(#[from] rcgen::Error),
    /// rustls refused the certificate or key.
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The gRPC port's TLS: its mode and acceptor (built once at start).
#[derive(Clone)]
pub struct GrpcTls {
    mode: TlsServerMode,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for GrpcTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcTls").field("mode", &self.mode).finish_non_exhaustive()
    }
}

impl GrpcTls {
    /// The setup the config asks for; `None` when `tls.server.mode=disabled`.
    pub fn build(config: &ProxyConfig) -> Result<Option<Self>, TlsError> {
        if config.tls_server_mode == TlsServerMode::Disabled {
            return Ok(None);
        }
        let (certs, key) = certificate(config)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
        server.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Some(Self { mode: config.tls_server_mode, acceptor: TlsAcceptor::from(Arc::new(server)) }))
    }

    /// The mode (permissive or enforcing).
    #[must_use]
    pub fn mode(&self) -> TlsServerMode {
        self.mode
    }
}

type CertAndKey = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn certificate(config: &ProxyConfig) -> Result<CertAndKey, TlsError> {
    let (cert, key) = (config.tls_cert_path.trim(), config.tls_key_path.trim());
    if !cert.is_empty() && !key.is_empty() {
        return Ok((certs(cert)?, private_key(key)?));
    }
    if config.tls_test_mode_enable {
        return self_signed();
    }
    Err(TlsError::Setting(format!(
        "tls.server.mode={} with tlsTestModeEnable=false needs tlsCertPath and tlsKeyPath",
        rmq_common::properties::PropValue::render_prop(&config.tls_server_mode)
    )))
}

fn file_error(key: &'static str, path: &str, reason: impl ToString) -> TlsError {
    TlsError::File { key, path: path.to_owned(), reason: reason.to_string() }
}

fn certs(path: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| file_error("tlsCertPath", path, format!("{e:?}")))?;
    let certs = iter.collect::<Result<Vec<_>, _>>().map_err(|e| file_error("tlsCertPath", path, format!("{e:?}")))?;
    if certs.is_empty() {
        return Err(file_error("tlsCertPath", path, "no CERTIFICATE block in the file"));
    }
    Ok(certs)
}

fn private_key(path: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error("tlsKeyPath", path, format!("{e:?}")))
}

fn self_signed() -> Result<CertAndKey, TlsError> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let rcgen::CertifiedKey { cert, key_pair } = rcgen::generate_simple_self_signed(names)?;
    let key = PrivateKeyDer::try_from(key_pair.serialize_der()).map_err(|e| TlsError::Setting(e.to_owned()))?;
    Ok((vec![cert.der().clone()], key))
}

/// A connection of the gRPC port: plaintext HTTP/2 or TLS.
#[derive(Debug)]
pub enum GrpcConn {
    /// Plaintext.
    Plain(TcpStream),
    /// TLS (boxed: the session state is large).
    Tls(Box<TlsStream<TcpStream>>),
}

impl GrpcConn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(s) => s,
            Self::Tls(s) => s.get_ref().0,
        }
    }
}

impl Connected for GrpcConn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        let tcp = self.tcp();
        TcpConnectInfo { local_addr: tcp.local_addr().ok(), remote_addr: tcp.peer_addr().ok() }
    }
}

impl AsyncRead for GrpcConn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for GrpcConn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Accepts on `listener` and opens each connection in its own task (first byte, then the TLS
/// handshake when it starts one), so a slow or silent client never holds up the others.
/// Returns the opened connections; the accept task ends when the receiver is dropped (checked
/// at the next accept) or is aborted through the returned handle.
pub fn incoming(
    listener: TcpListener,
    tls: Option<GrpcTls>,
) -> (mpsc::Receiver<io::Result<GrpcConn>>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(READY_BACKLOG);
    let task = tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::debug!(cause = %e, "gRPC accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if tx.is_closed() {
                return;
            }
            let (tx, tls) = (tx.clone(), tls.clone());
            tokio::spawn(async move {
                if let Some(conn) = open(stream, peer, tls.as_ref()).await {
                    let _ = tx.send(Ok(conn)).await;
                }
            });
        }
    });
    (rx, task)
}

/// Tells TLS from plaintext by the first byte and runs the handshake; `None`: closed or refused.
async fn open(stream: TcpStream, peer: SocketAddr, tls: Option<&GrpcTls>) -> Option<GrpcConn> {
    let _ = stream.set_nodelay(true);
    let Some(tls) = tls else { return Some(GrpcConn::Plain(stream)) };
    let mut first = [0_u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        _ => return None,
    }
    if first[0] != HANDSHAKE_RECORD {
        if tls.mode == TlsServerMode::Enforcing {
            tracing::warn!(%peer, "gRPC connection refused: plaintext on a TLS-only port (tls.server.mode=enforcing)");
            return None;
        }
        return Some(GrpcConn::Plain(stream));
    }
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.acceptor.accept(stream)).await {
        Ok(Ok(s)) => Some(GrpcConn::Tls(Box::new(s))),
        Ok(Err(e)) => {
            tracing::warn!(%peer, cause = %e, "gRPC TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::warn!(%peer, "gRPC TLS handshake timed out");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_certificates() {
        let mut c = ProxyConfig::default();
        assert_eq!(c.tls_server_mode, TlsServerMode::Permissive);
        assert!(GrpcTls::build(&c).unwrap().is_some(), "test mode makes a self-signed certificate");
        c.tls_server_mode = TlsServerMode::Disabled;
        assert!(GrpcTls::build(&c).unwrap().is_none());
        c.tls_server_mode = TlsServerMode::Enforcing;
        c.tls_test_mode_enable = false;
        let err = GrpcTls::build(&c).unwrap_err().to_string();
        assert!(err.contains("tlsCertPath"), "{err}");
        c.tls_cert_path = "/nonexistent/cert.pem".into();
        c.tls_key_path = "/nonexistent/key.pem".into();
        let err = GrpcTls::build(&c).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}
