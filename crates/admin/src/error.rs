//! Admin errors, with the [`ErrorKind`] a command line maps to an exit code.

use rmq_remoting::{RemotingError, ResponseCode};

use rmq_client::ClientError;

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No name server answered.
    #[error("no name server answered ({addrs}): {cause}")]
    NameServer {
        /// The addresses tried, `;`-joined.
        addrs: String,
        /// The last failure.
        cause: ClientError,
    },
    /// The topic is unknown to the name servers (or to the brokers asked).
    #[error("topic {0} not found (no route info on the name servers)")]
    TopicNotFound(String),
    /// The consumer group has no offsets, no subscription config and no online consumer.
    #[error("consumer group {0} not found")]
    GroupNotFound(String),
    /// No consumer of the group is online.
    #[error("consumer group {0} has no online consumer")]
    ConsumerNotOnline(String),
    /// The producer group has no connection on any broker of the topic.
    #[error("producer group {0} has no connection")]
    ProducerNotOnline(String),
    /// The cluster is unknown to the name servers.
    #[error("cluster {0} not found")]
    ClusterNotFound(String),
    /// The broker (name or address) is unknown to the name servers.
    #[error("broker {0} not found")]
    BrokerNotFound(String),
    /// No message matched.
    #[error("message {0} not found")]
    MessageNotFound(String),
    /// A bad argument.
    #[error("{0}")]
    Invalid(String),
    /// A malformed answer.
    #[error("unexpected answer from {addr}: {reason}")]
    BadAnswer {
        /// Who answered.
        addr: String,
        /// What was wrong.
        reason: String,
    },
    /// A client call failed.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// What kind of failure an [`AdminError`] is (the command line's exit code follows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A topic, group, cluster, broker or message does not exist.
    NotFound,
    /// A server could not be reached (connection refused, reset or closed).
    Unreachable,
    /// A server did not answer in time.
    Timeout,
    /// Bad arguments or configuration (no name server given).
    Invalid,
    /// Anything else (a server refused the request).
    Failed,
}

impl AdminError {
    /// The kind of failure.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NameServer { cause, .. } | Self::Client(cause) => client_kind(cause),
            Self::TopicNotFound(_)
            | Self::GroupNotFound(_)
            | Self::ConsumerNotOnline(_)
            | Self::ProducerNotOnline(_)
            | Self::ClusterNotFound(_)
            | Self::BrokerNotFound(_)
            | Self::MessageNotFound(_) => ErrorKind::NotFound,
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::BadAnswer { .. } => ErrorKind::Failed,
        }
    }
}

fn client_kind(e: &ClientError) -> ErrorKind {
    match e {
        ClientError::NoRoute(_) => ErrorKind::NotFound,
        ClientError::NoNameServer | ClientError::Invalid(_) => ErrorKind::Invalid,
        ClientError::Broker {
            code:
                ResponseCode::TopicNotExist
                | ResponseCode::SubscriptionGroupNotExist
                | ResponseCode::ConsumerNotOnline
                | ResponseCode::QueryNotFound
                | ResponseCode::SubscriptionNotExist,
            ..
        } => ErrorKind::NotFound,
        ClientError::Remoting(r) => match r {
            RemotingError::Timeout { .. } => ErrorKind::Timeout,
            RemotingError::Connect { reason, .. } if reason.starts_with("timed out") => ErrorKind::Timeout,
            RemotingError::Connect { .. } | RemotingError::ConnectionClosed { .. } | RemotingError::Io(_) => {
                ErrorKind::Unreachable
            }
            _ => ErrorKind::Failed,
        },
        ClientError::RequestTimeout { .. } => ErrorKind::Timeout,
        _ => ErrorKind::Failed,
    }
}

/// Admin result.
pub type Result<T> = std::result::Result<T, AdminError>;
