//! The check every request passes when ACL 2.0 is on, in RocketMQ 5.3's order: authentication
//! (`authenticationEnabled`: the AccessKey names an enabled user whose password verifies the
//! signature), then authorization (`authorizationEnabled`: super users pass, others need an
//! entry of their ACL allowing each resource the request touches). Request codes listed in
//! `authenticationWhitelist` / `authorizationWhitelist` skip that step. The error is the
//! remark the broker answers NO_PERMISSION with, in RocketMQ's words (never a secret).

use std::sync::Arc;

use rmq_remoting::RemotingCommand;

use super::eval::authorize;
use super::model::{subject_key, UserStatus, UserType};
use super::needs::needs;
use super::store::AuthStore;
use crate::sign;

/// What is checked (RocketMQ's AuthConfig keys).
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// `authenticationEnabled`.
    pub authentication: bool,
    /// `authorizationEnabled`.
    pub authorization: bool,
    /// `authenticationWhitelist`: request codes not authenticated.
    pub authentication_whitelist: Vec<i32>,
    /// `authorizationWhitelist`: request codes not authorized.
    pub authorization_whitelist: Vec<i32>,
    /// This broker's cluster (`Cluster:<name>` resources).
    pub cluster: String,
}

/// Reads a whitelist: request codes separated by commas (blanks and non-numbers ignored).
#[must_use]
pub fn parse_whitelist(text: &str) -> Vec<i32> {
    text.split(',').filter_map(|c| c.trim().parse().ok()).collect()
}

/// Checks requests against the store.
#[derive(Debug)]
pub struct AuthChecker {
    settings: AuthSettings,
    store: Arc<AuthStore>,
}

impl AuthChecker {
    /// A checker over `store`.
    #[must_use]
    pub fn new(settings: AuthSettings, store: Arc<AuthStore>) -> Self {
        Self { settings, store }
    }

    /// Whether any check is on.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.settings.authentication || self.settings.authorization
    }

    /// Allows `req` from `ip`, or says why not.
    pub fn check(&self, req: &RemotingCommand, ip: &str) -> Result<(), String> {
        if self.settings.authentication && !self.settings.authentication_whitelist.contains(&req.code) {
            self.authenticate(req)?;
        }
        if self.settings.authorization && !self.settings.authorization_whitelist.contains(&req.code) {
            self.authorize(req, ip)?;
        }
        Ok(())
    }

    /// RocketMQ's `DefaultAuthenticationHandler`.
    fn authenticate(&self, req: &RemotingCommand) -> Result<(), String> {
        let name = req.ext_fields.get(sign::ACCESS_KEY).filter(|k| !k.is_empty()).ok_or("username cannot be null.")?;
        let user = self.store.user(name).ok_or_else(|| format!("User:{name} is not found."))?;
        if user.user_status == UserStatus::Disable {
            return Err(format!("User:{name} is disabled."));
        }
        if !sign::verify(req, &user.password) {
            return Err("check signature failed.".to_owned());
        }
        Ok(())
    }

    /// RocketMQ's `UserAuthorizationHandler` then `AclAuthorizationHandler`, per resource.
    fn authorize(&self, req: &RemotingCommand, ip: &str) -> Result<(), String> {
        let needs =
            needs(req, &self.settings.cluster).map_err(|e| format!("parse authorization context error: {e}"))?;
        if needs.is_empty() {
            return Ok(());
        }
        let Some(name) = req.ext_fields.get(sign::ACCESS_KEY).filter(|k| !k.is_empty()) else {
            return Err("Authorization failed. Please verify your access rights and try again.".to_owned());
        };
        let user = self.store.user(name).ok_or_else(|| format!("User:{name} not found."))?;
        if user.user_type == UserType::Super {
            return Ok(());
        }
        let subject = subject_key(name);
        let tables = self.store.snapshot();
        let acl = tables.acls.get(&subject);
        needs.iter().try_for_each(|need| authorize(acl, &subject, need, ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::model::{Acl, Action, Decision, Policy, PolicyEntry, PolicyType, Resource, User};
    use crate::Credentials;
    use rmq_remoting::RequestCode;

    fn user(name: &str, user_type: UserType) -> User {
        User { username: name.into(), password: format!("{name}-pw"), user_type, user_status: UserStatus::Enable }
    }

    fn setup(dir: &std::path::Path) -> AuthChecker {
        let store = Arc::new(AuthStore::open(dir.join("auth.json")).unwrap());
        store.create_user(user("root", UserType::Super)).unwrap();
        store.create_user(user("app", UserType::Normal)).unwrap();
        let entry = PolicyEntry {
            resource: Resource::parse("Topic:T").unwrap(),
            actions: vec![Action::Pub],
            source_ips: vec!["127.0.0.0/8".into()],
            decision: Decision::Allow,
        };
        let policies = vec![Policy { policy_type: PolicyType::Custom, entries: vec![entry] }];
        store.put_acl(Acl { subject: "User:app".into(), policies }).unwrap();
        let settings =
            AuthSettings { authentication: true, authorization: true, cluster: "C".into(), ..AuthSettings::default() };
        AuthChecker::new(settings, store)
    }

    fn signed(mut req: RemotingCommand, name: &str, pw: &str) -> RemotingCommand {
        Credentials::new(name, pw).sign(&mut req);
        req
    }

    fn send(topic: &str) -> RemotingCommand {
        RemotingCommand::request(RequestCode::SendMessageV2).with_ext("b", topic).with_body(&b"x"[..])
    }

    #[test]
    fn authentication_then_authorization() {
        let dir = tempfile::tempdir().unwrap();
        let c = setup(dir.path());
        let ip = "127.0.0.1";
        assert_eq!(c.check(&send("T"), ip), Err("username cannot be null.".into()));
        assert!(c.check(&signed(send("T"), "app", "app-pw"), ip).is_ok());
        assert_eq!(c.check(&signed(send("T"), "app", "bad"), ip), Err("check signature failed.".into()));
        assert_eq!(c.check(&signed(send("T"), "ghost", "x"), ip), Err("User:ghost is not found.".into()));
        let err = c.check(&signed(send("U"), "app", "app-pw"), ip).unwrap_err();
        assert_eq!(err, "User:app has no permission to access Topic:U from 127.0.0.1, no matched policies.");
        assert!(c.check(&signed(send("T"), "app", "app-pw"), "10.1.1.1").is_err(), "source ip");
        assert!(c.check(&signed(send("U"), "root", "root-pw"), ip).is_ok(), "super user");
        let pull =
            RemotingCommand::request(RequestCode::PullMessage).with_ext("topic", "T").with_ext("consumerGroup", "G");
        assert!(c.check(&signed(pull, "app", "app-pw"), ip).is_err(), "PUB allowed, SUB denied");
        let update = crate::v2::store::UserUpdate {
            username: "app".into(),
            user_status: Some(UserStatus::Disable),
            ..Default::default()
        };
        c.store.update_user(update).unwrap();
        assert_eq!(c.check(&signed(send("T"), "app", "app-pw"), ip), Err("User:app is disabled.".into()));
    }

    #[test]
    fn whitelists_skip_their_step() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = setup(dir.path());
        c.settings.authentication_whitelist = parse_whitelist("310, x");
        assert_eq!(
            c.check(&send("T"), "127.0.0.1"),
            Err("Authorization failed. Please verify your access rights and try again.".into())
        );
        c.settings.authorization_whitelist = parse_whitelist("310");
        assert!(c.check(&send("T"), "127.0.0.1").is_ok());
    }
}
