//! Robustness of metadata and data (issue 21): a heartbeat naming thousands of new groups, a
//! topic whose creation cannot be saved, a slave serving a topic created just before its master
//! died, nonsense sys flags at send.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_common::message::MessageExt;
use rmq_remoting::body::{ConsumerData, HeartbeatData};
use rmq_remoting::header::{PullMessageRequestHeader, SendMessageRequestHeaderV2};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{start_broker, start_namesrv, BrokerSpec};

const T: Duration = Duration::from_secs(5);

fn spec(store: &Path, namesrv: Option<String>, extra: &str) -> BrokerSpec {
    BrokerSpec { namesrv, store: store.to_owned(), port: 0, extra: extra.to_owned() }
}

/// A SEND_MESSAGE_V2 to `topic` (auto-created with one queue) with `sys_flag`.
async fn send_flagged(c: &RemotingClient, addr: &str, topic: &str, body: &[u8], sys_flag: i32) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: topic.into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 1,
        e: 0,
        f: sys_flag,
        i: Some("TAGS\u{1}t".into()),
        ..SendMessageRequestHeaderV2::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(body.to_vec());
    c.invoke(addr, req, T).await.unwrap()
}

async fn send(c: &RemotingClient, addr: &str, topic: &str, body: &str) -> RemotingCommand {
    send_flagged(c, addr, topic, body.as_bytes(), 0).await
}

/// Every message of queue 0 of `topic`.
async fn pull_all(c: &RemotingClient, addr: &str, topic: &str) -> Result<Vec<MessageExt>, RemotingCommand> {
    let mut all = Vec::new();
    loop {
        let h = PullMessageRequestHeader {
            consumer_group: "robust_cg".into(),
            topic: topic.into(),
            queue_id: 0,
            queue_offset: i64::try_from(all.len()).unwrap(),
            max_msg_nums: 32,
            sys_flag: 0x4,
            subscription: Some("*".into()),
            ..PullMessageRequestHeader::default()
        };
        let resp = c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await.unwrap();
        match resp.response_code() {
            ResponseCode::Success => all.extend(MessageExt::decode_all(&resp.body).unwrap()),
            ResponseCode::PullNotFound | ResponseCode::PullOffsetMoved => return Ok(all),
            _ => return Err(resp),
        }
    }
}

fn heartbeat(groups: impl Iterator<Item = String>) -> RemotingCommand {
    let data = HeartbeatData {
        client_id: "127.0.0.1@robust".into(),
        producer_data_set: Vec::new(),
        consumer_data_set: groups.map(|g| ConsumerData { group_name: g, ..ConsumerData::default() }).collect(),
    };
    RemotingCommand::request(RequestCode::HeartBeat).with_body(serde_json::to_vec(&data).unwrap())
}

/// The names in `<store>/config/<file>`'s `table_key` object starting with `prefix`.
fn saved_names(store: &Path, file: &str, table_key: &str, prefix: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(store.join("config").join(file)) else { return 0 };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return 0 };
    v[table_key].as_object().map_or(0, |m| m.keys().filter(|k| k.starts_with(prefix)).count())
}

async fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_heartbeat_naming_3000_new_groups_is_answered_while_others_are_served_and_saved_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let broker = start_broker(&spec(&store, None, "heartbeatMaxNewGroups=2000\n"), dir.path());
    let addr = broker.addr();
    let (hb_client, other) = (RemotingClient::default(), RemotingClient::default());

    // Another connection keeps asking for runtime info while the big heartbeat is processed.
    let done = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let (d, s, a, o) = (Arc::clone(&done), Arc::clone(&served), addr.clone(), other.clone());
    let prober = tokio::spawn(async move {
        while !d.load(Ordering::Acquire) {
            let resp = o.invoke(&a, RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo), T).await.unwrap();
            assert_eq!(resp.code, 0);
            s.fetch_add(1, Ordering::AcqRel);
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = served.load(Ordering::Acquire);
    let started = Instant::now();
    let names = || (0..3000).map(|i| format!("hb_g{i}"));
    let resp = hb_client.invoke(&addr, heartbeat(names()), Duration::from_secs(30)).await.unwrap();
    let took = started.elapsed();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    // Generous: the old broker wrote two files with fsync per group (14 s for 3,000 groups).
    assert!(took < Duration::from_secs(10), "the heartbeat took {took:?}");
    let during = served.load(Ordering::Acquire) - before;
    done.store(true, Ordering::Release);
    prober.await.unwrap();
    assert!(during > 0, "no other request was served while the heartbeat was processed");
    eprintln!("a heartbeat naming 3000 new groups answered in {took:?}; {during} other requests served meanwhile");

    // heartbeatMaxNewGroups=2000: 2000 groups now, on disk within the writer's bound.
    wait_until("2000 groups on disk", 15, || {
        saved_names(&store, "subscriptionGroup.json", "subscriptionGroupTable", "hb_g") == 2000
    })
    .await;
    wait_until("their retry topics on disk", 15, || {
        saved_names(&store, "topics.json", "topicConfigTable", "%RETRY%hb_g") == 2000
    })
    .await;
    // The next heartbeat creates the rest; a clean shutdown leaves all of them on disk.
    assert_eq!(hb_client.invoke(&addr, heartbeat(names()), Duration::from_secs(30)).await.unwrap().code, 0);
    broker.terminate();
    assert_eq!(saved_names(&store, "subscriptionGroup.json", "subscriptionGroupTable", "hb_g"), 3000);
    assert_eq!(saved_names(&store, "topics.json", "topicConfigTable", "%RETRY%hb_g"), 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_send_to_a_topic_whose_creation_cannot_be_saved_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let bs = spec(&store, None, "");
    let broker = start_broker(&bs, dir.path());
    let c = RemotingClient::default();
    assert_eq!(send(&c, &broker.addr(), "SavedTopic", "saved").await.code, 0);

    // topics.json cannot be written: a directory stands in its place.
    let topics = store.join("config/topics.json");
    std::fs::remove_file(&topics).unwrap();
    std::fs::create_dir(&topics).unwrap();
    for _ in 0..2 {
        let resp = send(&c, &broker.addr(), "UnsavedTopic", "lost").await;
        assert_eq!(resp.response_code(), ResponseCode::SystemError, "{:?}", resp.remark);
        assert!(resp.remark.as_deref().unwrap_or("").contains("could not be persisted"), "{:?}", resp.remark);
    }
    // Existing topics are still served.
    assert_eq!(send(&c, &broker.addr(), "SavedTopic", "saved again").await.code, 0);

    // Once the file can be written again, the writer's retry saves the topic and sends go on.
    std::fs::remove_dir(&topics).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let resp = send(&c, &broker.addr(), "UnsavedTopic", "kept").await;
        if resp.code == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "sends never resumed: {:?}", resp.remark);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // SIGKILL and restart: every acknowledged message is readable, and none was acknowledged
    // while the topic was not saved.
    let port = broker.port;
    broker.kill();
    let broker = start_broker(&BrokerSpec { port, ..bs }, dir.path());
    let bodies = |ms: Vec<MessageExt>| ms.into_iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect();
    let got: Vec<String> = bodies(pull_all(&c, &broker.addr(), "UnsavedTopic").await.unwrap());
    assert_eq!(got, vec!["kept".to_owned()]);
    let got: Vec<String> = bodies(pull_all(&c, &broker.addr(), "SavedTopic").await.unwrap());
    assert_eq!(got, vec!["saved".to_owned(), "saved again".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slave_serves_a_topic_created_just_before_its_master_died() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    for d in ["m", "s"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let master = start_broker(&spec(&dir.path().join("m/store"), Some(ns.addr()), ""), &dir.path().join("m"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let slave_extra = "brokerId=1\nbrokerRole=SLAVE\n";
    let slave = start_broker(&spec(&dir.path().join("s/store"), Some(ns.addr()), slave_extra), &dir.path().join("s"));
    let c = RemotingClient::default();
    // The slave copies the master's tables 3 s after its start, then every 10 s: create the
    // topic after the first copy, and kill the master before the next.
    tokio::time::sleep(Duration::from_secs(4)).await;
    wait_until("the slave connected", 20, || slave_caught_up(&c, &master.addr(), 0)).await;
    for i in 0..50 {
        assert_eq!(send(&c, &master.addr(), "FreshTopic", &format!("m{i}")).await.code, 0);
    }
    // An empty topic, created on the master (which registers it with the name server at once).
    let h = rmq_remoting::header::CreateTopicRequestHeader {
        topic: "EmptyFresh".into(),
        default_topic: rmq_common::topic::AUTO_CREATE.into(),
        read_queue_nums: 2,
        write_queue_nums: 2,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        ..rmq_remoting::header::CreateTopicRequestHeader::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::UpdateAndCreateTopic, &h);
    assert_eq!(c.invoke(&master.addr(), req, T).await.unwrap().code, 0);
    let end = max_offset(&c, &master.addr(), "FreshTopic").await;
    assert_eq!(end, 50);
    wait_until("replication", 20, || slave_caught_up(&c, &master.addr(), 1)).await;
    let known = c.invoke(&slave.addr(), RemotingCommand::request(RequestCode::GetAllTopicConfig), T).await.unwrap();
    let known = String::from_utf8_lossy(&known.body);
    assert!(
        !known.contains("FreshTopic") && !known.contains("EmptyFresh"),
        "precondition: the slave's metadata copy already has the topics"
    );
    master.kill();

    let got = pull_all(&c, &slave.addr(), "FreshTopic").await.map_err(|r| r.remark).unwrap();
    let bodies: Vec<String> = got.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect();
    assert_eq!(bodies, (0..50).map(|i| format!("m{i}")).collect::<Vec<_>>());

    // The empty topic is learned from the name server once the slave finds its master gone.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let req = RemotingCommand::request(RequestCode::GetAllTopicConfig);
        let all = c.invoke(&slave.addr(), req, T).await.unwrap();
        if String::from_utf8_lossy(&all.body).contains("EmptyFresh") {
            break;
        }
        assert!(Instant::now() < deadline, "the slave never learned the empty topic from the name server");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let got = pull_all(&c, &slave.addr(), "EmptyFresh").await.map_err(|r| r.remark).unwrap();
    assert!(got.is_empty());
}

/// The master's runtime info says a slave is connected and (when `behind_zero` is 1) has
/// everything.
fn slave_caught_up(c: &RemotingClient, master: &str, behind_zero: u8) -> bool {
    let handle = tokio::runtime::Handle::current();
    std::thread::scope(|s| {
        s.spawn(|| {
            handle.block_on(async {
                let req = RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo);
                let Ok(resp) = c.invoke(master, req, T).await else { return false };
                let text = String::from_utf8_lossy(&resp.body).into_owned();
                let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                let table = &v["table"];
                let connected = table["haConnectedSlaves"].as_str().is_some_and(|n| n != "0");
                let lag_zero = table["haReplicationLagBytes"].as_str() == Some("0");
                connected && (behind_zero == 0 || lag_zero)
            })
        })
        .join()
        .unwrap()
    })
}

async fn max_offset(c: &RemotingClient, addr: &str, topic: &str) -> i64 {
    let h = rmq_remoting::header::TopicQueueRequestHeader { topic: topic.into(), queue_id: 0, committed: None };
    let resp = c.invoke(addr, RemotingCommand::request_with_header(RequestCode::GetMaxOffset, &h), T).await.unwrap();
    resp.header::<rmq_remoting::header::OffsetResponseHeader>().unwrap().offset
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nonsense_sys_flags_and_properties_are_refused_at_send() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(&spec(&dir.path().join("store"), None, ""), dir.path());
    let (c, addr) = (RemotingClient::default(), broker.addr());
    // Compressed flag on a plain body, unknown bits, a commit type on a send, inner-batch bits.
    for flag in [0x1, 0x1 | 0x300, 0x1000, 0x8, 0x80] {
        let resp = send_flagged(&c, &addr, "FlagTopic", b"plain text", flag).await;
        assert_eq!(resp.response_code(), ResponseCode::MessageIllegal, "flag {flag:#x}: {:?}", resp.remark);
    }
    // A compressed batch.
    let h = SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: "FlagTopic".into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 1,
        f: 0x1,
        ..SendMessageRequestHeaderV2::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendBatchMessage, &h).with_body(vec![0x78, 0x9C, 0, 0]);
    assert_eq!(c.invoke(&addr, req, T).await.unwrap().response_code(), ResponseCode::MessageIllegal);
    // A delay level that is not a number.
    let h = SendMessageRequestHeaderV2 { i: Some("DELAY\u{1}soon".into()), ..h };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(b"x".to_vec());
    assert_eq!(c.invoke(&addr, req, T).await.unwrap().response_code(), ResponseCode::MessageIllegal);
    // A real zlib body with the flag, and a plain one without, are stored; nothing else was.
    let zlib = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];
    assert_eq!(send_flagged(&c, &addr, "FlagTopic", &zlib, 0x1).await.code, 0);
    assert_eq!(send(&c, &addr, "FlagTopic", "plain").await.code, 0);
    assert_eq!(pull_all(&c, &addr, "FlagTopic").await.unwrap().len(), 2);
}

/// A number from the broker's runtime info table.
async fn runtime_number(c: &RemotingClient, addr: &str, key: &str) -> i64 {
    let resp = c.invoke(addr, RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo), T).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    v["table"][key].as_str().and_then(|s| s.parse().ok()).unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retention_under_disk_pressure_warns_about_and_counts_unconsumed_messages() {
    let dir = tempfile::tempdir().unwrap();
    // Any used disk counts as pressure: unexpired files go at once, small files so several do.
    let extra = "diskMaxUsedSpaceRatio=1\ndiskSpaceCleanForciblyRatio=1\nmappedFileSizeCommitLog=8192\n";
    let broker = start_broker(&spec(&dir.path().join("store"), None, extra), dir.path());
    let (c, addr) = (RemotingClient::default(), broker.addr());
    assert_eq!(runtime_number(&c, &addr, "retentionUnconsumedMessages").await, 0);
    let upd = rmq_remoting::header::UpdateConsumerOffsetRequestHeader {
        consumer_group: "slow_cg".into(),
        topic: "PressTopic".into(),
        queue_id: 0,
        commit_offset: 0,
    };
    assert_eq!(send(&c, &addr, "PressTopic", "first").await.code, 0);
    let req = RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &upd);
    assert_eq!(c.invoke(&addr, req, T).await.unwrap().code, 0);
    let body = "p".repeat(1000);
    for _ in 0..60 {
        assert_eq!(send(&c, &addr, "PressTopic", &body).await.code, 0);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while runtime_number(&c, &addr, "retentionUnconsumedMessages").await <= 0 {
        assert!(Instant::now() < deadline, "no unconsumed message deletion was counted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(runtime_number(&c, &addr, "retentionUnconsumedFiles").await >= 1);
    let log = std::fs::read_to_string(dir.path().join("mqbroker.out")).unwrap_or_default();
    assert!(
        log.lines().any(|l| l.contains("holding unconsumed messages") && l.contains("PressTopic/slow_cg")),
        "no warning naming the topic and group"
    );
}
