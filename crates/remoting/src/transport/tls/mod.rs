//! TLS on remoting connections (rustls with the ring provider), as Apache RocketMQ's
//! `TlsSystemConfig`/`TlsHelper` set it up: a server mode (`tls.server.mode`: disabled,
//! permissive, enforcing), the server's PEM certificate chain and key, optional client
//! certificates checked against trusted roots, and a client that trusts any server certificate
//! unless told to check it (`tls.test.mode.enable`, `tls.client.authServer`).
//!
//! A server in permissive or enforcing mode looks at the first byte a client sends, as
//! RocketMQ's `TlsModeHandler` does: 0x16 (a TLS handshake record) starts TLS; anything else
//! is a plaintext frame (whose first byte, the high byte of a length under the frame limit,
//! can never be 0x16), served in permissive mode and refused in enforcing mode.

mod accept;
mod pem;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::RootCertStore;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

pub(crate) use accept::open;

/// The first byte of a TLS handshake record.
pub const HANDSHAKE_RECORD: u8 = 0x16;

/// How a server treats TLS on its port (`tls.server.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plaintext only (our default; Apache RocketMQ's is permissive with a generated
    /// self-signed certificate, which we do not make).
    #[default]
    Disabled,
    /// TLS and plaintext clients on the same port, told apart by their first byte.
    Permissive,
    /// TLS only: plaintext connections are closed.
    Enforcing,
}

impl TlsMode {
    /// Reads `disabled`, `permissive` or `enforcing` (any case).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "disabled" => Some(Self::Disabled),
            "permissive" => Some(Self::Permissive),
            "enforcing" => Some(Self::Enforcing),
            _ => None,
        }
    }

    /// The name RocketMQ uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Permissive => "permissive",
            Self::Enforcing => "enforcing",
        }
    }
}

/// Whether a server asks clients for a certificate (`tls.server.need.client.auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// No client certificate asked.
    #[default]
    None,
    /// Asked; a client without one is served, one with a bad one is refused.
    Optional,
    /// Required and checked against `tls.server.trustCertPath`.
    Require,
}

impl ClientAuth {
    /// Reads `none`, `optional` or `require` (any case), as Netty's `ClientAuth` names.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Some(Self::None),
            "optional" => Some(Self::Optional),
            "require" => Some(Self::Require),
            _ => None,
        }
    }

    /// The name RocketMQ uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Optional => "optional",
            Self::Require => "require",
        }
    }
}

/// Why a TLS setup could not be built: names the file or setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{what} {path}: {reason}")]
    File {
        /// Which setting names the file (e.g. `tls.server.certPath`).
        what: &'static str,
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A setting is missing or the settings do not fit together.
    #[error("{0}")]
    Setting(String),
    /// rustls refused the certificate, key or roots.
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Server-side settings, as read from the `tls.server.*` keys.
#[derive(Debug, Clone, Default)]
pub struct ServerTlsOptions {
    /// The mode.
    pub mode: TlsMode,
    /// PEM certificate chain (`tls.server.certPath`).
    pub cert_path: Option<PathBuf>,
    /// PEM private key: PKCS#8, PKCS#1 (RSA) or SEC1 (`tls.server.keyPath`).
    pub key_path: Option<PathBuf>,
    /// Client certificates (`tls.server.need.client.auth`).
    pub need_client_auth: ClientAuth,
    /// PEM roots that client certificates must chain to (`tls.server.trustCertPath`).
    pub trust_cert_path: Option<PathBuf>,
}

/// A server's TLS setup, ready to accept (built once at start).
#[derive(Clone)]
pub struct ServerTls {
    mode: TlsMode,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").field("mode", &self.mode).finish_non_exhaustive()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl ServerTls {
    /// Builds the server's setup; `None` when the mode is disabled. Fails, naming the key,
    /// when a file is missing or unreadable or the settings do not fit together.
    pub fn build(opts: &ServerTlsOptions) -> Result<Option<Self>, TlsError> {
        if opts.mode == TlsMode::Disabled {
            return Ok(None);
        }
        let cert_path = required(opts.cert_path.as_ref(), "tls.server.certPath", opts.mode)?;
        let key_path = required(opts.key_path.as_ref(), "tls.server.keyPath", opts.mode)?;
        let certs = pem::certs(cert_path, "tls.server.certPath")?;
        let key = pem::private_key(key_path, "tls.server.keyPath")?;
        let builder = rustls::ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
        let builder = match opts.need_client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            auth => builder.with_client_cert_verifier(verify::client_verifier(auth, opts.trust_cert_path.as_ref())?),
        };
        let config = builder.with_single_cert(certs, key)?;
        Ok(Some(Self { mode: opts.mode, acceptor: TlsAcceptor::from(Arc::new(config)) }))
    }

    /// The mode (permissive or enforcing).
    #[must_use]
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// Serves an accepted connection as this mode says (the first byte tells TLS from
    /// plaintext, waited for at most `first_byte_wait`), for a protocol beside remoting whose
    /// first byte is never 0x16 either (the HA link's first report). `None`: closed or refused
    /// (logged).
    pub async fn accept(
        &self,
        stream: TcpStream,
        peer: std::net::SocketAddr,
        first_byte_wait: Option<std::time::Duration>,
    ) -> Option<crate::transport::Conn> {
        accept::open(stream, peer, self, first_byte_wait).await
    }
}

fn required<'a>(path: Option<&'a PathBuf>, key: &str, mode: TlsMode) -> Result<&'a PathBuf, TlsError> {
    path.filter(|p| !p.as_os_str().is_empty())
        .ok_or_else(|| TlsError::Setting(format!("tls.server.mode={} needs {key}", mode.name())))
}

/// Client-side settings, as read from `tls.test.mode.enable` and the `tls.client.*` keys.
#[derive(Debug, Clone)]
pub struct ClientTlsOptions {
    /// Trust any server certificate (`tls.test.mode.enable`, default true, as in RocketMQ).
    pub test_mode: bool,
    /// Check the server's certificate against `trust_cert_path` (`tls.client.authServer`,
    /// default false); only when `test_mode` is off.
    pub auth_server: bool,
    /// PEM roots the server's certificate must chain to (`tls.client.trustCertPath`).
    pub trust_cert_path: Option<PathBuf>,
    /// PEM certificate chain shown to servers that ask (`tls.client.certPath`).
    pub cert_path: Option<PathBuf>,
    /// Its private key (`tls.client.keyPath`).
    pub key_path: Option<PathBuf>,
}

impl Default for ClientTlsOptions {
    fn default() -> Self {
        Self { test_mode: true, auth_server: false, trust_cert_path: None, cert_path: None, key_path: None }
    }
}

/// A client's TLS setup: connects TLS over a TCP stream.
#[derive(Clone)]
pub struct ClientTls {
    connector: TlsConnector,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls").finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Builds the client's setup, failing (naming the key) on unreadable files. The default
    /// options are the official clients' `-Dtls.enable=true` alone: any server certificate
    /// trusted, no client certificate.
    pub fn build(opts: &ClientTlsOptions) -> Result<Self, TlsError> {
        let provider = provider();
        let builder =
            rustls::ClientConfig::builder_with_provider(Arc::clone(&provider)).with_safe_default_protocol_versions()?;
        let builder = if opts.test_mode || !opts.auth_server {
            builder.dangerous().with_custom_certificate_verifier(verify::AnyServerCert::new(provider))
        } else {
            let path = opts.trust_cert_path.as_ref().ok_or_else(|| {
                TlsError::Setting("tls.client.authServer=true needs tls.client.trustCertPath".to_owned())
            })?;
            builder.with_root_certificates(roots(path, "tls.client.trustCertPath")?)
        };
        let config = match (&opts.cert_path, &opts.key_path) {
            (Some(cert), Some(key)) => builder.with_client_auth_cert(
                pem::certs(cert, "tls.client.certPath")?,
                pem::private_key(key, "tls.client.keyPath")?,
            )?,
            _ => builder.with_no_client_auth(),
        };
        Ok(Self { connector: TlsConnector::from(Arc::new(config)) })
    }

    /// Runs the client handshake over `stream`; `addr` (`host:port`) names the server.
    pub(crate) async fn connect(
        &self,
        addr: &str,
        stream: TcpStream,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        self.connector.connect(server_name(addr), stream).await
    }
}

/// The server name to check a certificate against: the host part of `host:port`.
fn server_name(addr: &str) -> ServerName<'static> {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned())
        .unwrap_or_else(|_| ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()))
}

fn roots(path: &std::path::Path, what: &'static str) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    for cert in pem::certs(path, what)? {
        store.add(cert)?;
    }
    Ok(store)
}
