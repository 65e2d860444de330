//! Controller-mode headers (RocketMQ 5.x `header/controller/**`, broker heartbeat and role
//! notification).

use crate::command_header;

command_header! {
    /// CONTROLLER_ALTER_SYNC_STATE_SET (1001); body: `SyncStateSet`.
    pub struct AlterSyncStateSetRequestHeader {
        /// Broker set name.
        pub broker_name: String = "brokerName",
        /// The master asking.
        pub master_broker_id: i64 = "masterBrokerId",
        /// The master's epoch (fencing).
        pub master_epoch: i32 = "masterEpoch",
        /// When the request was made, ms.
        pub invoke_time: Option<i64> = "invokeTime",
    }
}

command_header! {
    /// CONTROLLER_ALTER_SYNC_STATE_SET response.
    pub struct AlterSyncStateSetResponseHeader {
        /// The epoch of the new SyncStateSet.
        pub new_sync_state_set_epoch: i32 = "newSyncStateSetEpoch",
    }
}

command_header! {
    /// CONTROLLER_ELECT_MASTER (1002).
    pub struct ElectMasterRequestHeader {
        /// Cluster name.
        pub cluster_name: Option<String> = "clusterName",
        /// Broker set name.
        pub broker_name: String = "brokerName",
        /// The replica to elect (`-1`: let the controller choose).
        pub broker_id: Option<i64> = "brokerId",
        /// Elect `brokerId` by force (admin's electMaster).
        pub designate_elect: Option<bool> = "designateElect",
        /// When the request was made, ms.
        pub invoke_time: Option<i64> = "invokeTime",
    }
}

command_header! {
    /// CONTROLLER_ELECT_MASTER, CONTROLLER_REGISTER_BROKER and CONTROLLER_GET_REPLICA_INFO
    /// answers: who is master, in which epoch.
    pub struct ElectMasterResponseHeader {
        /// The master's id.
        pub master_broker_id: Option<i64> = "masterBrokerId",
        /// The master's address.
        pub master_address: Option<String> = "masterAddress",
        /// The master's epoch.
        pub master_epoch: Option<i32> = "masterEpoch",
        /// The SyncStateSet's epoch.
        pub sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
    }
}

command_header! {
    /// CONTROLLER_GET_REPLICA_INFO (1004).
    pub struct GetReplicaInfoRequestHeader {
        /// Broker set name.
        pub broker_name: String = "brokerName",
    }
}

command_header! {
    /// CONTROLLER_GET_METADATA_INFO (1005) response.
    pub struct GetMetaDataResponseHeader {
        /// The Raft group (`controllerDLegerGroup`).
        pub group: Option<String> = "group",
        /// The leader's id, `n<id>`.
        pub controller_leader_id: Option<String> = "controllerLeaderId",
        /// The leader's address.
        pub controller_leader_address: Option<String> = "controllerLeaderAddress",
        /// Whether the answering controller leads.
        pub is_leader: bool = "isLeader",
        /// `controllerDLegerPeers`.
        pub peers: Option<String> = "peers",
    }
}

command_header! {
    /// CONTROLLER_REGISTER_BROKER (1003) in 5.x: a broker with its id says where it listens.
    pub struct RegisterBrokerToControllerRequestHeader {
        /// Cluster name.
        pub cluster_name: String = "clusterName",
        /// Broker set name.
        pub broker_name: String = "brokerName",
        /// The broker's id (applied before with CONTROLLER_APPLY_BROKER_ID).
        pub broker_id: i64 = "brokerId",
        /// `ip:port`.
        pub broker_address: String = "brokerAddress",
        /// When the request was made, ms.
        pub invoke_time: Option<i64> = "invokeTime",
    }
}

command_header! {
    /// CONTROLLER_GET_NEXT_BROKER_ID (1012).
    pub struct GetNextBrokerIdRequestHeader {
        /// Cluster name.
        pub cluster_name: String = "clusterName",
        /// Broker set name.
        pub broker_name: String = "brokerName",
    }
}

command_header! {
    /// CONTROLLER_GET_NEXT_BROKER_ID response.
    pub struct GetNextBrokerIdResponseHeader {
        /// Cluster name.
        pub cluster_name: Option<String> = "clusterName",
        /// Broker set name.
        pub broker_name: Option<String> = "brokerName",
        /// The id a new replica should apply for.
        pub next_broker_id: i64 = "nextBrokerId",
    }
}

command_header! {
    /// CONTROLLER_APPLY_BROKER_ID (1013).
    pub struct ApplyBrokerIdRequestHeader {
        /// Cluster name.
        pub cluster_name: String = "clusterName",
        /// Broker set name.
        pub broker_name: String = "brokerName",
        /// The id asked for.
        pub applied_broker_id: i64 = "appliedBrokerId",
        /// `address;timestamp`: the same code applying again gets the same id.
        pub register_check_code: String = "registerCheckCode",
    }
}

command_header! {
    /// BROKER_HEARTBEAT (904) to a controller.
    pub struct BrokerHeartbeatRequestHeader {
        /// Cluster name.
        pub cluster_name: String = "clusterName",
        /// `ip:port`.
        pub broker_addr: String = "brokerAddr",
        /// Broker set name.
        pub broker_name: String = "brokerName",
        /// The broker's id.
        pub broker_id: Option<i64> = "brokerId",
        /// The broker's last epoch.
        pub epoch: Option<i32> = "epoch",
        /// Its commit log's max offset.
        pub max_offset: Option<i64> = "maxOffset",
        /// Its confirm offset.
        pub confirm_offset: Option<i64> = "confirmOffset",
        /// Declared dead after this long without a heartbeat, ms.
        pub heartbeat_timeout_mills: Option<i64> = "heartbeatTimeoutMills",
        /// Lower is preferred in elections.
        pub election_priority: Option<i32> = "electionPriority",
    }
}

command_header! {
    /// NOTIFY_BROKER_ROLE_CHANGED (1008), controller to broker; body: `SyncStateSet`.
    pub struct NotifyBrokerRoleChangedRequestHeader {
        /// The master's address.
        pub master_address: Option<String> = "masterAddress",
        /// The master's epoch.
        pub master_epoch: Option<i32> = "masterEpoch",
        /// The SyncStateSet's epoch.
        pub sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
        /// The master's id.
        pub master_broker_id: Option<i64> = "masterBrokerId",
    }
}
