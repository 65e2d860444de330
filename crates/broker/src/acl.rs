//! The broker's ACL wiring: the validator that guards its ports when `aclEnable` is on, and its
//! own account (`innerClientAuthenticationCredentials`) that signs its calls to name servers
//! and to its master.

use std::path::PathBuf;
use std::sync::Arc;

use rmq_acl::{AclValidator, Credentials, Scope};
use rmq_remoting::transport::{RequestHook, RequestProcessor};

use crate::config::BrokerConfig;
use crate::error::StartError;

/// The ACL file: `rocketmq.acl.plain.file`, relative to the RocketMQ home unless absolute.
#[must_use]
pub fn acl_file(config: &BrokerConfig) -> PathBuf {
    let file = PathBuf::from(&config.acl.acl_plain_file);
    if file.is_absolute() {
        return file;
    }
    let home = config.identity.rocketmq_home.clone().or_else(|| std::env::var("ROCKETMQ_HOME").ok());
    home.map_or(file.clone(), |h| PathBuf::from(h).join(&file))
}

/// The validator, when `aclEnable` is on.
#[must_use]
pub fn validator(config: &BrokerConfig) -> Option<Arc<AclValidator>> {
    if !config.acl.acl_enable {
        return None;
    }
    let validator = AclValidator::open(acl_file(config), Scope::Broker);
    tracing::info!(file = %validator.path().display(), "ACL enabled: every request is checked");
    Some(Arc::new(validator))
}

/// `processor`, behind the ACL check when there is a validator.
#[must_use]
pub fn guard(processor: Arc<dyn RequestProcessor>, validator: Option<&Arc<AclValidator>>) -> Arc<dyn RequestProcessor> {
    match validator {
        Some(v) => Arc::new(rmq_acl::AclGuard::new(processor, Arc::clone(v))),
        None => processor,
    }
}

/// The hook that signs the broker's outgoing calls, when it has an account.
pub fn signer(config: &BrokerConfig) -> Result<Option<Arc<dyn RequestHook>>, StartError> {
    let Some(json) = config.acl.inner_client_authentication_credentials.as_deref() else {
        return Ok(None);
    };
    Ok(Some(Arc::new(credentials(json)?)))
}

/// Reads `{"accessKey":"..","secretKey":".."}`.
pub(crate) fn credentials(json: &str) -> Result<Credentials, StartError> {
    Credentials::from_json(json).map_err(StartError::Credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_file_path() {
        let c = credentials(r#"{"accessKey":"rocketmq2","secretKey":"12345678"}"#).unwrap();
        assert_eq!((c.access_key.as_str(), c.secret_key()), ("rocketmq2", "12345678"));
        assert!(credentials("rocketmq2:12345678").is_err());
        let mut config = BrokerConfig::default();
        config.identity.rocketmq_home = Some("/opt/rmq".into());
        assert_eq!(acl_file(&config), PathBuf::from("/opt/rmq/conf/plain_acl.yml"));
        config.acl.acl_plain_file = "/etc/acl.yml".into();
        assert_eq!(acl_file(&config), PathBuf::from("/etc/acl.yml"));
    }
}
