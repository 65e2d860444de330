//! Store behaviour: append/read, file boundaries, recovery, torn tails.
// Test and example code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod common;

use std::sync::Arc;

use bytes::Bytes;
use rmq_common::message::{MessageExt, StoreMessage};
use rmq_store::{
    FileConfig, FlushMode, GetMessageStatus, IndexConfig, MessageStore, PutStatus, StoreConfig, TopicRules,
};

fn config(dir: &std::path::Path, file_size: usize) -> StoreConfig {
    StoreConfig {
        root: dir.to_owned(),
        files: FileConfig { commit_log_file_size: file_size, cq_units_per_file: 64, ..FileConfig::default() },
        index: IndexConfig { max_hash_slot_num: 64, max_index_num: 100, ..IndexConfig::default() },
        retention: common::roomy_retention(),
        ..StoreConfig::default()
    }
}

fn msg(topic: &str, queue: i32, body: &str, tag: &str) -> StoreMessage {
    StoreMessage {
        topic: topic.into(),
        queue_id: queue,
        body: Bytes::from(body.to_owned()),
        properties: vec![("TAGS".into(), tag.into()), ("KEYS".into(), format!("k-{body}"))],
        born_timestamp: 1,
        born_host: "127.0.0.1:5000".parse().unwrap(),
        ..StoreMessage::default()
    }
}

async fn put(store: &MessageStore, m: StoreMessage) -> (i64, i64) {
    let r = store.put_message(m).await;
    assert_eq!(r.status, PutStatus::Ok, "{}", r.remark);
    (r.queue_offset, r.phy_offset)
}

fn all(store: &MessageStore, topic: &str, q: i32) -> Vec<MessageExt> {
    let mut out = Vec::new();
    loop {
        let r = store.get_messages(topic, q, i64::try_from(out.len()).unwrap(), 10_000, &|_| true);
        if r.messages.is_empty() {
            return out;
        }
        out.extend(r.messages.iter().map(|b| MessageExt::decode_checked(b, true).unwrap()));
    }
}

#[tokio::test]
async fn put_then_get_with_dense_offsets_and_tag_filter() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    for i in 0..10 {
        let (qo, _) = put(&store, msg("T", 1, &format!("m{i}"), if i % 2 == 0 { "a" } else { "b" })).await;
        assert_eq!(qo, i);
    }
    assert_eq!(store.max_offset("T", 1), 10);
    let tag_a = i64::from(rmq_common::hash::java_hash("a"));
    let r = store.get_messages("T", 1, 0, 32, &|t| t == tag_a);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert_eq!(r.messages.len(), 5);
    assert_eq!(r.next_begin_offset, 10);
    assert_eq!(store.get_messages("T", 1, 10, 32, &|_| true).status, GetMessageStatus::OffsetOverflowOne);
    assert_eq!(store.get_messages("T", 1, 11, 32, &|_| true).status, GetMessageStatus::OffsetOverflowBadly);
    assert_eq!(store.get_messages("T", 2, 0, 32, &|_| true).status, GetMessageStatus::NoMatchedLogicQueue);
    let q = store.query_by_key("T", "k-m3", 10, 0, i64::MAX);
    assert_eq!(q.messages.len(), 1);
    store.shutdown();
}

#[tokio::test]
async fn records_cross_file_boundaries_with_blank_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), 4096)).unwrap();
    let body = "x".repeat(700);
    let mut phys = Vec::new();
    for _ in 0..20 {
        phys.push(put(&store, msg("T", 0, &body, "t")).await.1);
    }
    // Every record lies within one file.
    for p in &phys {
        assert_eq!(p / 4096, (p + 800) / 4096, "record at {p} crosses a file");
    }
    assert!(phys.last().unwrap() / 4096 >= 3);
    assert_eq!(all(&store, "T", 0).len(), 20);
    store.shutdown();
    drop(store);
    let store = MessageStore::open(config(dir.path(), 4096)).unwrap();
    assert_eq!(all(&store, "T", 0).len(), 20);
    assert_eq!(put(&store, msg("T", 0, "after", "t")).await.0, 20);
}

#[tokio::test]
async fn recovery_after_crash_truncates_a_torn_tail_and_rebuilds_queues() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
        for i in 0..5 {
            put(&store, msg("T", 0, &format!("m{i}"), "t")).await;
        }
        // No shutdown: the abort file stays, as after a crash.
        let _leak = Arc::clone(&store);
        std::mem::forget(_leak);
    }
    // Corrupt the last record's body and remove the consume queue entirely.
    let log = dir.path().join("commitlog").join(format!("{:020}", 0));
    let bytes = std::fs::read(&log).unwrap();
    // Flip a byte of the last record's body ("m4").
    let at = bytes.windows(4).rposition(|w| w == b"m4\x01T").unwrap();
    // Patch in place: truncating a file the leaked store still maps would SIGBUS its threads.
    {
        use std::io::{Seek, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
        f.seek(std::io::SeekFrom::Start(u64::try_from(at + 1).unwrap())).unwrap();
        f.write_all(&[bytes[at + 1] ^ 0xFF]).unwrap();
    }
    std::fs::remove_dir_all(dir.path().join("consumequeue")).unwrap();
    std::fs::remove_file(dir.path().join("lock")).ok();
    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    let msgs = all(&store, "T", 0);
    assert_eq!(msgs.len(), 4, "the corrupt last record is dropped, the rest rebuilt");
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m.queue_offset, i64::try_from(i).unwrap());
        assert_eq!(m.body, Bytes::from(format!("m{i}")));
    }
    assert_eq!(put(&store, msg("T", 0, "next", "t")).await.0, 4);
}

#[tokio::test]
async fn sync_flush_acknowledges_after_flush() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 1024 * 1024);
    cfg.flush.mode = FlushMode::Sync;
    let store = MessageStore::open(cfg).unwrap();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let s = Arc::clone(&store);
        tasks.push(tokio::spawn(async move { s.put_message(msg("T", i % 4, "sync", "t")).await.status }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), PutStatus::Ok);
    }
    store.shutdown();
}

#[tokio::test]
async fn a_second_process_cannot_open_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let _store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    assert!(MessageStore::open(config(dir.path(), 64 * 1024)).is_err());
}

#[tokio::test]
async fn retention_deletes_expired_files_and_moves_queue_min_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 4096);
    cfg.retention.file_reserved_time = std::time::Duration::from_secs(3600);
    cfg.retention.delete_when = (0..24).collect();
    let store = MessageStore::open(cfg).unwrap();
    let body = "y".repeat(700);
    for _ in 0..20 {
        put(&store, msg("T", 0, &body, "t")).await;
    }
    let now = std::time::SystemTime::now();
    // Nothing is old yet.
    assert_eq!(store.delete_expired_files(now), None);
    // Two hours later every file but the one being written has expired (the fake clock).
    let later = now + std::time::Duration::from_secs(7200);
    let new_min = store.delete_expired_files(later).expect("files deleted");
    assert!(new_min >= 4096, "{new_min}");
    let min = store.min_offset("T", 0);
    assert!(min > 0, "queue min offset moved: {min}");
    let r = store.get_messages("T", 0, 0, 32, &|_| true);
    assert_eq!(r.status, GetMessageStatus::OffsetTooSmall);
    assert_eq!(r.next_begin_offset, min);
    let rest = store.get_messages("T", 0, min, 1000, &|_| true);
    assert_eq!(rest.messages.len(), usize::try_from(20 - min).unwrap());
    // Appends go on; a restart keeps the corrected min.
    put(&store, msg("T", 0, "after", "t")).await;
    store.shutdown();
    drop(store);
    let store = MessageStore::open(config(dir.path(), 4096)).unwrap();
    assert_eq!(store.min_offset("T", 0), min);
    assert_eq!(store.max_offset("T", 0), 21);
}

#[tokio::test]
async fn forced_retention_under_disk_pressure_reports_what_each_queue_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 4096);
    // Any disk in use counts as pressure here; no delete hour, nothing expired.
    cfg.retention.delete_when = Vec::new();
    cfg.retention.disk_max_used_ratio = 0;
    cfg.retention.clean_forcibly_ratio = 0;
    let store = MessageStore::open(cfg).unwrap();
    type Heard = parking_lot::Mutex<Vec<(bool, Vec<rmq_store::QueueCut>)>>;
    let heard: Arc<Heard> = Arc::default();
    let h = Arc::clone(&heard);
    store.set_retention_listener(Arc::new(move |file: &rmq_store::DeletedLogFile, cuts: &[rmq_store::QueueCut]| {
        h.lock().push((file.forced, cuts.to_vec()));
    }));
    let body = "y".repeat(700);
    for _ in 0..20 {
        put(&store, msg("T", 0, &body, "t")).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while heard.lock().is_empty() {
        store.delete_expired_files(std::time::SystemTime::now());
        assert!(std::time::Instant::now() < deadline, "no forced deletion");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (forced, cuts) = heard.lock()[0].clone();
    assert!(forced, "the file had not expired");
    let cut = cuts.iter().find(|c| c.topic == "T" && c.queue_id == 0).expect("queue T/0 lost units");
    assert_eq!(cut.from, 0);
    assert!(cut.to > 0 && cut.to <= store.min_offset("T", 0), "{cut:?}");
}

#[tokio::test]
async fn retention_follows_runtime_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 4096);
    cfg.retention.file_reserved_time = std::time::Duration::from_secs(72 * 3600);
    cfg.retention.delete_when = (0..24).collect();
    let store = MessageStore::open(cfg).unwrap();
    let body = "y".repeat(700);
    for _ in 0..20 {
        put(&store, msg("T", 0, &body, "t")).await;
    }
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(7200);
    assert_eq!(store.delete_expired_files(later), None, "72 h reserved: nothing expired after 2 h");
    // No delete hour: nothing goes, whatever the age (a disk ratio of 100 keeps forced deletion,
    // which follows how full the host's disk is, out of this test).
    store.set_retention(std::time::Duration::from_secs(3600), Vec::new(), 100);
    assert_eq!(store.delete_expired_files(later), None);
    // fileReservedTime=1 at every hour (UPDATE_BROKER_CONFIG): the old files go at once.
    store.set_retention(std::time::Duration::from_secs(3600), (0..24).collect(), 100);
    assert!(store.delete_expired_files(later).is_some());
}

#[tokio::test]
async fn a_full_disk_refuses_appends_and_keeps_what_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    put(&store, msg("T", 0, "kept", "t")).await;
    store.shutdown();
    drop(store);
    // A hard limit of 0% used: any real disk is "full".
    let mut cfg = config(dir.path(), 64 * 1024);
    cfg.retention.disk_full_ratio = 0;
    let store = MessageStore::open(cfg).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = store.put_message(msg("T", 0, "refused", "t")).await;
    assert_eq!(r.status, PutStatus::ServiceNotAvailable);
    assert!(r.remark.contains("disk is full"), "{}", r.remark);
    let msgs = all(&store, "T", 0);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].body, Bytes::from("kept"));
}

#[tokio::test]
async fn checkpoint_records_the_last_flushed_store_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    put(&store, msg("T", 0, "a", "t")).await;
    store.shutdown();
    let cp = store.checkpoint();
    let stored = all(&store, "T", 0)[0].store_timestamp;
    assert_eq!(cp.physic_msg_timestamp, stored);
    assert_eq!(cp.logics_msg_timestamp, stored);
    assert_eq!(std::fs::metadata(dir.path().join("checkpoint")).unwrap().len(), 4096);
}

fn keyed(topic: &str, i: usize) -> StoreMessage {
    let mut m = msg(topic, 0, &format!("m{i}"), "t");
    m.properties.push(("UNIQ_KEY".into(), format!("U{i:06}")));
    m
}

fn query_bodies(store: &MessageStore, topic: &str, key: &str) -> Vec<Bytes> {
    let r = store.query_by_key(topic, key, 32, 0, 0);
    r.messages.iter().map(|b| MessageExt::decode_checked(b, false).unwrap().body).collect()
}

#[tokio::test]
async fn index_files_use_rocketmq_names_and_layout_and_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    for i in 0..150 {
        put(&store, keyed("K", i)).await;
    }
    // Two keys per message (KEYS and UNIQ_KEY), 99 entries per file: four files.
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("index"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    for n in &names {
        assert!(n.len() == 17 && n.bytes().all(|b| b.is_ascii_digit()), "{n}");
        assert_eq!(std::fs::metadata(dir.path().join("index").join(n)).unwrap().len(), 40 + 64 * 4 + 100 * 20);
    }
    for i in [0usize, 1, 77, 149] {
        assert_eq!(query_bodies(&store, "K", &format!("k-m{i}")), vec![Bytes::from(format!("m{i}"))]);
        assert_eq!(query_bodies(&store, "K", &format!("U{i:06}")), vec![Bytes::from(format!("m{i}"))]);
    }
    assert!(query_bodies(&store, "K", "k-m150").is_empty());
    assert!(query_bodies(&store, "Other", "k-m1").is_empty(), "keys are per topic");
    store.shutdown();
    drop(store);

    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    assert_eq!(query_bodies(&store, "K", "U000149"), vec![Bytes::from("m149")]);
    put(&store, keyed("K", 150)).await;
    assert_eq!(query_bodies(&store, "K", "k-m150"), vec![Bytes::from("m150")]);
    // A crash (no shutdown): the index is rebuilt from the checkpoint's safe point, no duplicates.
    std::mem::forget(Arc::clone(&store));
    drop(store);
    std::fs::remove_file(dir.path().join("lock")).ok();
    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    for i in [0usize, 100, 150] {
        assert_eq!(query_bodies(&store, "K", &format!("U{i:06}")), vec![Bytes::from(format!("m{i}"))], "{i}");
    }
}

#[tokio::test]
async fn restart_scans_the_commit_log_from_the_checkpoint_only() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(2000);
    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    for i in 0..100 {
        put(&store, msg("R", 0, &format!("{i}-{big}"), "t")).await;
    }
    // The checkpoint's safe point trails the last flush by 3 s.
    tokio::time::sleep(std::time::Duration::from_millis(4200)).await;
    for i in 100..120 {
        put(&store, msg("R", 0, &format!("{i}-{big}"), "t")).await;
    }
    store.shutdown();
    drop(store);
    let store = MessageStore::open(config(dir.path(), 64 * 1024)).unwrap();
    let stats = store.recovery_stats();
    assert!(stats.from > 64 * 1024, "scan started past the first files: {stats:?}");
    assert!(stats.scanned < 60, "scanned {} of 120 records", stats.scanned);
    assert_eq!(stats.redispatched, 0);
    let msgs = all(&store, "R", 0);
    assert_eq!(msgs.len(), 120);
    assert!(msgs[119].body.starts_with(b"119-"));
    assert_eq!(put(&store, msg("R", 0, "next", "t")).await.0, 120);
}

fn remain_to_flush(store: &MessageStore) -> u64 {
    let info = store.runtime_info();
    info.iter().find(|(k, _)| k == "remainHowManyDataToFlush").unwrap().1.parse().unwrap()
}

#[tokio::test]
async fn async_flush_waits_for_least_pages_unless_the_thorough_interval_passed() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 1024 * 1024);
    cfg.flush.interval = std::time::Duration::from_millis(20);
    cfg.flush.least_pages = 4;
    cfg.flush.thorough_interval = std::time::Duration::from_millis(1500);
    let store = MessageStore::open(cfg).unwrap();
    // Let the first thorough interval start from now.
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    put(&store, msg("F", 0, "small", "t")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(remain_to_flush(&store) > 0, "one small record is below 4 pages: not flushed yet");
    let big = "b".repeat(20_000);
    put(&store, msg("F", 0, &big, "t")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(remain_to_flush(&store), 0, "past 4 pages: flushed at the next interval");
    put(&store, msg("F", 0, "small again", "t")).await;
    let started = std::time::Instant::now();
    while remain_to_flush(&store) > 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "the thorough interval flushes");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(started.elapsed() >= std::time::Duration::from_millis(500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_replica_fed_raw_spans_matches_the_master_and_truncates() {
    let (mdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let master = MessageStore::open(config(mdir.path(), 64 * 1024)).unwrap();
    let slave = MessageStore::open(config(sdir.path(), 64 * 1024)).unwrap();
    let big = "y".repeat(1500);
    for i in 0..120 {
        put(&master, keyed("H", i)).await;
        if i % 10 == 0 {
            put(&master, msg("H", 1, &format!("{i}-{big}"), "t")).await;
        }
    }
    // Ship in odd-sized spans, splitting records, as the HA stream may.
    let end = master.commit_log_max_offset();
    let mut at = master.commit_log_min_offset();
    while at < end {
        let span = master.read_commit_log(at, 777).unwrap();
        slave.append_replicated(at, &span).unwrap();
        at += span.len() as u64;
    }
    assert_eq!(slave.commit_log_max_offset(), end);
    for q in [0, 1] {
        let (m, s) = (all(&master, "H", q), all(&slave, "H", q));
        assert_eq!(m.len(), s.len());
        for (a, b) in m.iter().zip(&s) {
            assert_eq!((a.queue_offset, a.commit_log_offset, &a.body), (b.queue_offset, b.commit_log_offset, &b.body));
        }
    }
    assert_eq!(query_bodies(&slave, "H", "U000077"), vec![Bytes::from("m77")], "the slave's index");
    // Byte-identical up to the end (the master may have pre-created its next file already).
    let log = |d: &std::path::Path| {
        let mut names: Vec<_> = std::fs::read_dir(d.join("commitlog")).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        let mut bytes = Vec::new();
        for n in names {
            bytes.extend(std::fs::read(n).unwrap());
        }
        bytes.truncate(usize::try_from(end).unwrap());
        bytes
    };
    assert_eq!(log(mdir.path()), log(sdir.path()), "byte-identical commit logs");
    // A master that came back shorter: the slave cuts its log, queues and index to match.
    let cut = all(&master, "H", 0)[60].commit_log_offset;
    assert!(slave.truncate_commit_log(u64::try_from(cut).unwrap()));
    assert_eq!(slave.max_offset("H", 0), 60);
    assert!(query_bodies(&slave, "H", "U000077").is_empty());
    assert_eq!(query_bodies(&slave, "H", "U000010"), vec![Bytes::from("m10")]);
    master.shutdown();
    slave.shutdown();
}

#[tokio::test]
async fn properties_too_long_for_the_record_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), 1024 * 1024)).unwrap();
    put(&store, msg("T", 0, "before", "a")).await;
    let mut m = msg("T", 0, "huge", "a");
    // 32,768 bytes of properties: one past what the record's i16 length field holds.
    m.properties = vec![("p".into(), "x".repeat(32_766))];
    assert_eq!(rmq_common::property::encoded_len(&m.properties), 32_768);
    let r = store.put_message(m).await;
    assert_eq!(r.status, PutStatus::MessageIllegal, "{r:?}");
    put(&store, msg("T", 0, "after", "a")).await;
    let bodies: Vec<Bytes> = all(&store, "T", 0).into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, vec![Bytes::from("before"), Bytes::from("after")], "nothing torn between them");
}

#[tokio::test]
async fn units_rebuilt_from_the_log_take_the_store_time_as_tag_code_only_for_the_topics_the_broker_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 64 * 1024);
    cfg.topics = TopicRules { store_time_tag_topics: vec!["Delayed".into()] };
    let store = MessageStore::open(cfg.clone()).unwrap();
    for topic in ["Delayed", "Plain", "SCHEDULE_TOPIC_XXXX"] {
        put(&store, msg(topic, 0, topic, "tg")).await;
    }
    let stored: Vec<MessageExt> =
        ["Delayed", "Plain", "SCHEDULE_TOPIC_XXXX"].iter().map(|t| all(&store, t, 0).remove(0)).collect();
    store.shutdown();
    drop(store);
    // Lose the consume queues: recovery rebuilds every unit from the commit log.
    std::fs::remove_dir_all(dir.path().join("consumequeue")).unwrap();
    std::fs::remove_file(dir.path().join("checkpoint")).unwrap();
    let store = MessageStore::open(cfg).unwrap();
    assert_eq!(store.recovery_stats().redispatched, 3);
    let tag = i64::from(rmq_common::hash::java_hash("tg"));
    let codes: Vec<i64> = ["Delayed", "Plain", "SCHEDULE_TOPIC_XXXX"]
        .iter()
        .map(|t| store.consume_queue_units(t, 0, 0, 10).iter().map(|u| u.2).collect::<Vec<_>>())
        .map(|c| {
            assert_eq!(c.len(), 1);
            c[0]
        })
        .collect();
    // The store knows no topic by name: only the one the config names gets the store time.
    assert_eq!(codes, vec![stored[0].store_timestamp, tag, tag]);
    assert_ne!(stored[0].store_timestamp, tag);
    store.shutdown();
}
