//! The broker's calls to a consumer connected through the proxy: the gRPC consumer is listed by
//! the broker under its own client id; GET_CONSUMER_RUNNING_INFO (with and without jstack) and
//! CONSUME_MESSAGE_DIRECTLY reach it over Telemetry and its answers (matched by nonce) are the
//! broker's; an unanswered call times out; a closed stream leaves the broker's list.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod common;

use std::time::Duration;

use common::{res, start_cluster, start_proxy};
use rmq_admin::group::Groups;
use rmq_admin::Admin;
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::{ClientConfig, ClientInstance, Message};
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::{self, telemetry_command::Command, Code, TelemetryCommand};
use rmq_remoting::header::{ConsumeMessageDirectlyRequestHeader, GetConsumerRunningInfoRequestHeader};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use tokio::sync::mpsc::Sender;
use tonic::Streaming;

const TOPIC: &str = "RelayT";
const GROUP: &str = "relay_g";
const CLIENT: &str = "host1@77@0@relaytest";
const T: Duration = Duration::from_secs(15);

fn consumer_settings() -> pb::Settings {
    pb::Settings {
        client_type: Some(pb::ClientType::SimpleConsumer as i32),
        pub_sub: Some(pb::settings::PubSub::Subscription(pb::Subscription {
            group: res(GROUP),
            subscriptions: vec![pb::SubscriptionEntry {
                topic: res(TOPIC),
                expression: Some(pb::FilterExpression { r#type: pb::FilterType::Tag as i32, expression: "*".into() }),
            }],
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// The next relayed command on the stream (settings answers skipped).
async fn next_command(inbound: &mut Streaming<TelemetryCommand>) -> Command {
    loop {
        let cmd = inbound.message().await.unwrap().expect("the stream stays open");
        match cmd.command {
            Some(Command::Settings(_)) | None => {}
            Some(c) => return c,
        }
    }
}

async fn answer(tx: &Sender<TelemetryCommand>, command: Command) {
    let status = Some(pb::Status { code: Code::Ok as i32, message: "OK".into() });
    tx.send(TelemetryCommand { status, command: Some(command) }).await.unwrap();
}

fn running_info_request(jstack: bool) -> RemotingCommand {
    let h = GetConsumerRunningInfoRequestHeader {
        consumer_group: GROUP.into(),
        client_id: CLIENT.into(),
        jstack_enable: Some(jstack),
    };
    RemotingCommand::request_with_header(RequestCode::GetConsumerRunningInfo, &h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_calls_reach_the_grpc_consumer_over_telemetry() {
    let dir = tempfile::tempdir().unwrap();
    let namesrv = start_cluster(dir.path()).await;
    let addr = start_proxy(&namesrv, &[]).await;
    let mut client = MessagingServiceClient::connect(format!("http://{addr}")).await.unwrap();

    // A stored message to verify, and the broker's address.
    let producer = Producer::start(ProducerConfig::new("relay_pg", namesrv.clone())).await.unwrap();
    let mut sent = None;
    for _ in 0..100 {
        if let Ok(r) = producer.send(Message::new(TOPIC, "hello")).await {
            sent = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = sent.expect("the message was stored");
    let lookup = ClientInstance::start(ClientConfig::with_namesrv(namesrv.clone())).await.unwrap();
    lookup.update_route(TOPIC).await.unwrap();
    let broker = lookup.all_broker_addrs().into_iter().find(|b| b.1 == 0).unwrap().2;

    // The gRPC consumer opens its Telemetry stream.
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tx.send(TelemetryCommand { status: None, command: Some(Command::Settings(consumer_settings())) }).await.unwrap();
    let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    req.metadata_mut().insert("x-mq-client-id", CLIENT.parse().unwrap());
    let mut inbound = client.telemetry(req).await.unwrap().into_inner();

    // The broker lists it under its own id.
    let admin = Admin::connect(Some(&namesrv), Duration::from_secs(3)).await.unwrap();
    let groups = Groups::new(&admin);
    let mut listed = Vec::new();
    for _ in 0..100 {
        if let Ok(conn) = groups.consumer_connection(GROUP).await {
            listed = conn.connection_set.into_iter().map(|c| c.client_id).collect();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed, vec![CLIENT.to_owned()]);
    let status = groups.consumer_status(GROUP, Some(CLIENT)).await.unwrap();
    assert_eq!(status[0].properties["PROP_CONSUME_TYPE"], "CONSUME_ACTIVELY", "a simple consumer");
    assert_eq!(status[0].subscriptions[0]["topic"], TOPIC);

    // consumerStatus with jstack: PrintThreadStackTraceCommand, answered by nonce.
    let remoting = RemotingClient::default();
    let call = {
        let (r, b) = (remoting.clone(), broker.clone());
        tokio::spawn(async move { r.invoke(&b, running_info_request(true), T).await.unwrap() })
    };
    let Command::PrintThreadStackTraceCommand(p) = next_command(&mut inbound).await else { panic!("a stack request") };
    let trace = pb::ThreadStackTrace { nonce: p.nonce, thread_stack_trace: Some("\"main\" RUNNABLE".into()) };
    answer(&tx, Command::ThreadStackTrace(trace)).await;
    let resp = call.await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::Success, "{:?}", resp.remark);
    let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(body["jstack"], "\"main\" RUNNABLE");

    // consumeMessage: the stored message goes out as VerifyMessageCommand.
    let h = ConsumeMessageDirectlyRequestHeader {
        consumer_group: GROUP.into(),
        client_id: Some(CLIENT.into()),
        msg_id: Some(sent.offset_msg_id.clone()),
        broker_name: None,
    };
    let call = {
        let (r, b) = (remoting.clone(), broker.clone());
        let req = RemotingCommand::request_with_header(RequestCode::ConsumeMessageDirectly, &h);
        tokio::spawn(async move { r.invoke(&b, req, T).await.unwrap() })
    };
    let Command::VerifyMessageCommand(v) = next_command(&mut inbound).await else { panic!("a verify request") };
    let m = v.message.unwrap();
    assert_eq!((m.body.as_slice(), m.system_properties.unwrap().message_id), (&b"hello"[..], sent.msg_id.clone()));
    answer(&tx, Command::VerifyMessageResult(pb::VerifyMessageResult { nonce: v.nonce })).await;
    let resp = call.await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::Success, "{:?}", resp.remark);
    let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(body["consumeResult"], "CR_SUCCESS");

    // A call the client never answers: a system error after the relay's timeout, not a hang.
    let resp = remoting.invoke(&broker, running_info_request(true), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::SystemError);
    assert!(resp.remark.unwrap_or_default().contains("did not answer"));

    // The stream closes: the broker forgets the consumer.
    drop(tx);
    drop(inbound);
    let mut gone = false;
    for _ in 0..100 {
        if groups.consumer_connection(GROUP).await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the consumer left the broker's list");
}
