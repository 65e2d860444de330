//! The transaction, dead-letter and pull-consumer RPCs over an in-process name server and
//! broker: EndTransaction (commit, bad ids), the broker's check-back relayed over Telemetry,
//! PullMessage, UpdateOffset/GetOffset/QueryOffset and ForwardMessageToDeadLetterQueue, each with
//! its success and error statuses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{res, start_cluster_with, start_proxy};

use std::sync::Arc;
use std::time::Duration;

use rmq_client::consumer::pop_api::{pop, PopRequest};
use rmq_client::producer::{LocalTransactionState, ProducerConfig, TransactionListener, TransactionProducer};
use rmq_client::{ClientConfig, ClientInstance, Message, MessageExt};
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::{self, telemetry_command::Command, Code, QueryOffsetPolicy};
use rmq_proxy::transaction::TransactionHandle;
use tonic::transport::Channel;

type Client = MessagingServiceClient<Channel>;

fn queue(topic: &str, id: i32) -> Option<pb::MessageQueue> {
    Some(pb::MessageQueue {
        topic: res(topic),
        id,
        broker: Some(pb::Broker { name: "broker-a".into(), id: 0, endpoints: None }),
        ..Default::default()
    })
}

/// Leaves every transaction undecided: the broker checks back.
struct Undecided;

impl TransactionListener for Undecided {
    fn execute(&self, _: &Message, _: &rmq_client::producer::SendResult) -> LocalTransactionState {
        LocalTransactionState::Unknown
    }
    fn check(&self, _: &MessageExt) -> LocalTransactionState {
        LocalTransactionState::Unknown
    }
}

/// Pulls `q` from `offset`: the status code, the message ids and the next offset.
async fn pull(c: &mut Client, group: &str, topic: &str, q: i32, offset: i64) -> (i32, Vec<String>, Option<i64>) {
    let req = pb::PullMessageRequest {
        group: res(group),
        message_queue: queue(topic, q),
        offset,
        batch_size: 32,
        ..Default::default()
    };
    let mut s = c.pull_message(req).await.unwrap().into_inner();
    let (mut code, mut ids, mut next) = (-1, Vec::new(), None);
    while let Some(item) = s.message().await.unwrap() {
        match item.content.unwrap() {
            pb::pull_message_response::Content::Status(st) => code = st.code,
            pb::pull_message_response::Content::Message(m) => ids.push(m.system_properties.unwrap().message_id),
            pb::pull_message_response::Content::NextOffset(n) => next = Some(n),
        }
    }
    (code, ids, next)
}

async fn end(c: &mut Client, topic: &str, id: &str, tx: &str, source: pb::TransactionSource) -> i32 {
    let req = pb::EndTransactionRequest {
        topic: res(topic),
        message_id: id.into(),
        transaction_id: tx.into(),
        resolution: pb::TransactionResolution::Commit as i32,
        source: source as i32,
        trace_context: String::new(),
    };
    c.end_transaction(req).await.unwrap().into_inner().status.unwrap().code
}

struct Env {
    client: Client,
    namesrv: String,
    _dir: tempfile::TempDir,
}

async fn start() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let namesrv =
        start_cluster_with(dir.path(), &[("transactionCheckInterval", "1000"), ("transactionTimeOut", "1000")]).await;
    let addr = start_proxy(&namesrv, &[]).await;
    let client = MessagingServiceClient::connect(format!("http://{addr}")).await.unwrap();
    Env { client, namesrv, _dir: dir }
}

/// A transactional producer of group `topic` (the group the proxy's EndTransaction names).
async fn tx_producer(env: &Env, topic: &str) -> TransactionProducer {
    let mut cfg = ProducerConfig::new(topic, env.namesrv.clone());
    cfg.client.instance_name = format!("tx-{topic}");
    TransactionProducer::start(cfg, Arc::new(Undecided)).await.unwrap()
}

async fn send_half(p: &TransactionProducer, topic: &str) -> rmq_client::producer::SendResult {
    for _ in 0..100 {
        if let Ok(r) = p.send_in_transaction(Message::new(topic, "half")).await {
            return r.send;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the half message was never stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_commit_check_back_and_refuse_bad_ids() {
    let mut env = start().await;
    let topic = "TxTopic";
    let producer = tx_producer(&env, topic).await;
    let sent = send_half(&producer, topic).await;
    let c = &mut env.client;
    let handle = TransactionHandle::from_send("broker-a", &sent).unwrap();
    let (q, id) = (sent.queue.queue_id, sent.msg_id.clone());
    assert_eq!(pull(c, "G", topic, q, 0).await.1, Vec::<String>::new(), "a half message is not visible");
    // Bad input first: no topic, empty id, an id the proxy never made, offsets of no half message.
    let none = pb::EndTransactionRequest { transaction_id: handle.to_string(), ..Default::default() };
    assert_eq!(c.end_transaction(none).await.unwrap().into_inner().status.unwrap().code, Code::IllegalTopic as i32);
    let src = pb::TransactionSource::SourceClient;
    assert_eq!(end(c, topic, &id, "", src).await, Code::InvalidTransactionId as i32);
    assert_eq!(end(c, topic, &id, "no-such-transaction", src).await, Code::InvalidTransactionId as i32);
    let wrong = TransactionHandle { commit_log_offset: handle.commit_log_offset + 999_999, ..handle.clone() };
    assert_eq!(end(c, topic, &id, &wrong.to_string(), src).await, Code::InvalidTransactionId as i32);
    // A bare offset message id (what a broker's send answer names) ends it too.
    assert_eq!(end(c, topic, &id, &sent.offset_msg_id, src).await, Code::Ok as i32);
    assert_eq!(pull(c, "G", topic, q, 0).await.1, vec![id], "the committed message is delivered");
    // And the broker's own transaction id (the unique id), found in the half topic's index.
    let by_key = send_half(&producer, topic).await;
    let txid = by_key.transaction_id.clone().unwrap_or_else(|| by_key.msg_id.clone());
    assert_eq!(end(c, topic, &by_key.msg_id, &txid, src).await, Code::Ok as i32);
    let seen = pull(c, "G", topic, by_key.queue.queue_id, 0).await.1;
    assert!(seen.contains(&by_key.msg_id), "committed by its unique id: {seen:?}");

    check_back(c, producer, topic).await;
}

/// A second half message, its producer gone: a Telemetry client publishing the topic is asked
/// by the broker's check-back and commits it.
async fn check_back(c: &mut Client, producer: TransactionProducer, topic: &str) {
    let second = send_half(&producer, topic).await;
    producer.shutdown().await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let settings = pb::Settings {
        client_type: Some(pb::ClientType::Producer as i32),
        pub_sub: Some(pb::settings::PubSub::Publishing(pb::Publishing {
            topics: vec![res(topic).unwrap()],
            ..Default::default()
        })),
        ..Default::default()
    };
    tx.send(pb::TelemetryCommand { status: None, command: Some(Command::Settings(settings)) }).await.unwrap();
    let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    req.metadata_mut().insert("x-mq-client-id", "test-client-1".parse().unwrap());
    let mut inbound = c.telemetry(req).await.unwrap().into_inner();
    let recover = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let cmd = inbound.message().await.unwrap().expect("the stream stays open");
            if let Some(Command::RecoverOrphanedTransactionCommand(r)) = cmd.command {
                return r;
            }
        }
    })
    .await
    .expect("the broker's check-back reached the Telemetry client");
    let mid = recover.message.unwrap().system_properties.unwrap().message_id;
    assert_eq!(mid, second.msg_id);
    let parsed = TransactionHandle::parse(&recover.transaction_id).unwrap();
    assert_eq!(parsed.broker, "broker-a", "the check names the half message the broker re-put");
    assert_eq!(
        end(c, topic, &mid, &recover.transaction_id, pb::TransactionSource::SourceServerCheck).await,
        Code::Ok as i32
    );
    let q2 = second.queue.queue_id;
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen = pull(c, "G", topic, q2, 0).await.1;
        if seen.contains(&mid) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen.contains(&mid), "the checked-back message is delivered: {seen:?}");
    drop(tx);
}

/// A committed message on `topic` (by a transactional send and the proxy's EndTransaction).
async fn committed(env: &mut Env, topic: &str) -> rmq_client::producer::SendResult {
    let p = tx_producer(env, topic).await;
    let sent = send_half(&p, topic).await;
    let handle = TransactionHandle::from_send("broker-a", &sent).unwrap();
    let code =
        end(&mut env.client, topic, &sent.msg_id, &handle.to_string(), pb::TransactionSource::SourceClient).await;
    assert_eq!(code, Code::Ok as i32);
    p.shutdown().await;
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_offsets_and_dead_letters() {
    let mut env = start().await;
    let topic = "PullTopic";
    let sent = committed(&mut env, topic).await;
    let (q, id) = (sent.queue.queue_id, sent.msg_id.clone());
    let c = &mut env.client;
    let (code, ids, next) = pull(c, "PG", topic, q, 0).await;
    assert_eq!((code, ids, next), (Code::Ok as i32, vec![id.clone()], Some(1)));
    let (code, ids, _) = pull(c, "PG", topic, q, 1).await;
    assert_eq!((code, ids.len()), (Code::MessageNotFound as i32, 0));
    assert_eq!(pull(c, "", topic, q, 0).await.0, Code::IllegalConsumerGroup as i32);
    assert_eq!(pull(c, "PG", "NoSuchTopic", 0, 0).await.0, Code::TopicNotFound as i32);
    assert_eq!(pull(c, "PG", topic, q, -1).await.0, Code::IllegalOffset as i32);

    let get = |c: &mut Client, g: &str| {
        let req = pb::GetOffsetRequest { group: res(g), message_queue: queue(topic, q) };
        let mut c = c.clone();
        async move { c.get_offset(req).await.unwrap().into_inner() }
    };
    assert_eq!(get(c, "PG").await.status.unwrap().code, Code::OffsetNotFound as i32);
    let up = pb::UpdateOffsetRequest { group: res("PG"), message_queue: queue(topic, q), offset: 1 };
    assert_eq!(c.update_offset(up).await.unwrap().into_inner().status.unwrap().code, Code::Ok as i32);
    let got = get(c, "PG").await;
    assert_eq!((got.status.unwrap().code, got.offset), (Code::Ok as i32, 1));
    let bad = pb::UpdateOffsetRequest { group: res("PG"), message_queue: queue(topic, q), offset: -5 };
    assert_eq!(c.update_offset(bad).await.unwrap().into_inner().status.unwrap().code, Code::IllegalOffset as i32);
    let query = |policy: QueryOffsetPolicy, ts: Option<prost_types::Timestamp>| pb::QueryOffsetRequest {
        message_queue: queue(topic, q),
        query_offset_policy: policy as i32,
        timestamp: ts,
    };
    let first = c.query_offset(query(QueryOffsetPolicy::Beginning, None)).await.unwrap().into_inner();
    let last = c.query_offset(query(QueryOffsetPolicy::End, None)).await.unwrap().into_inner();
    let at =
        c.query_offset(query(QueryOffsetPolicy::Timestamp, Some(prost_types::Timestamp::default()))).await.unwrap();
    assert_eq!((first.offset, last.offset, at.into_inner().offset), (0, 1, 0));
    let missing = c.query_offset(query(QueryOffsetPolicy::Timestamp, None)).await.unwrap().into_inner();
    assert_eq!(missing.status.unwrap().code, Code::BadRequest as i32);

    dead_letter(&env, topic, &id).await;
}

/// Pops the message (as ReceiveMessage would), forwards it to the DLQ through the proxy, and
/// finds it in `%DLQ%DG`.
async fn dead_letter(env: &Env, topic: &str, id: &str) {
    let mut c = env.client.clone();
    let cluster = ClientInstance::start(ClientConfig::with_namesrv(env.namesrv.clone())).await.unwrap();
    cluster.update_route(topic).await.unwrap();
    let addr = cluster.broker_addr("broker-a", 0).unwrap();
    let r = PopRequest {
        group: "DG".into(),
        topic: topic.into(),
        broker_name: "broker-a".into(),
        queue_id: -1,
        max: 1,
        invisible_ms: 60_000,
        poll_ms: 3_000,
        tags: "*".into(),
        exp_type: "TAG".into(),
        order: false,
        attempt_id: None,
        init_mode: 0,
    };
    let popped = pop(&cluster, &addr, &r).await.unwrap().pop().expect("a message to pop");
    let dlq = |h: String| pb::ForwardMessageToDeadLetterQueueRequest {
        group: res("DG"),
        topic: res(topic),
        receipt_handle: h,
        message_id: id.into(),
        delivery_attempt: 1,
        max_delivery_attempts: 16,
        lite_topic: None,
    };
    let code = |r: tonic::Response<pb::ForwardMessageToDeadLetterQueueResponse>| r.into_inner().status.unwrap().code;
    assert_eq!(
        code(c.forward_message_to_dead_letter_queue(dlq("bogus".into())).await.unwrap()),
        Code::InvalidReceiptHandle as i32
    );
    let mut no_group = dlq(popped.handle.clone());
    no_group.group = None;
    assert_eq!(
        code(c.forward_message_to_dead_letter_queue(no_group).await.unwrap()),
        Code::IllegalConsumerGroup as i32
    );
    let handle = format!("{} {}", popped.handle, popped.message.commit_log_offset);
    assert_eq!(code(c.forward_message_to_dead_letter_queue(dlq(handle)).await.unwrap()), Code::Ok as i32);
    let mut found = Vec::new();
    for _ in 0..50 {
        found = pull(&mut c, "DG", "%DLQ%DG", 0, 0).await.1;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found, vec![id.to_owned()], "the message is in the group's DLQ");
    cluster.shutdown();
}
