//! Streams a client abandons or reads slowly: what the proxy holds for them stays bounded and is
//! freed. One test in this binary, because it reads the process-wide count of bytes the proxy
//! has queued for receive streams (`receive::buffered_bytes`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::{res, start_cluster_with};
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::messaging_service_server::MessagingServiceServer;
use rmq_proxy::pb::receive_message_response::Content;
use rmq_proxy::pb::{self, Code};
use rmq_proxy::receive::{buffered_bytes, STREAM_QUEUE};
use rmq_proxy::{Proxy, ProxyConfig};
use tonic::transport::Channel;

type Client = MessagingServiceClient<Channel>;

const BODY: usize = 256 * 1024;

/// A proxy served here (so that the test sees its registry of Telemetry clients).
async fn start_proxy(namesrv: &str) -> (Proxy, String) {
    let mut cfg = ProxyConfig { namesrv_addr: namesrv.into(), ..Default::default() };
    cfg.min_invisible_time_mills_for_recv = 1_000;
    let cluster =
        rmq_client::ClientInstance::start(rmq_client::ClientConfig::with_namesrv(namesrv.to_owned())).await.unwrap();
    let proxy = Proxy::new(cfg, cluster);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = MessagingServiceServer::new(proxy.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (proxy, format!("http://{addr}"))
}

async fn send(c: &mut Client, topic: &str, ids: impl Iterator<Item = String>) {
    for id in ids {
        let m = pb::Message {
            topic: res(topic),
            system_properties: Some(pb::SystemProperties { message_id: id, ..Default::default() }),
            body: vec![b'x'; BODY],
            ..Default::default()
        };
        let r = c.send_message(pb::SendMessageRequest { messages: vec![m] }).await.unwrap().into_inner();
        assert_eq!(r.status.unwrap().code, Code::Ok as i32);
    }
}

async fn create_topic(namesrv: &str, c: &mut Client, topic: &str) {
    let admin = rmq_admin::Admin::connect(Some(namesrv), Duration::from_secs(3)).await.unwrap();
    let topics = rmq_admin::topic::Topics::new(&admin);
    let mut spec = rmq_admin::topic::TopicSpec::new(topic);
    spec.read_queue_nums = 1;
    spec.write_queue_nums = 1;
    for _ in 0..100 {
        if topics.create_topic(&rmq_admin::Target::Cluster("DefaultCluster".into()), &spec).await.is_ok() {
            let r = c.query_route(pb::QueryRouteRequest { topic: res(topic), endpoints: None }).await.unwrap();
            if r.into_inner().status.unwrap().code == Code::Ok as i32 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("topic {topic} not routed");
}

fn receive_req(topic: &str, invisible_s: i64) -> pb::ReceiveMessageRequest {
    pb::ReceiveMessageRequest {
        group: res("GSlow"),
        message_queue: common::any_queue(topic),
        batch_size: 32,
        invisible_duration: Some(prost_types::Duration { seconds: invisible_s, nanos: 0 }),
        long_polling_timeout: Some(prost_types::Duration { seconds: 5, nanos: 0 }),
        ..Default::default()
    }
}

/// Waits until `f` holds (polling; panics after 30 s).
async fn until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..300 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never: {what}");
}

/// The bytes buffered once they stop changing.
async fn settled_buffer() -> usize {
    let mut last = usize::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = buffered_bytes();
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Message ids of one stream, read to its end.
async fn read_all(stream: &mut tonic::Streaming<pb::ReceiveMessageResponse>) -> Vec<(String, String)> {
    let mut got = Vec::new();
    while let Some(item) = stream.message().await.unwrap() {
        if let Some(Content::Message(m)) = item.content {
            let sys = m.system_properties.unwrap();
            got.push((sys.message_id, sys.receipt_handle.unwrap()));
        }
    }
    got
}

async fn ack_all(c: &mut Client, topic: &str, got: &[(String, String)]) {
    let entries = got
        .iter()
        .map(|(id, h)| pb::AckMessageEntry { message_id: id.clone(), receipt_handle: h.clone(), lite_topic: None })
        .collect();
    let r = c.ack_message(pb::AckMessageRequest { group: res("GSlow"), topic: res(topic), entries }).await.unwrap();
    assert_eq!(r.into_inner().status.unwrap().code, Code::Ok as i32);
}

/// A slow reader: the proxy holds at most its stream queue (the rest waits in HTTP/2 flow
/// control and in the broker), and the client still gets the whole batch when it reads.
async fn slow_reader(c: &mut Client, topic: &str) {
    let ids: Vec<String> = (0..32).map(|i| format!("S{i:02}")).collect();
    send(c, topic, ids.iter().cloned()).await;
    let mut stream = c.receive_message(receive_req(topic, 60)).await.unwrap().into_inner();
    let first = stream.message().await.unwrap().unwrap();
    assert!(matches!(first.content, Some(Content::Status(ref s)) if s.code == Code::Ok as i32));
    let held = settled_buffer().await;
    // The queue's items, and the one the writer waits to put in it.
    let bound = (STREAM_QUEUE + 1) * (BODY + 4096);
    println!("slow client: proxy holds {held} bytes of a {} byte batch (bound {bound})", 32 * BODY);
    assert!(held > 0, "the writer waits for the slow client");
    assert!(held <= bound, "a slow client's stream holds at most {bound} bytes, held {held}");
    let got = read_all(&mut stream).await;
    assert_eq!(got.iter().map(|g| g.0.clone()).collect::<BTreeSet<_>>(), ids.into_iter().collect());
    ack_all(c, topic, &got).await;
    until("the stream's buffer is freed", || buffered_bytes() == 0).await;
}

/// An abandoned receive: its buffer is freed and its messages come back after their invisible
/// time.
async fn abandoned_receive(c: &mut Client, topic: &str) {
    let ids: BTreeSet<String> = (0..12).map(|i| format!("A{i:02}")).collect();
    send(c, topic, ids.iter().cloned()).await;
    let mut stream = c.receive_message(receive_req(topic, 2)).await.unwrap().into_inner();
    let _status = stream.message().await.unwrap().unwrap();
    drop(stream);
    until("the abandoned stream's buffer is freed", || buffered_bytes() == 0).await;
    let mut back = Vec::new();
    for _ in 0..20 {
        let mut s = c.receive_message(receive_req(topic, 60)).await.unwrap().into_inner();
        back.extend(read_all(&mut s).await);
        if back.len() >= ids.len() {
            break;
        }
    }
    assert_eq!(back.iter().map(|g| g.0.clone()).collect::<BTreeSet<_>>(), ids, "visible again");
    ack_all(c, topic, &back).await;
}

/// An abandoned Telemetry stream: the client leaves the registry (its task ended).
async fn abandoned_telemetry(proxy: &Proxy, url: &str) {
    let mut c = Client::connect(url.to_owned()).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let settings = pb::Settings { client_type: Some(pb::ClientType::Producer as i32), ..Default::default() };
    let cmd = pb::TelemetryCommand { status: None, command: Some(pb::telemetry_command::Command::Settings(settings)) };
    tx.send(cmd).await.unwrap();
    let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    req.metadata_mut().insert("x-mq-client-id", "slow-client-1".parse().unwrap());
    let mut answers = c.telemetry(req).await.unwrap().into_inner();
    answers.message().await.unwrap().unwrap();
    let clients = Arc::clone(&proxy.registry().clients);
    assert_eq!(clients.len(), 1);
    // The client drops the stream (both halves) and its connection without a termination call.
    drop(answers);
    drop(tx);
    drop(c);
    until("the abandoned Telemetry client is gone", || clients.is_empty()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_abandoned_streams_stay_bounded_and_end() {
    let dir = tempfile::tempdir().unwrap();
    // One POP may carry the whole 8 MiB batch (the defaults stop at 256 KiB a pop).
    let big = [("maxTransferBytesOnMessageInMemory", "67108864"), ("maxTransferBytesOnMessageInDisk", "67108864")];
    let namesrv = start_cluster_with(dir.path(), &big).await;
    let (proxy, url) = start_proxy(&namesrv).await;
    let mut c = Client::connect(url.clone()).await.unwrap();
    create_topic(&namesrv, &mut c, "SlowT").await;
    slow_reader(&mut c, "SlowT").await;
    abandoned_receive(&mut c, "SlowT").await;
    abandoned_telemetry(&proxy, &url).await;
}
