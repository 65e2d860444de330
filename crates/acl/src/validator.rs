//! The check every request passes when ACL is on: the file's model (reloaded when the file
//! changes, refusing everything while it is unusable), the whitelists, the account, the
//! signature, admin and resource permissions, in RocketMQ's `PlainPermissionManager` order.
//!
//! On every request, so kept cheap: the model is read without a lock (`ArcSwap`), the peer's
//! address is matched as an `IpAddr`, each account keeps its HMAC key schedule
//! ([`sign::SigningKey`]), and a send's topic is looked up without being copied.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwap;
use rmq_remoting::RemotingCommand;

use crate::error::{AclError, Denial};
use crate::file::{Account, AclModel};
use crate::{perm, resource, sign};

/// How often the file's modification time is looked at, ms.
const RELOAD_CHECK_MS: i64 = 1000;

/// Which requests a server checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A broker: every request (RocketMQ's broker ACL).
    Broker,
    /// A name server: requests that change its state or read its config need a signed admin
    /// account; route and cluster reads stay open, as clients need them to find brokers.
    Namesrv,
}

/// The loaded file: its model or why it is unusable, and the file stamp it came from.
struct Loaded {
    model: Result<Arc<AclModel>, String>,
    stamp: Option<(SystemTime, u64)>,
}

/// Checks requests against plain_acl.yml.
pub struct AclValidator {
    path: PathBuf,
    scope: Scope,
    loaded: ArcSwap<Loaded>,
    next_check_ms: AtomicI64,
}

impl std::fmt::Debug for AclValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AclValidator").field("path", &self.path).field("scope", &self.scope).finish_non_exhaustive()
    }
}

impl AclValidator {
    /// Loads `path` now (an unusable file is logged and refuses every request until fixed).
    #[must_use]
    pub fn open(path: impl Into<PathBuf>, scope: Scope) -> Self {
        let path = path.into();
        let loaded = load(&path);
        Self { path, scope, loaded: ArcSwap::from_pointee(loaded), next_check_ms: AtomicI64::new(0) }
    }

    /// The file this validator reads.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the current file is usable (for start-up messages).
    pub fn usable(&self) -> Result<(), String> {
        self.loaded.load().model.as_ref().map(|_| ()).map_err(Clone::clone)
    }

    /// Allows `req` from `ip`, or says why not.
    pub fn check(&self, req: &RemotingCommand, ip: IpAddr) -> Result<(), Denial> {
        if self.scope == Scope::Namesrv && !resource::is_admin(req.request_code()) {
            return Ok(());
        }
        self.reload_when_due();
        let loaded = self.loaded.load();
        let model = loaded.model.as_ref().map_err(|e| Denial::Unusable(e.clone()))?;
        if model.global_white.iter().any(|p| p.matches_ip(ip)) {
            return Ok(());
        }
        let key = req.ext_fields.get(sign::ACCESS_KEY).ok_or(Denial::NoAccessKey)?;
        let account = model.accounts.get(key).ok_or_else(|| Denial::UnknownKey(key.to_owned()))?;
        if account.white.matches_ip(ip) {
            return Ok(());
        }
        if !account.key.verify(req) {
            return Err(Denial::Signature(key.to_owned()));
        }
        check_perms(account, req)
    }

    /// Looks at the file's stamp at most once a second (one caller at a time), reloading it
    /// when it changed.
    fn reload_when_due(&self) {
        let now = rmq_common::time::now_ms();
        let due = self.next_check_ms.load(Ordering::Relaxed);
        if now >= due
            && self
                .next_check_ms
                .compare_exchange(due, now + RELOAD_CHECK_MS, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.reload_if_changed();
        }
    }

    /// Reads the file again now (after a change made through the admin codes).
    pub fn reload(&self) {
        self.loaded.store(Arc::new(load(&self.path)));
    }

    /// Reads the file again if its modification time or size changed.
    pub fn reload_if_changed(&self) {
        let stamp = stamp(&self.path);
        let current = self.loaded.load_full();
        if stamp.is_some() && stamp == current.stamp {
            return;
        }
        let fresh = load(&self.path);
        if fresh.model.is_err() && current.model.is_err() && fresh.stamp == current.stamp {
            return;
        }
        // A reload racing another may store the older read; the next look at the stamp (within
        // a second) corrects that.
        self.loaded.store(Arc::new(fresh));
    }
}

fn check_perms(account: &Account, req: &RemotingCommand) -> Result<(), Denial> {
    let needs = resource::needs(req)?;
    if needs.admin && !account.admin {
        return Err(Denial::NotAdmin { code: req.code, key: account.access_key.clone() });
    }
    if account.admin && account.perms.is_empty() {
        return Ok(());
    }
    for (resource, needed) in needs.resources {
        let is_group = resource.starts_with(rmq_common::topic::RETRY_PREFIX);
        let default = if is_group { account.default_group } else { account.default_topic };
        let owned = account.perms.get(resource.as_ref()).copied().unwrap_or(default);
        if !perm::grants(owned, needed) {
            let (resource, perm, key) = (resource.into_owned(), perm::name(needed), account.access_key.clone());
            return Err(Denial::Resource { resource, perm, key });
        }
    }
    Ok(())
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn load(path: &Path) -> Loaded {
    let stamp = stamp(path);
    let model = std::fs::read_to_string(path)
        .map_err(|cause| AclError::Read { path: path.display().to_string(), cause })
        .and_then(|text| AclModel::parse(&text));
    match model {
        Ok(m) => {
            tracing::info!(file = %path.display(), accounts = m.accounts.len(), "ACL file loaded");
            Loaded { model: Ok(Arc::new(m)), stamp }
        }
        Err(e) => {
            tracing::error!(file = %path.display(), cause = %e, "ACL file unusable: every request is refused until it is fixed");
            Loaded { model: Err(e.to_string()), stamp }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;
    use rmq_remoting::RequestCode;

    const FILE: &str = "
accounts:
  - accessKey: user01
    secretKey: secret01
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms: [T=PUB]
  - accessKey: admin01
    secretKey: secret02
    admin: true
";

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn send(topic: &str) -> RemotingCommand {
        RemotingCommand::request(RequestCode::SendMessageV2).with_ext("b", topic).with_body(&b"x"[..])
    }

    fn signed(mut req: RemotingCommand, ak: &str, sk: &str) -> RemotingCommand {
        Credentials::new(ak, sk).sign(&mut req);
        req
    }

    #[test]
    fn every_rule_of_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain_acl.yml");
        std::fs::write(&path, FILE).unwrap();
        let v = AclValidator::open(&path, Scope::Broker);
        let ip = ip("127.0.0.1");
        assert_eq!(v.check(&send("T"), ip), Err(Denial::NoAccessKey));
        assert!(v.check(&signed(send("T"), "user01", "secret01"), ip).is_ok());
        assert!(matches!(v.check(&signed(send("T"), "user01", "wrong1"), ip), Err(Denial::Signature(_))));
        assert!(matches!(v.check(&signed(send("T"), "nobody", "secret01"), ip), Err(Denial::UnknownKey(_))));
        assert!(matches!(v.check(&signed(send("U"), "user01", "secret01"), ip), Err(Denial::Resource { .. })));
        let delete = RemotingCommand::request(RequestCode::DeleteTopicInBroker).with_ext("topic", "T");
        assert!(matches!(v.check(&signed(delete.clone(), "user01", "secret01"), ip), Err(Denial::NotAdmin { .. })));
        assert!(v.check(&signed(delete, "admin01", "secret02"), ip).is_ok());
    }

    #[test]
    fn whitelists_reload_and_a_bad_file_refuses_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain_acl.yml");
        std::fs::write(&path, "globalWhiteRemoteAddresses: [10.0.0.*]\n").unwrap();
        let v = AclValidator::open(&path, Scope::Broker);
        assert!(v.check(&send("T"), ip("10.0.0.7")).is_ok());
        assert!(v.check(&send("T"), ip("127.0.0.1")).is_err());
        std::fs::write(&path, "globalWhiteRemoteAddresses: [10.0.0.*, 127.0.0.1]\n").unwrap();
        v.reload_if_changed();
        assert!(v.check(&send("T"), ip("127.0.0.1")).is_ok());
        std::fs::write(&path, "accounts: [").unwrap();
        v.reload_if_changed();
        assert!(matches!(v.check(&send("T"), ip("10.0.0.7")), Err(Denial::Unusable(_))));
        let ns = AclValidator::open(dir.path().join("missing.yml"), Scope::Namesrv);
        let route = RemotingCommand::request(RequestCode::GetRouteinfoByTopic);
        assert!(ns.check(&route, ip("127.0.0.1")).is_ok());
        let kv = RemotingCommand::request(RequestCode::PutKvConfig);
        assert!(matches!(ns.check(&kv, ip("127.0.0.1")), Err(Denial::Unusable(_))));
    }
}
