//! Transport limits of our servers as processes (#21 points 1 and 7): a client that sends
//! requests and never reads the answers leaves the name server's and the broker's memory
//! bounded while another client is served; idle connections cost little and are closed after
//! `serverChannelMaxIdleTimeSeconds`; `serverMaxConnections` refuses extra connections.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rmq_remoting::header::{PullMessageRequestHeader, SendMessageRequestHeaderV2};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};

/// RSS growth allowed while one client floods and never reads: the 4 MiB budget of its
/// connection, answers being built, allocator slack.
const RSS_GROWTH_BOUND_MIB: f64 = 64.0;

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

/// Writes `frame` over and over for `time` without reading a byte; returns the socket (still
/// open) and how many requests went out.
fn flood(addr: &str, frame: Vec<u8>, time: Duration) -> std::thread::JoinHandle<(TcpStream, usize)> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_write_timeout(Some(Duration::from_millis(200))).unwrap();
    std::thread::spawn(move || {
        let batch: Vec<u8> = frame.iter().copied().cycle().take(frame.len() * 64).collect();
        let started = Instant::now();
        let mut sent = 0;
        while started.elapsed() < time {
            if stream.write_all(&batch).is_ok() {
                sent += 64;
            }
        }
        (stream, sent)
    })
}

/// While `addr` is flooded for 4 s: the RSS of `pid` grows less than the bound and another
/// client is answered. Returns (RSS before, peak RSS, requests the flooder wrote, slowest answer).
async fn flood_and_probe(pid: u32, addr: &str, request: &RemotingCommand) -> (f64, f64, usize, Duration) {
    let before = rss_mib(pid);
    let frame = request.encode_frame().unwrap().to_vec();
    let flooder = flood(addr, frame, Duration::from_secs(4));
    let probe = RemotingClient::default();
    let (mut peak, mut slowest) = (before, Duration::ZERO);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        let t = Instant::now();
        let r = probe.invoke(addr, request.clone(), Duration::from_secs(3)).await;
        assert_eq!(r.expect("another client is answered during the flood").code, 0);
        slowest = slowest.max(t.elapsed());
        peak = peak.max(rss_mib(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (stream, sent) = flooder.join().unwrap();
    peak = peak.max(rss_mib(pid));
    drop(stream);
    let code = request.code;
    eprintln!(
        "code {code}: RSS {before:.1} MiB -> peak {peak:.1} MiB, {sent} requests written, slowest probe {slowest:?}"
    );
    assert!(peak - before < RSS_GROWTH_BOUND_MIB, "RSS grew from {before:.1} to {peak:.1} MiB");
    (before, peak, sent, slowest)
}

fn register_many_topics(ns: &str, n: usize) {
    let topics: String = (0..n)
        .map(|i| format!("\"FloodTopic{i:05}\":{{\"topicName\":\"FloodTopic{i:05}\",\"readQueueNums\":8,\"writeQueueNums\":8,\"perm\":6}}"))
        .collect::<Vec<_>>()
        .join(",");
    let body = format!("{{\"topicConfigSerializeWrapper\":{{\"topicConfigTable\":{{{topics}}},\"dataVersion\":{{\"counter\":1,\"timestamp\":1}}}},\"filterServerList\":[]}}");
    let mut req = RemotingCommand::request(RequestCode::RegisterBroker).with_body(body.into_bytes());
    for (k, v) in [
        ("brokerName", "flood"),
        ("brokerAddr", "127.0.0.1:1"),
        ("clusterName", "C"),
        ("haServerAddr", "127.0.0.1:2"),
        ("brokerId", "0"),
        ("compressed", "false"),
    ] {
        req.ext_fields.insert(k.into(), v.into());
    }
    let mut s = TcpStream::connect(ns).unwrap();
    s.write_all(&req.encode_frame().unwrap()).unwrap();
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
}

#[tokio::test]
async fn a_client_that_never_reads_leaves_the_name_server_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let ns = rmq_tests::start_namesrv(dir.path());
    // 2,000 topics: each topic-list answer is ~60 KB, as in a large cluster.
    register_many_topics(&ns.addr(), 2000);
    let request = RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver);
    flood_and_probe(ns.pid(), &ns.addr(), &request).await;
    ns.terminate();
}

#[tokio::test]
async fn a_client_that_never_reads_leaves_the_broker_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let spec = rmq_tests::BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: String::new() };
    let broker = rmq_tests::start_broker(&spec, dir.path());
    // 64 messages of 60 KB: every pull answers ~256 KB (maxTransferBytesOnMessageInMemory).
    let c = RemotingClient::default();
    for _ in 0..64 {
        let h = SendMessageRequestHeaderV2 {
            a: "pg".into(),
            b: "Flood".into(),
            c: rmq_common::topic::AUTO_CREATE.into(),
            d: 1,
            e: 0,
            ..SendMessageRequestHeaderV2::default()
        };
        let send = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(vec![b'x'; 60_000]);
        assert_eq!(c.invoke(&broker.addr(), send, Duration::from_secs(5)).await.unwrap().code, 0);
    }
    let h = PullMessageRequestHeader {
        consumer_group: "cg".into(),
        topic: "Flood".into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: 0x4,
        subscription: Some("*".into()),
        ..PullMessageRequestHeader::default()
    };
    let request = RemotingCommand::request_with_header(RequestCode::PullMessage, &h);
    flood_and_probe(broker.pid(), &broker.addr(), &request).await;
    broker.terminate();
}

/// One request on each of `idle` and its answer read, so every connection has been used.
fn use_once(idle: &mut [TcpStream]) {
    let frame = RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver).encode_frame().unwrap();
    for s in idle.iter_mut() {
        s.write_all(&frame).unwrap();
    }
    for s in idle.iter_mut() {
        let mut len = [0u8; 4];
        s.read_exact(&mut len).unwrap();
        let mut rest = vec![0u8; u32::from_be_bytes(len) as usize];
        s.read_exact(&mut rest).unwrap();
    }
}

#[tokio::test]
async fn idle_connections_cost_little() {
    let dir = tempfile::tempdir().unwrap();
    let ns = rmq_tests::start_namesrv(dir.path());
    let before = rss_mib(ns.pid());
    let n = 2000;
    let mut idle: Vec<TcpStream> = (0..n).map(|_| TcpStream::connect(ns.addr()).unwrap()).collect();
    use_once(&mut idle);
    let after = rss_mib(ns.pid());
    let per_conn_kib = (after - before) * 1024.0 / f64::from(n);
    eprintln!("{n} idle connections: RSS {before:.1} -> {after:.1} MiB, {per_conn_kib:.1} KiB each");
    assert!(per_conn_kib < 48.0, "{per_conn_kib:.1} KiB per idle connection");
    drop(idle);
    ns.terminate();
}

#[tokio::test]
async fn idle_connections_are_closed_after_server_channel_max_idle_time_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let ns = rmq_tests::start_namesrv_with(dir.path(), "serverChannelMaxIdleTimeSeconds=2\n");
    let mut idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(ns.addr()).unwrap()).collect();
    use_once(&mut idle);
    // A client that keeps calling is kept.
    let busy = RemotingClient::default();
    let addr = ns.addr();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        let r = busy.invoke(
            &addr,
            RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver),
            Duration::from_secs(3),
        );
        assert_eq!(r.await.expect("a busy connection is kept").code, 0);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for s in &mut idle {
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut b = [0u8; 1];
        assert_eq!(s.read(&mut b).unwrap(), 0, "closed after serverChannelMaxIdleTimeSeconds");
    }
    ns.terminate();
}

#[tokio::test]
async fn connections_over_server_max_connections_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ns = rmq_tests::start_namesrv_with(dir.path(), "serverMaxConnections=3\n");
    // The kit's readiness probe is a connection too: let the server see it close.
    std::thread::sleep(Duration::from_millis(500));
    let kept: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(ns.addr()).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = TcpStream::connect(ns.addr()).unwrap();
    extra.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut b = [0u8; 1];
    assert_eq!(extra.read(&mut b).unwrap(), 0, "the fourth connection is closed at once");
    drop(kept);
    std::thread::sleep(Duration::from_millis(300));
    let c = RemotingClient::default();
    let addr = ns.addr();
    let r =
        c.invoke(&addr, RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver), Duration::from_secs(3));
    assert_eq!(r.await.unwrap().code, 0, "a slot frees when connections close");
    let log = std::fs::read_to_string(dir.path().join("logs").join("namesrv.log")).unwrap_or_default();
    assert!(log.contains("serverMaxConnections"), "the refusal is logged: {log}");
    ns.terminate();
}
