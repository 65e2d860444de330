//! Name server errors and their one mapping to response codes.

use rmq_remoting::{HeaderError, RemotingCommand, RequestCode, ResponseCode};

/// Why a name server request failed.
#[derive(Debug, thiserror::Error)]
pub enum NamesrvError {
    /// A required header field is missing or malformed.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The topic has no route here.
    #[error("No topic route info in name server for the topic: {0}")]
    TopicNotExist(String),
    /// A KV namespace or key is unknown (the text names which).
    #[error("No config item, {0}")]
    KvNotFound(String),
    /// The request is refused.
    #[error("{0}")]
    NoPermission(&'static str),
    /// A body is unreadable or not what the code requires.
    #[error("{0}")]
    Body(String),
    /// The code is not one the name server serves.
    #[error(" request type {0} not supported")]
    NotSupported(i32),
}

impl NamesrvError {
    /// The answer to an unknown or foreign request code.
    #[must_use]
    pub fn not_supported(code: RequestCode) -> Self {
        Self::NotSupported(code.value())
    }

    /// The error as a response command.
    #[must_use]
    pub fn to_response(&self) -> RemotingCommand {
        RemotingCommand::error(ResponseCode::from(self), self.to_string())
    }
}

impl From<&NamesrvError> for ResponseCode {
    fn from(e: &NamesrvError) -> Self {
        match e {
            NamesrvError::Header(_) | NamesrvError::Body(_) => ResponseCode::SystemError,
            NamesrvError::TopicNotExist(_) => ResponseCode::TopicNotExist,
            NamesrvError::KvNotFound(_) => ResponseCode::QueryNotFound,
            NamesrvError::NoPermission(_) => ResponseCode::NoPermission,
            NamesrvError::NotSupported(_) => ResponseCode::RequestCodeNotSupported,
        }
    }
}

/// Handler result: the response to send.
pub type HandlerResult = Result<RemotingCommand, NamesrvError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_remarks() {
        let cases = [
            (
                NamesrvError::Header(HeaderError::Missing("topic")),
                ResponseCode::SystemError,
                "the custom field <topic> is null",
            ),
            (
                NamesrvError::TopicNotExist("T".into()),
                ResponseCode::TopicNotExist,
                "No topic route info in name server for the topic: T",
            ),
            (
                NamesrvError::KvNotFound("Namespace: n".into()),
                ResponseCode::QueryNotFound,
                "No config item, Namespace: n",
            ),
            (NamesrvError::NoPermission("no"), ResponseCode::NoPermission, "no"),
            (NamesrvError::Body("crc32 not match".into()), ResponseCode::SystemError, "crc32 not match"),
            (NamesrvError::NotSupported(10), ResponseCode::RequestCodeNotSupported, " request type 10 not supported"),
        ];
        for (e, code, remark) in cases {
            let r = e.to_response();
            assert_eq!(r.code, code.value(), "{e:?}");
            assert_eq!(r.remark.as_deref(), Some(remark), "{e:?}");
        }
    }
}
