//! The TLS keys of Apache RocketMQ's `TlsSystemConfig` (`tls.server.*`, `tls.client.*`,
//! `tls.enable`, `tls.test.mode.enable`, `tls.config.file`), read from a server's properties
//! file, with the `tls.config.file` (tls.properties) overlay RocketMQ's `TlsHelper` applies.
//! The transport (`rmq-remoting`) builds the rustls setup from these values.

use std::collections::BTreeMap;

use crate::properties::{parse_properties, ConfigError, PropValue};

/// `tls.server.mode`: how a server treats TLS on its ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsServerMode {
    /// Plaintext only (our default: Apache RocketMQ's is permissive with a self-signed
    /// certificate made at start, which we do not make).
    #[default]
    Disabled,
    /// TLS and plaintext on the same port, told apart by the first byte.
    Permissive,
    /// TLS only.
    Enforcing,
}

impl PropValue for TlsServerMode {
    const EXPECTED: &'static str = "disabled, permissive or enforcing";
    fn parse_prop(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "disabled" => Some(Self::Disabled),
            "permissive" => Some(Self::Permissive),
            "enforcing" => Some(Self::Enforcing),
            _ => None,
        }
    }
    fn render_prop(&self) -> String {
        match self {
            Self::Disabled => "disabled",
            Self::Permissive => "permissive",
            Self::Enforcing => "enforcing",
        }
        .to_owned()
    }
}

/// `tls.server.need.client.auth`: whether clients must show a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsClientAuth {
    /// Not asked.
    #[default]
    None,
    /// Asked, not required; a bad one is refused.
    Optional,
    /// Required.
    Require,
}

impl PropValue for TlsClientAuth {
    const EXPECTED: &'static str = "none, optional or require";
    fn parse_prop(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Some(Self::None),
            "optional" => Some(Self::Optional),
            "require" => Some(Self::Require),
            _ => None,
        }
    }
    fn render_prop(&self) -> String {
        match self {
            Self::None => "none",
            Self::Optional => "optional",
            Self::Require => "require",
        }
        .to_owned()
    }
}

crate::properties_config! {
    /// The server side: what a broker's or name server's ports accept.
    pub struct TlsServerSettings {
        /// `disabled` (default), `permissive` or `enforcing`.
        pub mode: TlsServerMode = "tls.server.mode" => TlsServerMode::Disabled,
        /// PEM certificate chain of the server; required unless disabled. Default unset.
        pub cert_path: Option<String> = "tls.server.certPath" => None,
        /// PEM private key (PKCS#8, RSA or EC; not encrypted). Default unset.
        pub key_path: Option<String> = "tls.server.keyPath" => None,
        /// Client certificates: `none` (default), `optional`, `require`.
        pub need_client_auth: TlsClientAuth = "tls.server.need.client.auth" => TlsClientAuth::None,
        /// PEM roots client certificates must chain to (needed unless `none`). Default unset.
        pub trust_cert_path: Option<String> = "tls.server.trustCertPath" => None,
        /// A tls.properties file whose `tls.*` keys override these and the client ones,
        /// except `tls.server.mode` and `tls.enable`, as in RocketMQ. Default unset.
        pub config_file: Option<String> = "tls.config.file" => None,
    }
}

crate::properties_config! {
    /// The client side: how this process connects to others (a broker to name servers and to
    /// its master; a client to everyone).
    pub struct TlsClientSettings {
        /// Connect with TLS. Default false.
        pub enable: bool = "tls.enable" => false,
        /// Trust any server certificate (RocketMQ's test mode). Default true, as RocketMQ.
        pub test_mode_enable: bool = "tls.test.mode.enable" => true,
        /// Check the server's certificate against `tls.client.trustCertPath` (when test mode
        /// is off). Default false.
        pub auth_server: bool = "tls.client.authServer" => false,
        /// PEM roots the server's certificate must chain to. Default unset.
        pub trust_cert_path: Option<String> = "tls.client.trustCertPath" => None,
        /// PEM certificate chain shown to servers that ask. Default unset.
        pub cert_path: Option<String> = "tls.client.certPath" => None,
        /// Its PEM private key. Default unset.
        pub key_path: Option<String> = "tls.client.keyPath" => None,
    }
}

/// The `tls.*` keys of a tls.properties file that override a server's own (all but
/// `tls.server.mode` and `tls.enable`, which only the process's own config sets).
pub fn read_config_file(path: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Io { path: format!("tls.config.file {path}"), cause: e.to_string() })?;
    let mut pairs = parse_properties(&text);
    pairs.retain(|k, _| k.starts_with("tls.") && k != "tls.server.mode" && k != "tls.enable" && k != "tls.config.file");
    Ok(pairs)
}

impl TlsServerSettings {
    /// These settings with the config file's values applied over them.
    pub fn resolved(&self) -> Result<Self, ConfigError> {
        let mut out = self.clone();
        if let Some(path) = self.config_file.as_deref().filter(|p| !p.is_empty()) {
            for (k, v) in read_config_file(path)? {
                out.set(&k, &v)?;
            }
        }
        Ok(out)
    }
}

impl TlsClientSettings {
    /// These settings with `config_file`'s values applied over them.
    pub fn resolved(&self, config_file: Option<&str>) -> Result<Self, ConfigError> {
        let mut out = self.clone();
        if let Some(path) = config_file.filter(|p| !p.is_empty()) {
            for (k, v) in read_config_file(path)? {
                out.set(&k, &v)?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_parse_and_the_file_overrides_all_but_mode_and_enable() {
        let dir = std::env::temp_dir().join(format!("rmq-tls-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tls.properties");
        std::fs::write(
            &file,
            "tls.server.mode=disabled\ntls.enable=false\ntls.server.certPath=/f/cert.pem\n\
             tls.server.need.client.auth=require\ntls.test.mode.enable=false\ntls.client.authServer=true\n",
        )
        .unwrap();
        let mut server = TlsServerSettings::default();
        assert!(server.set("tls.server.mode", "Enforcing").unwrap());
        assert!(server.set("tls.server.certPath", "/own/cert.pem").unwrap());
        assert!(server.set("tls.config.file", file.to_str().unwrap()).unwrap());
        assert!(server.set("tls.server.mode", "on").is_err());
        let server = server.resolved().unwrap();
        assert_eq!(server.mode, TlsServerMode::Enforcing);
        assert_eq!(server.cert_path.as_deref(), Some("/f/cert.pem"));
        assert_eq!(server.need_client_auth, TlsClientAuth::Require);
        let client = TlsClientSettings { enable: true, ..TlsClientSettings::default() };
        let client = client.resolved(file.to_str()).unwrap();
        assert!(client.enable && !client.test_mode_enable && client.auth_server);
        let missing = TlsServerSettings { config_file: Some("/no/such/tls.properties".into()), ..server };
        assert!(missing.resolved().unwrap_err().to_string().contains("tls.config.file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
