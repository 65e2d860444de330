//! Users and ACLs, kept durably: RocketMQ 5.3 keeps them in two RocksDB stores under
//! `<storePathRootDir>/config`; we keep both in one JSON file there (`auth.json`), written to
//! a temp file, fsynced and renamed over the old one (whose content stays as `auth.json.bak`,
//! read when the main file is unreadable). A change is on disk before anyone sees it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use rmq_remoting::body::{AclInfo, UserInfo};
use serde::{Deserialize, Serialize};

use super::convert::{acl_from_info, acl_info, user_info};
use super::model::{subject_key, subject_user, Acl, PolicyType, Resource, User, UserStatus, UserType};

/// Why a change was refused (answered NO_PERMISSION with the text, as RocketMQ does) or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Refused, RocketMQ's reason.
    #[error("{0}")]
    Refused(String),
    /// The file could not be written or read.
    #[error("auth metadata file: {0}")]
    Io(String),
}

fn refused<T>(text: &str) -> Result<T, StoreError> {
    Err(StoreError::Refused(text.to_owned()))
}

/// The file's layout.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct AuthFile {
    users: Vec<UserInfo>,
    acls: Vec<AclInfo>,
}

/// Users by name and ACLs by subject key.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Users.
    pub users: BTreeMap<String, User>,
    /// ACLs.
    pub acls: BTreeMap<String, Acl>,
}

/// The metadata, its file, and one writer at a time.
#[derive(Debug)]
pub struct AuthStore {
    path: PathBuf,
    tables: RwLock<Arc<Tables>>,
    writer: Mutex<()>,
}

impl AuthStore {
    /// Loads `path` (or its `.bak`); a missing file is an empty store, an unreadable one an error.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        let tables = load(&path)?;
        Ok(Self { path, tables: RwLock::new(Arc::new(tables)), writer: Mutex::new(()) })
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current tables (a snapshot).
    #[must_use]
    pub fn snapshot(&self) -> Arc<Tables> {
        Arc::clone(&self.tables.read())
    }

    /// A user by name.
    #[must_use]
    pub fn user(&self, name: &str) -> Option<User> {
        self.tables.read().users.get(name).cloned()
    }

    /// Applies `change` to a copy, writes it, then publishes it.
    fn change(&self, change: impl FnOnce(&mut Tables) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let _one_writer = self.writer.lock();
        let mut next = (*self.snapshot()).clone();
        change(&mut next)?;
        save(&self.path, &next)?;
        *self.tables.write() = Arc::new(next);
        Ok(())
    }

    /// Creates a user (NORMAL and enabled unless said otherwise).
    pub fn create_user(&self, user: User) -> Result<(), StoreError> {
        if user.username.trim().is_empty() {
            return refused("username can not be blank");
        }
        if user.password.trim().is_empty() {
            return refused("password can not be blank");
        }
        self.change(|t| {
            if t.users.contains_key(&user.username) {
                return refused("The user is existed");
            }
            t.users.insert(user.username.clone(), user);
            Ok(())
        })
    }

    /// Creates a user unless one of that name exists (the start-up users).
    pub fn ensure_user(&self, user: User) -> Result<(), StoreError> {
        if self.user(&user.username).is_some() {
            return Ok(());
        }
        self.create_user(user)
    }

    /// Changes what is given of a user.
    pub fn update_user(&self, update: UserUpdate) -> Result<(), StoreError> {
        self.change(|t| {
            let Some(old) = t.users.get_mut(&update.username) else {
                return refused("The user is not exist");
            };
            if let Some(p) = update.password.filter(|p| !p.trim().is_empty()) {
                old.password = p;
            }
            old.user_type = update.user_type.unwrap_or(old.user_type);
            old.user_status = update.user_status.unwrap_or(old.user_status);
            Ok(())
        })
    }

    /// Deletes a user and its ACL (nothing to delete is not an error).
    pub fn delete_user(&self, name: &str) -> Result<(), StoreError> {
        if name.trim().is_empty() {
            return refused("username can not be blank");
        }
        self.change(|t| {
            t.users.remove(name);
            t.acls.remove(&subject_key(name));
            Ok(())
        })
    }

    /// Users whose name contains `filter` (all when blank).
    #[must_use]
    pub fn list_users(&self, filter: &str) -> Vec<User> {
        let t = self.snapshot();
        t.users.values().filter(|u| filter.trim().is_empty() || u.username.contains(filter)).cloned().collect()
    }

    /// Creates or merges a subject's ACL (AUTH_CREATE_ACL and AUTH_UPDATE_ACL do the same).
    pub fn put_acl(&self, acl: Acl) -> Result<(), StoreError> {
        self.change(|t| {
            let exists = subject_user(&acl.subject).is_some_and(|u| t.users.contains_key(u));
            if !exists {
                return Err(StoreError::Refused(format!("The subject of {} is not exist.", acl.subject)));
            }
            match t.acls.get_mut(&acl.subject) {
                Some(old) => old.merge(acl.policies),
                None => {
                    t.acls.insert(acl.subject.clone(), acl);
                }
            }
            Ok(())
        })
    }

    /// Deletes one resource's entry, or the subject's whole ACL when no resource is given.
    pub fn delete_acl(
        &self,
        subject: &str,
        policy_type: PolicyType,
        resource: Option<&Resource>,
    ) -> Result<(), StoreError> {
        self.change(|t| {
            if !subject_user(subject).is_some_and(|u| t.users.contains_key(u)) {
                return refused("The subject is not exist.");
            }
            let Some(acl) = t.acls.get_mut(subject) else {
                return refused("The acl is not exist.");
            };
            if let Some(resource) = resource {
                acl.remove(policy_type, resource);
            }
            if resource.is_none() || acl.policies.is_empty() {
                t.acls.remove(subject);
            }
            Ok(())
        })
    }

    /// A subject's ACL; an unknown subject is refused.
    pub fn get_acl(&self, subject: &str) -> Result<Option<Acl>, StoreError> {
        let t = self.snapshot();
        if !subject_user(subject).is_some_and(|u| t.users.contains_key(u)) {
            return refused("The subject is not exist.");
        }
        Ok(t.acls.get(subject).cloned())
    }

    /// ACLs whose subject contains `subject_filter`, keeping the entries whose resource contains
    /// `resource_filter` (RocketMQ's `listAcl`: a subject matching the resource filter keeps all).
    #[must_use]
    pub fn list_acls(&self, subject_filter: &str, resource_filter: &str) -> Vec<Acl> {
        let t = self.snapshot();
        let keep = |s: &String| subject_filter.trim().is_empty() || s.contains(subject_filter);
        t.acls.values().filter(|a| keep(&a.subject)).filter_map(|a| filtered(a, resource_filter)).collect()
    }
}

/// Fields AUTH_UPDATE_USER may change.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// Whose.
    pub username: String,
    /// New password, when not blank.
    pub password: Option<String>,
    /// New type.
    pub user_type: Option<UserType>,
    /// New status.
    pub user_status: Option<UserStatus>,
}

fn filtered(acl: &Acl, resource_filter: &str) -> Option<Acl> {
    if resource_filter.trim().is_empty() || acl.subject.contains(resource_filter) {
        return Some(acl.clone());
    }
    let mut acl = acl.clone();
    for policy in &mut acl.policies {
        policy.entries.retain(|e| e.resource.key().contains(resource_filter));
    }
    acl.policies.retain(|p| !p.entries.is_empty());
    (!acl.policies.is_empty()).then_some(acl)
}

fn load(path: &Path) -> Result<Tables, StoreError> {
    let bak = backup(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !bak.exists() => return Ok(Tables::default()),
        Err(_) => std::fs::read_to_string(&bak).map_err(|e| StoreError::Io(format!("{}: {e}", path.display())))?,
    };
    parse(&text).or_else(|e| {
        let old = std::fs::read_to_string(&bak).map_err(|_| e.clone())?;
        tracing::warn!(file = %path.display(), cause = %e, "auth metadata unreadable, using its .bak");
        parse(&old)
    })
}

fn parse(text: &str) -> Result<Tables, StoreError> {
    let file: AuthFile = rmq_remoting::body::decode(text.as_bytes()).map_err(|e| StoreError::Io(e.to_string()))?;
    let mut tables = Tables::default();
    for info in file.users {
        let user = user_from_info(&info).ok_or_else(|| StoreError::Io(format!("bad user {:?}", info.username)))?;
        tables.users.insert(user.username.clone(), user);
    }
    for info in file.acls {
        let acl = acl_from_info(&info, None).map_err(StoreError::Io)?;
        tables.acls.insert(acl.subject.clone(), acl);
    }
    Ok(tables)
}

/// A stored or received user: name and password required, type and status defaulted.
#[must_use]
pub fn user_from_info(info: &UserInfo) -> Option<User> {
    Some(User {
        username: info.username.clone().filter(|u| !u.trim().is_empty())?,
        password: info.password.clone().unwrap_or_default(),
        user_type: info.user_type.as_deref().and_then(UserType::parse).unwrap_or(UserType::Normal),
        user_status: info.user_status.as_deref().and_then(UserStatus::parse).unwrap_or(UserStatus::Enable),
    })
}

fn save(path: &Path, t: &Tables) -> Result<(), StoreError> {
    let file =
        AuthFile { users: t.users.values().map(user_info).collect(), acls: t.acls.values().map(acl_info).collect() };
    let text = serde_json::to_string_pretty(&file).map_err(|e| StoreError::Io(e.to_string()))?;
    write_atomic(path, text.as_bytes()).map_err(|e| StoreError::Io(format!("{}: {e}", path.display())))
}

fn backup(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".bak");
    PathBuf::from(name)
}

/// Temp file, fsync, previous content to `.bak`, rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    if path.exists() {
        std::fs::copy(path, backup(path))?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::model::{Action, Decision, Policy, PolicyEntry};

    fn user(name: &str) -> User {
        User {
            username: name.into(),
            password: "pw".into(),
            user_type: UserType::Normal,
            user_status: UserStatus::Enable,
        }
    }

    fn acl(subject: &str, resource: &str) -> Acl {
        let entry = PolicyEntry {
            resource: Resource::parse(resource).unwrap(),
            actions: vec![Action::Pub],
            source_ips: vec![],
            decision: Decision::Allow,
        };
        Acl {
            subject: subject.into(),
            policies: vec![Policy { policy_type: PolicyType::Custom, entries: vec![entry] }],
        }
    }

    #[test]
    fn changes_survive_a_reopen_and_refusals_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config/auth.json");
        let store = AuthStore::open(&path).unwrap();
        store.create_user(user("u1")).unwrap();
        assert_eq!(store.create_user(user("u1")), refused("The user is existed"));
        assert_eq!(store.put_acl(acl("User:nobody", "Topic:t")), refused("The subject of User:nobody is not exist."));
        store.put_acl(acl("User:u1", "Topic:t")).unwrap();
        store.put_acl(acl("User:u1", "Topic:u*")).unwrap();
        let update =
            UserUpdate { username: "u1".into(), user_status: Some(UserStatus::Disable), ..UserUpdate::default() };
        store.update_user(update).unwrap();
        let again = AuthStore::open(&path).unwrap();
        assert_eq!(again.user("u1").unwrap().user_status, UserStatus::Disable);
        assert_eq!(again.get_acl("User:u1").unwrap().unwrap().policies[0].entries.len(), 2);
        assert_eq!(again.list_acls("", "Topic:u").len(), 1);
        assert_eq!(again.list_acls("", "Topic:u")[0].policies[0].entries.len(), 1);
        again.delete_acl("User:u1", PolicyType::Custom, Resource::parse("Topic:t").as_ref()).unwrap();
        assert_eq!(again.get_acl("User:u1").unwrap().unwrap().policies[0].entries.len(), 1);
        again.delete_user("u1").unwrap();
        assert!(AuthStore::open(&path).unwrap().list_users("").is_empty());
        assert_eq!(again.get_acl("User:u1"), refused("The subject is not exist."));
    }

    #[test]
    fn a_broken_file_falls_back_to_its_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        let store = AuthStore::open(&path).unwrap();
        store.create_user(user("a")).unwrap();
        store.create_user(user("b")).unwrap();
        std::fs::write(&path, "{broken").unwrap();
        let users = AuthStore::open(&path).unwrap().list_users("");
        assert_eq!(users.len(), 1, "the .bak holds the state before the last change");
        std::fs::write(backup(&path), "{broken").unwrap();
        assert!(AuthStore::open(&path).is_err());
    }
}
