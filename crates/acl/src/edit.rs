//! plain_acl.yml changed by the ACL 1.0 admin codes (UPDATE_AND_CREATE_ACL_CONFIG,
//! DELETE_ACL_CONFIG, UPDATE_GLOBAL_WHITE_ADDRS_CONFIG) and read back whole
//! (GET_BROKER_CLUSTER_ACL_CONFIG) or by version (GET_BROKER_CLUSTER_ACL_INFO).
//!
//! Each change reads the file as a YAML tree (keys it does not know are kept), applies the
//! change as RocketMQ's `PlainPermissionManager` does (an update replaces only the fields it
//! carries), adds one to the `dataVersion` counter, checks that the result is a usable ACL
//! (a change that would make the server refuse everything is refused instead), then writes a
//! temporary file next to it and renames it over the file, so a reader never sees half a file.
//! Comments in the file are not kept. Changes are serialised by one lock per process.

use std::path::Path;

use parking_lot::Mutex;
use rmq_remoting::body::{AclConfig, DataVersion, PlainAccessConfig};
use rmq_remoting::header::CreateAccessConfigRequestHeader;
use serde_norway::{Mapping, Value};

use crate::error::AclError;
use crate::file::AclModel;
use crate::perm;

/// Changes to ACL files are made one at a time.
static EDITS: Mutex<()> = Mutex::new(());

const ACCOUNTS: &str = "accounts";
const GLOBAL_WHITE: &str = "globalWhiteRemoteAddresses";
const DATA_VERSION: &str = "dataVersion";
const ACCESS_KEY: &str = "accessKey";

/// Creates the account, or updates the fields the header carries on an existing one.
pub fn update_account(path: &Path, h: &CreateAccessConfigRequestHeader) -> Result<(), AclError> {
    check_request(h)?;
    let _one = EDITS.lock();
    let mut doc = read_doc(path)?;
    let mut accounts = take_accounts(&mut doc);
    let found = accounts.iter().position(|a| text_of(a, ACCESS_KEY) == h.access_key);
    if found.is_none() && h.secret_key.is_none() {
        return Err(AclError::Account(format!("accessKey {}: a new account needs a secretKey", h.access_key)));
    }
    let index = found.unwrap_or_else(|| {
        accounts.push(Value::Mapping(Mapping::new()));
        accounts.len() - 1
    });
    if let Value::Mapping(account) = &mut accounts[index] {
        merge(account, h);
    }
    doc.insert(ACCOUNTS.into(), Value::Sequence(accounts));
    write_doc(path, doc)
}

/// Removes the account; false when the file has none with this AccessKey.
pub fn delete_account(path: &Path, access_key: &str) -> Result<bool, AclError> {
    let _one = EDITS.lock();
    let mut doc = read_doc(path)?;
    let mut accounts = take_accounts(&mut doc);
    let before = accounts.len();
    accounts.retain(|a| text_of(a, ACCESS_KEY) != access_key);
    if accounts.len() == before {
        return Ok(false);
    }
    doc.insert(ACCOUNTS.into(), Value::Sequence(accounts));
    write_doc(path, doc).map(|()| true)
}

/// Replaces `globalWhiteRemoteAddresses` with `addrs` (comma-separated patterns).
pub fn update_global_white(path: &Path, addrs: &str) -> Result<(), AclError> {
    let _one = EDITS.lock();
    let mut doc = read_doc(path)?;
    let list = split(addrs).into_iter().map(Value::String).collect();
    doc.insert(GLOBAL_WHITE.into(), Value::Sequence(list));
    write_doc(path, doc)
}

/// The file's version: its `dataVersion`, or counter 0 at the file's modification time.
pub fn version(path: &Path) -> Result<DataVersion, AclError> {
    let doc = read_doc(path)?;
    Ok(stored_version(&doc).unwrap_or_else(|| DataVersion { timestamp: modified_ms(path), ..DataVersion::default() }))
}

/// The whole file as RocketMQ's `AclConfig` (secrets included: an admin-only read).
pub fn acl_config(path: &Path) -> Result<AclConfig, AclError> {
    let doc = read_doc(path)?;
    let accounts = match doc.get(ACCOUNTS) {
        Some(Value::Sequence(items)) => items.iter().map(plain_access_config).collect(),
        _ => Vec::new(),
    };
    Ok(AclConfig { global_white_addrs: texts_of(doc.get(GLOBAL_WHITE)), plain_access_configs: accounts })
}

fn check_request(h: &CreateAccessConfigRequestHeader) -> Result<(), AclError> {
    for p in [&h.default_topic_perm, &h.default_group_perm].into_iter().flatten() {
        if perm::parse(p).is_none() {
            return Err(AclError::Perm(p.clone()));
        }
    }
    for list in [&h.topic_perms, &h.group_perms].into_iter().flatten() {
        for item in split(list) {
            let ok = item.split_once('=').is_some_and(|(name, p)| !name.trim().is_empty() && perm::parse(p).is_some());
            if !ok {
                return Err(AclError::Perm(item));
            }
        }
    }
    Ok(())
}

/// Sets the fields the header carries (RocketMQ's `createAclAccessConfigMap`).
fn merge(account: &mut Mapping, h: &CreateAccessConfigRequestHeader) {
    let mut set = |key: &str, v: Value| {
        account.insert(key.into(), v);
    };
    set(ACCESS_KEY, Value::String(h.access_key.clone()));
    let texts = [
        ("secretKey", &h.secret_key),
        ("whiteRemoteAddress", &h.white_remote_address),
        ("defaultTopicPerm", &h.default_topic_perm),
        ("defaultGroupPerm", &h.default_group_perm),
    ];
    for (key, v) in texts {
        if let Some(v) = v.as_ref().filter(|v| key == "whiteRemoteAddress" || !v.is_empty()) {
            set(key, Value::String(v.trim().to_owned()));
        }
    }
    set("admin", Value::Bool(h.admin.unwrap_or(false)));
    for (key, v) in [("topicPerms", &h.topic_perms), ("groupPerms", &h.group_perms)] {
        if let Some(list) = v {
            set(key, Value::Sequence(split(list).into_iter().map(Value::String).collect()));
        }
    }
}

fn plain_access_config(v: &Value) -> PlainAccessConfig {
    PlainAccessConfig {
        access_key: text_of(v, ACCESS_KEY),
        secret_key: text_of(v, "secretKey"),
        white_remote_address: text_of(v, "whiteRemoteAddress"),
        admin: text_of(v, "admin").eq_ignore_ascii_case("true"),
        default_topic_perm: text_of(v, "defaultTopicPerm"),
        default_group_perm: text_of(v, "defaultGroupPerm"),
        topic_perms: texts_of(v.get("topicPerms")),
        group_perms: texts_of(v.get("groupPerms")),
    }
}

/// Comma-separated items, trimmed, empty ones dropped.
fn split(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(scalar).unwrap_or_default()
}

fn texts_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(items)) => items.iter().filter_map(scalar).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The `accounts` list, taken out of the document (put it back with `doc.insert`, which keeps
/// the key's place).
fn take_accounts(doc: &mut Mapping) -> Vec<Value> {
    match doc.get_mut(ACCOUNTS) {
        Some(Value::Sequence(items)) => std::mem::take(items),
        _ => Vec::new(),
    }
}

fn stored_version(doc: &Mapping) -> Option<DataVersion> {
    let first = match doc.get(DATA_VERSION)? {
        Value::Sequence(items) => items.first()?.clone(),
        other => other.clone(),
    };
    let number = |key: &str| first.get(key).and_then(scalar).and_then(|s| s.trim().parse::<i64>().ok());
    Some(DataVersion { counter: number("counter")?, timestamp: number("timestamp").unwrap_or(0), state_version: 0 })
}

fn modified_ms(path: &Path) -> i64 {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let since = modified.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    since.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The file as a YAML mapping; a missing or empty file is an empty one.
fn read_doc(path: &Path) -> Result<Mapping, AclError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(cause) => return Err(AclError::Read { path: path.display().to_string(), cause }),
    };
    if text.trim().is_empty() {
        return Ok(Mapping::new());
    }
    match serde_norway::from_str(&text).map_err(|e| AclError::Yaml(e.to_string()))? {
        Value::Mapping(m) => Ok(m),
        Value::Null => Ok(Mapping::new()),
        _ => Err(AclError::Yaml("the file is not a mapping".into())),
    }
}

/// Bumps the version, checks the result is usable, writes it atomically.
fn write_doc(path: &Path, mut doc: Mapping) -> Result<(), AclError> {
    let old = stored_version(&doc).unwrap_or_default();
    let now = rmq_common::time::now_ms();
    let mut next = Mapping::new();
    next.insert("counter".into(), Value::Number((old.counter + 1).into()));
    next.insert("timestamp".into(), Value::Number(now.into()));
    doc.insert(DATA_VERSION.into(), Value::Sequence(vec![Value::Mapping(next)]));
    let text = serde_norway::to_string(&Value::Mapping(doc)).map_err(|e| AclError::Yaml(e.to_string()))?;
    AclModel::parse(&text)?;
    let write_err = |cause| AclError::Write { path: path.display().to_string(), cause };
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().map_or_else(|| "plain_acl.yml".into(), |n| n.to_string_lossy())
    ));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        std::io::Write::write_all(&mut f, text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(e));
    }
    Ok(())
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
