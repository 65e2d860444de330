//! Automatic failover (#25): three `mqcontroller`s and a broker set of three brokers in
//! controller mode (`inSyncReplicas=2`); our producer sends steadily; the master is killed
//! with SIGKILL; a new master must take writes within 10 s, every acknowledged message is
//! consumed afterwards, and the old master, restarted, rejoins as a slave whose commit log
//! equals the new master's. Then the master and the Raft-leader controller are killed
//! together: the election still completes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};
use rmq_client::producer::{Producer, ProducerConfig, SendStatus};
use rmq_client::Message;
use rmq_remoting::body::ClusterInfo;
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};
use rmq_tests::{free_port_pair, start_broker_file, start_namesrv, Process};

use crate::controller::{leader_among, Group};

const TOPIC: &str = "FailoverTopic";
const T: Duration = Duration::from_secs(5);

struct Member {
    dir: PathBuf,
    conf: PathBuf,
    port: u16,
}

impl Member {
    fn new(root: &Path, i: usize, ns: &str, controllers: &str) -> Self {
        let dir = root.join(format!("b{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port_pair();
        let text = format!(
            "brokerClusterName=FailoverCluster\nbrokerName=broker-f\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\n\
             listenPort={port}\nfastListenEnable=false\nstorePathRootDir={}\nmappedFileSizeCommitLog=16777216\n\
             maxHashSlotNum=50000\nmaxIndexNum=200000\nnamesrvAddr={ns}\nenableControllerMode=true\n\
             controllerAddr={controllers}\nsyncBrokerMetadataPeriod=1000\ncontrollerHeartBeatTimeoutMills=3000\n\
             inSyncReplicas=2\nsyncFlushTimeout=3000\ncheckSyncStateSetPeriod=1000\n",
            dir.join("store").display()
        );
        let conf = dir.join("broker.conf");
        std::fs::write(&conf, text).unwrap();
        Self { dir, conf, port }
    }

    fn start(&self) -> Process {
        start_broker_file(&self.conf, &self.dir, self.port)
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn commit_log(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let Ok(dir) = std::fs::read_dir(self.dir.join("store/commitlog")) else { return out };
        let mut names: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
        names.sort();
        for n in names {
            out.extend(std::fs::read(n).unwrap_or_default());
        }
        let end = out.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        out.truncate(end);
        out
    }
}

/// The address broker-f's master registered with the name server (brokerId 0).
async fn routed_master(c: &RemotingClient, ns: &str) -> Option<String> {
    let req = RemotingCommand::request(RequestCode::GetBrokerClusterInfo);
    let resp = c.invoke(ns, req, T).await.ok()?;
    let info: ClusterInfo = rmq_remoting::body::decode(&resp.body).ok()?;
    info.broker_addr_table.get("broker-f")?.broker_addrs.get(&0).cloned()
}

/// Sends until `stop`, keeping the bodies acknowledged with SEND_OK and when each send began.
fn spawn_sender(
    p: Producer,
    acked: Arc<Mutex<Vec<(String, Instant)>>>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let body = format!("fo-{i}");
            i += 1;
            let started = Instant::now();
            match p.send(Message::new(TOPIC, body.clone())).await {
                Ok(r) if r.status == SendStatus::SendOk => acked.lock().push((body, started)),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
}

/// Prints the last lines of every broker's and controller's output (a failed timing assertion).
fn dump_logs(root: &Path) {
    for entry in walk(root) {
        if entry.extension().is_some_and(|e| e == "out") {
            let text = std::fs::read_to_string(&entry).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            eprintln!("==== {} ====", entry.display());
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn wait_for<F: std::future::Future<Output = bool>>(what: &str, secs: u64, mut f: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_master_is_replaced_without_losing_acknowledged_writes() {
    let dir = tempfile::tempdir().unwrap();
    let g = Group::new(dir.path(), 3);
    let mut ctls: Vec<Option<Process>> = (0..3).map(|i| Some(g.start(i))).collect();
    let c = RemotingClient::default();
    leader_among(&c, &g, &[0, 1, 2]).await;
    let ns = start_namesrv(dir.path());
    let controllers = (0..3).map(|i| g.addr(i)).collect::<Vec<_>>().join(";");
    let members: Vec<Member> = (0..3).map(|i| Member::new(dir.path(), i, &ns.addr(), &controllers)).collect();
    let mut procs: Vec<Option<Process>> = vec![Some(members[0].start())];
    tokio::time::sleep(Duration::from_millis(500)).await;
    procs.push(Some(members[1].start()));
    procs.push(Some(members[2].start()));
    wait_for("broker-f routed with a master", 30, || async { routed_master(&c, &ns.addr()).await.is_some() }).await;

    let mut cfg = ProducerConfig::new("failover_pg", ns.addr());
    cfg.client.instance_name = format!("failover-{}", std::process::id());
    cfg.client.poll_name_server_interval = Duration::from_millis(500);
    let p = Producer::start(cfg).await.unwrap();
    let acked: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let sender = spawn_sender(p.clone(), Arc::clone(&acked), Arc::clone(&stop));
    wait_for("acknowledged sends before the kill", 60, || async { acked.lock().len() >= 200 }).await;
    tokio::time::sleep(Duration::from_secs(4)).await; // the slaves copy the topic config

    // Kill -9 the master: another must be routed as brokerId 0 within 10 s; writes resume (the
    // first SEND_OK of a send begun after the kill went to the new master: printed too).
    let old = routed_master(&c, &ns.addr()).await.unwrap();
    let old_i = members.iter().position(|m| m.addr() == old).unwrap();
    let killed_at = Instant::now();
    procs[old_i].take().unwrap().kill();
    let routed = || async { routed_master(&c, &ns.addr()).await.filter(|m| *m != old) };
    while routed().await.is_none() {
        if killed_at.elapsed() > Duration::from_secs(10) {
            dump_logs(dir.path());
            panic!("no new master routed within 10 s of the kill");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("failover: new master routed {} ms after the master's SIGKILL", killed_at.elapsed().as_millis());
    let new = routed().await.unwrap();
    wait_for("a SEND_OK after the kill", 30, || async { acked.lock().last().is_some_and(|(_, t)| *t > killed_at) })
        .await;
    let resumed = acked.lock().iter().find(|(_, t)| *t > killed_at).map(|(_, t)| *t - killed_at).unwrap();
    println!("failover: first SEND_OK of a send begun {} ms after the kill", resumed.as_millis());
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    sender.await.unwrap();

    // The old master comes back as a slave and converges on the new master's log.
    procs[old_i] = Some(members[old_i].start());
    let new_i = members.iter().position(|m| m.addr() == new).unwrap();
    let want = members[new_i].commit_log();
    wait_for("the old master's log equals the new master's", 60, || async { members[old_i].commit_log() == want })
        .await;
    assert_eq!(routed_master(&c, &ns.addr()).await.as_deref(), Some(new.as_str()), "the old master stays a slave");
    // Both epochs, as the official getBrokerEpoch prints them, on every member.
    let out = rmq_tests::mqadmin(&["-n", &ns.addr(), "getBrokerEpoch", "-b", "broker-f"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.matches("#Epoch: EpochEntry{epoch=1, startOffset=0,").count(), 3, "{}", out.stdout);
    assert_eq!(out.stdout.matches("EpochEntry{epoch=2,").count(), 3, "{}", out.stdout);

    // Every acknowledged message is consumed.
    let sent: BTreeSet<String> = acked.lock().iter().map(|(b, _)| b.clone()).collect();
    let seen: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let s = Arc::clone(&seen);
    let mut cfg = ConsumerConfig::new("failover_cg", ns.addr());
    cfg.client.instance_name = format!("failover-c-{}", std::process::id());
    cfg.from_where = ConsumeFromWhere::FirstOffset;
    let consumer = PushConsumer::start(
        cfg,
        &[(TOPIC, "*")],
        Listener::concurrent(move |msgs, _| {
            s.lock().extend(msgs.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()));
            ConsumeStatus::Success
        }),
    )
    .await
    .unwrap();
    wait_for("every acknowledged message consumed", 90, || async { seen.lock().is_superset(&sent) }).await;
    consumer.shutdown().await;

    // The master and the Raft leader die together: a master is still elected.
    let leader = leader_among(&c, &g, &[0, 1, 2]).await;
    let killed_at = Instant::now();
    ctls[leader].take().unwrap().kill();
    procs[new_i].take().unwrap().kill();
    let alive: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    leader_among(&c, &g, &alive).await;
    wait_for("a master elected without the old Raft leader", 60, || async {
        routed_master(&c, &ns.addr()).await.is_some_and(|m| m != new)
    })
    .await;
    let mut resumed = false;
    for _ in 0..100 {
        if matches!(p.send(Message::new(TOPIC, "after")).await, Ok(r) if r.status == SendStatus::SendOk) {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(resumed, "writes did not resume after the second failover");
    println!("second failover (with the Raft leader killed): writes back after {} ms", killed_at.elapsed().as_millis());
    drop((procs, ctls, ns));
}
