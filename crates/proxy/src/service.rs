//! `MessagingService` over the cluster: each RPC in RocketMQ's meaning, answered with a protocol
//! status. RPCs not served yet answer gRPC UNIMPLEMENTED.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use rmq_client::{ClientError, ClientInstance};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status as GrpcStatus, Streaming};

use crate::auth::{Guard, Guarded, Refused};
use crate::checkback::CheckBack;
use crate::clients::Clients;
use crate::config::ProxyConfig;
use crate::pb::messaging_service_server::MessagingService;
use crate::pb::{self, Code, Endpoints, Resource};
use crate::{ack, assignment, dlq, group, offsets, pull, receive, route, send, status, telemetry, transaction};

type Rpc<T> = Result<Response<T>, GrpcStatus>;
type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, GrpcStatus>> + Send + 'static>>;

/// The service: the proxy's config and its client of name servers and brokers.
#[derive(Debug, Clone)]
pub struct Proxy {
    config: Arc<ProxyConfig>,
    cluster: Arc<ClientInstance>,
    registry: telemetry::Registry,
    guard: Option<Arc<Guard>>,
}

impl Proxy {
    /// A proxy over `cluster`.
    #[must_use]
    pub fn new(config: ProxyConfig, cluster: Arc<ClientInstance>) -> Self {
        let clients = Arc::new(Clients::default());
        let checkback = Arc::new(CheckBack::new(Arc::clone(&clients), Arc::clone(&cluster)));
        let relay = crate::relay::Relay::new(Arc::clone(&cluster), crate::relay::ANSWER_TIMEOUT);
        let guard = Guard::new(&config, Arc::clone(&cluster));
        let registry = telemetry::Registry { clients, checkback, relay };
        Self { config: Arc::new(config), cluster, registry, guard }
    }

    /// Admits `req` when ACL 2.0 allows it (always when the checks are off).
    async fn admit<T: Guarded>(&self, req: &Request<T>) -> Result<(), pb::Status> {
        match &self.guard {
            Some(guard) => guard.admit(req).await,
            None => Ok(()),
        }
    }

    /// The SDK clients connected by Telemetry and the producer groups joined for them.
    #[must_use]
    pub fn registry(&self) -> &telemetry::Registry {
        &self.registry
    }

    /// The endpoints routes name: the client's own access point, else `localServeAddr`.
    fn endpoints(&self, asked: Option<Endpoints>) -> Endpoints {
        asked.filter(|e| !e.addresses.is_empty()).unwrap_or_else(|| {
            let host =
                if self.config.local_serve_addr.is_empty() { "127.0.0.1" } else { &self.config.local_serve_addr };
            Endpoints {
                scheme: pb::AddressScheme::IPv4 as i32,
                addresses: vec![pb::Address { host: host.to_owned(), port: i32::from(self.config.grpc_server_port) }],
            }
        })
    }

    /// The topic's route from the name servers, or the status to answer.
    async fn route_of(&self, topic: Option<&Resource>) -> Result<(Resource, rmq_client::TopicRouteData), pb::Status> {
        let Some(topic) = topic.filter(|t| !t.name.is_empty()) else {
            return Err(status::status(Code::IllegalTopic, "topic is required"));
        };
        match self.cluster.update_route(&topic.name).await {
            Ok(r) => Ok((topic.clone(), r)),
            Err(ClientError::NoRoute(_)) => {
                Err(status::status(Code::TopicNotFound, format!("topic {} not found", topic.name)))
            }
            Err(e) => Err(status::status(Code::InternalServerError, e.to_string())),
        }
    }
}

/// An offset answer's status and offset (0 with an error status).
fn offset_answer(r: offsets::OffsetResult) -> (pb::Status, i64) {
    match r {
        Ok(o) => (status::ok(), o),
        Err(s) => (s, 0),
    }
}

/// Answers the refusal's status when `$req` is not admitted.
macro_rules! admit {
    ($self:ident, $req:ident) => {
        if let Err(s) = $self.admit(&$req).await {
            return Ok(Response::new(Refused::refused(s)));
        }
    };
}

fn unimplemented<T>(what: &str) -> Rpc<T> {
    Err(GrpcStatus::unimplemented(format!("{what} is not served by this proxy yet")))
}

#[tonic::async_trait]
impl MessagingService for Proxy {
    async fn query_route(&self, req: Request<pb::QueryRouteRequest>) -> Rpc<pb::QueryRouteResponse> {
        admit!(self, req);
        let req = req.into_inner();
        let endpoints = self.endpoints(req.endpoints);
        let resp = match self.route_of(req.topic.as_ref()).await {
            Ok((topic, r)) => pb::QueryRouteResponse {
                status: Some(status::ok()),
                message_queues: route::message_queues(&topic, &r, &endpoints),
            },
            Err(s) => pb::QueryRouteResponse { status: Some(s), message_queues: Vec::new() },
        };
        Ok(Response::new(resp))
    }

    async fn heartbeat(&self, req: Request<pb::HeartbeatRequest>) -> Rpc<pb::HeartbeatResponse> {
        admit!(self, req);
        Ok(Response::new(pb::HeartbeatResponse { status: Some(status::ok()) }))
    }

    async fn send_message(&self, req: Request<pb::SendMessageRequest>) -> Rpc<pb::SendMessageResponse> {
        admit!(self, req);
        let peer = req.remote_addr().map(|a| a.to_string()).unwrap_or_default();
        let req = req.into_inner();
        let topic = req.messages.first().and_then(|m| m.topic.clone());
        let resp = match self.route_of(topic.as_ref()).await {
            Ok((_, r)) => send::send(&self.cluster, &r, &req, &peer).await,
            Err(s) => send::failed(s),
        };
        Ok(Response::new(resp))
    }

    async fn query_assignment(&self, req: Request<pb::QueryAssignmentRequest>) -> Rpc<pb::QueryAssignmentResponse> {
        admit!(self, req);
        let req = req.into_inner();
        let endpoints = self.endpoints(req.endpoints);
        let resp = match self.route_of(req.topic.as_ref()).await {
            Ok((topic, r)) => pb::QueryAssignmentResponse {
                status: Some(status::ok()),
                assignments: assignment::assignments(&topic, &r, &endpoints),
            },
            Err(s) => pb::QueryAssignmentResponse { status: Some(s), assignments: Vec::new() },
        };
        Ok(Response::new(resp))
    }

    type ReceiveMessageStream = BoxStream<pb::ReceiveMessageResponse>;

    async fn receive_message(&self, req: Request<pb::ReceiveMessageRequest>) -> Rpc<Self::ReceiveMessageStream> {
        let deadline =
            req.metadata().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(receive::grpc_timeout_ms);
        let admitted = self.admit(&req).await;
        let req = req.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel(receive::STREAM_QUEUE);
        let cluster = self.cluster.clone();
        let topic = req.message_queue.as_ref().and_then(|q| q.topic.clone());
        let checked = match admitted {
            Ok(()) => match self.route_of(topic.as_ref()).await {
                Ok(_) => receive::parse(&req, deadline, receive::InvisibleBounds::of(&self.config)),
                Err(s) => Err(s),
            },
            Err(s) => Err(s),
        };
        tokio::spawn(async move {
            match checked {
                Ok(r) => {
                    let addr = cluster.broker_addr(&r.broker, 0);
                    let fifo = group::is_fifo(&cluster, addr, &r.group).await;
                    receive::serve(cluster, r, fifo, tx).await;
                }
                Err(s) => receive::refuse(s, &tx).await,
            }
        });
        Ok(Response::new(Box::pin(receive::stream(rx))))
    }

    async fn ack_message(&self, req: Request<pb::AckMessageRequest>) -> Rpc<pb::AckMessageResponse> {
        admit!(self, req);
        Ok(Response::new(ack::ack(&self.cluster, &req.into_inner()).await))
    }

    async fn forward_message_to_dead_letter_queue(
        &self,
        req: Request<pb::ForwardMessageToDeadLetterQueueRequest>,
    ) -> Rpc<pb::ForwardMessageToDeadLetterQueueResponse> {
        admit!(self, req);
        let status = dlq::forward(&self.cluster, req.get_ref()).await;
        Ok(Response::new(pb::ForwardMessageToDeadLetterQueueResponse { status: Some(status) }))
    }

    type PullMessageStream = BoxStream<pb::PullMessageResponse>;

    async fn pull_message(&self, req: Request<pb::PullMessageRequest>) -> Rpc<Self::PullMessageStream> {
        let items = match self.admit(&req).await {
            Ok(()) => pull::pull_message(&self.cluster, req.get_ref()).await,
            Err(s) => vec![pb::PullMessageResponse { content: Some(pb::pull_message_response::Content::Status(s)) }],
        };
        Ok(Response::new(Box::pin(tokio_stream::iter(items.into_iter().map(Ok)))))
    }

    async fn update_offset(&self, req: Request<pb::UpdateOffsetRequest>) -> Rpc<pb::UpdateOffsetResponse> {
        admit!(self, req);
        let status = offsets::update(&self.cluster, req.get_ref()).await;
        Ok(Response::new(pb::UpdateOffsetResponse { status: Some(status) }))
    }

    async fn get_offset(&self, req: Request<pb::GetOffsetRequest>) -> Rpc<pb::GetOffsetResponse> {
        admit!(self, req);
        let (status, offset) = offset_answer(offsets::get(&self.cluster, req.get_ref()).await);
        Ok(Response::new(pb::GetOffsetResponse { status: Some(status), offset }))
    }

    async fn query_offset(&self, req: Request<pb::QueryOffsetRequest>) -> Rpc<pb::QueryOffsetResponse> {
        admit!(self, req);
        let (status, offset) = offset_answer(offsets::query(&self.cluster, req.get_ref()).await);
        Ok(Response::new(pb::QueryOffsetResponse { status: Some(status), offset }))
    }

    async fn end_transaction(&self, req: Request<pb::EndTransactionRequest>) -> Rpc<pb::EndTransactionResponse> {
        admit!(self, req);
        let status = transaction::end(&self.cluster, req.get_ref()).await;
        Ok(Response::new(pb::EndTransactionResponse { status: Some(status) }))
    }

    type TelemetryStream = BoxStream<pb::TelemetryCommand>;

    async fn telemetry(&self, req: Request<Streaming<pb::TelemetryCommand>>) -> Rpc<Self::TelemetryStream> {
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let guard = self.guard.as_ref().map(|g| crate::auth::StreamGuard::new(Arc::clone(g), &req));
        if let Some(g) = &guard {
            // The stream's metadata is signed once, when it opens; each settings command it
            // carries is authorized as it arrives.
            if let Err(s) = g.open::<pb::TelemetryCommand>().await {
                let _ = tx.try_send(Ok(pb::TelemetryCommand { status: Some(s), command: None }));
                return Ok(Response::new(Box::pin(ReceiverStream::new(rx))));
            }
        }
        let id = req.metadata().get(telemetry::CLIENT_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let cluster = self.cluster.clone();
        match id {
            Some(id) => {
                let reg = self.registry.clone();
                tokio::spawn(telemetry::serve_registered(id, req.into_inner(), tx, reg, cluster, guard))
            }
            None => tokio::spawn(telemetry::serve(req.into_inner(), tx, cluster, guard)),
        };
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn notify_client_termination(
        &self,
        req: Request<pb::NotifyClientTerminationRequest>,
    ) -> Rpc<pb::NotifyClientTerminationResponse> {
        admit!(self, req);
        Ok(Response::new(pb::NotifyClientTerminationResponse { status: Some(status::ok()) }))
    }

    async fn change_invisible_duration(
        &self,
        req: Request<pb::ChangeInvisibleDurationRequest>,
    ) -> Rpc<pb::ChangeInvisibleDurationResponse> {
        admit!(self, req);
        let max_ms = self.config.max_invisible_time_mills;
        Ok(Response::new(ack::change_invisible(&self.cluster, &req.into_inner(), max_ms).await))
    }

    async fn recall_message(&self, req: Request<pb::RecallMessageRequest>) -> Rpc<pb::RecallMessageResponse> {
        admit!(self, req);
        Ok(Response::new(crate::recall::recall(&self.cluster, &req.into_inner()).await))
    }

    async fn sync_lite_subscription(
        &self,
        _req: Request<pb::SyncLiteSubscriptionRequest>,
    ) -> Rpc<pb::SyncLiteSubscriptionResponse> {
        unimplemented("SyncLiteSubscription")
    }
}
