//! The broker's ACL 2.0 wiring: the store of users and ACLs (`<storePathRootDir>/config/
//! auth.json`), the start-up users (`initAuthenticationUser`, the broker's own
//! `innerClientAuthenticationCredentials`, both super users as in RocketMQ 5.3; plain_acl.yml's
//! accounts with `migrateAuthFromV1Enabled`), and the layer in front of the broker's processor
//! that checks requests and serves the AUTH_* codes.

use std::sync::Arc;

use rmq_acl::v2::model::{User, UserStatus, UserType};
use rmq_acl::v2::{parse_whitelist, AuthChecker, AuthLayer, AuthSettings, AuthStore};
use rmq_remoting::transport::RequestProcessor;

use crate::config::BrokerConfig;
use crate::error::StartError;

/// RocketMQ's default providers, the only ones we have.
const DEFAULT_PROVIDERS: [&str; 2] = [
    "org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider",
    "org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider",
];

/// The store and the checker, shared by the broker's ports.
#[derive(Debug, Clone)]
pub struct Auth {
    store: Arc<AuthStore>,
    checker: Arc<AuthChecker>,
}

impl Auth {
    /// Opens the store and creates the start-up users.
    pub fn open(config: &BrokerConfig) -> Result<Self, StartError> {
        check_providers(config)?;
        let path = config.config_dir().join("auth.json");
        let store = Arc::new(AuthStore::open(&path).map_err(|e| StartError::Auth(e.to_string()))?);
        init_users(config, &store)?;
        if config.auth.migrate_auth_from_v1_enabled {
            migrate(config, &store);
        }
        let checker = Arc::new(AuthChecker::new(settings(config), Arc::clone(&store)));
        if checker.enabled() {
            let (authn, authz) = (config.auth.authentication_enabled, config.auth.authorization_enabled);
            tracing::info!(authentication = authn, authorization = authz, file = %path.display(), "ACL 2.0 enabled");
        }
        Ok(Self { store, checker })
    }

    /// `processor` behind the ACL 2.0 layer.
    #[must_use]
    pub fn wrap(&self, processor: Arc<dyn RequestProcessor>) -> Arc<dyn RequestProcessor> {
        Arc::new(AuthLayer::new(processor, Arc::clone(&self.checker), Arc::clone(&self.store)))
    }
}

fn settings(config: &BrokerConfig) -> AuthSettings {
    let a = &config.auth;
    AuthSettings {
        authentication: a.authentication_enabled,
        authorization: a.authorization_enabled,
        authentication_whitelist: parse_whitelist(&a.authentication_whitelist),
        authorization_whitelist: parse_whitelist(&a.authorization_whitelist),
        cluster: config.identity.broker_cluster_name.clone(),
    }
}

fn check_providers(config: &BrokerConfig) -> Result<(), StartError> {
    let a = &config.auth;
    for (key, value, default) in [
        ("authenticationProvider", &a.authentication_provider, DEFAULT_PROVIDERS[0]),
        ("authorizationProvider", &a.authorization_provider, DEFAULT_PROVIDERS[1]),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty() && *v != default) {
            return Err(StartError::Auth(format!("{key}={v}: only {default} is supported")));
        }
    }
    Ok(())
}

/// The start-up super users (RocketMQ's `AuthenticationMetadataManagerImpl.initUser`).
fn init_users(config: &BrokerConfig, store: &AuthStore) -> Result<(), StartError> {
    if let Some(json) = config.auth.init_authentication_user.as_deref().filter(|j| !j.trim().is_empty()) {
        let user = init_user(json).ok_or_else(|| {
            StartError::Auth("initAuthenticationUser: expected {\"username\":..,\"password\":..}".to_owned())
        })?;
        store.ensure_user(user).map_err(|e| StartError::Auth(format!("initAuthenticationUser: {e}")))?;
    }
    if let Some(json) = config.acl.inner_client_authentication_credentials.as_deref() {
        let creds = crate::acl::credentials(json)?;
        let user = super_user(&creds.access_key, creds.secret_key());
        store.ensure_user(user).map_err(|e| StartError::Auth(format!("innerClientAuthenticationCredentials: {e}")))?;
    }
    Ok(())
}

fn init_user(json: &str) -> Option<User> {
    let info: rmq_remoting::body::UserInfo = rmq_remoting::body::decode(json.as_bytes()).ok()?;
    Some(super_user(info.username.as_deref()?, info.password.as_deref()?))
}

fn super_user(name: &str, password: &str) -> User {
    User {
        username: name.to_owned(),
        password: password.to_owned(),
        user_type: UserType::Super,
        user_status: UserStatus::Enable,
    }
}

/// `migrateAuthFromV1Enabled`: plain_acl.yml's accounts not yet users become users and ACLs.
fn migrate(config: &BrokerConfig, store: &AuthStore) {
    let file = crate::acl::acl_file(config);
    let model = std::fs::read_to_string(&file)
        .map_err(|e| e.to_string())
        .and_then(|t| rmq_acl::file::AclModel::parse(&t).map_err(|e| e.to_string()));
    match model {
        Ok(model) => {
            let made = rmq_acl::v2::migrate::migrate(&model, store);
            tracing::info!(file = %file.display(), users = made, "ACL 1.0 accounts migrated to ACL 2.0");
        }
        Err(cause) => {
            tracing::error!(file = %file.display(), %cause, "migrateAuthFromV1Enabled: plain ACL file unusable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_users_are_super_and_providers_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = BrokerConfig::default();
        config.files.store_path_root_dir = dir.path().display().to_string();
        config.auth.init_authentication_user = Some(r#"{"username":"rocketmq","password":"12345678"}"#.into());
        config.acl.inner_client_authentication_credentials = Some(r#"{"accessKey":"inner","secretKey":"k"}"#.into());
        let auth = Auth::open(&config).unwrap();
        assert_eq!(auth.store.user("rocketmq").unwrap().user_type, UserType::Super);
        assert_eq!(auth.store.user("inner").unwrap().password, "k");
        config.auth.authorization_provider = Some("com.example.Mine".into());
        assert!(matches!(Auth::open(&config), Err(StartError::Auth(_))));
        config.auth.authorization_provider = Some(DEFAULT_PROVIDERS[1].into());
        config.auth.init_authentication_user = Some("rocketmq:12345678".into());
        assert!(matches!(Auth::open(&config), Err(StartError::Auth(_))));
    }
}
