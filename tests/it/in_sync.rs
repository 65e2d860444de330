//! Controller mode (#25): when a SYNC write counts as replicated, with RocketMQ 5.3.3's answers.
//! One controller and single-replica broker sets, each its own master:
//! * `inSyncReplicas=2` and no slave: SLAVE_NOT_AVAILABLE (the message is stored, not
//!   acknowledged);
//! * the same with a slave connected that never acknowledges: FLUSH_SLAVE_TIMEOUT after
//!   `syncFlushTimeout`;
//! * `minInSyncReplicas=2` with a SyncStateSet of the master alone: SYSTEM_ERROR "in-sync
//!   replicas not enough", and nothing is stored (RocketMQ's IN_SYNC_REPLICAS_NOT_ENOUGH);
//! * `allAckInSyncStateSet=true` with a SyncStateSet of the master alone: SEND_OK at once, even
//!   with a connected slave that is not in the set.

use std::path::Path;
use std::time::{Duration, Instant};

use rmq_remoting::header::{OffsetResponseHeader, SendMessageRequestHeaderV2, TopicQueueRequestHeader};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{free_port_pair, start_broker_file, start_namesrv, Process};
use tokio::io::AsyncWriteExt;

use crate::controller::{leader_among, Group};

const T: Duration = Duration::from_secs(10);
const TOPIC: &str = "InSyncTopic";

/// A single-replica broker set `name` in controller mode with `extra` config lines.
fn start_set(root: &Path, name: &str, ns: &str, controller: &str, extra: &str) -> Process {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port_pair();
    let text = format!(
        "brokerClusterName=InSyncCluster\nbrokerName={name}\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\n\
         listenPort={port}\nfastListenEnable=false\nstorePathRootDir={}\nmappedFileSizeCommitLog=16777216\n\
         maxHashSlotNum=50000\nmaxIndexNum=200000\nnamesrvAddr={ns}\nenableControllerMode=true\n\
         controllerAddr={controller}\nsyncFlushTimeout=1000\ncheckSyncStateSetPeriod=60000\n{extra}",
        dir.join("store").display()
    );
    let conf = dir.join("broker.conf");
    std::fs::write(&conf, text).unwrap();
    start_broker_file(&conf, &dir, port)
}

async fn send(c: &RemotingClient, broker: &str, body: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        a: "in_sync_pg".into(),
        b: TOPIC.into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 1,
        e: 0,
        ..Default::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(body.as_bytes().to_vec());
    c.invoke(broker, req, T).await.unwrap()
}

/// Sends until the broker answers as a master (its role is decided after its port opens).
async fn first_answer(c: &RemotingClient, broker: &str) -> RemotingCommand {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let resp = send(c, broker, "first").await;
        if resp.response_code() != ResponseCode::ServiceNotAvailable || Instant::now() > deadline {
            return resp;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn stored(c: &RemotingClient, broker: &str) -> i64 {
    let h = TopicQueueRequestHeader { topic: TOPIC.into(), queue_id: 0, committed: None };
    let resp = c.invoke(broker, RemotingCommand::request_with_header(RequestCode::GetMaxOffset, &h), T).await.unwrap();
    resp.header::<OffsetResponseHeader>().map_or(0, |h| h.offset)
}

/// A slave on `broker`'s HA port that names its id and epoch 1, reports offset 0 once and then
/// never acknowledges anything.
async fn silent_slave(broker: &str) -> tokio::net::TcpStream {
    let (host, port) = broker.rsplit_once(':').unwrap();
    let port: u16 = port.parse().unwrap();
    let mut s = tokio::net::TcpStream::connect((host, port + 1)).await.unwrap();
    let mut hello = Vec::new();
    hello.extend_from_slice(&(-(9i64 + 1)).to_be_bytes());
    hello.extend_from_slice(&1i64.to_be_bytes());
    hello.extend_from_slice(&0i64.to_be_bytes());
    s.write_all(&hello).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_write_is_acknowledged_only_on_enough_replicas() {
    let dir = tempfile::tempdir().unwrap();
    let g = Group::new(dir.path(), 1);
    let _ctl = g.start(0);
    let c = RemotingClient::default();
    leader_among(&c, &g, &[0]).await;
    let ns = start_namesrv(dir.path());
    let (nsa, ctl) = (ns.addr(), g.addr(0));

    // inSyncReplicas=2 and no slave.
    let x = start_set(dir.path(), "broker-x", &nsa, &ctl, "inSyncReplicas=2\nminInSyncReplicas=1\n");
    let resp = first_answer(&c, &x.addr()).await;
    assert_eq!(resp.response_code(), ResponseCode::SlaveNotAvailable, "{:?}", resp.remark);
    assert_eq!(stored(&c, &x.addr()).await, 1, "stored though not acknowledged");
    // A connected slave that never acknowledges.
    let _slave = silent_slave(&x.addr()).await;
    let started = Instant::now();
    let resp = send(&c, &x.addr(), "second").await;
    assert_eq!(resp.response_code(), ResponseCode::FlushSlaveTimeout, "{:?}", resp.remark);
    println!("FLUSH_SLAVE_TIMEOUT after {} ms (syncFlushTimeout=1000)", started.elapsed().as_millis());

    // minInSyncReplicas=2 with a SyncStateSet of one: refused before it is stored.
    let y = start_set(dir.path(), "broker-y", &nsa, &ctl, "inSyncReplicas=2\nminInSyncReplicas=2\n");
    let resp = first_answer(&c, &y.addr()).await;
    assert_eq!(resp.response_code(), ResponseCode::SystemError);
    assert_eq!(resp.remark.as_deref(), Some("in-sync replicas not enough"));
    assert_eq!(stored(&c, &y.addr()).await, 0, "nothing stored");

    // allAckInSyncStateSet with the master alone in the set: acknowledged at once, whatever
    // slave is connected outside the set.
    let z = start_set(dir.path(), "broker-z", &nsa, &ctl, "inSyncReplicas=2\nallAckInSyncStateSet=true\n");
    let resp = first_answer(&c, &z.addr()).await;
    assert_eq!(resp.response_code(), ResponseCode::Success, "{:?}", resp.remark);
    let _outsider = silent_slave(&z.addr()).await;
    let resp = send(&c, &z.addr(), "second").await;
    assert_eq!(resp.response_code(), ResponseCode::Success, "{:?}", resp.remark);
    drop((x, y, z, ns));
}
