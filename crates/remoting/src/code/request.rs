//! Request codes sent by clients, brokers, admin tools and name servers (4.9.x and 5.x).

use super::code_enum;

code_enum! {
    /// A request code: what a command asks for.
    pub enum RequestCode {
        /// `SEND_MESSAGE` (10): client to broker, long header names.
        SendMessage = 10 => "SEND_MESSAGE",
        /// `PULL_MESSAGE` (11).
        PullMessage = 11 => "PULL_MESSAGE",
        /// `QUERY_MESSAGE` (12).
        QueryMessage = 12 => "QUERY_MESSAGE",
        /// `QUERY_BROKER_OFFSET` (13).
        QueryBrokerOffset = 13 => "QUERY_BROKER_OFFSET",
        /// `QUERY_CONSUMER_OFFSET` (14).
        QueryConsumerOffset = 14 => "QUERY_CONSUMER_OFFSET",
        /// `UPDATE_CONSUMER_OFFSET` (15).
        UpdateConsumerOffset = 15 => "UPDATE_CONSUMER_OFFSET",
        /// `UPDATE_AND_CREATE_TOPIC` (17).
        UpdateAndCreateTopic = 17 => "UPDATE_AND_CREATE_TOPIC",
        /// `UPDATE_AND_CREATE_TOPIC_LIST` (18).
        UpdateAndCreateTopicList = 18 => "UPDATE_AND_CREATE_TOPIC_LIST",
        /// `GET_ALL_TOPIC_CONFIG` (21).
        GetAllTopicConfig = 21 => "GET_ALL_TOPIC_CONFIG",
        /// `GET_TOPIC_CONFIG_LIST` (22).
        GetTopicConfigList = 22 => "GET_TOPIC_CONFIG_LIST",
        /// `GET_TOPIC_NAME_LIST` (23).
        GetTopicNameList = 23 => "GET_TOPIC_NAME_LIST",
        /// `UPDATE_BROKER_CONFIG` (25).
        UpdateBrokerConfig = 25 => "UPDATE_BROKER_CONFIG",
        /// `GET_BROKER_CONFIG` (26).
        GetBrokerConfig = 26 => "GET_BROKER_CONFIG",
        /// `TRIGGER_DELETE_FILES` (27).
        TriggerDeleteFiles = 27 => "TRIGGER_DELETE_FILES",
        /// `GET_BROKER_RUNTIME_INFO` (28).
        GetBrokerRuntimeInfo = 28 => "GET_BROKER_RUNTIME_INFO",
        /// `SEARCH_OFFSET_BY_TIMESTAMP` (29).
        SearchOffsetByTimestamp = 29 => "SEARCH_OFFSET_BY_TIMESTAMP",
        /// `GET_MAX_OFFSET` (30).
        GetMaxOffset = 30 => "GET_MAX_OFFSET",
        /// `GET_MIN_OFFSET` (31).
        GetMinOffset = 31 => "GET_MIN_OFFSET",
        /// `GET_EARLIEST_MSG_STORETIME` (32).
        GetEarliestMsgStoretime = 32 => "GET_EARLIEST_MSG_STORETIME",
        /// `VIEW_MESSAGE_BY_ID` (33).
        ViewMessageById = 33 => "VIEW_MESSAGE_BY_ID",
        /// `HEART_BEAT` (34).
        HeartBeat = 34 => "HEART_BEAT",
        /// `UNREGISTER_CLIENT` (35).
        UnregisterClient = 35 => "UNREGISTER_CLIENT",
        /// `CONSUMER_SEND_MSG_BACK` (36).
        ConsumerSendMsgBack = 36 => "CONSUMER_SEND_MSG_BACK",
        /// `END_TRANSACTION` (37).
        EndTransaction = 37 => "END_TRANSACTION",
        /// `GET_CONSUMER_LIST_BY_GROUP` (38).
        GetConsumerListByGroup = 38 => "GET_CONSUMER_LIST_BY_GROUP",
        /// `CHECK_TRANSACTION_STATE` (39).
        CheckTransactionState = 39 => "CHECK_TRANSACTION_STATE",
        /// `NOTIFY_CONSUMER_IDS_CHANGED` (40).
        NotifyConsumerIdsChanged = 40 => "NOTIFY_CONSUMER_IDS_CHANGED",
        /// `LOCK_BATCH_MQ` (41).
        LockBatchMq = 41 => "LOCK_BATCH_MQ",
        /// `UNLOCK_BATCH_MQ` (42).
        UnlockBatchMq = 42 => "UNLOCK_BATCH_MQ",
        /// `GET_ALL_CONSUMER_OFFSET` (43).
        GetAllConsumerOffset = 43 => "GET_ALL_CONSUMER_OFFSET",
        /// `GET_ALL_DELAY_OFFSET` (45).
        GetAllDelayOffset = 45 => "GET_ALL_DELAY_OFFSET",
        /// `CHECK_CLIENT_CONFIG` (46).
        CheckClientConfig = 46 => "CHECK_CLIENT_CONFIG",
        /// `GET_CLIENT_CONFIG` (47).
        GetClientConfig = 47 => "GET_CLIENT_CONFIG",
        /// `UPDATE_AND_CREATE_ACL_CONFIG` (50).
        UpdateAndCreateAclConfig = 50 => "UPDATE_AND_CREATE_ACL_CONFIG",
        /// `DELETE_ACL_CONFIG` (51).
        DeleteAclConfig = 51 => "DELETE_ACL_CONFIG",
        /// `GET_BROKER_CLUSTER_ACL_INFO` (52).
        GetBrokerClusterAclInfo = 52 => "GET_BROKER_CLUSTER_ACL_INFO",
        /// `UPDATE_GLOBAL_WHITE_ADDRS_CONFIG` (53).
        UpdateGlobalWhiteAddrsConfig = 53 => "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
        /// `GET_BROKER_CLUSTER_ACL_CONFIG` (54): 4.9.0-4.9.6 and 5.x before 5.3.
        GetBrokerClusterAclConfig = 54 => "GET_BROKER_CLUSTER_ACL_CONFIG",
        /// `GET_TIMER_CHECK_POINT` (60).
        GetTimerCheckPoint = 60 => "GET_TIMER_CHECK_POINT",
        /// `GET_TIMER_METRICS` (61).
        GetTimerMetrics = 61 => "GET_TIMER_METRICS",
        /// `PUT_KV_CONFIG` (100).
        PutKvConfig = 100 => "PUT_KV_CONFIG",
        /// `GET_KV_CONFIG` (101).
        GetKvConfig = 101 => "GET_KV_CONFIG",
        /// `DELETE_KV_CONFIG` (102).
        DeleteKvConfig = 102 => "DELETE_KV_CONFIG",
        /// `REGISTER_BROKER` (103).
        RegisterBroker = 103 => "REGISTER_BROKER",
        /// `UNREGISTER_BROKER` (104).
        UnregisterBroker = 104 => "UNREGISTER_BROKER",
        /// `GET_ROUTEINFO_BY_TOPIC` (105).
        GetRouteinfoByTopic = 105 => "GET_ROUTEINFO_BY_TOPIC",
        /// `GET_BROKER_CLUSTER_INFO` (106).
        GetBrokerClusterInfo = 106 => "GET_BROKER_CLUSTER_INFO",
        /// `UPDATE_AND_CREATE_SUBSCRIPTIONGROUP` (200).
        UpdateAndCreateSubscriptiongroup = 200 => "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
        /// `GET_ALL_SUBSCRIPTIONGROUP_CONFIG` (201).
        GetAllSubscriptiongroupConfig = 201 => "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
        /// `GET_TOPIC_STATS_INFO` (202).
        GetTopicStatsInfo = 202 => "GET_TOPIC_STATS_INFO",
        /// `GET_CONSUMER_CONNECTION_LIST` (203).
        GetConsumerConnectionList = 203 => "GET_CONSUMER_CONNECTION_LIST",
        /// `GET_PRODUCER_CONNECTION_LIST` (204).
        GetProducerConnectionList = 204 => "GET_PRODUCER_CONNECTION_LIST",
        /// `WIPE_WRITE_PERM_OF_BROKER` (205).
        WipeWritePermOfBroker = 205 => "WIPE_WRITE_PERM_OF_BROKER",
        /// `GET_ALL_TOPIC_LIST_FROM_NAMESERVER` (206).
        GetAllTopicListFromNameserver = 206 => "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
        /// `DELETE_SUBSCRIPTIONGROUP` (207).
        DeleteSubscriptiongroup = 207 => "DELETE_SUBSCRIPTIONGROUP",
        /// `GET_CONSUME_STATS` (208).
        GetConsumeStats = 208 => "GET_CONSUME_STATS",
        /// `SUSPEND_CONSUMER` (209).
        SuspendConsumer = 209 => "SUSPEND_CONSUMER",
        /// `RESUME_CONSUMER` (210).
        ResumeConsumer = 210 => "RESUME_CONSUMER",
        /// `RESET_CONSUMER_OFFSET_IN_CONSUMER` (211).
        ResetConsumerOffsetInConsumer = 211 => "RESET_CONSUMER_OFFSET_IN_CONSUMER",
        /// `RESET_CONSUMER_OFFSET_IN_BROKER` (212).
        ResetConsumerOffsetInBroker = 212 => "RESET_CONSUMER_OFFSET_IN_BROKER",
        /// `ADJUST_CONSUMER_THREAD_POOL` (213).
        AdjustConsumerThreadPool = 213 => "ADJUST_CONSUMER_THREAD_POOL",
        /// `WHO_CONSUME_THE_MESSAGE` (214).
        WhoConsumeTheMessage = 214 => "WHO_CONSUME_THE_MESSAGE",
        /// `DELETE_TOPIC_IN_BROKER` (215).
        DeleteTopicInBroker = 215 => "DELETE_TOPIC_IN_BROKER",
        /// `DELETE_TOPIC_IN_NAMESRV` (216).
        DeleteTopicInNamesrv = 216 => "DELETE_TOPIC_IN_NAMESRV",
        /// `REGISTER_TOPIC_IN_NAMESRV` (217).
        RegisterTopicInNamesrv = 217 => "REGISTER_TOPIC_IN_NAMESRV",
        /// `GET_KVLIST_BY_NAMESPACE` (219).
        GetKvlistByNamespace = 219 => "GET_KVLIST_BY_NAMESPACE",
        /// `RESET_CONSUMER_CLIENT_OFFSET` (220).
        ResetConsumerClientOffset = 220 => "RESET_CONSUMER_CLIENT_OFFSET",
        /// `GET_CONSUMER_STATUS_FROM_CLIENT` (221).
        GetConsumerStatusFromClient = 221 => "GET_CONSUMER_STATUS_FROM_CLIENT",
        /// `INVOKE_BROKER_TO_RESET_OFFSET` (222).
        InvokeBrokerToResetOffset = 222 => "INVOKE_BROKER_TO_RESET_OFFSET",
        /// `INVOKE_BROKER_TO_GET_CONSUMER_STATUS` (223).
        InvokeBrokerToGetConsumerStatus = 223 => "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
        /// `GET_TOPICS_BY_CLUSTER` (224).
        GetTopicsByCluster = 224 => "GET_TOPICS_BY_CLUSTER",
        /// `UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST` (225).
        UpdateAndCreateSubscriptiongroupList = 225 => "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST",
        /// `QUERY_TOPIC_CONSUME_BY_WHO` (300).
        QueryTopicConsumeByWho = 300 => "QUERY_TOPIC_CONSUME_BY_WHO",
        /// `REGISTER_FILTER_SERVER` (301).
        RegisterFilterServer = 301 => "REGISTER_FILTER_SERVER",
        /// `REGISTER_MESSAGE_FILTER_CLASS` (302).
        RegisterMessageFilterClass = 302 => "REGISTER_MESSAGE_FILTER_CLASS",
        /// `QUERY_CONSUME_TIME_SPAN` (303).
        QueryConsumeTimeSpan = 303 => "QUERY_CONSUME_TIME_SPAN",
        /// `GET_SYSTEM_TOPIC_LIST_FROM_NS` (304).
        GetSystemTopicListFromNs = 304 => "GET_SYSTEM_TOPIC_LIST_FROM_NS",
        /// `GET_SYSTEM_TOPIC_LIST_FROM_BROKER` (305).
        GetSystemTopicListFromBroker = 305 => "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
        /// `CLEAN_EXPIRED_CONSUMEQUEUE` (306).
        CleanExpiredConsumequeue = 306 => "CLEAN_EXPIRED_CONSUMEQUEUE",
        /// `GET_CONSUMER_RUNNING_INFO` (307).
        GetConsumerRunningInfo = 307 => "GET_CONSUMER_RUNNING_INFO",
        /// `QUERY_CORRECTION_OFFSET` (308).
        QueryCorrectionOffset = 308 => "QUERY_CORRECTION_OFFSET",
        /// `CONSUME_MESSAGE_DIRECTLY` (309).
        ConsumeMessageDirectly = 309 => "CONSUME_MESSAGE_DIRECTLY",
        /// `SEND_MESSAGE_V2` (310).
        SendMessageV2 = 310 => "SEND_MESSAGE_V2",
        /// `GET_UNIT_TOPIC_LIST` (311).
        GetUnitTopicList = 311 => "GET_UNIT_TOPIC_LIST",
        /// `GET_HAS_UNIT_SUB_TOPIC_LIST` (312).
        GetHasUnitSubTopicList = 312 => "GET_HAS_UNIT_SUB_TOPIC_LIST",
        /// `GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST` (313).
        GetHasUnitSubUnunitTopicList = 313 => "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST",
        /// `CLONE_GROUP_OFFSET` (314).
        CloneGroupOffset = 314 => "CLONE_GROUP_OFFSET",
        /// `VIEW_BROKER_STATS_DATA` (315).
        ViewBrokerStatsData = 315 => "VIEW_BROKER_STATS_DATA",
        /// `CLEAN_UNUSED_TOPIC` (316).
        CleanUnusedTopic = 316 => "CLEAN_UNUSED_TOPIC",
        /// `GET_BROKER_CONSUME_STATS` (317).
        GetBrokerConsumeStats = 317 => "GET_BROKER_CONSUME_STATS",
        /// `UPDATE_NAMESRV_CONFIG` (318).
        UpdateNamesrvConfig = 318 => "UPDATE_NAMESRV_CONFIG",
        /// `GET_NAMESRV_CONFIG` (319).
        GetNamesrvConfig = 319 => "GET_NAMESRV_CONFIG",
        /// `SEND_BATCH_MESSAGE` (320).
        SendBatchMessage = 320 => "SEND_BATCH_MESSAGE",
        /// `QUERY_CONSUME_QUEUE` (321).
        QueryConsumeQueue = 321 => "QUERY_CONSUME_QUEUE",
        /// `QUERY_DATA_VERSION` (322).
        QueryDataVersion = 322 => "QUERY_DATA_VERSION",
        /// `RESUME_CHECK_HALF_MESSAGE` (323).
        ResumeCheckHalfMessage = 323 => "RESUME_CHECK_HALF_MESSAGE",
        /// `SEND_REPLY_MESSAGE` (324).
        SendReplyMessage = 324 => "SEND_REPLY_MESSAGE",
        /// `SEND_REPLY_MESSAGE_V2` (325).
        SendReplyMessageV2 = 325 => "SEND_REPLY_MESSAGE_V2",
        /// `PUSH_REPLY_MESSAGE_TO_CLIENT` (326).
        PushReplyMessageToClient = 326 => "PUSH_REPLY_MESSAGE_TO_CLIENT",
        /// `ADD_WRITE_PERM_OF_BROKER` (327).
        AddWritePermOfBroker = 327 => "ADD_WRITE_PERM_OF_BROKER",
        /// `GET_ALL_PRODUCER_INFO` (328).
        GetAllProducerInfo = 328 => "GET_ALL_PRODUCER_INFO",
        /// `DELETE_EXPIRED_COMMITLOG` (329).
        DeleteExpiredCommitlog = 329 => "DELETE_EXPIRED_COMMITLOG",
        /// `GET_TOPIC_CONFIG` (351).
        GetTopicConfig = 351 => "GET_TOPIC_CONFIG",
        /// `GET_SUBSCRIPTIONGROUP_CONFIG` (352).
        GetSubscriptiongroupConfig = 352 => "GET_SUBSCRIPTIONGROUP_CONFIG",
        /// `UPDATE_AND_GET_GROUP_FORBIDDEN` (353).
        UpdateAndGetGroupForbidden = 353 => "UPDATE_AND_GET_GROUP_FORBIDDEN",
        /// `CHECK_ROCKSDB_CQ_WRITE_PROGRESS` (354).
        CheckRocksdbCqWriteProgress = 354 => "CHECK_ROCKSDB_CQ_WRITE_PROGRESS",
        /// `EXPORT_ROCKSDB_CONFIG_TO_JSON` (355).
        ExportRocksdbConfigToJson = 355 => "EXPORT_ROCKSDB_CONFIG_TO_JSON",
        /// `QUERY_TOPICS_BY_CONSUMER` (343).
        QueryTopicsByConsumer = 343 => "QUERY_TOPICS_BY_CONSUMER",
        /// `QUERY_SUBSCRIPTION_BY_CONSUMER` (345).
        QuerySubscriptionByConsumer = 345 => "QUERY_SUBSCRIPTION_BY_CONSUMER",
        /// `LITE_PULL_MESSAGE` (361).
        LitePullMessage = 361 => "LITE_PULL_MESSAGE",
        /// `RECALL_MESSAGE` (370).
        RecallMessage = 370 => "RECALL_MESSAGE",
        /// `QUERY_ASSIGNMENT` (400).
        QueryAssignment = 400 => "QUERY_ASSIGNMENT",
        /// `SET_MESSAGE_REQUEST_MODE` (401).
        SetMessageRequestMode = 401 => "SET_MESSAGE_REQUEST_MODE",
        /// `GET_ALL_MESSAGE_REQUEST_MODE` (402).
        GetAllMessageRequestMode = 402 => "GET_ALL_MESSAGE_REQUEST_MODE",
        /// `UPDATE_AND_CREATE_STATIC_TOPIC` (513).
        UpdateAndCreateStaticTopic = 513 => "UPDATE_AND_CREATE_STATIC_TOPIC",
        /// `GET_BROKER_MEMBER_GROUP` (901).
        GetBrokerMemberGroup = 901 => "GET_BROKER_MEMBER_GROUP",
        /// `ADD_BROKER` (902).
        AddBroker = 902 => "ADD_BROKER",
        /// `REMOVE_BROKER` (903).
        RemoveBroker = 903 => "REMOVE_BROKER",
        /// `BROKER_HEARTBEAT` (904).
        BrokerHeartbeat = 904 => "BROKER_HEARTBEAT",
        /// `NOTIFY_MIN_BROKER_ID_CHANGE` (905).
        NotifyMinBrokerIdChange = 905 => "NOTIFY_MIN_BROKER_ID_CHANGE",
        /// `EXCHANGE_BROKER_HA_INFO` (906).
        ExchangeBrokerHaInfo = 906 => "EXCHANGE_BROKER_HA_INFO",
        /// `GET_BROKER_HA_STATUS` (907).
        GetBrokerHaStatus = 907 => "GET_BROKER_HA_STATUS",
        /// `RESET_MASTER_FLUSH_OFFSET` (908).
        ResetMasterFlushOffset = 908 => "RESET_MASTER_FLUSH_OFFSET",
        /// `CONTROLLER_ALTER_SYNC_STATE_SET` (1001).
        ControllerAlterSyncStateSet = 1001 => "CONTROLLER_ALTER_SYNC_STATE_SET",
        /// `CONTROLLER_ELECT_MASTER` (1002).
        ControllerElectMaster = 1002 => "CONTROLLER_ELECT_MASTER",
        /// `CONTROLLER_REGISTER_BROKER` (1003).
        ControllerRegisterBroker = 1003 => "CONTROLLER_REGISTER_BROKER",
        /// `CONTROLLER_GET_REPLICA_INFO` (1004).
        ControllerGetReplicaInfo = 1004 => "CONTROLLER_GET_REPLICA_INFO",
        /// `CONTROLLER_GET_METADATA_INFO` (1005).
        ControllerGetMetadataInfo = 1005 => "CONTROLLER_GET_METADATA_INFO",
        /// `CONTROLLER_GET_SYNC_STATE_DATA` (1006).
        ControllerGetSyncStateData = 1006 => "CONTROLLER_GET_SYNC_STATE_DATA",
        /// `GET_BROKER_EPOCH_CACHE` (1007).
        GetBrokerEpochCache = 1007 => "GET_BROKER_EPOCH_CACHE",
        /// `NOTIFY_BROKER_ROLE_CHANGED` (1008).
        NotifyBrokerRoleChanged = 1008 => "NOTIFY_BROKER_ROLE_CHANGED",
        /// `UPDATE_CONTROLLER_CONFIG` (1009).
        UpdateControllerConfig = 1009 => "UPDATE_CONTROLLER_CONFIG",
        /// `GET_CONTROLLER_CONFIG` (1010).
        GetControllerConfig = 1010 => "GET_CONTROLLER_CONFIG",
        /// `CLEAN_BROKER_DATA` (1011).
        CleanBrokerData = 1011 => "CLEAN_BROKER_DATA",
        /// `CONTROLLER_GET_NEXT_BROKER_ID` (1012).
        ControllerGetNextBrokerId = 1012 => "CONTROLLER_GET_NEXT_BROKER_ID",
        /// `CONTROLLER_APPLY_BROKER_ID` (1013).
        ControllerApplyBrokerId = 1013 => "CONTROLLER_APPLY_BROKER_ID",
        /// `AUTH_CREATE_USER` (3001): ACL 2.0 user and policy administration (5.3+).
        AuthCreateUser = 3001 => "AUTH_CREATE_USER",
        /// `AUTH_UPDATE_USER` (3002): ACL 2.0 user and policy administration (5.3+).
        AuthUpdateUser = 3002 => "AUTH_UPDATE_USER",
        /// `AUTH_DELETE_USER` (3003): ACL 2.0 user and policy administration (5.3+).
        AuthDeleteUser = 3003 => "AUTH_DELETE_USER",
        /// `AUTH_GET_USER` (3004): ACL 2.0 user and policy administration (5.3+).
        AuthGetUser = 3004 => "AUTH_GET_USER",
        /// `AUTH_LIST_USER` (3005): ACL 2.0 user and policy administration (5.3+).
        AuthListUser = 3005 => "AUTH_LIST_USER",
        /// `AUTH_CREATE_ACL` (3006): ACL 2.0 user and policy administration (5.3+).
        AuthCreateAcl = 3006 => "AUTH_CREATE_ACL",
        /// `AUTH_UPDATE_ACL` (3007): ACL 2.0 user and policy administration (5.3+).
        AuthUpdateAcl = 3007 => "AUTH_UPDATE_ACL",
        /// `AUTH_DELETE_ACL` (3008): ACL 2.0 user and policy administration (5.3+).
        AuthDeleteAcl = 3008 => "AUTH_DELETE_ACL",
        /// `AUTH_GET_ACL` (3009): ACL 2.0 user and policy administration (5.3+).
        AuthGetAcl = 3009 => "AUTH_GET_ACL",
        /// `AUTH_LIST_ACL` (3010): ACL 2.0 user and policy administration (5.3+).
        AuthListAcl = 3010 => "AUTH_LIST_ACL",
        /// `POP_MESSAGE` (200050).
        PopMessage = 200050 => "POP_MESSAGE",
        /// `ACK_MESSAGE` (200051).
        AckMessage = 200051 => "ACK_MESSAGE",
        /// `PEEK_MESSAGE` (200052).
        PeekMessage = 200052 => "PEEK_MESSAGE",
        /// `CHANGE_MESSAGE_INVISIBLETIME` (200053).
        ChangeMessageInvisibletime = 200053 => "CHANGE_MESSAGE_INVISIBLETIME",
        /// `NOTIFICATION` (200054).
        Notification = 200054 => "NOTIFICATION",
        /// `POLLING_INFO` (200055).
        PollingInfo = 200055 => "POLLING_INFO",
        /// `POP_ROLLBACK` (200056).
        PopRollback = 200056 => "POP_ROLLBACK",
        /// `BATCH_ACK_MESSAGE` (200151).
        BatchAckMessage = 200151 => "BATCH_ACK_MESSAGE",
        /// Private to this project (not in Apache RocketMQ): Raft AppendEntries between
        /// controllers, body = openraft's request as JSON.
        RaftAppendEntries = 2_100_001 => "RMQRS_RAFT_APPEND_ENTRIES",
        /// Private: Raft RequestVote between controllers, body = JSON.
        RaftVote = 2_100_002 => "RMQRS_RAFT_VOTE",
        /// Private: Raft InstallSnapshot (one chunk) between controllers, body = JSON.
        RaftInstallSnapshot = 2_100_003 => "RMQRS_RAFT_INSTALL_SNAPSHOT",
    }
}
