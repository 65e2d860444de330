//! Request dispatch: one match from request code to handler, exhaustive over the codes
//! rmq-remoting knows (a new code does not compile until it is routed here), with each handler's
//! header and body decoded at the edge so handlers receive typed input.

mod acl_admin;
mod admin;
mod allocate;
mod assignment;
mod client;
mod offset;
mod ops;
mod pop;
mod pop_ack;
mod prepare;
mod pull;
mod query;
mod recall;
mod reply;
mod resubscribe;
mod runtime;
mod send;
pub mod server;
mod stats;
mod validate;

use std::sync::Arc;

use rmq_remoting::header::CommandHeader;
use rmq_remoting::transport::{ProcessorFuture, RequestContext, RequestProcessor};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use serde::de::DeserializeOwned;

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::services::Services;

/// What a dispatch produces: a response, none (one-way), or an error to answer with.
type DispatchResult = Result<Option<RemotingCommand>, BrokerError>;

/// The broker's request processor: the context every handler works with, and the services the
/// few that need one call by name.
#[derive(Debug, Clone)]
pub struct BrokerProcessor {
    ctx: Arc<BrokerContext>,
    services: Arc<Services>,
}

impl BrokerProcessor {
    /// A processor over a context and its services.
    #[must_use]
    pub fn new(ctx: Arc<BrokerContext>, services: Arc<Services>) -> Self {
        Self { ctx, services }
    }
}

impl RequestProcessor for BrokerProcessor {
    fn process(&self, rctx: RequestContext, request: RemotingCommand) -> ProcessorFuture {
        let this = self.clone();
        Box::pin(async move {
            let code = request.code;
            let started = this.ctx.stats.meters.started();
            let resp = this.answer(&rctx, request).await;
            this.ctx.stats.meters.rpc(started, code, resp.as_ref().map(|r| r.code));
            resp
        })
    }
}

impl BrokerProcessor {
    /// The response to a request (an error turned into its response), None for one-way.
    async fn answer(&self, rctx: &RequestContext, request: RemotingCommand) -> Option<RemotingCommand> {
        let code = request.code;
        match self.dispatch(rctx, request).await {
            Ok(resp) => resp,
            Err(e) => {
                if matches!(e, BrokerError::Body(_)) && rctx.channel.first_bad_request() {
                    let peer = rctx.channel.peer_addr();
                    let code = RequestCode::from_value(code);
                    tracing::warn!(%peer, %code, cause = %e, "unreadable request body (logged once per connection)");
                } else {
                    tracing::debug!(cause = %e, "request failed");
                }
                Some(e.to_response())
            }
        }
    }
}

/// The request's custom header as `H`.
fn header<H: CommandHeader>(req: &RemotingCommand) -> Result<H, BrokerError> {
    Ok(req.header()?)
}

/// The request's JSON body as `T` (read leniently, as fastjson does).
fn body<T: DeserializeOwned>(req: &RemotingCommand) -> Result<T, BrokerError> {
    rmq_remoting::body::decode(&req.body).map_err(|e| BrokerError::Body(e.to_string()))
}

fn some(r: HandlerResult) -> DispatchResult {
    r.map(Some)
}

impl BrokerProcessor {
    // A routing table: one arm per request code, nothing to split without hiding the table.
    #[allow(clippy::too_many_lines)]
    async fn dispatch(&self, rctx: &RequestContext, req: RemotingCommand) -> DispatchResult {
        use RequestCode as C;
        let (ctx, services) = (&*self.ctx, &*self.services);
        match req.request_code() {
            C::SendMessage => {
                let h = header(&req)?;
                some(send::send(ctx, services, rctx, h, send::Payload::single(req.body)).await)
            }
            C::SendReplyMessage => some(reply::send_reply(ctx, rctx, header(&req)?, req.body).await),
            C::SendReplyMessageV2 => {
                let h = header::<rmq_remoting::header::SendMessageRequestHeaderV2>(&req)?.into();
                some(reply::send_reply(ctx, rctx, h, req.body).await)
            }
            code @ (C::SendMessageV2 | C::SendBatchMessage) => {
                let h = header::<rmq_remoting::header::SendMessageRequestHeaderV2>(&req)?.into();
                let payload = send::Payload { body: req.body, batch: code == C::SendBatchMessage };
                some(send::send(ctx, services, rctx, h, payload).await)
            }
            C::ConsumerSendMsgBack => some(send::send_back(ctx, services, header(&req)?).await),
            C::RecallMessage => some(recall::recall(ctx, services, rctx, header(&req)?).await),
            C::PullMessage | C::LitePullMessage => some(pull::pull(ctx, &rctx.channel, header(&req)?).await),
            C::HeartBeat => some(client::heartbeat(ctx, &client::Caller::of(rctx, &req), body(&req)?)),
            C::UnregisterClient => some(client::unregister_client(ctx, rctx, header(&req)?)),
            C::GetConsumerListByGroup => some(client::consumer_list(ctx, header(&req)?)),
            C::LockBatchMq => some(client::lock_batch(ctx, body(&req)?)),
            C::UnlockBatchMq => some(client::unlock_batch(ctx, body(&req)?)),
            C::CheckClientConfig => some(client::check_client_config(ctx, &body(&req)?)),
            C::EndTransaction => some(self.end_transaction(&req).await),
            C::QueryConsumerOffset => some(offset::query_consumer_offset(ctx, header(&req)?)),
            C::UpdateConsumerOffset => some(offset::update_consumer_offset(ctx, header(&req)?)),
            C::GetMaxOffset => some(offset::max_offset(ctx, header(&req)?)),
            C::GetMinOffset => some(offset::min_offset(ctx, header(&req)?)),
            C::SearchOffsetByTimestamp => some(offset::search_offset(ctx, header(&req)?)),
            C::GetEarliestMsgStoretime => some(offset::earliest_time(ctx, header(&req)?)),
            C::GetAllConsumerOffset => some(offset::all_consumer_offsets(ctx)),
            C::GetAllDelayOffset => some(offset::all_delay_offsets(services)),
            C::InvokeBrokerToResetOffset => some(offset::reset_offset(ctx, services, header(&req)?).await),
            C::InvokeBrokerToGetConsumerStatus => some(offset::consumer_status(ctx, header(&req)?).await),
            C::CloneGroupOffset => some(offset::clone_group_offset(ctx, header(&req)?)),
            C::ViewMessageById => some(query::view_message(ctx, header(&req)?)),
            C::QueryMessage => some(query::query_message(ctx, header(&req)?)),
            C::QueryConsumeQueue => some(query::query_consume_queue(ctx, header(&req)?)),
            C::UpdateAndCreateAclConfig => some(acl_admin::update_account(ctx, &header(&req)?)),
            C::DeleteAclConfig => some(acl_admin::delete_account(ctx, &header(&req)?)),
            C::GetBrokerClusterAclInfo => some(acl_admin::version_info(ctx)),
            C::UpdateGlobalWhiteAddrsConfig => some(acl_admin::update_global_white(ctx, &header(&req)?)),
            C::GetBrokerClusterAclConfig => some(acl_admin::acl_config(ctx)),
            C::UpdateAndCreateTopic => some(admin::create_topic(ctx, header(&req)?).await),
            C::DeleteTopicInBroker => some(admin::delete_topic(ctx, header(&req)?)),
            C::GetAllTopicConfig => some(admin::all_topic_config(ctx)),
            C::GetTopicConfig => some(admin::one_topic_config(ctx, header(&req)?)),
            C::GetSubscriptiongroupConfig => some(admin::group_config(ctx, header(&req)?)),
            C::GetTopicNameList => some(admin::topic_names(ctx, false)),
            C::GetSystemTopicListFromBroker => some(admin::topic_names(ctx, true)),
            C::UpdateAndCreateSubscriptiongroup => some(admin::create_group(ctx, body(&req)?).await),
            C::DeleteSubscriptiongroup => some(admin::delete_group(ctx, header(&req)?)),
            C::GetAllSubscriptiongroupConfig => some(admin::all_groups(ctx)),
            C::GetBrokerConfig => some(admin::broker_config(ctx)),
            C::UpdateBrokerConfig => some(admin::update_broker_config(ctx, &req.body)),
            C::GetTopicStatsInfo => some(stats::topic_stats(ctx, header(&req)?)),
            C::GetConsumeStats => some(stats::consume_stats(ctx, header(&req)?)),
            C::GetBrokerRuntimeInfo => some(runtime::runtime_info(ctx, services)),
            C::GetConsumerConnectionList => some(stats::consumer_connections(ctx, header(&req)?)),
            C::GetProducerConnectionList => some(stats::producer_connections(ctx, header(&req)?)),
            C::GetConsumerRunningInfo => {
                let h: rmq_remoting::header::GetConsumerRunningInfoRequestHeader = header(&req)?;
                some(stats::forward(ctx, &h.consumer_group, &h.client_id, req).await)
            }
            C::ConsumeMessageDirectly => some(stats::consume_directly(ctx, header(&req)?, req).await),
            C::QueryTopicConsumeByWho => some(stats::topic_consumed_by(ctx, header(&req)?)),
            C::QueryTopicsByConsumer => some(admin::topics_by_consumer(ctx, header(&req)?)),
            C::GetBrokerConsumeStats => some(stats::broker_consume_stats(ctx, &req)),
            C::ViewBrokerStatsData => some(ops::view_broker_stats(ctx, &header(&req)?)),
            C::CleanExpiredConsumequeue => some(ops::clean_expired_consume_queue(ctx)),
            C::GetBrokerHaStatus => some(ops::ha_status(ctx, &services.replication)),
            C::GetBrokerEpochCache => some(ops::epoch_cache(ctx, services)),
            C::NotifyBrokerRoleChanged => some(ops::role_changed(services)),
            C::PopMessage => some(pop::pop(ctx, services, header(&pop::stamped(req))?).await),
            C::PeekMessage => some(pop::peek(ctx, services, &header(&req)?)),
            C::Notification => some(pop::notification(ctx, services, header(&pop::stamped(req))?).await),
            C::PollingInfo => some(pop::polling_info(ctx, services, &header(&req)?)),
            C::AckMessage => some(pop_ack::ack(ctx, services, &header(&req)?)),
            C::BatchAckMessage => some(pop_ack::batch_ack(ctx, services, &body(&req)?)),
            C::ChangeMessageInvisibletime => some(pop_ack::change_invisible(ctx, services, &header(&req)?)),
            C::QueryAssignment => some(assignment::query_assignment(ctx, services, body(&req)?).await),
            C::SetMessageRequestMode => some(assignment::set_request_mode(ctx, body(&req)?)),
            C::GetAllMessageRequestMode => some(assignment::all_request_modes(ctx)),
            code @ (C::QueryBrokerOffset
            | C::UpdateAndCreateTopicList
            | C::GetTopicConfigList
            | C::TriggerDeleteFiles
            | C::CheckTransactionState
            | C::NotifyConsumerIdsChanged
            | C::GetClientConfig
            | C::GetTimerCheckPoint
            | C::GetTimerMetrics
            | C::PutKvConfig
            | C::GetKvConfig
            | C::DeleteKvConfig
            | C::RegisterBroker
            | C::UnregisterBroker
            | C::GetRouteinfoByTopic
            | C::GetBrokerClusterInfo
            | C::WipeWritePermOfBroker
            | C::GetAllTopicListFromNameserver
            | C::SuspendConsumer
            | C::ResumeConsumer
            | C::ResetConsumerOffsetInConsumer
            | C::ResetConsumerOffsetInBroker
            | C::AdjustConsumerThreadPool
            | C::WhoConsumeTheMessage
            | C::DeleteTopicInNamesrv
            | C::RegisterTopicInNamesrv
            | C::GetKvlistByNamespace
            | C::ResetConsumerClientOffset
            | C::GetConsumerStatusFromClient
            | C::GetTopicsByCluster
            | C::UpdateAndCreateSubscriptiongroupList
            | C::RegisterFilterServer
            | C::RegisterMessageFilterClass
            | C::QueryConsumeTimeSpan
            | C::GetSystemTopicListFromNs
            | C::QueryCorrectionOffset
            | C::GetUnitTopicList
            | C::GetHasUnitSubTopicList
            | C::GetHasUnitSubUnunitTopicList
            | C::CleanUnusedTopic
            | C::UpdateNamesrvConfig
            | C::GetNamesrvConfig
            | C::QueryDataVersion
            | C::ResumeCheckHalfMessage
            | C::PushReplyMessageToClient
            | C::AddWritePermOfBroker
            | C::GetAllProducerInfo
            | C::DeleteExpiredCommitlog
            | C::UpdateAndGetGroupForbidden
            | C::CheckRocksdbCqWriteProgress
            | C::ExportRocksdbConfigToJson
            | C::QuerySubscriptionByConsumer
            | C::UpdateAndCreateStaticTopic
            | C::GetBrokerMemberGroup
            | C::AddBroker
            | C::RemoveBroker
            | C::BrokerHeartbeat
            | C::NotifyMinBrokerIdChange
            | C::ExchangeBrokerHaInfo
            | C::ResetMasterFlushOffset
            | C::ControllerAlterSyncStateSet
            | C::ControllerElectMaster
            | C::ControllerRegisterBroker
            | C::ControllerGetReplicaInfo
            | C::ControllerGetMetadataInfo
            | C::ControllerGetSyncStateData
            | C::UpdateControllerConfig
            | C::GetControllerConfig
            | C::CleanBrokerData
            | C::ControllerGetNextBrokerId
            | C::ControllerApplyBrokerId
            | C::PopRollback
            // ACL 2.0 administration is answered by the auth layer in front (crate::auth).
            | C::AuthCreateUser
            | C::AuthUpdateUser
            | C::AuthDeleteUser
            | C::AuthGetUser
            | C::AuthListUser
            | C::AuthCreateAcl
            | C::AuthUpdateAcl
            | C::AuthDeleteAcl
            | C::AuthGetAcl
            | C::AuthListAcl
            | C::RaftAppendEntries
            | C::RaftVote
            | C::RaftInstallSnapshot
            | C::Unknown(_)) => Ok(Some(not_supported(code))),
        }
    }

    /// END_TRANSACTION: masters only; one-way from clients, so a refusal is logged here (the
    /// answer is never read).
    async fn end_transaction(&self, req: &RemotingCommand) -> HandlerResult {
        let r = if self.ctx.config.is_master() {
            match header(req) {
                Ok(h) => self.services.transactions.end_transaction(&h).await,
                Err(e) => Err(e),
            }
        } else {
            Err(BrokerError::Code(ResponseCode::SlaveNotAvailable, "a slave does not end transactions".into()))
        };
        if let Err(e) = &r {
            tracing::warn!(cause = %e, "END_TRANSACTION refused");
        }
        r
    }
}

/// REQUEST_CODE_NOT_SUPPORTED, worded as RocketMQ does.
fn not_supported(code: RequestCode) -> RemotingCommand {
    RemotingCommand::error(
        ResponseCode::RequestCodeNotSupported,
        format!(" request type {} not supported", code.value()),
    )
}
