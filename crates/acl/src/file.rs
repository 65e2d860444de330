//! plain_acl.yml: the layout RocketMQ's `PlainPermissionManager` reads, and the model built
//! from it. Scalars are read leniently (`secretKey: 12345678` is a YAML number, read as text).

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

use crate::addr::AddrPattern;
use crate::error::AclError;
use crate::perm;
use crate::sign::SigningKey;

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PlainAclFile {
    #[serde(deserialize_with = "texts")]
    global_white_remote_addresses: Vec<String>,
    accounts: Vec<AccountEntry>,
}

/// One `accounts` entry as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct AccountEntry {
    #[serde(deserialize_with = "text")]
    access_key: String,
    #[serde(deserialize_with = "text")]
    secret_key: String,
    #[serde(deserialize_with = "text")]
    white_remote_address: String,
    #[serde(deserialize_with = "flag")]
    admin: bool,
    #[serde(deserialize_with = "text")]
    default_topic_perm: String,
    #[serde(deserialize_with = "text")]
    default_group_perm: String,
    #[serde(deserialize_with = "texts")]
    topic_perms: Vec<String>,
    #[serde(deserialize_with = "texts")]
    group_perms: Vec<String>,
}

/// One account, ready to check requests against.
#[derive(Debug, Clone)]
pub struct Account {
    /// The AccessKey.
    pub access_key: String,
    /// The SecretKey (never logged).
    pub secret_key: String,
    /// `secret_key` ready to verify signatures.
    pub key: SigningKey,
    /// Requests from these addresses need no signature (RocketMQ's meaning).
    pub white: AddrPattern,
    /// May use admin request codes.
    pub admin: bool,
    /// Permission on topics not listed.
    pub default_topic: u8,
    /// Permission on groups not listed.
    pub default_group: u8,
    /// Listed topics (by name) and groups (by `%RETRY%group`).
    pub perms: HashMap<String, u8>,
}

/// The whole ACL: global whitelist and accounts by AccessKey.
#[derive(Debug, Clone, Default)]
pub struct AclModel {
    /// Addresses whose requests pass unchecked.
    pub global_white: Vec<AddrPattern>,
    /// Accounts by AccessKey.
    pub accounts: HashMap<String, Account>,
}

impl AclModel {
    /// Reads plain_acl.yml text; any malformed part refuses the whole file.
    pub fn parse(yaml: &str) -> Result<Self, AclError> {
        let file: PlainAclFile = if yaml.trim().is_empty() {
            PlainAclFile::default()
        } else {
            serde_norway::from_str(yaml).map_err(|e| AclError::Yaml(e.to_string()))?
        };
        let mut model = Self::default();
        for addr in &file.global_white_remote_addresses {
            model.global_white.push(AddrPattern::parse(addr)?);
        }
        for entry in file.accounts {
            let account = account(entry)?;
            if model.accounts.contains_key(&account.access_key) {
                return Err(AclError::Account(format!("accessKey {} appears twice", account.access_key)));
            }
            model.accounts.insert(account.access_key.clone(), account);
        }
        Ok(model)
    }
}

fn account(entry: AccountEntry) -> Result<Account, AclError> {
    if entry.access_key.len() < 6 || entry.secret_key.len() < 6 {
        let key = &entry.access_key;
        return Err(AclError::Account(format!("accessKey {key:?}: accessKey and secretKey need 6 characters or more")));
    }
    let mut perms = HashMap::new();
    resource_perms(&entry.topic_perms, "", &mut perms)?;
    resource_perms(&entry.group_perms, rmq_common::topic::RETRY_PREFIX, &mut perms)?;
    Ok(Account {
        white: AddrPattern::parse(&entry.white_remote_address)?,
        admin: entry.admin,
        default_topic: perm::parse(&entry.default_topic_perm).unwrap_or(perm::DENY),
        default_group: perm::parse(&entry.default_group_perm).unwrap_or(perm::DENY),
        perms,
        key: SigningKey::new(&entry.secret_key),
        access_key: entry.access_key,
        secret_key: entry.secret_key,
    })
}

fn resource_perms(list: &[String], prefix: &str, out: &mut HashMap<String, u8>) -> Result<(), AclError> {
    for item in list {
        let (name, p) = item.split_once('=').ok_or_else(|| AclError::Perm(item.clone()))?;
        let p = perm::parse(p).ok_or_else(|| AclError::Perm(item.clone()))?;
        out.insert(format!("{prefix}{}", name.trim()), p);
    }
    Ok(())
}

/// A YAML scalar as text (numbers and booleans too; null or absent = empty).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(scalar(serde_norway::Value::deserialize(d)?))
}

fn scalar(v: serde_norway::Value) -> String {
    use serde_norway::Value as V;
    match v {
        V::String(s) => s,
        V::Number(n) => n.to_string(),
        V::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// A YAML list of scalars (a single scalar is a one-item list; null is empty).
fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde_norway::Value as V;
    Ok(match V::deserialize(d)? {
        V::Sequence(items) => items.into_iter().map(scalar).filter(|s| !s.is_empty()).collect(),
        V::Null => Vec::new(),
        other => vec![scalar(other)],
    })
}

/// A YAML boolean, also from `"true"`.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(text(d)?.trim().eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "
globalWhiteRemoteAddresses:
  - 10.10.103.*
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
    groupPerms:
      - groupA=DENY
  - accessKey: rocketmq2
    secretKey: '12345678'
    whiteRemoteAddress: 192.168.1.*
    admin: true
";

    #[test]
    fn the_official_sample_reads() {
        let m = AclModel::parse(SAMPLE).unwrap();
        assert_eq!(m.global_white.len(), 1);
        let a = &m.accounts["RocketMQ"];
        assert_eq!(a.secret_key, "12345678");
        assert_eq!((a.admin, a.default_topic, a.default_group), (false, perm::DENY, perm::SUB));
        assert_eq!(a.perms["topicB"], perm::PUB | perm::SUB);
        assert_eq!(a.perms["%RETRY%groupA"], perm::DENY);
        assert!(m.accounts["rocketmq2"].admin);
        assert!(m.accounts["rocketmq2"].white.matches("192.168.1.9"));
    }

    #[test]
    fn malformed_files_are_refused() {
        assert!(AclModel::parse("accounts: [").is_err());
        assert!(AclModel::parse("accounts:\n  - accessKey: short1\n    secretKey: 1\n").is_err());
        let bad_perm = "accounts:\n  - accessKey: abcdef\n    secretKey: abcdef\n    topicPerms: [t=RW]\n";
        assert!(AclModel::parse(bad_perm).is_err());
        assert!(AclModel::parse("globalWhiteRemoteAddresses: [1.2.x.*]").is_err());
        assert!(AclModel::parse("").unwrap().accounts.is_empty());
    }
}
