//! The requests the name server serves, decoded at the edge: code and header in one type.

use rmq_remoting::header::{
    BrokerNameRequestHeader, DeleteTopicFromNamesrvRequestHeader, GetKvListByNamespaceRequestHeader,
    GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader, KvConfigKeyRequestHeader, PutKvConfigRequestHeader,
    RegisterBrokerRequestHeader, TopicRequestHeader, UnregisterBrokerRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::error::NamesrvError;

/// A request with its header decoded.
#[derive(Debug)]
pub(super) enum Request {
    /// REGISTER_BROKER.
    RegisterBroker(RegisterBrokerRequestHeader),
    /// UNREGISTER_BROKER.
    UnregisterBroker(UnregisterBrokerRequestHeader),
    /// QUERY_DATA_VERSION and BROKER_HEARTBEAT (same header and answer).
    QueryDataVersion(UnregisterBrokerRequestHeader),
    /// GET_ROUTEINFO_BY_TOPIC.
    RouteByTopic(GetRouteInfoRequestHeader),
    /// GET_BROKER_CLUSTER_INFO.
    ClusterInfo,
    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER.
    AllTopics,
    /// GET_TOPICS_BY_CLUSTER.
    TopicsByCluster(GetTopicsByClusterRequestHeader),
    /// GET_SYSTEM_TOPIC_LIST_FROM_NS.
    SystemTopics,
    /// The three unit-topic lists (always empty here).
    UnitTopics,
    /// DELETE_TOPIC_IN_NAMESRV.
    DeleteTopic(DeleteTopicFromNamesrvRequestHeader),
    /// REGISTER_TOPIC_IN_NAMESRV.
    RegisterTopic(TopicRequestHeader),
    /// PUT_KV_CONFIG.
    PutKv(PutKvConfigRequestHeader),
    /// GET_KV_CONFIG.
    GetKv(KvConfigKeyRequestHeader),
    /// DELETE_KV_CONFIG.
    DeleteKv(KvConfigKeyRequestHeader),
    /// GET_KVLIST_BY_NAMESPACE.
    KvList(GetKvListByNamespaceRequestHeader),
    /// WIPE_WRITE_PERM_OF_BROKER (`wipe`) and ADD_WRITE_PERM_OF_BROKER.
    WritePerm {
        /// Which broker set.
        header: BrokerNameRequestHeader,
        /// Clear the write bit rather than set it.
        wipe: bool,
    },
    /// GET_NAMESRV_CONFIG.
    GetConfig,
    /// UPDATE_NAMESRV_CONFIG.
    UpdateConfig,
}

impl Request {
    /// Decodes `req`; a code the name server does not serve is [`NamesrvError::NotSupported`].
    pub(super) fn decode(req: &RemotingCommand) -> Result<Self, NamesrvError> {
        use RequestCode as C;
        Ok(match req.request_code() {
            C::RegisterBroker => Self::RegisterBroker(req.header()?),
            C::UnregisterBroker => Self::UnregisterBroker(req.header()?),
            C::QueryDataVersion | C::BrokerHeartbeat => Self::QueryDataVersion(req.header()?),
            C::GetRouteinfoByTopic => Self::RouteByTopic(req.header()?),
            C::GetBrokerClusterInfo => Self::ClusterInfo,
            C::GetAllTopicListFromNameserver => Self::AllTopics,
            C::GetTopicsByCluster => Self::TopicsByCluster(req.header()?),
            C::GetSystemTopicListFromNs => Self::SystemTopics,
            C::GetUnitTopicList | C::GetHasUnitSubTopicList | C::GetHasUnitSubUnunitTopicList => Self::UnitTopics,
            C::DeleteTopicInNamesrv => Self::DeleteTopic(req.header()?),
            C::RegisterTopicInNamesrv => Self::RegisterTopic(req.header()?),
            C::PutKvConfig => Self::PutKv(req.header()?),
            C::GetKvConfig => Self::GetKv(req.header()?),
            C::DeleteKvConfig => Self::DeleteKv(req.header()?),
            C::GetKvlistByNamespace => Self::KvList(req.header()?),
            C::WipeWritePermOfBroker => Self::WritePerm { header: req.header()?, wipe: true },
            C::AddWritePermOfBroker => Self::WritePerm { header: req.header()?, wipe: false },
            C::GetNamesrvConfig => Self::GetConfig,
            C::UpdateNamesrvConfig => Self::UpdateConfig,
            other => return Err(NamesrvError::not_supported(other)),
        })
    }
}
