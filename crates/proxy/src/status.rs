//! Protocol statuses (`apache.rocketmq.v2.Status` with a `Code`).

use crate::pb::{Code, Status};

/// A status with `code` and `message`.
#[must_use]
pub fn status(code: Code, message: impl Into<String>) -> Status {
    Status { code: code as i32, message: message.into() }
}

/// The OK status.
#[must_use]
pub fn ok() -> Status {
    status(Code::Ok, "OK")
}
