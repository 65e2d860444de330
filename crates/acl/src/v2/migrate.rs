//! `migrateAuthFromV1Enabled`: plain_acl.yml accounts become users and ACLs, as RocketMQ 5.3's
//! `AuthMigrator` does: an admin account is a super user; `topicPerms` / `groupPerms` are
//! custom entries, `defaultTopicPerm` / `defaultGroupPerm` default entries on `Topic:*` /
//! `Group:*` (PUB → Pub, SUB → Sub, PUB|SUB → both, allowed; DENY → All, denied). Accounts
//! whose user exists already are left alone.

use super::model::{Acl, Action, Decision, Pattern, Policy, PolicyEntry, PolicyType, Resource, ResourceType};
use super::model::{User, UserStatus, UserType};
use super::store::AuthStore;
use crate::file::{Account, AclModel};
use crate::perm;

/// Migrates every account not yet a user; returns how many were created.
pub fn migrate(model: &AclModel, store: &AuthStore) -> usize {
    let mut made = 0;
    for account in model.accounts.values() {
        if store.user(&account.access_key).is_some() {
            continue;
        }
        let user_type = if account.admin { UserType::Super } else { UserType::Normal };
        let user = User {
            username: account.access_key.clone(),
            password: account.secret_key.clone(),
            user_type,
            user_status: UserStatus::Enable,
        };
        let done = store.create_user(user).and_then(|()| store.put_acl(acl_of(account)));
        match done {
            Ok(()) => made += 1,
            Err(e) => tracing::error!(user = %account.access_key, cause = %e, "ACL 1.0 account not migrated"),
        }
    }
    made
}

/// The ACL of an account.
#[must_use]
pub fn acl_of(account: &Account) -> Acl {
    let mut custom: Vec<PolicyEntry> =
        account.perms.iter().map(|(name, bits)| entry(resource_of(name), *bits)).collect();
    custom.sort_by_key(|e| e.resource.key());
    let any = |kind| Resource { kind, name: String::new(), pattern: Pattern::Any };
    let default = vec![
        entry(any(ResourceType::Topic), account.default_topic),
        entry(any(ResourceType::Group), account.default_group),
    ];
    let mut policies = Vec::new();
    if !custom.is_empty() {
        policies.push(Policy { policy_type: PolicyType::Custom, entries: custom });
    }
    policies.push(Policy { policy_type: PolicyType::Default, entries: default });
    Acl { subject: super::model::subject_key(&account.access_key), policies }
}

/// 1.0 keeps groups as `%RETRY%group`.
fn resource_of(name: &str) -> Resource {
    if name.starts_with(rmq_common::topic::RETRY_PREFIX) {
        Resource::group(name)
    } else {
        Resource::literal(ResourceType::Topic, name)
    }
}

fn entry(resource: Resource, bits: u8) -> PolicyEntry {
    let (actions, decision) = if bits & perm::DENY != 0 || bits & (perm::PUB | perm::SUB) == 0 {
        (vec![Action::All], Decision::Deny)
    } else {
        let mut actions = Vec::new();
        if bits & perm::PUB != 0 {
            actions.push(Action::Pub);
        }
        if bits & perm::SUB != 0 {
            actions.push(Action::Sub);
        }
        (actions, Decision::Allow)
    };
    PolicyEntry { resource, actions, source_ips: Vec::new(), decision }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_become_users_and_acls() {
        let yaml = "accounts:\n  - accessKey: rocketmq2\n    secretKey: '12345678'\n    admin: true\n  - accessKey: app001\n    secretKey: app00001\n    defaultTopicPerm: DENY\n    defaultGroupPerm: SUB\n    topicPerms: [T=PUB|SUB]\n    groupPerms: [G=DENY]\n";
        let model = AclModel::parse(yaml).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = AuthStore::open(dir.path().join("auth.json")).unwrap();
        assert_eq!(migrate(&model, &store), 2);
        assert_eq!(migrate(&model, &store), 0, "existing users are left alone");
        assert_eq!(store.user("rocketmq2").unwrap().user_type, UserType::Super);
        let acl = store.get_acl("User:app001").unwrap().unwrap();
        let custom = acl.policy(PolicyType::Custom).unwrap();
        let keys: Vec<String> = custom.entries.iter().map(|e| e.resource.key()).collect();
        assert_eq!(keys, vec!["Group:G", "Topic:T"]);
        assert_eq!(custom.entries[0].decision, Decision::Deny);
        assert_eq!(custom.entries[1].actions, vec![Action::Pub, Action::Sub]);
        let default = acl.policy(PolicyType::Default).unwrap();
        assert_eq!(default.entries[1].actions, vec![Action::Sub]);
    }
}
