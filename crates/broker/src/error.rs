//! Broker errors and their one mapping to response codes.

use rmq_remoting::{HeaderError, RemotingCommand, ResponseCode};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// A required header field is missing or malformed.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// A body is not what the code requires.
    #[error("invalid request body: {0}")]
    Body(String),
    /// The topic does not exist here.
    #[error("topic[{0}] not exist, apply first please!")]
    TopicNotExist(String),
    /// The subscription group does not exist and may not be auto-created.
    #[error("subscription group [{0}] does not exist")]
    GroupNotExist(String),
    /// No permission (topic/broker perm, slave write, group disabled).
    #[error("{0}")]
    NoPermission(String),
    /// The message is refused (size, name, properties).
    #[error("{0}")]
    MessageIllegal(String),
    /// A parameter is out of range.
    #[error("{0}")]
    Invalid(String),
    /// The broker cannot serve now (disk full, shutting down, slave).
    #[error("{0}")]
    ServiceNotAvailable(String),
    /// Something else went wrong inside the broker.
    #[error("{0}")]
    System(String),
    /// A specific code with a remark.
    #[error("{1}")]
    Code(ResponseCode, String),
}

impl From<&BrokerError> for ResponseCode {
    fn from(e: &BrokerError) -> Self {
        match e {
            BrokerError::Header(_) | BrokerError::Body(_) | BrokerError::Invalid(_) | BrokerError::System(_) => {
                ResponseCode::SystemError
            }
            BrokerError::TopicNotExist(_) => ResponseCode::TopicNotExist,
            BrokerError::GroupNotExist(_) => ResponseCode::SubscriptionGroupNotExist,
            BrokerError::NoPermission(_) => ResponseCode::NoPermission,
            BrokerError::MessageIllegal(_) => ResponseCode::MessageIllegal,
            BrokerError::ServiceNotAvailable(_) => ResponseCode::ServiceNotAvailable,
            BrokerError::Code(code, _) => *code,
        }
    }
}

impl From<crate::persist::PersistError> for BrokerError {
    fn from(e: crate::persist::PersistError) -> Self {
        Self::System(e.to_string())
    }
}

impl BrokerError {
    /// The error as a response command.
    #[must_use]
    pub fn to_response(&self) -> RemotingCommand {
        RemotingCommand::error(ResponseCode::from(self), self.to_string())
    }
}

/// Handler result: the response to send.
pub type HandlerResult = Result<RemotingCommand, BrokerError>;

/// Errors that stop the broker from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not open.
    #[error("message store: {0}")]
    Store(String),
    /// A config file could not be loaded or written.
    #[error(transparent)]
    Persist(#[from] crate::persist::PersistError),
    /// The runtime changes kept in the store's broker.properties are not valid.
    #[error("store copy of the broker config: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// `innerClientAuthenticationCredentials` is not `{"accessKey":..,"secretKey":..}`.
    #[error("innerClientAuthenticationCredentials: {0}")]
    Credentials(String),
    /// ACL 2.0 could not start (a bad key or an unreadable auth.json is named).
    #[error("ACL 2.0: {0}")]
    Auth(String),
    /// The TLS setup could not be built (a file or setting is named).
    #[error("TLS: {0}")]
    Tls(String),
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        cause: std::io::Error,
    },
}
