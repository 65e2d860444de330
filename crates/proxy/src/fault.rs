//! Protocol status codes of the cluster's failures, as the official proxy maps broker response
//! codes and client errors.

use rmq_client::ClientError;
use rmq_remoting::ResponseCode;

use crate::pb::{self, Code};
use crate::status;

/// The protocol code of a broker's response code.
#[must_use]
pub fn broker_code(code: ResponseCode) -> Code {
    match code {
        ResponseCode::Success => Code::Ok,
        ResponseCode::FlushDiskTimeout => Code::MasterPersistenceTimeout,
        ResponseCode::FlushSlaveTimeout => Code::SlavePersistenceTimeout,
        ResponseCode::SlaveNotAvailable => Code::HaNotAvailable,
        ResponseCode::TopicNotExist => Code::TopicNotFound,
        ResponseCode::SubscriptionGroupNotExist => Code::ConsumerGroupNotFound,
        ResponseCode::NoPermission => Code::Forbidden,
        ResponseCode::MessageIllegal | ResponseCode::InvalidParameter => Code::BadRequest,
        ResponseCode::SubscriptionParseFailed => Code::IllegalFilterExpression,
        ResponseCode::NoMessage => Code::InvalidReceiptHandle,
        ResponseCode::SystemBusy | ResponseCode::FlowControl | ResponseCode::PollingFull => Code::TooManyRequests,
        ResponseCode::ServiceNotAvailable => Code::InternalServerError,
        _ => Code::InternalError,
    }
}

/// The status of a failed call to the cluster.
#[must_use]
pub fn from_client(e: &ClientError) -> pb::Status {
    let code = match e {
        ClientError::NoRoute(_) => Code::TopicNotFound,
        ClientError::Remoting(rmq_remoting::RemotingError::Timeout { .. }) => Code::ProxyTimeout,
        _ => e.code().map_or(Code::InternalServerError, broker_code),
    };
    status::status(code, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_codes_map_to_protocol_codes() {
        assert_eq!(broker_code(ResponseCode::Success), Code::Ok);
        assert_eq!(broker_code(ResponseCode::TopicNotExist), Code::TopicNotFound);
        assert_eq!(broker_code(ResponseCode::SubscriptionGroupNotExist), Code::ConsumerGroupNotFound);
        assert_eq!(broker_code(ResponseCode::FlushDiskTimeout), Code::MasterPersistenceTimeout);
        assert_eq!(broker_code(ResponseCode::from_value(9999)), Code::InternalError);
    }
}
