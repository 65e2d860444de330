//! LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies.

use serde::{Deserialize, Serialize};

use super::MessageQueue;

/// LOCK_BATCH_MQ and UNLOCK_BATCH_MQ request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchRequestBody {
    /// Consumer group.
    pub consumer_group: String,
    /// Client asking.
    pub client_id: String,
    /// Queues to lock or unlock.
    pub mq_set: Vec<MessageQueue>,
    /// 5.x: only lock on this broker.
    pub only_this_broker: bool,
}

/// LOCK_BATCH_MQ response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchResponseBody {
    /// Queues now locked by the caller.
    #[serde(rename = "lockOKMQSet")]
    pub lock_ok_mq_set: Vec<MessageQueue>,
}
