//! Three controllers in one process over loopback: a Raft leader is elected, a command written
//! on it is applied by every controller, and after the leader stops the other two elect a new
//! one that serves writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_controller::replicas::Command;
use rmq_controller::{Controller, ControllerConfig};
use rmq_remoting::transport::{RemotingServer, ServerConfig};

struct Node {
    ctl: Arc<Controller>,
    server: RemotingServer,
}

async fn start(dir: &std::path::Path, ports: &[u16], i: usize) -> Node {
    let peers: Vec<String> = ports.iter().enumerate().map(|(j, p)| format!("n{j}-127.0.0.1:{p}")).collect();
    let cfg = ControllerConfig {
        controller_dleger_peers: peers.join(";"),
        controller_dleger_self_id: format!("n{i}"),
        controller_store_path: dir.join(format!("c{i}")).display().to_string(),
        ..ControllerConfig::default()
    };
    let ctl = rmq_controller::start(cfg).await.unwrap();
    let addr = format!("127.0.0.1:{}", ports[i]);
    let server = RemotingServer::bind(&addr, rmq_controller::dispatcher(&ctl), ServerConfig::default()).await.unwrap();
    Node { ctl, server }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn leader(nodes: &[&Node]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(i) = nodes.iter().position(|n| n.ctl.is_leader()) {
            return i;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no leader");
}

/// Proposes `cmd` at the leader, asking again when leadership moved under the call (elections
/// can repeat while a loaded machine starts three nodes); the index of the node that took it.
async fn propose_at_leader(nodes: &[&Node], cmd: Command) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let l = leader(nodes).await;
        match nodes[l].ctl.propose(cmd.clone()).await {
            Ok(answer) => {
                assert_eq!(answer.code, 0, "the leader applied the command");
                return l;
            }
            Err(e) if Instant::now() < deadline => {
                eprintln!("propose at {l} refused ({e:?}); asking the new leader");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no leader took the command: {e:?}"),
        }
    }
}

/// Proposes at a node that is not the leader: true when it refused. A success counts only when an
/// election made that node the leader under the call (then the test asks another follower).
async fn follower_refuses(nodes: &[&Node]) -> bool {
    for _ in 0..10 {
        let l = leader(nodes).await;
        let f = (l + 1) % nodes.len();
        match nodes[f].ctl.propose(apply(1)).await {
            Err(_) => return true,
            Ok(_) if nodes[f].ctl.is_leader() => eprintln!("node {f} became the leader under the call; again"),
            Ok(_) => return false,
        }
    }
    false
}

fn apply(id: i64) -> Command {
    Command::ApplyBrokerId {
        cluster: "c".into(),
        broker_name: "b".into(),
        broker_id: id,
        check_code: format!("127.0.0.1:{id};1"),
    }
}

async fn replicated(nodes: &[&Node], ids: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if nodes.iter().all(|n| n.ctl.state.read().replicas.sets.get("b").is_some_and(|s| s.addrs.len() == ids)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_replicates_and_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(start(dir.path(), &ports, i).await);
    }
    let all: Vec<&Node> = nodes.iter().collect();
    assert!(follower_refuses(&all).await, "a follower does not write");
    let l = propose_at_leader(&all, apply(1)).await;
    assert!(replicated(&all, 1).await, "every controller applied the entry");

    let old = nodes.remove(l);
    old.server.shutdown().await;
    old.ctl.raft.shutdown().await.unwrap();
    let rest: Vec<&Node> = nodes.iter().collect();
    propose_at_leader(&rest, apply(2)).await;
    assert!(replicated(&rest, 2).await);
    for n in nodes {
        n.server.shutdown().await;
        n.ctl.raft.shutdown().await.unwrap();
    }
}
