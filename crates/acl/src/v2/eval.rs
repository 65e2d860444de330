//! Authorization of one need against a subject's ACL, as RocketMQ 5.3's
//! `AclAuthorizationHandler`: the entries of the custom policy that match the resource, the
//! actions and the source address (the default policy's only when no custom one matches); the
//! most specific one decides (a literal name before a prefix, a longer prefix before a shorter
//! one, a prefix before `Type:*`, a typed resource before `*`), and among equally specific
//! ones a deny wins.

use super::ip;
use super::model::{Acl, Action, Decision, Pattern, PolicyEntry, PolicyType, Resource, ResourceType};

/// What one request needs on one resource: any one of `actions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The resource (literal).
    pub resource: Resource,
    /// Actions; one granted is enough.
    pub actions: Vec<Action>,
}

impl Need {
    /// A need of `actions` on `resource`.
    #[must_use]
    pub fn new(resource: Resource, actions: &[Action]) -> Self {
        Self { resource, actions: actions.to_vec() }
    }
}

/// Whether `acl` allows `need` from `source_ip`; the error is RocketMQ's reason text.
pub fn authorize(acl: Option<&Acl>, subject: &str, need: &Need, source_ip: &str) -> Result<(), String> {
    let refuse = |detail: &str| {
        format!("{subject} has no permission to access {} from {source_ip}, {detail}", need.resource.key())
    };
    let acl = acl.ok_or_else(|| refuse("no matched policies."))?;
    let entry = best_entry(acl, need, source_ip).ok_or_else(|| refuse("no matched policies."))?;
    match entry.decision {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(refuse("the decision is deny.")),
    }
}

/// The deciding entry: custom policy first, default when no custom entry matches.
fn best_entry<'a>(acl: &'a Acl, need: &Need, source_ip: &str) -> Option<&'a PolicyEntry> {
    [PolicyType::Custom, PolicyType::Default].into_iter().find_map(|kind| {
        let policy = acl.policy(kind)?;
        policy.entries.iter().filter(|e| entry_matches(e, need, source_ip)).min_by_key(|e| rank(e))
    })
}

fn entry_matches(entry: &PolicyEntry, need: &Need, source_ip: &str) -> bool {
    entry.resource.covers(&need.resource)
        && actions_match(&entry.actions, &need.actions)
        && (entry.source_ips.is_empty() || entry.source_ips.iter().any(|p| ip::matches(source_ip, p)))
}

/// RocketMQ's `PolicyEntry.isMatchAction`.
fn actions_match(granted: &[Action], wanted: &[Action]) -> bool {
    if granted.is_empty() {
        return false;
    }
    wanted.contains(&Action::Any) || wanted.iter().any(|a| granted.contains(a) || granted.contains(&Action::All))
}

/// Lower is more specific; a deny sorts before an allow of the same specificity.
fn rank(entry: &PolicyEntry) -> (bool, u8, usize, bool) {
    let r = &entry.resource;
    let pattern = match r.pattern {
        Pattern::Literal => 0,
        Pattern::Prefixed => 1,
        Pattern::Any => 2,
    };
    let shorter = if r.pattern == Pattern::Prefixed { usize::MAX - r.name.len() } else { 0 };
    (r.kind == ResourceType::Any, pattern, shorter, entry.decision == Decision::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::model::Policy;

    fn entry(resource: &str, actions: &[Action], ips: &[&str], decision: Decision) -> PolicyEntry {
        PolicyEntry {
            resource: Resource::parse(resource).unwrap(),
            actions: actions.to_vec(),
            source_ips: ips.iter().map(|s| (*s).to_owned()).collect(),
            decision,
        }
    }

    fn acl(custom: Vec<PolicyEntry>, default: Vec<PolicyEntry>) -> Acl {
        let mut policies = vec![Policy { policy_type: PolicyType::Custom, entries: custom }];
        if !default.is_empty() {
            policies.push(Policy { policy_type: PolicyType::Default, entries: default });
        }
        Acl { subject: "User:u".into(), policies }
    }

    fn topic(name: &str, actions: &[Action]) -> Need {
        Need::new(Resource::literal(ResourceType::Topic, name), actions)
    }

    const IP: &str = "10.0.0.5";

    #[test]
    fn literal_prefix_and_any_patterns() {
        let a = acl(vec![entry("Topic:orders", &[Action::Pub], &[], Decision::Allow)], vec![]);
        assert!(authorize(Some(&a), "User:u", &topic("orders", &[Action::Pub]), IP).is_ok());
        assert!(authorize(Some(&a), "User:u", &topic("orders2", &[Action::Pub]), IP).is_err());
        let p = acl(vec![entry("Topic:ord*", &[Action::Pub], &[], Decision::Allow)], vec![]);
        assert!(authorize(Some(&p), "User:u", &topic("orders2", &[Action::Pub]), IP).is_ok());
        assert!(authorize(Some(&p), "User:u", &topic("pay", &[Action::Pub]), IP).is_err());
        let any = acl(vec![entry("*", &[Action::All], &[], Decision::Allow)], vec![]);
        assert!(authorize(Some(&any), "User:u", &topic("x", &[Action::Sub]), IP).is_ok());
        let err = authorize(None, "User:u", &topic("x", &[Action::Sub]), IP).unwrap_err();
        assert_eq!(err, "User:u has no permission to access Topic:x from 10.0.0.5, no matched policies.");
    }

    #[test]
    fn most_specific_decides_and_deny_wins_ties() {
        let a = acl(
            vec![
                entry("Topic:*", &[Action::Pub], &[], Decision::Deny),
                entry("Topic:ord*", &[Action::Pub], &[], Decision::Allow),
                entry("Topic:orders-secret", &[Action::Pub], &[], Decision::Deny),
                entry("Topic:or*", &[Action::Pub], &[], Decision::Deny),
            ],
            vec![],
        );
        assert!(authorize(Some(&a), "User:u", &topic("orders", &[Action::Pub]), IP).is_ok());
        assert!(authorize(Some(&a), "User:u", &topic("orders-secret", &[Action::Pub]), IP).is_err());
        assert!(authorize(Some(&a), "User:u", &topic("oracle", &[Action::Pub]), IP).is_err());
        assert!(authorize(Some(&a), "User:u", &topic("pay", &[Action::Pub]), IP).is_err());
        let tie = acl(
            vec![
                entry("Topic:t", &[Action::Pub], &[], Decision::Allow),
                entry("Topic:t", &[Action::Pub, Action::Sub], &[], Decision::Deny),
            ],
            vec![],
        );
        let err = authorize(Some(&tie), "User:u", &topic("t", &[Action::Pub]), IP).unwrap_err();
        assert!(err.ends_with("the decision is deny."), "{err}");
    }

    #[test]
    fn actions_source_ips_and_default_policy() {
        let a = acl(
            vec![entry("Topic:t", &[Action::Pub], &["10.0.0.0/24"], Decision::Allow)],
            vec![entry("Topic:*", &[Action::Sub], &[], Decision::Allow)],
        );
        assert!(authorize(Some(&a), "User:u", &topic("t", &[Action::Pub]), IP).is_ok());
        assert!(authorize(Some(&a), "User:u", &topic("t", &[Action::Pub]), "10.0.1.5").is_err());
        assert!(authorize(Some(&a), "User:u", &topic("t", &[Action::Sub]), IP).is_ok(), "default policy");
        assert!(authorize(Some(&a), "User:u", &topic("t", &[Action::Delete]), IP).is_err());
        assert!(authorize(Some(&a), "User:u", &topic("t", &[Action::Sub, Action::Get]), "1.1.1.1").is_ok());
        let all = acl(vec![entry("Group:g", &[Action::All], &[], Decision::Allow)], vec![]);
        let need = Need::new(Resource::group("%RETRY%g"), &[Action::Sub]);
        assert!(authorize(Some(&all), "User:u", &need, IP).is_ok());
    }
}
