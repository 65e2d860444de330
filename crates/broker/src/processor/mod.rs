//! Request dispatch: one exhaustive match from request code to handler.

mod admin;
mod client;
mod offset;
mod pull;
mod query;
mod runtime;
mod send;
mod stats;

use std::sync::Arc;

use rmq_remoting::transport::{
    ChannelEventListener, Dispatcher, ProcessorFuture, RemotingServer, RequestContext, RequestProcessor,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::broker::{server_config, StartError};
use crate::error::HandlerResult;
use crate::Broker;

/// Binds the main port (and the VIP port, listenPort − 2, when enabled).
pub async fn start_servers(broker: &Arc<Broker>) -> Result<Vec<RemotingServer>, StartError> {
    let cfg = &broker.config;
    let mut ports = vec![cfg.listen_port];
    if cfg.fast_listen_enable && cfg.listen_port > 2 {
        ports.push(cfg.listen_port - 2);
    }
    let mut servers = Vec::new();
    for port in ports {
        let addr = format!("{}:{port}", cfg.bind_address);
        let dispatcher = Dispatcher::new()
            .fallback(Arc::new(BrokerProcessor { broker: Arc::clone(broker) }))
            .listener(Arc::new(ConnectionWatch { broker: Arc::clone(broker) }));
        let server = RemotingServer::bind(&addr, dispatcher, server_config(cfg))
            .await
            .map_err(|cause| StartError::Bind { addr: addr.clone(), cause })?;
        servers.push(server);
    }
    Ok(servers)
}

struct ConnectionWatch {
    broker: Arc<Broker>,
}

impl ChannelEventListener for ConnectionWatch {
    fn on_close(&self, channel: &rmq_remoting::transport::Channel) {
        for group in self.broker.clients.channel_closed(channel) {
            self.broker.notify_consumer_ids_changed(&group);
        }
    }
}

struct BrokerProcessor {
    broker: Arc<Broker>,
}

impl RequestProcessor for BrokerProcessor {
    fn process(&self, ctx: RequestContext, request: RemotingCommand) -> ProcessorFuture {
        let broker = Arc::clone(&self.broker);
        Box::pin(async move {
            let code = request.code;
            let result = handle(&broker, &ctx, request).await;
            match result {
                Ok(Some(resp)) => Some(resp),
                Ok(None) => None,
                Err(e) => {
                    if matches!(e, crate::BrokerError::Body(_)) && ctx.channel.first_bad_request() {
                        let peer = ctx.channel.peer_addr();
                        let code = RequestCode::from_value(code);
                        tracing::warn!(%peer, %code, cause = %e, "unreadable request body (logged once per connection)");
                    } else {
                        tracing::debug!(cause = %e, "request failed");
                    }
                    Some(e.to_response())
                }
            }
        })
    }
}

fn some(r: HandlerResult) -> Result<Option<RemotingCommand>, crate::BrokerError> {
    r.map(Some)
}

async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: RemotingCommand,
) -> Result<Option<RemotingCommand>, crate::BrokerError> {
    use RequestCode as C;
    match req.request_code() {
        C::SendMessage | C::SendMessageV2 | C::SendBatchMessage | C::SendReplyMessage | C::SendReplyMessageV2 => {
            some(send::send(broker, ctx, &req).await)
        }
        C::ConsumerSendMsgBack => some(send::send_back(broker, &req).await),
        C::PullMessage | C::LitePullMessage => pull::pull(broker, ctx, req).await,
        C::HeartBeat => some(client::heartbeat(broker, ctx, &req)),
        C::UnregisterClient => some(client::unregister_client(broker, ctx, &req)),
        C::GetConsumerListByGroup => some(client::consumer_list(broker, &req)),
        C::LockBatchMq => some(client::lock_batch(broker, &req)),
        C::UnlockBatchMq => some(client::unlock_batch(broker, &req)),
        C::CheckClientConfig => some(client::check_client_config(&req)),
        C::EndTransaction => {
            let r = broker.end_transaction(&req).await;
            if let Err(e) = &r {
                // END_TRANSACTION is one-way from clients: the answer is never read, so say it here.
                tracing::warn!(cause = %e, "END_TRANSACTION refused");
            }
            some(r)
        }
        C::QueryConsumerOffset => some(offset::query_consumer_offset(broker, &req)),
        C::UpdateConsumerOffset => some(offset::update_consumer_offset(broker, &req)),
        C::GetMaxOffset => some(offset::max_offset(broker, &req)),
        C::GetMinOffset => some(offset::min_offset(broker, &req)),
        C::SearchOffsetByTimestamp => some(offset::search_offset(broker, &req)),
        C::GetEarliestMsgStoretime => some(offset::earliest_time(broker, &req)),
        C::GetAllConsumerOffset => some(offset::all_consumer_offsets(broker)),
        C::GetAllDelayOffset => {
            Ok(Some(RemotingCommand::success().with_body(broker.delay_offsets.to_json().into_bytes())))
        }
        C::InvokeBrokerToResetOffset => some(offset::reset_offset(broker, &req).await),
        C::InvokeBrokerToGetConsumerStatus => some(offset::consumer_status(broker, &req).await),
        C::CloneGroupOffset => some(offset::clone_group_offset(broker, &req)),
        C::ViewMessageById => some(query::view_message(broker, &req)),
        C::QueryMessage => some(query::query_message(broker, &req)),
        C::QueryConsumeQueue => some(query::query_consume_queue(broker, &req)),
        C::UpdateAndCreateTopic => some(admin::create_topic(broker, &req)),
        C::DeleteTopicInBroker => some(admin::delete_topic(broker, &req)),
        C::GetAllTopicConfig => some(admin::all_topic_config(broker)),
        C::GetTopicConfig => some(admin::one_topic_config(broker, &req)),
        C::GetSubscriptiongroupConfig => some(admin::group_config(broker, &req)),
        C::GetTopicNameList => some(admin::topic_names(broker, false)),
        C::GetSystemTopicListFromBroker => some(admin::topic_names(broker, true)),
        C::UpdateAndCreateSubscriptiongroup => some(admin::create_group(broker, &req)),
        C::DeleteSubscriptiongroup => some(admin::delete_group(broker, &req)),
        C::GetAllSubscriptiongroupConfig => some(admin::all_groups(broker)),
        C::GetBrokerConfig => some(admin::broker_config(broker)),
        C::UpdateBrokerConfig => some(admin::update_broker_config(broker, &req)),
        C::GetTopicStatsInfo => some(stats::topic_stats(broker, &req)),
        C::GetConsumeStats => some(stats::consume_stats(broker, &req)),
        C::GetBrokerRuntimeInfo => some(runtime::runtime_info(broker)),
        C::GetConsumerConnectionList => some(stats::consumer_connections(broker, &req)),
        C::GetProducerConnectionList => some(stats::producer_connections(broker, &req)),
        C::GetConsumerRunningInfo => some(stats::consumer_running_info(broker, req).await),
        C::ConsumeMessageDirectly => some(stats::consume_message_directly(broker, req).await),
        C::QueryTopicConsumeByWho => some(stats::topic_consumed_by(broker, &req)),
        C::QueryTopicsByConsumer => some(admin::topics_by_consumer(broker, &req)),
        C::GetBrokerConsumeStats => some(stats::broker_consume_stats(broker, &req)),
        other => Ok(Some(RemotingCommand::error(
            ResponseCode::RequestCodeNotSupported,
            format!(" request type {} not supported", other.value()),
        ))),
    }
}
