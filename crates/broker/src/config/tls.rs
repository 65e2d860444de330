//! The broker's TLS: its ports' setup from the `tls.server.*` keys and its outgoing
//! connections' (name server registration, route and metadata calls) from `tls.enable` and the
//! `tls.client.*` keys, each with the `tls.config.file` overlay.

use std::path::PathBuf;

use rmq_common::tls::{TlsClientAuth, TlsClientSettings, TlsServerMode, TlsServerSettings};
use rmq_remoting::transport::{ClientAuth, ClientTls, ClientTlsOptions, ServerTls, ServerTlsOptions, TlsMode};

use super::BrokerConfig;

fn path(p: Option<&String>) -> Option<PathBuf> {
    p.filter(|p| !p.is_empty()).map(PathBuf::from)
}

/// The transport options the server keys give.
#[must_use]
pub fn server_options(s: &TlsServerSettings) -> ServerTlsOptions {
    ServerTlsOptions {
        mode: match s.mode {
            TlsServerMode::Disabled => TlsMode::Disabled,
            TlsServerMode::Permissive => TlsMode::Permissive,
            TlsServerMode::Enforcing => TlsMode::Enforcing,
        },
        cert_path: path(s.cert_path.as_ref()),
        key_path: path(s.key_path.as_ref()),
        need_client_auth: match s.need_client_auth {
            TlsClientAuth::None => ClientAuth::None,
            TlsClientAuth::Optional => ClientAuth::Optional,
            TlsClientAuth::Require => ClientAuth::Require,
        },
        trust_cert_path: path(s.trust_cert_path.as_ref()),
    }
}

/// The transport options the client keys give.
#[must_use]
pub fn client_options(c: &TlsClientSettings) -> ClientTlsOptions {
    ClientTlsOptions {
        test_mode: c.test_mode_enable,
        auth_server: c.auth_server,
        trust_cert_path: path(c.trust_cert_path.as_ref()),
        cert_path: path(c.cert_path.as_ref()),
        key_path: path(c.key_path.as_ref()),
    }
}

/// The setup of the broker's ports; `None` when `tls.server.mode=disabled`. The error names
/// the key or file at fault.
pub fn server_tls(config: &BrokerConfig) -> Result<Option<ServerTls>, String> {
    let settings = config.tls_server.resolved().map_err(|e| e.to_string())?;
    ServerTls::build(&server_options(&settings)).map_err(|e| e.to_string())
}

/// The setup of the broker's outgoing connections; `None` unless `tls.enable=true`.
pub fn client_tls(config: &BrokerConfig) -> Result<Option<ClientTls>, String> {
    if !config.tls_client.enable {
        return Ok(None);
    }
    let settings = config.tls_client.resolved(config.tls_server.config_file.as_deref()).map_err(|e| e.to_string())?;
    ClientTls::build(&client_options(&settings)).map(Some).map_err(|e| e.to_string())
}
