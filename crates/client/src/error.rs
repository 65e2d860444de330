//! Client errors.

use rmq_remoting::RemotingError;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No name server address from code, config, NAMESRV_ADDR or the HTTP endpoint.
    #[error("no name server address: set it in code or config, or NAMESRV_ADDR")]
    NoNameServer,
    /// The topic has no route (unknown to every name server, or no writable queue).
    #[error("no route info of topic {0}")]
    NoRoute(String),
    /// A broker or name server answered with an error code.
    #[error("{addr} answered code {code}: {remark}")]
    Broker {
        /// Who answered.
        addr: String,
        /// Response code.
        code: i32,
        /// Remark.
        remark: String,
    },
    /// Connection or protocol failure.
    #[error(transparent)]
    Remoting(#[from] RemotingError),
    /// Invalid argument or configuration.
    #[error("{0}")]
    Invalid(String),
    /// A request was sent but its reply did not come in time.
    #[error("send request message to <{topic}> OK, but wait reply message timeout, {timeout_ms} ms.")]
    RequestTimeout {
        /// The request's topic.
        topic: String,
        /// The request's timeout.
        timeout_ms: u128,
    },
    /// The client was shut down.
    #[error("the client is shut down")]
    Shutdown,
    /// Local I/O (offset files).
    #[error("{context}: {cause}")]
    Io {
        /// What was being done.
        context: String,
        /// Cause.
        cause: std::io::Error,
    },
}

impl ClientError {
    /// The response code, when a server answered with one.
    #[must_use]
    pub fn code(&self) -> Option<i32> {
        match self {
            Self::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Client result.
pub type Result<T> = std::result::Result<T, ClientError>;
