//! Response codes. 209-211 mean ACL failures in 4.9.x and POP polling states in 5.x.

use super::code_enum;

code_enum! {
    /// A response code: the outcome of a request.
    pub enum ResponseCode {
        /// `SUCCESS` (0).
        Success = 0 => "SUCCESS",
        /// `SYSTEM_ERROR` (1).
        SystemError = 1 => "SYSTEM_ERROR",
        /// `SYSTEM_BUSY` (2).
        SystemBusy = 2 => "SYSTEM_BUSY",
        /// `REQUEST_CODE_NOT_SUPPORTED` (3).
        RequestCodeNotSupported = 3 => "REQUEST_CODE_NOT_SUPPORTED",
        /// `TRANSACTION_FAILED` (4).
        TransactionFailed = 4 => "TRANSACTION_FAILED",
        /// `FLUSH_DISK_TIMEOUT` (10).
        FlushDiskTimeout = 10 => "FLUSH_DISK_TIMEOUT",
        /// `SLAVE_NOT_AVAILABLE` (11).
        SlaveNotAvailable = 11 => "SLAVE_NOT_AVAILABLE",
        /// `FLUSH_SLAVE_TIMEOUT` (12).
        FlushSlaveTimeout = 12 => "FLUSH_SLAVE_TIMEOUT",
        /// `MESSAGE_ILLEGAL` (13).
        MessageIllegal = 13 => "MESSAGE_ILLEGAL",
        /// `SERVICE_NOT_AVAILABLE` (14).
        ServiceNotAvailable = 14 => "SERVICE_NOT_AVAILABLE",
        /// `VERSION_NOT_SUPPORTED` (15).
        VersionNotSupported = 15 => "VERSION_NOT_SUPPORTED",
        /// `NO_PERMISSION` (16).
        NoPermission = 16 => "NO_PERMISSION",
        /// `TOPIC_NOT_EXIST` (17).
        TopicNotExist = 17 => "TOPIC_NOT_EXIST",
        /// `TOPIC_EXIST_ALREADY` (18).
        TopicExistAlready = 18 => "TOPIC_EXIST_ALREADY",
        /// `PULL_NOT_FOUND` (19).
        PullNotFound = 19 => "PULL_NOT_FOUND",
        /// `PULL_RETRY_IMMEDIATELY` (20).
        PullRetryImmediately = 20 => "PULL_RETRY_IMMEDIATELY",
        /// `PULL_OFFSET_MOVED` (21).
        PullOffsetMoved = 21 => "PULL_OFFSET_MOVED",
        /// `QUERY_NOT_FOUND` (22).
        QueryNotFound = 22 => "QUERY_NOT_FOUND",
        /// `SUBSCRIPTION_PARSE_FAILED` (23).
        SubscriptionParseFailed = 23 => "SUBSCRIPTION_PARSE_FAILED",
        /// `SUBSCRIPTION_NOT_EXIST` (24).
        SubscriptionNotExist = 24 => "SUBSCRIPTION_NOT_EXIST",
        /// `SUBSCRIPTION_NOT_LATEST` (25).
        SubscriptionNotLatest = 25 => "SUBSCRIPTION_NOT_LATEST",
        /// `SUBSCRIPTION_GROUP_NOT_EXIST` (26).
        SubscriptionGroupNotExist = 26 => "SUBSCRIPTION_GROUP_NOT_EXIST",
        /// `FILTER_DATA_NOT_EXIST` (27).
        FilterDataNotExist = 27 => "FILTER_DATA_NOT_EXIST",
        /// `FILTER_DATA_NOT_LATEST` (28).
        FilterDataNotLatest = 28 => "FILTER_DATA_NOT_LATEST",
        /// `INVALID_PARAMETER` (29).
        InvalidParameter = 29 => "INVALID_PARAMETER",
        /// `TRANSACTION_SHOULD_COMMIT` (200).
        TransactionShouldCommit = 200 => "TRANSACTION_SHOULD_COMMIT",
        /// `TRANSACTION_SHOULD_ROLLBACK` (201).
        TransactionShouldRollback = 201 => "TRANSACTION_SHOULD_ROLLBACK",
        /// `TRANSACTION_STATE_UNKNOW` (202).
        TransactionStateUnknow = 202 => "TRANSACTION_STATE_UNKNOW",
        /// `TRANSACTION_STATE_GROUP_WRONG` (203).
        TransactionStateGroupWrong = 203 => "TRANSACTION_STATE_GROUP_WRONG",
        /// `NO_BUYER_ID` (204).
        NoBuyerId = 204 => "NO_BUYER_ID",
        /// `NOT_IN_CURRENT_UNIT` (205).
        NotInCurrentUnit = 205 => "NOT_IN_CURRENT_UNIT",
        /// `CONSUMER_NOT_ONLINE` (206).
        ConsumerNotOnline = 206 => "CONSUMER_NOT_ONLINE",
        /// `CONSUME_MSG_TIMEOUT` (207).
        ConsumeMsgTimeout = 207 => "CONSUME_MSG_TIMEOUT",
        /// `NO_MESSAGE` (208).
        NoMessage = 208 => "NO_MESSAGE",
        /// `POLLING_FULL` (209); in 4.9.x `UPDATE_AND_CREATE_ACL_CONFIG_FAILED`.
        PollingFull = 209 => "POLLING_FULL",
        /// `POLLING_TIMEOUT` (210); in 4.9.x `DELETE_ACL_CONFIG_FAILED`.
        PollingTimeout = 210 => "POLLING_TIMEOUT",
        /// `BROKER_NOT_EXIST` (211); in 4.9.x `UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED`.
        BrokerNotExist = 211 => "BROKER_NOT_EXIST",
        /// `BROKER_DISPATCH_NOT_COMPLETE` (212).
        BrokerDispatchNotComplete = 212 => "BROKER_DISPATCH_NOT_COMPLETE",
        /// `BROADCAST_CONSUMPTION` (213).
        BroadcastConsumption = 213 => "BROADCAST_CONSUMPTION",
        /// `FLOW_CONTROL` (215).
        FlowControl = 215 => "FLOW_CONTROL",
        /// `NOT_LEADER_FOR_QUEUE` (501).
        NotLeaderForQueue = 501 => "NOT_LEADER_FOR_QUEUE",
        /// `ILLEGAL_OPERATION` (604).
        IllegalOperation = 604 => "ILLEGAL_OPERATION",
        /// `GO_AWAY` (1500).
        GoAway = 1500 => "GO_AWAY",
        /// `CONTROLLER_FENCED_MASTER_EPOCH` (2000).
        ControllerFencedMasterEpoch = 2000 => "CONTROLLER_FENCED_MASTER_EPOCH",
        /// `CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH` (2001).
        ControllerFencedSyncStateSetEpoch = 2001 => "CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH",
        /// `CONTROLLER_INVALID_MASTER` (2002).
        ControllerInvalidMaster = 2002 => "CONTROLLER_INVALID_MASTER",
        /// `CONTROLLER_INVALID_REPLICAS` (2003).
        ControllerInvalidReplicas = 2003 => "CONTROLLER_INVALID_REPLICAS",
        /// `CONTROLLER_MASTER_NOT_AVAILABLE` (2004).
        ControllerMasterNotAvailable = 2004 => "CONTROLLER_MASTER_NOT_AVAILABLE",
        /// `CONTROLLER_INVALID_REQUEST` (2005).
        ControllerInvalidRequest = 2005 => "CONTROLLER_INVALID_REQUEST",
        /// `CONTROLLER_BROKER_NOT_ALIVE` (2006).
        ControllerBrokerNotAlive = 2006 => "CONTROLLER_BROKER_NOT_ALIVE",
        /// `CONTROLLER_NOT_LEADER` (2007).
        ControllerNotLeader = 2007 => "CONTROLLER_NOT_LEADER",
        /// `CONTROLLER_BROKER_METADATA_NOT_EXIST` (2008).
        ControllerBrokerMetadataNotExist = 2008 => "CONTROLLER_BROKER_METADATA_NOT_EXIST",
        /// `CONTROLLER_INVALID_CLEAN_BROKER_METADATA` (2009).
        ControllerInvalidCleanBrokerMetadata = 2009 => "CONTROLLER_INVALID_CLEAN_BROKER_METADATA",
        /// `CONTROLLER_BROKER_NEED_TO_BE_REGISTERED` (2010).
        ControllerBrokerNeedToBeRegistered = 2010 => "CONTROLLER_BROKER_NEED_TO_BE_REGISTERED",
        /// `CONTROLLER_MASTER_STILL_EXIST` (2011).
        ControllerMasterStillExist = 2011 => "CONTROLLER_MASTER_STILL_EXIST",
        /// `CONTROLLER_ELECT_MASTER_FAILED` (2012).
        ControllerElectMasterFailed = 2012 => "CONTROLLER_ELECT_MASTER_FAILED",
        /// `CONTROLLER_ALTER_SYNC_STATE_SET_FAILED` (2013).
        ControllerAlterSyncStateSetFailed = 2013 => "CONTROLLER_ALTER_SYNC_STATE_SET_FAILED",
        /// `CONTROLLER_BROKER_ID_INVALID` (2014).
        ControllerBrokerIdInvalid = 2014 => "CONTROLLER_BROKER_ID_INVALID",
        /// `CONTROLLER_JRAFT_INTERNAL_ERROR` (2015).
        ControllerJraftInternalError = 2015 => "CONTROLLER_JRAFT_INTERNAL_ERROR",
        /// `CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS` (2016).
        ControllerBrokerLiveInfoNotExists = 2016 => "CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS",
        /// `USER_NOT_EXIST` (3001), ACL 2.0.
        UserNotExist = 3001 => "USER_NOT_EXIST",
        /// `POLICY_NOT_EXIST` (3002), ACL 2.0.
        PolicyNotExist = 3002 => "POLICY_NOT_EXIST",
    }
}

impl ResponseCode {
    /// 4.9.x `UPDATE_AND_CREATE_ACL_CONFIG_FAILED` (209, `POLLING_FULL` in 5.x).
    pub const UPDATE_AND_CREATE_ACL_CONFIG_FAILED: Self = Self::PollingFull;
    /// 4.9.x `DELETE_ACL_CONFIG_FAILED` (210, `POLLING_TIMEOUT` in 5.x).
    pub const DELETE_ACL_CONFIG_FAILED: Self = Self::PollingTimeout;
    /// 4.9.x `UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED` (211, `BROKER_NOT_EXIST` in 5.x).
    pub const UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED: Self = Self::BrokerNotExist;
}
