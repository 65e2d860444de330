//! Why a file is refused and why a request is denied.

/// A plain_acl.yml that cannot be used (the validator then refuses every request).
#[derive(Debug, thiserror::Error)]
pub enum AclError {
    /// The file could not be read.
    #[error("cannot read {path}: {cause}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The file could not be written.
    #[error("cannot write {path}: {cause}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The YAML does not parse into the plain ACL layout.
    #[error("bad YAML: {0}")]
    Yaml(String),
    /// An address pattern is malformed.
    #[error("bad remote address pattern {0:?}")]
    Address(String),
    /// A `resource=PERM` entry is malformed.
    #[error("bad resource permission {0:?}: expected NAME=PUB|SUB|PUB|SUB|DENY")]
    Perm(String),
    /// An account lacks its key, or two accounts share one.
    #[error("bad account: {0}")]
    Account(String),
}

/// Why a request was refused; the message is the response's remark (never holds a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The ACL file is unusable: everything is refused.
    #[error("ACL configuration unusable, every request is refused: {0}")]
    Unusable(String),
    /// No AccessKey field and the address is not globally whitelisted.
    #[error("No accessKey is configured")]
    NoAccessKey,
    /// The AccessKey names no account.
    #[error("No acl config for {0}")]
    UnknownKey(String),
    /// The Signature does not match the account's secret.
    #[error("Check signature failed for accessKey={0}")]
    Signature(String),
    /// The request needs an admin account.
    #[error("Need admin permission for request code={code}, but accessKey={key} is not")]
    NotAdmin {
        /// Request code.
        code: i32,
        /// The account.
        key: String,
    },
    /// The account lacks a permission on a topic or group.
    #[error("No permission {perm} for {resource} of accessKey={key}")]
    Resource {
        /// Topic, or `%RETRY%group` for a group.
        resource: String,
        /// The permission needed.
        perm: &'static str,
        /// The account.
        key: String,
    },
    /// The request's resources could not be read (a bad header or heartbeat body).
    #[error("Cannot read the request's resources: {0}")]
    Unreadable(String),
}

impl Denial {
    /// The account named by the denial, for the log line.
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::UnknownKey(k) | Self::Signature(k) => Some(k),
            Self::NotAdmin { key, .. } | Self::Resource { key, .. } => Some(key),
            _ => None,
        }
    }
}
