//! The ACL 2.0 model as RocketMQ 5.3 has it: users (`User`), subjects' policies (`Acl` of
//! `Policy`s of `PolicyEntry`s), resources with a type and a pattern, actions and decisions.
//! Names are read case-insensitively and written as RocketMQ writes them.

/// A user's kind: super users pass every authorization check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserType {
    /// Bypasses authorization.
    Super,
    /// Checked against its ACL.
    Normal,
}

/// Whether a user may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// May authenticate.
    Enable,
    /// Refused at authentication.
    Disable,
}

/// What a resource names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// `*`: every resource.
    Any,
    /// `Cluster:name`.
    Cluster,
    /// `Namespace:name`.
    Namespace,
    /// `Topic:name`.
    Topic,
    /// `Group:name`.
    Group,
}

/// How a resource's name matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// `Type:*`: every name of the type.
    Any,
    /// `Type:name`: that name.
    Literal,
    /// `Type:prefix*`: names starting with the prefix.
    Prefixed,
}

/// An action a request needs or an entry grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Grants every action (entries only).
    All,
    /// Any action is enough (requests only; refused in entries).
    Any,
    /// Send.
    Pub,
    /// Consume.
    Sub,
    /// Create.
    Create,
    /// Update.
    Update,
    /// Delete.
    Delete,
    /// Read one.
    Get,
    /// List.
    List,
}

/// An entry's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Grants.
    Allow,
    /// Refuses (wins over an allow of the same specificity).
    Deny,
}

/// Which set of entries: custom ones are looked at first, default ones only when no custom
/// entry matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    /// Written by mqadmin.
    Custom,
    /// Fallback.
    Default,
}

macro_rules! named {
    ($t:ident { $($v:ident = $name:literal),* $(,)? }) => {
        impl $t {
            /// The name RocketMQ writes.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Self::$v => $name),* }
            }
            /// Reads a name, ignoring case (RocketMQ's `getByName`).
            #[must_use]
            pub fn parse(text: &str) -> Option<Self> {
                let text = text.trim();
                [$(Self::$v),*].into_iter().find(|v| v.name().eq_ignore_ascii_case(text))
            }
        }
    };
}

named!(UserType { Super = "Super", Normal = "Normal" });
named!(UserStatus { Enable = "enable", Disable = "disable" });
named!(ResourceType { Any = "Any", Cluster = "Cluster", Namespace = "Namespace", Topic = "Topic", Group = "Group" });
named!(Action {
    All = "All", Any = "Any", Pub = "Pub", Sub = "Sub", Create = "Create",
    Update = "Update", Delete = "Delete", Get = "Get", List = "List",
});
named!(Decision { Allow = "Allow", Deny = "Deny" });
named!(PolicyType { Custom = "Custom", Default = "Default" });

/// A user: the AccessKey (username) and SecretKey (password) clients sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Name.
    pub username: String,
    /// Password (never logged).
    pub password: String,
    /// Super or normal.
    pub user_type: UserType,
    /// Enabled or not.
    pub user_status: UserStatus,
}

impl User {
    /// The subject key of this user, `User:name`.
    #[must_use]
    pub fn subject(&self) -> String {
        subject_key(&self.username)
    }
}

/// `User:name`.
#[must_use]
pub fn subject_key(username: &str) -> String {
    format!("User:{username}")
}

/// The user a subject key names (`User:name`, type read ignoring case), if it is one.
#[must_use]
pub fn subject_user(key: &str) -> Option<&str> {
    let (kind, name) = key.trim().split_once(':')?;
    (kind.eq_ignore_ascii_case("User") && !name.is_empty()).then_some(name)
}

/// A resource: its type, name and pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Type.
    pub kind: ResourceType,
    /// Name (a prefix when prefixed; empty for `Any` patterns).
    pub name: String,
    /// Pattern.
    pub pattern: Pattern,
}

impl Resource {
    /// A literal resource.
    #[must_use]
    pub fn literal(kind: ResourceType, name: &str) -> Self {
        Self { kind, name: name.to_owned(), pattern: Pattern::Literal }
    }

    /// A group, named without its `%RETRY%` / `%DLQ%` prefix.
    #[must_use]
    pub fn group(name: &str) -> Self {
        let name = name.strip_prefix(rmq_common::topic::RETRY_PREFIX).unwrap_or(name);
        let name = name.strip_prefix(rmq_common::topic::DLQ_PREFIX).unwrap_or(name);
        Self::literal(ResourceType::Group, name)
    }

    /// Reads `*`, `Type:*`, `Type:prefix*` or `Type:name`.
    #[must_use]
    pub fn parse(key: &str) -> Option<Self> {
        let key = key.trim();
        if key == "*" {
            return Some(Self { kind: ResourceType::Any, name: String::new(), pattern: Pattern::Any });
        }
        let (kind, name) = key.split_once(':')?;
        let kind = ResourceType::parse(kind)?;
        if name == "*" {
            return Some(Self { kind, name: String::new(), pattern: Pattern::Any });
        }
        if let Some(prefix) = name.strip_suffix('*') {
            return Some(Self { kind, name: prefix.to_owned(), pattern: Pattern::Prefixed });
        }
        Some(Self::literal(kind, name))
    }

    /// The key RocketMQ writes.
    #[must_use]
    pub fn key(&self) -> String {
        match (self.kind, self.pattern) {
            (ResourceType::Any, _) => "*".to_owned(),
            (kind, Pattern::Any) => format!("{}:*", kind.name()),
            (kind, Pattern::Literal) => format!("{}:{}", kind.name(), self.name),
            (kind, Pattern::Prefixed) => format!("{}:{}*", kind.name(), self.name),
        }
    }

    /// Whether this (an entry's resource) covers `wanted` (a request's literal resource).
    #[must_use]
    pub fn covers(&self, wanted: &Self) -> bool {
        if self.kind == ResourceType::Any {
            return true;
        }
        self.kind == wanted.kind
            && match self.pattern {
                Pattern::Any => true,
                Pattern::Literal => self.name == wanted.name,
                Pattern::Prefixed => wanted.name.starts_with(&self.name),
            }
    }
}

/// One entry of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntry {
    /// What it applies to.
    pub resource: Resource,
    /// What it grants or refuses.
    pub actions: Vec<Action>,
    /// Addresses or CIDR blocks it applies to; empty = everywhere.
    pub source_ips: Vec<String>,
    /// Allow or deny.
    pub decision: Decision,
}

/// A policy: entries of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Custom or default.
    pub policy_type: PolicyType,
    /// Entries, one per resource.
    pub entries: Vec<PolicyEntry>,
}

/// A subject's policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// `User:name`.
    pub subject: String,
    /// At most one policy per type.
    pub policies: Vec<Policy>,
}

impl Acl {
    /// The policy of a type.
    #[must_use]
    pub fn policy(&self, policy_type: PolicyType) -> Option<&Policy> {
        self.policies.iter().find(|p| p.policy_type == policy_type)
    }

    /// Merges `policies` in as RocketMQ's `Acl.updatePolicy`: an entry for a resource already
    /// present replaces its actions, addresses and decision; others are added.
    pub fn merge(&mut self, policies: Vec<Policy>) {
        for policy in policies {
            match self.policies.iter_mut().find(|p| p.policy_type == policy.policy_type) {
                None => self.policies.push(policy),
                Some(old) => {
                    for entry in policy.entries {
                        match old.entries.iter_mut().find(|e| e.resource == entry.resource) {
                            Some(e) => *e = entry,
                            None => old.entries.push(entry),
                        }
                    }
                }
            }
        }
    }

    /// Removes one resource's entry from a policy, and the policy when it becomes empty.
    pub fn remove(&mut self, policy_type: PolicyType, resource: &Resource) {
        if let Some(policy) = self.policies.iter_mut().find(|p| p.policy_type == policy_type) {
            policy.entries.retain(|e| &e.resource != resource);
        }
        self.policies.retain(|p| p.policy_type != policy_type || !p.entries.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_read_and_write_as_rocketmq() {
        for key in ["*", "Topic:*", "Topic:order*", "Group:g1", "Cluster:DefaultCluster"] {
            assert_eq!(Resource::parse(key).unwrap().key(), key);
        }
        assert_eq!(Resource::parse("topic:t").unwrap().key(), "Topic:t");
        assert!(Resource::parse("Queue:t").is_none());
        assert!(Resource::parse("t").is_none());
        assert_eq!(Resource::group("%RETRY%g").key(), "Group:g");
        let prefixed = Resource::parse("Topic:ord*").unwrap();
        assert!(prefixed.covers(&Resource::literal(ResourceType::Topic, "orders")));
        assert!(!prefixed.covers(&Resource::literal(ResourceType::Group, "orders")));
        assert!(Resource::parse("*").unwrap().covers(&Resource::group("g")));
    }

    #[test]
    fn names_ignore_case_and_subjects_name_users() {
        assert_eq!(Action::parse("pub"), Some(Action::Pub));
        assert_eq!(UserStatus::parse("DISABLE"), Some(UserStatus::Disable));
        assert_eq!(UserType::Super.name(), "Super");
        assert_eq!(subject_user("User:alice"), Some("alice"));
        assert_eq!(subject_user("user:alice"), Some("alice"));
        assert_eq!(subject_user("Group:alice"), None);
    }
}
