//! Controller errors.

use rmq_remoting::ResponseCode;

/// What can go wrong starting or serving a controller.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// A bad setting.
    #[error("controller config: {0}")]
    Config(String),
    /// Files under `controllerStorePath`.
    #[error("controller store {path}: {source}")]
    Store {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The Raft library refused to start.
    #[error("raft: {0}")]
    Raft(String),
    /// Binding the listen port.
    #[error("listen: {0}")]
    Listen(#[from] std::io::Error),
    /// A request answered with an error code (not leader, fenced epoch, ...).
    #[error("{code}: {remark}")]
    Answer {
        /// The response code.
        code: ResponseCode,
        /// Why.
        remark: String,
    },
}

impl ControllerError {
    /// A request failure with its response code.
    pub fn answer(code: ResponseCode, remark: impl Into<String>) -> Self {
        Self::Answer { code, remark: remark.into() }
    }
}
