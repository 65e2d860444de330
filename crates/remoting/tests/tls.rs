//! TLS on the transport: the three server modes, PKCS#8 and RSA keys, client certificates,
//! and clear errors for bad files. Certificates are made at test time with rcgen (the RSA pair
//! is a fixture: rcgen cannot make RSA keys with ring).
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::transport::{
    ClientAuth, ClientConfig, ClientTls, ClientTlsOptions, Dispatcher, RemotingClient, RemotingServer, RequestContext,
    ServerConfig, ServerTls, ServerTlsOptions, TlsMode,
};
use rmq_remoting::{RemotingCommand, RequestCode};

const T: Duration = Duration::from_secs(5);

/// A scratch dir with a CA, a server certificate and a client certificate signed by it.
struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        for name in ["server", "client"] {
            let key = rcgen::KeyPair::generate().unwrap();
            let params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
            let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
            std::fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).unwrap();
            std::fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).unwrap();
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn server(&self, mode: TlsMode) -> ServerTlsOptions {
        ServerTlsOptions {
            mode,
            cert_path: Some(self.path("server.pem")),
            key_path: Some(self.path("server.key")),
            ..ServerTlsOptions::default()
        }
    }
}

async fn serve(tls: Option<ServerTls>) -> RemotingServer {
    let echo = Arc::new(|ctx: RequestContext, req: RemotingCommand| async move {
        let how = if ctx.channel.is_tls() { "tls" } else { "plain" };
        Some(RemotingCommand::success().with_body([&req.body[..], how.as_bytes()].concat()))
    });
    let config = ServerConfig { tls, ..ServerConfig::default() };
    RemotingServer::bind("127.0.0.1:0", Dispatcher::new().processor(echo), config).await.unwrap()
}

fn client(tls: Option<ClientTls>) -> RemotingClient {
    RemotingClient::new(
        ClientConfig { tls, connect_timeout: Duration::from_secs(2), ..ClientConfig::default() },
        Dispatcher::new(),
    )
}

fn tls_client(opts: &ClientTlsOptions) -> RemotingClient {
    client(Some(ClientTls::build(opts).unwrap()))
}

/// The echoed body: `ping` followed by how the server saw the connection.
async fn ping(c: &RemotingClient, addr: &str) -> Result<String, rmq_remoting::RemotingError> {
    let req = RemotingCommand::request(RequestCode::SendMessage).with_body(&b"ping-"[..]);
    let resp = c.invoke(addr, req, T).await?;
    Ok(String::from_utf8(resp.body.to_vec()).unwrap())
}

#[tokio::test]
async fn permissive_serves_plaintext_and_tls_on_one_port() {
    let certs = Certs::new();
    let s = serve(ServerTls::build(&certs.server(TlsMode::Permissive)).unwrap()).await;
    let addr = s.local_addr().to_string();
    assert_eq!(ping(&client(None), &addr).await.unwrap(), "ping-plain");
    assert_eq!(ping(&tls_client(&ClientTlsOptions::default()), &addr).await.unwrap(), "ping-tls");
    s.shutdown().await;
}

#[tokio::test]
async fn enforcing_refuses_plaintext_and_serves_tls() {
    let certs = Certs::new();
    let s = serve(ServerTls::build(&certs.server(TlsMode::Enforcing)).unwrap()).await;
    let addr = s.local_addr().to_string();
    assert!(ping(&client(None), &addr).await.is_err(), "a plaintext client must be refused");
    assert_eq!(ping(&tls_client(&ClientTlsOptions::default()), &addr).await.unwrap(), "ping-tls");
    s.shutdown().await;
}

#[tokio::test]
async fn disabled_serves_plaintext_only() {
    let certs = Certs::new();
    assert!(ServerTls::build(&certs.server(TlsMode::Disabled)).unwrap().is_none());
    let s = serve(None).await;
    let addr = s.local_addr().to_string();
    assert_eq!(ping(&client(None), &addr).await.unwrap(), "ping-plain");
    assert!(ping(&tls_client(&ClientTlsOptions::default()), &addr).await.is_err());
    s.shutdown().await;
}

#[tokio::test]
async fn client_checks_the_server_certificate_when_asked() {
    let certs = Certs::new();
    let s = serve(ServerTls::build(&certs.server(TlsMode::Enforcing)).unwrap()).await;
    let addr = s.local_addr().to_string();
    let trusted = ClientTlsOptions {
        test_mode: false,
        auth_server: true,
        trust_cert_path: Some(certs.path("ca.pem")),
        ..ClientTlsOptions::default()
    };
    assert_eq!(ping(&tls_client(&trusted), &addr).await.unwrap(), "ping-tls");
    // Another CA's roots: the server's certificate does not chain to them.
    let other = Certs::new();
    let wrong = ClientTlsOptions { trust_cert_path: Some(other.path("ca.pem")), ..trusted };
    let err = ping(&tls_client(&wrong), &addr).await.unwrap_err().to_string();
    assert!(err.contains("TLS handshake failed"), "{err}");
    s.shutdown().await;
}

#[tokio::test]
async fn required_client_certificates_are_checked() {
    let certs = Certs::new();
    let opts = ServerTlsOptions {
        need_client_auth: ClientAuth::Require,
        trust_cert_path: Some(certs.path("ca.pem")),
        ..certs.server(TlsMode::Enforcing)
    };
    let s = serve(ServerTls::build(&opts).unwrap()).await;
    let addr = s.local_addr().to_string();
    let with_cert = ClientTlsOptions {
        cert_path: Some(certs.path("client.pem")),
        key_path: Some(certs.path("client.key")),
        ..ClientTlsOptions::default()
    };
    assert_eq!(ping(&tls_client(&with_cert), &addr).await.unwrap(), "ping-tls");
    // TLS 1.3: the server refuses after the client's handshake ends, so the call fails.
    assert!(ping(&tls_client(&ClientTlsOptions::default()), &addr).await.is_err());
    let other = Certs::new();
    let foreign = ClientTlsOptions {
        cert_path: Some(other.path("client.pem")),
        key_path: Some(other.path("client.key")),
        ..ClientTlsOptions::default()
    };
    assert!(ping(&tls_client(&foreign), &addr).await.is_err());
    s.shutdown().await;
}

#[tokio::test]
async fn rsa_pkcs1_keys_are_read() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let opts = ServerTlsOptions {
        mode: TlsMode::Enforcing,
        cert_path: Some(fixtures.join("rsa-cert.pem")),
        key_path: Some(fixtures.join("rsa-key.pem")),
        ..ServerTlsOptions::default()
    };
    let s = serve(ServerTls::build(&opts).unwrap()).await;
    let addr = s.local_addr().to_string();
    assert_eq!(ping(&tls_client(&ClientTlsOptions::default()), &addr).await.unwrap(), "ping-tls");
    s.shutdown().await;
}

#[test]
fn bad_files_and_settings_are_named() {
    let certs = Certs::new();
    let missing = ServerTlsOptions { cert_path: Some(certs.path("nope.pem")), ..certs.server(TlsMode::Permissive) };
    let err = ServerTls::build(&missing).unwrap_err().to_string();
    assert!(err.contains("tls.server.certPath") && err.contains("nope.pem"), "{err}");
    let swapped = ServerTlsOptions { key_path: Some(certs.path("server.pem")), ..certs.server(TlsMode::Enforcing) };
    let err = ServerTls::build(&swapped).unwrap_err().to_string();
    assert!(err.contains("tls.server.keyPath"), "{err}");
    let no_cert = ServerTlsOptions { cert_path: None, ..certs.server(TlsMode::Enforcing) };
    let err = ServerTls::build(&no_cert).unwrap_err().to_string();
    assert!(err.contains("tls.server.mode=enforcing needs tls.server.certPath"), "{err}");
    let no_roots = ServerTlsOptions { need_client_auth: ClientAuth::Require, ..certs.server(TlsMode::Enforcing) };
    let err = ServerTls::build(&no_roots).unwrap_err().to_string();
    assert!(err.contains("tls.server.trustCertPath"), "{err}");
    assert_eq!(TlsMode::parse("Enforcing"), Some(TlsMode::Enforcing));
    assert_eq!(TlsMode::parse("on"), None);
    assert_eq!(ClientAuth::parse("REQUIRE"), Some(ClientAuth::Require));
}
