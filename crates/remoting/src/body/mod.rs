//! JSON bodies of the protocol (route data, cluster info, registration, heartbeat, stats), in
//! the shapes fastjson writes and reads.

mod acl;
mod assignment;
mod auth;
mod connection;
mod controller;
mod enums;
pub mod fastjson;
mod heartbeat;
pub mod lenient;
mod lock;
mod pop;
mod route;
mod stats;
mod subscription;
mod topic;

pub use acl::{AclConfig, PlainAccessConfig};
pub use assignment::{
    MessageQueueAssignment, MessageRequestModeSerializeWrapper, QueryAssignmentRequestBody,
    QueryAssignmentResponseBody, SetMessageRequestModeRequestBody,
};
pub use auth::{AclInfo, PolicyEntryInfo, PolicyInfo, UserInfo};
pub use connection::{Connection, ConsumerConnection, GroupList, ProducerConnection};
pub use controller::{
    BrokerMemberGroup, BrokerReplicasInfo, ElectMasterResponseBody, EpochEntryBody, EpochEntryCache, ReplicaIdentity,
    ReplicasInfo, SyncStateSet,
};
pub use enums::{ConsumeFromWhere, ConsumeType, MessageModel, MessageRequestMode, TopicFilterType};
pub use heartbeat::{
    CheckClientRequestBody, ConsumerData, ConsumerListBody, HeartbeatData, ProducerData, SubscriptionData,
};
pub use lenient::{decode, BodyError};
pub use lock::{LockBatchRequestBody, LockBatchResponseBody};
pub use pop::{AckBits, BatchAck, BatchAckMessageRequestBody};
pub use route::{BrokerData, ClusterInfo, KvTable, QueueData, TopicRouteData};
pub use stats::{ConsumeStats, OffsetWrapper, ResetOffsetBody, TopicOffset, TopicStatsTable};
pub use subscription::{GroupRetryPolicy, SubscriptionGroupConfig, SubscriptionGroupWrapper};
pub use topic::{
    DataVersion, MessageQueue, RegisterBrokerBody, TopicConfig, TopicConfigAndMappingSerializeWrapper,
    TopicConfigSerializeWrapper, TopicList,
};
