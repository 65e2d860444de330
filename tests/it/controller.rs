//! Controller mode (#25): three `mqcontroller`s elect a Raft leader, replicate broker sets'
//! metadata, survive the leader's SIGKILL and a restart of all three; brokers are played by
//! the test (registration, heartbeats, a server receiving NOTIFY_BROKER_ROLE_CHANGED).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_remoting::body::{BrokerReplicasInfo, SyncStateSet};
use rmq_remoting::header::{
    AlterSyncStateSetRequestHeader, ApplyBrokerIdRequestHeader, BrokerHeartbeatRequestHeader, ElectMasterRequestHeader,
    ElectMasterResponseHeader, GetMetaDataResponseHeader, GetReplicaInfoRequestHeader,
    NotifyBrokerRoleChangedRequestHeader, RegisterBrokerToControllerRequestHeader,
};
use rmq_remoting::transport::{Dispatcher, RemotingClient, RemotingServer, RequestContext, ServerConfig};
use rmq_remoting::{EmptyHeader, RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{free_port, start_controller_file, Process};

const T: Duration = Duration::from_secs(5);

/// Controllers on free ports, one Raft group (shared with `failover`).
pub(crate) struct Group {
    ports: Vec<u16>,
    dir: std::path::PathBuf,
}

impl Group {
    pub(crate) fn new(dir: &Path, n: usize) -> Self {
        Self { ports: (0..n).map(|_| free_port()).collect(), dir: dir.to_owned() }
    }

    pub(crate) fn start(&self, i: usize) -> Process {
        let peers: Vec<String> = self.ports.iter().enumerate().map(|(j, p)| format!("n{j}-127.0.0.1:{p}")).collect();
        let dir = self.dir.join(format!("c{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("controller.conf");
        let text = format!(
            "listenPort={}\nbindAddress=127.0.0.1\ncontrollerDLegerGroup=g1\ncontrollerDLegerPeers={}\ncontrollerDLegerSelfId=n{i}\ncontrollerStorePath={}\nscanNotActiveBrokerInterval=300\n",
            self.ports[i],
            peers.join(";"),
            dir.join("store").display()
        );
        std::fs::write(&conf, text).unwrap();
        start_controller_file(&conf, &dir, self.ports[i])
    }

    pub(crate) fn addr(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.ports[i])
    }
}

async fn metadata(client: &RemotingClient, addr: &str) -> Option<GetMetaDataResponseHeader> {
    let req = RemotingCommand::request_with_header(RequestCode::ControllerGetMetadataInfo, &EmptyHeader);
    let answer = client.invoke(addr, req, T).await.ok()?.into_success().ok()?;
    answer.header().ok()
}

/// Waits until every listed controller names the same leader, one of them; returns its index.
pub(crate) async fn leader_among(client: &RemotingClient, g: &Group, alive: &[usize]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let mut seen = Vec::new();
        for &i in alive {
            seen.push(metadata(client, &g.addr(i)).await.and_then(|m| m.controller_leader_address));
        }
        if let Some(Some(first)) = seen.first() {
            if seen.iter().all(|s| s.as_deref() == Some(first.as_str())) {
                if let Some(&i) = alive.iter().find(|&&i| g.addr(i) == *first) {
                    return i;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no agreed controller leader among {alive:?}");
}

async fn call(client: &RemotingClient, addr: &str, req: RemotingCommand) -> RemotingCommand {
    client.invoke(addr, req, T).await.expect("controller answers")
}

fn apply_id(id: i64, broker_addr: &str) -> RemotingCommand {
    let h = ApplyBrokerIdRequestHeader {
        cluster_name: "c1".into(),
        broker_name: "broker-a".into(),
        applied_broker_id: id,
        register_check_code: format!("{broker_addr};{id}"),
    };
    RemotingCommand::request_with_header(RequestCode::ControllerApplyBrokerId, &h)
}

fn register(id: i64, broker_addr: &str) -> RemotingCommand {
    let h = RegisterBrokerToControllerRequestHeader {
        cluster_name: "c1".into(),
        broker_name: "broker-a".into(),
        broker_id: id,
        broker_address: broker_addr.into(),
        invoke_time: None,
    };
    RemotingCommand::request_with_header(RequestCode::ControllerRegisterBroker, &h)
}

fn heartbeat(id: i64, broker_addr: &str, max_offset: i64) -> RemotingCommand {
    let h = BrokerHeartbeatRequestHeader {
        cluster_name: "c1".into(),
        broker_addr: broker_addr.into(),
        broker_name: "broker-a".into(),
        broker_id: Some(id),
        epoch: Some(1),
        max_offset: Some(max_offset),
        heartbeat_timeout_mills: Some(60_000),
        ..BrokerHeartbeatRequestHeader::default()
    };
    RemotingCommand::request_with_header(RequestCode::BrokerHeartbeat, &h)
}

async fn replica_info(client: &RemotingClient, addr: &str) -> ElectMasterResponseHeader {
    let h = GetReplicaInfoRequestHeader { broker_name: "broker-a".into() };
    let answer =
        call(client, addr, RemotingCommand::request_with_header(RequestCode::ControllerGetReplicaInfo, &h)).await;
    answer.into_success().expect("replica info").header().unwrap()
}

/// A fake broker endpoint that records role-change notifications.
async fn fake_broker() -> (RemotingServer, Arc<Mutex<Vec<NotifyBrokerRoleChangedRequestHeader>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rec = Arc::clone(&seen);
    let processor = move |_ctx: RequestContext, req: RemotingCommand| {
        let rec = Arc::clone(&rec);
        async move {
            if req.request_code() == RequestCode::NotifyBrokerRoleChanged {
                rec.lock().push(req.header().unwrap());
            }
            Some(RemotingCommand::success())
        }
    };
    let server =
        RemotingServer::bind("127.0.0.1:0", Dispatcher::new().processor(Arc::new(processor)), ServerConfig::default())
            .await
            .unwrap();
    (server, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_controllers_replicate_elect_and_fail_over() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Group::new(tmp.path(), 3);
    let mut procs: Vec<Option<Process>> = (0..3).map(|i| Some(g.start(i))).collect();
    let client = RemotingClient::default();
    let leader = leader_among(&client, &g, &[0, 1, 2]).await;
    let la = g.addr(leader);
    let follower = (leader + 1) % 3;

    // Writes on a follower are refused with the leader's address.
    let refused = call(&client, &g.addr(follower), apply_id(1, "127.0.0.1:1")).await;
    assert_eq!(refused.response_code(), ResponseCode::ControllerNotLeader);
    assert!(refused.remark_str().contains(&la), "{}", refused.remark_str());

    // Three replicas of broker-a; broker 3 listens for notifications.
    let (b3, notified) = fake_broker().await;
    let addrs = ["127.0.0.1:1".to_owned(), "127.0.0.1:2".to_owned(), b3.local_addr().to_string()];
    for (i, addr) in addrs.iter().enumerate() {
        let id = i64::try_from(i).unwrap() + 1;
        assert_eq!(call(&client, &la, apply_id(id, addr)).await.response_code(), ResponseCode::Success);
        assert_eq!(call(&client, &la, register(id, addr)).await.response_code(), ResponseCode::Success);
        assert_eq!(call(&client, &la, heartbeat(id, addr, 100 * id)).await.response_code(), ResponseCode::Success);
    }
    let elect = ElectMasterRequestHeader { broker_name: "broker-a".into(), broker_id: Some(1), ..Default::default() };
    let elected =
        call(&client, &la, RemotingCommand::request_with_header(RequestCode::ControllerElectMaster, &elect)).await;
    assert_eq!(elected.response_code(), ResponseCode::Success, "{}", elected.remark_str());
    let h: ElectMasterResponseHeader = elected.header().unwrap();
    assert_eq!((h.master_broker_id, h.master_epoch), (Some(1), Some(1)));

    // The master widens its SyncStateSet; a stale epoch is fenced.
    let alter = |master_epoch, sse| {
        let h = AlterSyncStateSetRequestHeader {
            broker_name: "broker-a".into(),
            master_broker_id: 1,
            master_epoch,
            invoke_time: None,
        };
        let body = SyncStateSet { sync_state_set: [1, 2, 3].into(), sync_state_set_epoch: sse };
        RemotingCommand::request_with_header(RequestCode::ControllerAlterSyncStateSet, &h)
            .with_body(serde_json::to_vec(&body).unwrap())
    };
    assert_eq!(call(&client, &la, alter(0, 1)).await.response_code(), ResponseCode::ControllerFencedMasterEpoch);
    let altered = call(&client, &la, alter(1, 1)).await;
    assert_eq!(altered.response_code(), ResponseCode::Success, "{}", altered.remark_str());
    assert_eq!(altered.ext_fields.get("newSyncStateSetEpoch"), Some("2"));

    // Kill the Raft leader: the two others elect a new one that has the replicated state.
    procs[leader].take().unwrap().kill();
    let rest: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    let new_leader = leader_among(&client, &g, &rest).await;
    let na = g.addr(new_leader);
    let info = replica_info(&client, &na).await;
    assert_eq!((info.master_broker_id, info.master_epoch, info.sync_state_set_epoch), (Some(1), Some(1), Some(2)));

    // Replicas 3 and 2 report to the new leader, master 1 does not: its heartbeats stopped,
    // so the leader elects from the SyncStateSet the one with the largest offset, bumps the
    // epoch and tells the replicas.
    assert_eq!(call(&client, &na, heartbeat(3, &addrs[2], 300)).await.response_code(), ResponseCode::Success);
    assert_eq!(call(&client, &na, heartbeat(2, &addrs[1], 200)).await.response_code(), ResponseCode::Success);
    let deadline = Instant::now() + Duration::from_secs(20);
    let info = loop {
        let info = replica_info(&client, &na).await;
        if info.master_epoch == Some(2) || Instant::now() > deadline {
            break info;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((info.master_broker_id, info.master_epoch), (Some(3), Some(2)), "{info:?}");
    assert_eq!(info.master_address.as_deref(), Some(addrs[2].as_str()));
    // Broker 3 was told of both elections: master 1 in epoch 1, then itself in epoch 2.
    let told = |n: &NotifyBrokerRoleChangedRequestHeader| (n.master_broker_id, n.master_epoch);
    let deadline = Instant::now() + Duration::from_secs(10);
    while notified.lock().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let notes: Vec<_> = notified.lock().iter().map(told).collect();
    assert_eq!(notes, vec![(Some(1), Some(1)), (Some(3), Some(2))]);

    // Stop everything and restart all three: the state comes back from disk.
    for p in procs.iter_mut().filter_map(Option::take) {
        p.kill();
    }
    let _procs: Vec<Process> = (0..3).map(|i| g.start(i)).collect();
    let client = RemotingClient::default();
    let leader = leader_among(&client, &g, &[0, 1, 2]).await;
    let sync = RemotingCommand::request(RequestCode::ControllerGetSyncStateData).with_body(b"[\"broker-a\"]".to_vec());
    let answer = call(&client, &g.addr(leader), sync).await.into_success().unwrap();
    let data: BrokerReplicasInfo = serde_json::from_slice(&answer.body).unwrap();
    let a = &data.replicas_info_table["broker-a"];
    assert_eq!((a.master_broker_id, a.master_epoch), (Some(3), 2));
    assert_eq!(a.in_sync_replicas.iter().map(|r| r.broker_id).collect::<Vec<_>>(), vec![3]);
    assert_eq!(a.not_in_sync_replicas.len(), 2);

    // mqadmin, asking a follower: it finds the leader.
    let (la, follower) = (g.addr(leader), g.addr((leader + 1) % 3));
    let meta = rmq_tests::mqadmin(&["getControllerMetaData", "-a", &follower]);
    assert_eq!(meta.code, Some(0), "{}", meta.stderr);
    assert!(meta.stdout.contains(&format!("#ControllerLeaderAddress\t{la}")), "{}", meta.stdout);
    assert_eq!(meta.stdout.matches("#Peer:").count(), 3, "{}", meta.stdout);
    let sss = rmq_tests::mqadmin(&["getSyncStateSet", "-a", &follower, "-b", "broker-a"]);
    assert_eq!(sss.code, Some(0), "{}", sss.stderr);
    assert!(sss.stdout.contains("#MasterBrokerId\t3") && sss.stdout.contains("#MasterEpoch\t2"), "{}", sss.stdout);
    // Replica 2 catches up (the master widens the set), then the operator moves the master to it.
    assert_eq!(call(&client, &la, heartbeat(3, &addrs[2], 300)).await.response_code(), ResponseCode::Success);
    assert_eq!(call(&client, &la, heartbeat(2, &addrs[1], 300)).await.response_code(), ResponseCode::Success);
    let h = AlterSyncStateSetRequestHeader {
        broker_name: "broker-a".into(),
        master_broker_id: 3,
        master_epoch: 2,
        invoke_time: None,
    };
    let body = SyncStateSet { sync_state_set: [2, 3].into(), sync_state_set_epoch: 3 };
    let req = RemotingCommand::request_with_header(RequestCode::ControllerAlterSyncStateSet, &h)
        .with_body(serde_json::to_vec(&body).unwrap());
    let altered = call(&client, &la, req).await;
    assert_eq!(altered.response_code(), ResponseCode::Success, "{}", altered.remark_str());
    let elect = rmq_tests::mqadmin(&["electMaster", "-a", &follower, "-c", "c1", "-bn", "broker-a", "-b", "2"]);
    assert_eq!(elect.code, Some(0), "{} {}", elect.stdout, elect.stderr);
    assert!(elect.stdout.contains(&format!("#BrokerMasterAddr\t{}", addrs[1])), "{}", elect.stdout);
    assert!(elect.stdout.contains("#MasterEpoch\t3"), "{}", elect.stdout);
    b3.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_server_runs_an_embedded_controller() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let extra = format!(
        "enableControllerInNamesrv=true\ncontrollerDLegerGroup=g9\ncontrollerDLegerPeers=n0-127.0.0.1:{port}\ncontrollerDLegerSelfId=n0\ncontrollerStorePath={}\n",
        tmp.path().join("ctl").display()
    );
    let _ns = rmq_tests::start_namesrv_with(tmp.path(), &extra);
    assert!(rmq_tests::wait_port(port, Duration::from_secs(30)), "embedded controller did not listen");
    let client = RemotingClient::default();
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let meta = loop {
        let meta = metadata(&client, &addr).await;
        if meta.as_ref().is_some_and(|m| m.is_leader) || Instant::now() > deadline {
            break meta.expect("metadata");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(meta.is_leader, "{meta:?}");
    assert_eq!(meta.group.as_deref(), Some("g9"));
    assert_eq!(call(&client, &addr, apply_id(1, "127.0.0.1:1")).await.response_code(), ResponseCode::Success);
}
