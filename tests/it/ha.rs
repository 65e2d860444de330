//! Master/slave broker sets as processes: byte-identical replication, slave reads, SYNC_MASTER
//! statuses, and consumers carrying on from the slave while the master is down.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};
use rmq_client::producer::{Producer, ProducerConfig, SendStatus};
use rmq_client::{ClientError, Message};
use rmq_remoting::body::TopicRouteData;
use rmq_remoting::header::{GetRouteInfoRequestHeader, SendMessageRequestHeaderV2};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};
use rmq_tests::{start_broker, start_namesrv, BrokerSpec, Process};

const T: Duration = Duration::from_secs(5);

fn spec(ns: &str, store: &Path, extra: &str) -> BrokerSpec {
    BrokerSpec { namesrv: Some(ns.to_owned()), store: store.to_owned(), port: 0, extra: extra.to_owned() }
}

/// Starts a master, then a slave that learns the master from the name server.
fn broker_set(dir: &Path, ns: &str, master_extra: &str) -> (Process, Process, BrokerSpec, BrokerSpec) {
    for d in ["m", "s"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let ms = spec(ns, &dir.join("m/store"), master_extra);
    let master = start_broker(&ms, &dir.join("m"));
    std::thread::sleep(Duration::from_millis(500));
    let ss = spec(ns, &dir.join("s/store"), "brokerId=1\nbrokerRole=SLAVE\n");
    let slave = start_broker(&ss, &dir.join("s"));
    let ms = BrokerSpec { port: master.port, ..ms };
    let ss = BrokerSpec { port: slave.port, ..ss };
    (master, slave, ms, ss)
}

pub(crate) fn commit_log(store: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(store.join("commitlog")).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for n in names {
        out.extend(std::fs::read(n).unwrap());
    }
    let end = out.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    out.truncate(end);
    out
}

pub(crate) async fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn producer(ns: &str, group: &str) -> Producer {
    let mut cfg = ProducerConfig::new(group, ns);
    cfg.client.instance_name = format!("{group}-{}", std::process::id());
    Producer::start(cfg).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_master_replicates_byte_identical_and_the_slave_serves_reads_only() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let (master, slave, ms, ss) = broker_set(dir.path(), &ns.addr(), "");
    let p = producer(&ns.addr(), "ha_pg").await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..1250 {
                let r = p.send(Message::new("HaTopic", format!("t{t}-m{i}")).with_keys([format!("k{t}-{i}")])).await;
                assert_eq!(r.unwrap().status, SendStatus::SendOk);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let want = commit_log(&ms.store);
    wait_until("the slave's commit log equals the master's", 30, || commit_log(&ss.store) == want).await;

    let c = RemotingClient::default();
    // The slave's consume queues hold all 10 000.
    let mut total = 0;
    for q in 0..4 {
        let h = rmq_remoting::header::TopicQueueRequestHeader { topic: "HaTopic".into(), queue_id: q, committed: None };
        let resp = c
            .invoke(&slave.addr(), RemotingCommand::request_with_header(RequestCode::GetMaxOffset, &h), T)
            .await
            .unwrap();
        total += resp.header::<rmq_remoting::header::OffsetResponseHeader>().unwrap().offset;
    }
    assert_eq!(total, 10_000);
    // Writes to the slave are refused.
    let h = SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: "HaTopic".into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 4,
        ..Default::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(b"x".to_vec());
    let resp = c.invoke(&slave.addr(), req, T).await.unwrap();
    assert_ne!(resp.code, 0);
    assert!(resp.remark.unwrap_or_default().contains("slave"));
    // The route lists both members of the set.
    let h = GetRouteInfoRequestHeader { topic: "HaTopic".into(), accept_standard_json_only: Some(true) };
    let resp = c
        .invoke(&ns.addr(), RemotingCommand::request_with_header(RequestCode::GetRouteinfoByTopic, &h), T)
        .await
        .unwrap();
    let route: TopicRouteData = serde_json::from_slice(&resp.body).unwrap();
    let ids: Vec<i64> = route.broker_datas[0].broker_addrs.keys().copied().collect();
    assert_eq!(ids, vec![0, 1]);
    // The admin CLI lists both members with their roles and the replication lag.
    let out = rmq_tests::mqadmin(&["-n", &ns.addr(), "--json", "clusterList"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = out.stdout;
    assert!(text.contains(&master.addr()) && text.contains(&slave.addr()), "{text}");
    assert!(text.contains("SLAVE") && text.contains("ASYNC_MASTER"), "{text}");
    assert!(text.contains("replicationLagBytes"), "{text}");
    let table = rmq_tests::mqadmin(&["-n", &ns.addr(), "clusterList"]).stdout;
    assert!(table.contains("ReplLag(B)"), "{table}");
    drop((master, slave));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sync_master_waits_for_the_slave_and_reports_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let (_master, slave, _ms, _ss) =
        broker_set(dir.path(), &ns.addr(), "brokerRole=SYNC_MASTER\nsyncFlushTimeout=1500\n");
    let p = producer(&ns.addr(), "sync_pg").await;
    // SEND_OK once the slave is connected.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match p.send(Message::new("SyncTopic", "first")).await.map(|r| r.status) {
            Ok(SendStatus::SendOk) => break,
            other => assert!(Instant::now() < deadline, "no SEND_OK from a SYNC_MASTER with a slave: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A stalled slave: FLUSH_SLAVE_TIMEOUT after syncFlushTimeout.
    let pid = slave.pid().to_string();
    std::process::Command::new("kill").args(["-STOP", &pid]).status().unwrap();
    let started = Instant::now();
    let r = p.send(Message::new("SyncTopic", "stalled")).await.unwrap();
    std::process::Command::new("kill").args(["-CONT", &pid]).status().unwrap();
    assert_eq!(r.status, SendStatus::FlushSlaveTimeout);
    assert!(started.elapsed() >= Duration::from_millis(1400), "{:?}", started.elapsed());
    // No slave: SLAVE_NOT_AVAILABLE.
    slave.terminate();
    let mut status = None;
    for _ in 0..30 {
        status = Some(p.send(Message::new("SyncTopic", "alone")).await.unwrap().status);
        if status == Some(SendStatus::SlaveNotAvailable) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, Some(SendStatus::SlaveNotAvailable));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn consumers_carry_on_from_the_slave_while_the_master_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let (master, _slave, ms, ss) = broker_set(dir.path(), &ns.addr(), "");
    let p = producer(&ns.addr(), "fail_pg").await;
    let mut sent = BTreeSet::new();
    for i in 0..300 {
        let body = format!("f{i}");
        p.send(Message::new("FailTopic", body.clone())).await.unwrap();
        sent.insert(body);
    }
    let want = commit_log(&ms.store);
    wait_until("replication", 30, || commit_log(&ss.store) == want).await;

    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = Arc::clone(&seen);
    let mut cfg = ConsumerConfig::new("fail_cg", ns.addr());
    cfg.client.instance_name = format!("fail-{}", std::process::id());
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    cfg.pull.batch_size = 8;
    let consumer = PushConsumer::start(
        cfg,
        &[("FailTopic", "*")],
        Listener::concurrent(move |msgs, _| {
            std::thread::sleep(Duration::from_millis(10));
            s.lock().extend(msgs.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()));
            ConsumeStatus::Success
        }),
    )
    .await
    .unwrap();
    wait_until("some consumed", 30, || seen.lock().len() >= 60).await;
    master.kill();
    wait_until("everything consumed through the slave", 60, || {
        seen.lock().iter().cloned().collect::<BTreeSet<_>>() == sent
    })
    .await;

    // The master returns: writes resume and the group's offsets end at the queue ends.
    let master = start_broker(&ms, &dir.path().join("m"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match p.send(Message::new("FailTopic", "after")).await {
            Ok(r) if r.status == SendStatus::SendOk => break,
            Ok(_) | Err(ClientError::Remoting(_) | ClientError::Broker { .. } | ClientError::NoRoute(_)) => {
                assert!(Instant::now() < deadline, "writes did not resume");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    wait_until("the message sent after the restart", 60, || seen.lock().iter().any(|b| b == "after")).await;
    let c = RemotingClient::default();
    wait_until("offsets committed to the returned master", 30, || {
        let c = c.clone();
        let addr = master.addr();
        let committed: i64 = futures_total(&c, &addr);
        committed >= 301
    })
    .await;
    consumer.shutdown().await;
}

/// Sum of the group's committed offsets on the master over FailTopic's queues.
fn futures_total(c: &RemotingClient, addr: &str) -> i64 {
    let handle = tokio::runtime::Handle::current();
    std::thread::scope(|s| {
        s.spawn(|| {
            handle.block_on(async {
                let mut total = 0;
                for q in 0..4 {
                    let h = rmq_remoting::header::QueryConsumerOffsetRequestHeader {
                        consumer_group: "fail_cg".into(),
                        topic: "FailTopic".into(),
                        queue_id: q,
                        set_zero_if_not_found: None,
                    };
                    let req = RemotingCommand::request_with_header(RequestCode::QueryConsumerOffset, &h);
                    if let Ok(resp) = c.invoke(addr, req, T).await {
                        if resp.code == 0 {
                            total +=
                                resp.header::<rmq_remoting::header::OffsetResponseHeader>().map_or(0, |h| h.offset);
                        }
                    }
                }
                total
            })
        })
        .join()
        .unwrap()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lagging_consumer_is_sent_to_the_slave() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    // Ratio 0: any read behind the end counts as "not in memory".
    let (master, slave, ms, ss) = broker_set(dir.path(), &ns.addr(), "accessMessageInMemoryMaxRatio=0\n");
    let p = producer(&ns.addr(), "lag_pg").await;
    for i in 0..40 {
        p.send(Message::new("LagTopic", format!("l{i}"))).await.unwrap();
    }
    let want = commit_log(&ms.store);
    wait_until("replication", 30, || commit_log(&ss.store) == want).await;
    let c = RemotingClient::default();
    let h = rmq_remoting::header::PullMessageRequestHeader {
        consumer_group: "lag_cg".into(),
        topic: "LagTopic".into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 1,
        sys_flag: 0x4,
        subscription: Some("*".into()),
        ..Default::default()
    };
    let resp =
        c.invoke(&master.addr(), RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await.unwrap();
    assert_eq!(resp.code, 0);
    let rh = resp.header::<rmq_remoting::header::PullMessageResponseHeader>().unwrap();
    assert_eq!(rh.suggest_which_broker_id, 1, "the master points a lagging reader at the slave");

    // Our client follows the suggestion: the slave serves the group's pulls.
    let seen: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let s = Arc::clone(&seen);
    let mut cfg = ConsumerConfig::new("lag_cg", ns.addr());
    cfg.client.instance_name = format!("lag-{}", std::process::id());
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    cfg.pull.batch_size = 2;
    let consumer = PushConsumer::start(
        cfg,
        &[("LagTopic", "*")],
        Listener::concurrent(move |msgs, _| {
            s.lock().extend(msgs.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()));
            ConsumeStatus::Success
        }),
    )
    .await
    .unwrap();
    wait_until("all 40", 30, || seen.lock().len() == 40).await;
    let resp = c.invoke(&slave.addr(), RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo), T).await.unwrap();
    let info: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    let got: i64 = info["table"]["msgGetTotalTodayNow"].as_str().unwrap().parse().unwrap();
    assert!(got > 0, "the slave served reads: {got}");
    consumer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slave_started_before_its_master_finds_it_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    for d in ["m", "s"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    // The slave registers first: the name server has no master to tell it about yet.
    let ss = spec(&ns.addr(), &dir.path().join("s/store"), "brokerId=1\nbrokerRole=SLAVE\n");
    let _slave = start_broker(&ss, &dir.path().join("s"));
    std::thread::sleep(Duration::from_millis(1500));
    let ms = spec(&ns.addr(), &dir.path().join("m/store"), "brokerRole=SYNC_MASTER\n");
    let _master = start_broker(&ms, &dir.path().join("m"));
    let p = producer(&ns.addr(), "late_master_pg").await;
    // SEND_OK needs the slave connected: well before the 30 s registration period.
    let started = Instant::now();
    loop {
        match p.send(Message::new("LateMasterTopic", "m")).await.map(|r| r.status) {
            Ok(SendStatus::SendOk) => break,
            other => assert!(
                started.elapsed() < Duration::from_secs(10),
                "the slave did not connect to a master that came up after it: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    p.shutdown().await;
}
