//! The name server's port TLS from its `tls.*` keys (with the `tls.config.file` overlay).

use std::path::PathBuf;

use rmq_common::tls::{TlsClientAuth, TlsServerMode};
use rmq_remoting::transport::{ClientAuth, ServerTls, ServerTlsOptions, TlsMode};

use crate::config::NamesrvConfig;

/// The setup of the port; `None` when `tls.server.mode=disabled`. The error names the key or
/// file at fault.
pub(crate) fn server_tls(config: &NamesrvConfig) -> std::io::Result<Option<ServerTls>> {
    let invalid = |reason: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("TLS: {reason}"));
    let s = config.tls_settings().resolved().map_err(|e| invalid(e.to_string()))?;
    let path = |p: Option<String>| p.filter(|p| !p.is_empty()).map(PathBuf::from);
    let opts = ServerTlsOptions {
        mode: match s.mode {
            TlsServerMode::Disabled => TlsMode::Disabled,
            TlsServerMode::Permissive => TlsMode::Permissive,
            TlsServerMode::Enforcing => TlsMode::Enforcing,
        },
        cert_path: path(s.cert_path),
        key_path: path(s.key_path),
        need_client_auth: match s.need_client_auth {
            TlsClientAuth::None => ClientAuth::None,
            TlsClientAuth::Optional => ClientAuth::Optional,
            TlsClientAuth::Require => ClientAuth::Require,
        },
        trust_cert_path: path(s.trust_cert_path),
    };
    let tls = ServerTls::build(&opts).map_err(|e| invalid(e.to_string()))?;
    if let Some(tls) = &tls {
        tracing::info!(mode = tls.mode().name(), "TLS on the name server's port");
    }
    Ok(tls)
}
