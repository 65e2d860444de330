//! The broker's calls to consumers, relayed to gRPC clients (what the official proxy's
//! `GrpcClientChannel` and `ClientActivity` do in local mode). Each consumer connected by a
//! Telemetry stream joins the brokers as itself: a client instance under its own client id
//! heartbeats its group and subscriptions, so `mqadmin consumerConnection` lists it and the
//! broker calls that connection for it. GET_CONSUMER_RUNNING_INFO with `jstackEnable` becomes a
//! PrintThreadStackTraceCommand and CONSUME_MESSAGE_DIRECTLY a VerifyMessageCommand on the
//! client's stream; the client's ThreadStackTrace / VerifyMessageResult (matched by nonce, within
//! a timeout) is the broker's answer, in the official proxy's shape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use dashmap::DashMap;
use rmq_client::consumer::{MessageSelector, Subscription};
use rmq_client::{ClientInstance, LaterAnswer, Member};
use rmq_common::message::MessageExt;
use rmq_remoting::body::{ConsumeFromWhere, ConsumeType, ConsumerData, MessageModel, SubscriptionData};
use rmq_remoting::header::GetConsumerRunningInfoRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use tokio::sync::oneshot;

use crate::clients::Outbox;
use crate::message;
use crate::pb::{
    self, settings::PubSub, telemetry_command::Command, Code, PrintThreadStackTraceCommand, Settings, TelemetryCommand,
    VerifyMessageCommand,
};

/// How long a relayed call waits for the client's answer (the broker waits 10 s).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// Relayed calls waiting for their answer, and the consumers present on the brokers.
pub struct Relay {
    cluster: Arc<ClientInstance>,
    pending: DashMap<String, oneshot::Sender<TelemetryCommand>>,
    present: DashMap<String, (Arc<ClientInstance>, Arc<GrpcConsumer>)>,
    next_nonce: AtomicU64,
    timeout: Duration,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("present", &self.present.len()).finish_non_exhaustive()
    }
}

/// One gRPC consumer as the brokers see it.
pub struct GrpcConsumer {
    group: String,
    simple: bool,
    subscriptions: Vec<SubscriptionData>,
    outbox: Outbox,
    relay: Weak<Relay>,
    me: Weak<GrpcConsumer>,
}

impl Relay {
    /// A relay whose consumers join the brokers `cluster` knows, with its settings.
    #[must_use]
    pub fn new(cluster: Arc<ClientInstance>, timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            cluster,
            pending: DashMap::new(),
            present: DashMap::new(),
            next_nonce: AtomicU64::new(1),
            timeout,
        })
    }

    /// Makes client `id` present on the brokers as a consumer of its settings' group (again,
    /// with new settings); nothing for a producer.
    pub async fn join(self: &Arc<Self>, id: &str, settings: &Settings, outbox: Outbox) {
        let Some(member) = GrpcConsumer::of(settings, outbox, Arc::downgrade(self)) else { return };
        let member: Arc<GrpcConsumer> = Arc::new_cyclic(|me| GrpcConsumer { me: me.clone(), ..member });
        let mut config = self.cluster.config().clone();
        // The client id the brokers see is `client_ip@instance_name`: the SDK's id, split.
        let (ip, instance) = id.split_once('@').unwrap_or((id, "grpc"));
        config.client_ip = ip.to_owned();
        config.instance_name = instance.to_owned();
        let instance = match ClientInstance::start(config).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(client = id, cause = %e, "a gRPC consumer could not join the brokers");
                return;
            }
        };
        let as_member: Arc<dyn Member> = member.clone();
        instance.register(&format!("grpc@{}", member.group), Arc::downgrade(&as_member));
        instance.refresh_routes().await;
        instance.send_heartbeats().await;
        if let Some((_, (old, _))) = self.present.remove(id) {
            old.shutdown();
        }
        self.present.insert(id.to_owned(), (instance, member));
    }

    /// Client `id` left: its connections close, so the brokers forget it.
    pub fn leave(&self, id: &str) {
        if let Some((_, (instance, _))) = self.present.remove(id) {
            instance.shutdown();
        }
    }

    /// Takes a client's answer to a relayed call; false when no call waits for its nonce.
    pub fn answered(&self, cmd: &TelemetryCommand) -> bool {
        let nonce = match &cmd.command {
            Some(Command::ThreadStackTrace(t)) => &t.nonce,
            Some(Command::VerifyMessageResult(v)) => &v.nonce,
            _ => return false,
        };
        match self.pending.remove(nonce) {
            Some((_, tx)) => tx.send(cmd.clone()).is_ok(),
            None => false,
        }
    }

    /// Sends the command `make` builds around a new nonce and waits for the client's answer.
    async fn ask(&self, outbox: &Outbox, make: impl FnOnce(String) -> Command) -> Result<TelemetryCommand, String> {
        let nonce = format!("relay-{}", self.next_nonce.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        self.pending.insert(nonce.clone(), tx);
        let cmd = TelemetryCommand { status: None, command: Some(make(nonce.clone())) };
        if outbox.try_send(Ok(cmd)).is_err() {
            self.pending.remove(&nonce);
            return Err("the client's telemetry stream is closed or full".to_owned());
        }
        let answer = tokio::time::timeout(self.timeout, rx).await;
        self.pending.remove(&nonce);
        match answer {
            Ok(Ok(a)) => Ok(a),
            _ => Err(format!("the client did not answer within {} ms", self.timeout.as_millis())),
        }
    }
}

impl GrpcConsumer {
    /// The consumer a client's settings describe; `None` for a producer.
    fn of(settings: &Settings, outbox: Outbox, relay: Weak<Relay>) -> Option<Self> {
        let Some(PubSub::Subscription(sub)) = &settings.pub_sub else { return None };
        let group = sub.group.as_ref().map(|g| g.name.clone()).filter(|g| !g.is_empty())?;
        let subscriptions = sub
            .subscriptions
            .iter()
            .filter_map(|e| {
                let topic = e.topic.as_ref()?;
                let expr = e.expression.as_ref();
                let text = expr.map_or("*", |x| x.expression.as_str());
                let selector = if expr.is_some_and(|x| x.r#type == pb::FilterType::Sql as i32) {
                    MessageSelector::by_sql(text)
                } else {
                    MessageSelector::by_tag(text)
                };
                Some(Subscription::with_selector(&topic.name, &selector).data())
            })
            .collect();
        let simple = settings.client_type == Some(pb::ClientType::SimpleConsumer as i32);
        Some(Self { group, simple, subscriptions, outbox, relay, me: Weak::new() })
    }

    /// The running info the proxy knows (properties and subscriptions), with `jstack`.
    fn running_info(&self, jstack: &str) -> Vec<u8> {
        let consume_type = if self.simple { ConsumeType::Actively } else { ConsumeType::Passively };
        let props = serde_json::json!({
            "consumerGroup": self.group,
            "messageModel": MessageModel::Clustering.as_str(),
            "consumeType": consume_type.as_str(),
            "PROP_CONSUME_TYPE": consume_type.as_str(),
            "PROP_CLIENT_VERSION": "gRPC",
            "PROP_CONSUMER_START_TIMESTAMP": rmq_common::time::now_ms().to_string(),
        });
        let body = serde_json::json!({
            "jstack": jstack, "mqTable": {}, "properties": props, "statusTable": {},
            "subscriptionSet": self.subscriptions,
        });
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// GET_CONSUMER_RUNNING_INFO with a thread dump: PrintThreadStackTraceCommand.
    async fn thread_stack(relay: Arc<Relay>, me: Arc<Self>) -> RemotingCommand {
        let make = |nonce| Command::PrintThreadStackTraceCommand(PrintThreadStackTraceCommand { nonce });
        match relay.ask(&me.outbox, make).await {
            Ok(answer) => {
                let code = answer.status.as_ref().map_or(Code::Ok as i32, |s| s.code);
                if code == Code::Ok as i32 {
                    let jstack = match answer.command {
                        Some(Command::ThreadStackTrace(t)) => t.thread_stack_trace.unwrap_or_default(),
                        _ => String::new(),
                    };
                    RemotingCommand::success().with_body(me.running_info(&jstack))
                } else if code == Code::VerifyFifoMessageUnsupported as i32 {
                    RemotingCommand::error(ResponseCode::NoPermission, "forbidden to verify message")
                } else {
                    RemotingCommand::error(ResponseCode::SystemError, "verify message failed")
                }
            }
            Err(why) => RemotingCommand::error(ResponseCode::SystemError, why),
        }
    }

    /// CONSUME_MESSAGE_DIRECTLY: VerifyMessageCommand, answered with the client's result.
    async fn verify(relay: Arc<Relay>, me: Arc<Self>, msg: MessageExt) -> RemotingCommand {
        let message = Some(message::stored(&msg));
        let make = |nonce| Command::VerifyMessageCommand(VerifyMessageCommand { nonce, message });
        match relay.ask(&me.outbox, make).await {
            Ok(answer) => {
                let code = answer.status.as_ref().map_or(Code::Ok as i32, |s| s.code);
                RemotingCommand::success().with_body(consume_directly_result(code))
            }
            Err(why) => RemotingCommand::error(ResponseCode::SystemError, why),
        }
    }
}

/// The `ConsumeMessageDirectlyResult` of a client's verify status (as the official proxy maps
/// it: OK, FAILED_TO_CONSUME_MESSAGE and MESSAGE_CORRUPTED; otherwise no result).
fn consume_directly_result(code: i32) -> Vec<u8> {
    let result = match code {
        c if c == Code::Ok as i32 => Some("CR_SUCCESS"),
        c if c == Code::FailedToConsumeMessage as i32 => Some("CR_LATER"),
        c if c == Code::MessageCorrupted as i32 => Some("CR_RETURN_NULL"),
        _ => None,
    };
    let body = serde_json::json!({
        "autoCommit": true, "consumeResult": result, "order": false, "remark": "from gRPC client",
        "spentTimeMills": 0,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

impl Member for GrpcConsumer {
    fn topics(&self) -> Vec<String> {
        self.subscriptions.iter().map(|s| s.topic.clone()).collect()
    }

    fn consumer_data(&self) -> Option<ConsumerData> {
        Some(ConsumerData {
            group_name: self.group.clone(),
            consume_type: if self.simple { ConsumeType::Actively } else { ConsumeType::Passively },
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::LastOffset,
            subscription_data_set: self.subscriptions.clone(),
            unit_mode: false,
        })
    }

    fn on_broker_request(&self, req: &RemotingCommand) -> Option<RemotingCommand> {
        match req.request_code() {
            RequestCode::GetConsumerRunningInfo => Some(RemotingCommand::success().with_body(self.running_info(""))),
            RequestCode::NotifyConsumerIdsChanged => None,
            _ => Some(RemotingCommand::error(ResponseCode::RequestCodeNotSupported, "not relayed to gRPC clients")),
        }
    }

    fn on_broker_call(&self, req: &RemotingCommand) -> Option<LaterAnswer> {
        let relay = self.relay.upgrade()?;
        let me = self.me.upgrade()?;
        let answer: LaterAnswer = match req.request_code() {
            RequestCode::GetConsumerRunningInfo => {
                let h = req.header::<GetConsumerRunningInfoRequestHeader>().ok()?;
                if !h.jstack_enable.unwrap_or(false) {
                    return None;
                }
                Box::pin(async move { Some(GrpcConsumer::thread_stack(relay, me).await) })
            }
            RequestCode::ConsumeMessageDirectly => match MessageExt::decode(&req.body) {
                Ok(msg) => Box::pin(async move { Some(GrpcConsumer::verify(relay, me, msg).await) }),
                Err(e) => {
                    let refused =
                        RemotingCommand::error(ResponseCode::SystemError, format!("undecodable message: {e}"));
                    Box::pin(async move { Some(refused) })
                }
            },
            _ => return None,
        };
        Some(answer)
    }
}
