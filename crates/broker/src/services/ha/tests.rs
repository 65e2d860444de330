//! The HA link between a real master and slave store on loopback, in controller mode: the
//! master's epoch travels with every header, a slave takes data only from the master of the
//! epoch it follows, and a master that meets a slave of a newer epoch learns it is stale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rmq_common::message::StoreMessage;
use rmq_store::{FileConfig, IndexConfig, MessageStore, PutStatus, StoreConfig};
use tokio_util::sync::CancellationToken;

use super::master::HaMaster;
use super::slave::HaSlave;

fn store(dir: &std::path::Path) -> Arc<MessageStore> {
    MessageStore::open(StoreConfig {
        root: dir.to_owned(),
        files: FileConfig { commit_log_file_size: 1024 * 1024, cq_units_per_file: 1024, ..FileConfig::default() },
        index: IndexConfig { max_hash_slot_num: 64, max_index_num: 100, ..IndexConfig::default() },
        ..StoreConfig::default()
    })
    .unwrap()
}

async fn put(s: &MessageStore, body: &str) {
    let m = StoreMessage {
        topic: "T".into(),
        body: Bytes::from(body.to_owned()),
        born_timestamp: 1,
        born_host: "127.0.0.1:5000".parse().unwrap(),
        ..StoreMessage::default()
    };
    assert_eq!(s.put_message(m).await.status, PutStatus::Ok);
}

/// A master of `master_epoch` with two messages, and a slave (id 2) following epoch
/// `followed`; returns both stores and the master after `wait`.
async fn link(
    master_epoch: i32,
    followed: i32,
    wait: Duration,
) -> (Arc<MessageStore>, Arc<MessageStore>, Arc<HaMaster>) {
    let (md, sd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ms, ss) = (store(md.path()), store(sd.path()));
    put(&ms, "one").await;
    put(&ms, "two").await;
    let stop = CancellationToken::new();
    let master = Arc::new(HaMaster::new(Arc::clone(&ms), stop.clone()).with_epoch(master_epoch, 1));
    let listener = HaMaster::bind("127.0.0.1", 0).await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(Arc::clone(&master).serve(listener));
    let slave = HaSlave::new(Some(addr), Arc::clone(&ss), stop.clone()).with_broker_id(2).with_master_epoch(followed);
    tokio::spawn(Arc::new(slave).run());
    tokio::time::sleep(wait).await;
    stop.cancel();
    std::mem::forget((md, sd)); // the stores stay mapped until the test ends
    (ms, ss, master)
}

#[tokio::test]
async fn a_slave_copies_the_master_of_the_epoch_it_follows() {
    let (ms, ss, master) = link(3, 3, Duration::from_millis(1500)).await;
    assert!(ms.commit_log_max_offset() > 0);
    assert_eq!(ss.commit_log_max_offset(), ms.commit_log_max_offset());
    assert_eq!(ss.read_commit_log(0, 1 << 20), ms.read_commit_log(0, 1 << 20));
    assert_eq!(master.slaves().len(), 1, "the link stays up");
}

#[tokio::test]
async fn a_stale_master_is_refused_and_learns_it() {
    // The slave follows epoch 4; a master still running in epoch 3 ships nothing to it.
    let (md, sd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ms, ss) = (store(md.path()), store(sd.path()));
    put(&ms, "written in the old epoch").await;
    let stop = CancellationToken::new();
    let master = Arc::new(HaMaster::new(Arc::clone(&ms), stop.clone()).with_epoch(3, 1));
    let listener = HaMaster::bind("127.0.0.1", 0).await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(Arc::clone(&master).serve(listener));
    let stale = tokio::spawn({
        let master = Arc::clone(&master);
        async move { master.newer_epoch_seen().await }
    });
    let slave = HaSlave::new(Some(addr), Arc::clone(&ss), stop.clone()).with_broker_id(2).with_master_epoch(4);
    tokio::spawn(Arc::new(slave).run());
    tokio::time::timeout(Duration::from_secs(10), stale).await.expect("the master learns it is stale").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ss.commit_log_max_offset(), 0, "no byte of the stale epoch reaches the slave");
    assert!(master.slaves().is_empty(), "the link is closed");
    stop.cancel();
}

#[tokio::test]
async fn a_slave_of_an_older_epoch_gets_nothing_from_a_newer_master() {
    let (ms, ss, master) = link(5, 4, Duration::from_millis(1500)).await;
    assert!(ms.commit_log_max_offset() > 0);
    assert_eq!(ss.commit_log_max_offset(), 0);
    assert!(master.slaves().is_empty());
}

#[tokio::test]
async fn a_slave_refuses_data_under_another_epochs_header() {
    // A master that ignores the slave's epoch and ships data of epoch 3 to a slave of epoch 4.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sd = tempfile::tempdir().unwrap();
    let ss = store(sd.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let fake = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut hello = [0u8; 24]; // id, epoch, first report
        s.read_exact(&mut hello).await.unwrap();
        assert_eq!(i64::from_be_bytes(hello[8..16].try_into().unwrap()), 4, "the slave names its epoch");
        let data = vec![7u8; 64];
        let mut frame = Vec::new();
        frame.extend_from_slice(&0i64.to_be_bytes());
        frame.extend_from_slice(&64i32.to_be_bytes());
        frame.extend_from_slice(&3i32.to_be_bytes());
        frame.extend_from_slice(&data);
        s.write_all(&frame).await.unwrap();
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
    });
    let stop = CancellationToken::new();
    let slave =
        Arc::new(HaSlave::new(Some(addr), Arc::clone(&ss), stop.clone()).with_broker_id(2).with_master_epoch(4));
    tokio::spawn(Arc::clone(&slave).run());
    tokio::time::timeout(Duration::from_secs(10), fake).await.unwrap().unwrap();
    assert_eq!(ss.commit_log_max_offset(), 0, "data of epoch 3 is not appended");
    stop.cancel();
}
