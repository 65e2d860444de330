//! Between the wire bodies (`UserInfo`, `AclInfo`) and the model, with RocketMQ 5.3's checks
//! (`AuthorizationMetadataManagerImpl.validate`): a refused body says why, in RocketMQ's words.

use rmq_remoting::body::{AclInfo, PolicyEntryInfo, PolicyInfo, UserInfo};

use super::ip;
use super::model::{subject_user, Acl, Action, Decision, Policy, PolicyEntry, PolicyType, Resource, User};

/// A user as the wire writes it.
#[must_use]
pub fn user_info(user: &User) -> UserInfo {
    UserInfo {
        username: Some(user.username.clone()),
        password: Some(user.password.clone()),
        user_type: Some(user.user_type.name().to_owned()),
        user_status: Some(user.user_status.name().to_owned()),
    }
}

/// An ACL as the wire writes it.
#[must_use]
pub fn acl_info(acl: &Acl) -> AclInfo {
    let policies = acl.policies.iter().map(policy_info).collect();
    AclInfo { subject: Some(acl.subject.clone()), policies: Some(policies) }
}

fn policy_info(policy: &Policy) -> PolicyInfo {
    let entries = policy.entries.iter().map(entry_info).collect();
    PolicyInfo { policy_type: Some(policy.policy_type.name().to_owned()), entries: Some(entries) }
}

fn entry_info(entry: &PolicyEntry) -> PolicyEntryInfo {
    PolicyEntryInfo {
        resource: Some(entry.resource.key()),
        actions: Some(entry.actions.iter().map(|a| a.name().to_owned()).collect()),
        source_ips: (!entry.source_ips.is_empty()).then(|| entry.source_ips.clone()),
        decision: Some(entry.decision.name().to_owned()),
    }
}

/// Reads and checks an AUTH_CREATE_ACL / AUTH_UPDATE_ACL body; `subject` (the header's) is used
/// when the body names none.
pub fn acl_from_info(info: &AclInfo, header_subject: Option<&str>) -> Result<Acl, String> {
    let subject = info.subject.as_deref().or(header_subject).unwrap_or_default();
    if subject_user(subject).is_none() {
        return Err("The subject type is null.".to_owned());
    }
    let infos = info.policies.as_deref().unwrap_or_default();
    if infos.is_empty() {
        return Err("The policies is empty.".to_owned());
    }
    let policies = infos.iter().map(policy_from_info).collect::<Result<Vec<_>, _>>()?;
    Ok(Acl { subject: subject.trim().to_owned(), policies })
}

fn policy_from_info(info: &PolicyInfo) -> Result<Policy, String> {
    let policy_type = info.policy_type.as_deref().and_then(PolicyType::parse).unwrap_or(PolicyType::Custom);
    let infos = info.entries.as_deref().unwrap_or_default();
    if infos.is_empty() {
        return Err("The policy entries is empty.".to_owned());
    }
    let entries = infos.iter().map(entry_from_info).collect::<Result<Vec<_>, _>>()?;
    Ok(Policy { policy_type, entries })
}

fn entry_from_info(info: &PolicyEntryInfo) -> Result<PolicyEntry, String> {
    let resource = info.resource.as_deref().and_then(Resource::parse).ok_or("The resource is null.")?;
    let actions: Vec<Action> = info.actions.iter().flatten().filter_map(|a| Action::parse(a)).collect();
    if actions.is_empty() {
        return Err("The actions is empty.".to_owned());
    }
    if actions.contains(&Action::Any) {
        return Err("The actions can not be Any.".to_owned());
    }
    let source_ips: Vec<String> = info.source_ips.iter().flatten().map(|s| s.trim().to_owned()).collect();
    if source_ips.iter().any(String::is_empty) {
        return Err("The source ip is empty.".to_owned());
    }
    if !source_ips.iter().all(|s| ip::valid(s)) {
        return Err("The source ip is invalid.".to_owned());
    }
    let decision = info.decision.as_deref().and_then(Decision::parse).ok_or("The decision is null or illegal.")?;
    Ok(PolicyEntry { resource, actions, source_ips, decision })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(resource: &str, actions: &[&str], ips: &[&str], decision: &str) -> AclInfo {
        let entry = PolicyEntryInfo {
            resource: Some(resource.into()),
            actions: Some(actions.iter().map(|s| (*s).to_owned()).collect()),
            source_ips: Some(ips.iter().map(|s| (*s).to_owned()).collect()),
            decision: Some(decision.into()),
        };
        AclInfo {
            subject: Some("User:u1".into()),
            policies: Some(vec![PolicyInfo { policy_type: None, entries: Some(vec![entry]) }]),
        }
    }

    #[test]
    fn bodies_round_trip_and_bad_ones_say_why() {
        let acl = acl_from_info(&info("Topic:t*", &["Pub", "sub"], &["10.0.0.0/8"], "allow"), None).unwrap();
        assert_eq!(acl.policies[0].policy_type, PolicyType::Custom);
        let back = acl_info(&acl);
        let entry = &back.policies.unwrap()[0].entries.clone().unwrap()[0];
        assert_eq!(entry.actions.clone().unwrap(), vec!["Pub", "Sub"]);
        assert_eq!(entry.decision.as_deref(), Some("Allow"));
        let err = |i: AclInfo| acl_from_info(&i, None).unwrap_err();
        assert_eq!(err(info("Queue:t", &["Pub"], &[], "Allow")), "The resource is null.");
        assert_eq!(err(info("Topic:t", &["Fly"], &[], "Allow")), "The actions is empty.");
        assert_eq!(err(info("Topic:t", &["Any"], &[], "Allow")), "The actions can not be Any.");
        assert_eq!(err(info("Topic:t", &["Pub"], &["10.0.0.*"], "Allow")), "The source ip is invalid.");
        assert_eq!(err(info("Topic:t", &["Pub"], &[], "Maybe")), "The decision is null or illegal.");
        let mut no_subject = info("Topic:t", &["Pub"], &[], "Allow");
        no_subject.subject = None;
        assert_eq!(acl_from_info(&no_subject, Some("User:u2")).unwrap().subject, "User:u2");
        assert_eq!(acl_from_info(&no_subject, None).unwrap_err(), "The subject type is null.");
    }
}
