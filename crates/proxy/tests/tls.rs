//! TLS on the gRPC port: a client trusting the configured certificate completes the handshake
//! and gets ALPN `h2`; plaintext HTTP/2 is served in permissive mode and closed in enforcing mode.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use rmq_common::tls::TlsServerMode;
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::ProxyConfig;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The HTTP/2 client connection preface every gRPC client sends first.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct Proxy {
    addr: std::net::SocketAddr,
    cert: CertificateDer<'static>,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn start(mode: TlsServerMode) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let rcgen::CertifiedKey { cert, key_pair } = rcgen::generate_simple_self_signed(names).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
    let cfg = ProxyConfig {
        grpc_bind_address: "127.0.0.1".into(),
        grpc_server_port: 0,
        namesrv_addr: "127.0.0.1:1".into(),
        tls_server_mode: mode,
        tls_test_mode_enable: false,
        tls_cert_path: cert_path.display().to_string(),
        tls_key_path: key_path.display().to_string(),
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, serve) = rmq_proxy::bind(cfg, async move {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    tokio::spawn(serve);
    Proxy { addr, cert: cert.der().clone(), _stop: stop, _dir: dir }
}

/// A TLS handshake trusting only the proxy's certificate; returns the negotiated ALPN protocol.
async fn handshake(p: &Proxy) -> Option<Vec<u8>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(p.cert.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = TcpStream::connect(p.addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.expect("TLS handshake");
    tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec)
}

/// Sends the plaintext HTTP/2 preface; true when the server answers (its SETTINGS frame).
async fn plaintext_answered(p: &Proxy) -> bool {
    let mut tcp = TcpStream::connect(p.addr).await.unwrap();
    tcp.write_all(PREFACE).await.unwrap();
    let mut buf = [0_u8; 9];
    match tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf)).await {
        Ok(Ok(n)) => n > 0,
        _ => false,
    }
}

#[tokio::test]
async fn enforcing_serves_tls_with_h2_and_closes_plaintext() {
    let p = start(TlsServerMode::Enforcing).await;
    assert_eq!(handshake(&p).await.as_deref(), Some(&b"h2"[..]));
    assert!(!plaintext_answered(&p).await, "a plaintext client on an enforcing port is closed");
}

#[tokio::test]
async fn permissive_serves_tls_and_plaintext_on_one_port() {
    let p = start(TlsServerMode::Permissive).await;
    assert_eq!(handshake(&p).await.as_deref(), Some(&b"h2"[..]));
    assert!(plaintext_answered(&p).await);
    let mut client = MessagingServiceClient::connect(format!("http://{}", p.addr)).await.unwrap();
    let req = rmq_proxy::pb::HeartbeatRequest { group: None, client_type: 1 };
    assert!(client.heartbeat(req).await.is_ok(), "a plaintext gRPC call is served");
}

#[tokio::test]
async fn disabled_serves_plaintext_only() {
    let p = start(TlsServerMode::Disabled).await;
    assert!(plaintext_answered(&p).await);
}
