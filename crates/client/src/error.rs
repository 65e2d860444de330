//! Client errors.

use rmq_remoting::{RemotingError, ResponseCode};

/// Why a client call failed. New variants may come in minor releases (`#[non_exhaustive]`):
/// match the ones you handle and keep a fallback arm; [`ClientError::is_retriable`] answers the
/// common question "may I try again?".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No name server address from code, config, NAMESRV_ADDR or the HTTP endpoint.
    #[error("no name server address: set it in code or config, or NAMESRV_ADDR")]
    NoNameServer,
    /// The topic has no route (unknown to every name server, or no writable queue).
    #[error("no route info of topic {0}")]
    NoRoute(String),
    /// A broker or name server answered with an error code.
    #[error("{addr} answered code {} ({}): {remark}", code.value(), code.name())]
    Broker {
        /// Who answered.
        addr: String,
        /// Response code (`ResponseCode::Unknown(n)` for a code this build does not know).
        code: ResponseCode,
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
    pub fn code(&self) -> Option<ResponseCode> {
        match self {
            Self::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A broker error from a response's raw code and remark.
    #[must_use]
    pub fn broker(addr: impl Into<String>, code: i32, remark: Option<String>) -> Self {
        Self::Broker { addr: addr.into(), code: ResponseCode::from_value(code), remark: remark.unwrap_or_default() }
    }

    /// Whether the same call may succeed if tried again (possibly on another broker): connection
    /// failures, timeouts and the broker's transient codes (busy, flush or slave timeouts, topic
    /// or route not there yet, system error), as the Java client's retry list. Invalid
    /// arguments, permission and filter errors, and a shut-down client are not retriable.
    #[must_use]
    pub fn is_retriable(&self) -> bool {
        match self {
            Self::Remoting(e) => !matches!(e, RemotingError::Shutdown),
            Self::Broker { code, .. } => RETRIABLE_CODES.contains(code),
            Self::NoRoute(_) | Self::RequestTimeout { .. } => true,
            _ => false,
        }
    }
}

/// Codes worth another attempt (the Java producer's `retryResponseCodes` plus the flush and
/// slave timeouts, which mean "stored, but not yet replicated or flushed").
const RETRIABLE_CODES: &[ResponseCode] = &[
    ResponseCode::TopicNotExist,
    ResponseCode::ServiceNotAvailable,
    ResponseCode::SystemError,
    ResponseCode::SystemBusy,
    ResponseCode::NoPermission,
    ResponseCode::FlushDiskTimeout,
    ResponseCode::FlushSlaveTimeout,
    ResponseCode::SlaveNotAvailable,
];

/// Client result.
pub type Result<T> = std::result::Result<T, ClientError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retriable_by_kind_and_code() {
        assert!(ClientError::broker("b", 2, None).is_retriable(), "SYSTEM_BUSY");
        assert!(ClientError::broker("b", 17, None).is_retriable(), "TOPIC_NOT_EXIST");
        assert!(!ClientError::broker("b", 13, None).is_retriable(), "MESSAGE_ILLEGAL");
        assert!(!ClientError::broker("b", 9999, None).is_retriable(), "unknown codes are not retried");
        assert_eq!(ClientError::broker("b", 9999, None).code(), Some(ResponseCode::Unknown(9999)));
        assert!(ClientError::Remoting(RemotingError::Timeout {
            addr: "b".into(),
            timeout: std::time::Duration::from_secs(1)
        })
        .is_retriable());
        assert!(!ClientError::Remoting(RemotingError::Shutdown).is_retriable());
        assert!(!ClientError::Invalid("x".into()).is_retriable());
        assert!(!ClientError::Shutdown.is_retriable());
    }

    #[test]
    fn broker_error_names_the_code() {
        let e = ClientError::broker("127.0.0.1:10911", 16, Some("no permission".into()));
        assert_eq!(e.to_string(), "127.0.0.1:10911 answered code 16 (NO_PERMISSION): no permission");
    }
}
