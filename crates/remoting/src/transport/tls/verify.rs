//! Certificate checks: client certificates against trusted roots, and the clients' default of
//! trusting any server certificate (RocketMQ's test mode and `tls.client.authServer=false`).

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::{provider, roots, ClientAuth, TlsError};

/// The verifier of client certificates for `optional` or `require`.
pub(super) fn client_verifier(
    auth: ClientAuth,
    trust: Option<&PathBuf>,
) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let path = trust.ok_or_else(|| {
        TlsError::Setting(format!("tls.server.need.client.auth={} needs tls.server.trustCertPath", auth.name()))
    })?;
    let builder =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots(path, "tls.server.trustCertPath")?), provider());
    let builder = if auth == ClientAuth::Optional { builder.allow_unauthenticated() } else { builder };
    builder.build().map_err(|e| TlsError::Setting(format!("tls.server.trustCertPath: {e}")))
}

/// Accepts any server certificate, still checking that the server holds its key (the
/// handshake signatures). Encrypts without authenticating the server, as the official clients
/// do by default.
#[derive(Debug)]
pub(super) struct AnyServerCert {
    provider: Arc<CryptoProvider>,
}

impl AnyServerCert {
    pub(super) fn new(provider: Arc<CryptoProvider>) -> Arc<Self> {
        Arc::new(Self { provider })
    }
}

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
