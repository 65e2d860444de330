//! JSON bodies of the protocol (route data, cluster info, registration, heartbeat, stats), in
//! the shapes fastjson writes and reads.

mod connection;
pub mod fastjson;
mod heartbeat;
mod lock;
mod route;
mod stats;
mod subscription;
mod topic;

pub use connection::{Connection, ConsumerConnection, GroupList, ProducerConnection};
pub use heartbeat::{ConsumerData, ConsumerListBody, HeartbeatData, ProducerData, SubscriptionData};
pub use lock::{LockBatchRequestBody, LockBatchResponseBody};
pub use route::{BrokerData, ClusterInfo, KvTable, QueueData, TopicRouteData};
pub use stats::{ConsumeStats, OffsetWrapper, ResetOffsetBody, TopicOffset, TopicStatsTable};
pub use subscription::{GroupRetryPolicy, SubscriptionGroupConfig, SubscriptionGroupWrapper};
pub use topic::{
    DataVersion, MessageQueue, RegisterBrokerBody, TopicConfig, TopicConfigAndMappingSerializeWrapper,
    TopicConfigSerializeWrapper, TopicList,
};
