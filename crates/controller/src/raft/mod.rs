//! The Raft side, on openraft 0.9: the type configuration, the on-disk log ([`log_store`]),
//! the state machine over [`crate::replicas::Replicas`] with on-disk snapshots
//! ([`state_machine`]), and the RPCs between controllers over our remoting protocol
//! ([`network`]), on tokio with a seedable random source ([`runtime`]).
//!
//! [`start_with`] takes any `RaftNetworkFactory`: the servers pass [`network::Network`], the
//! deterministic simulation (crates/controller/tests/sim) an in-memory router.

pub mod log_store;
pub mod network;
pub mod runtime;
pub mod state_machine;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use openraft::network::RaftNetworkFactory;
use openraft::{BasicNode, Config, SnapshotPolicy};
use rmq_remoting::transport::RemotingClient;

use crate::config::Peer;
use crate::error::ControllerError;
use crate::replicas::{Command, Outcome};

openraft::declare_raft_types!(
    /// The controller's Raft types: log entries carry [`Command`]s, applying one gives an
    /// [`Outcome`]; nodes are `n<id>` with their `host:port`.
    pub TypeConfig:
        D = Command,
        R = Outcome,
        NodeId = u64,
        Node = BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = std::io::Cursor<Vec<u8>>,
        AsyncRuntime = runtime::Runtime,
);

/// The Raft handle of a controller.
pub type Raft = openraft::Raft<TypeConfig>;

/// Heartbeat between Raft peers, ms.
const RAFT_HEARTBEAT_MS: u64 = 300;
/// Election timeout range, ms: a dead leader is replaced within about 2 s.
const RAFT_ELECTION_MS: (u64, u64) = (1_200, 2_000);

/// Starts this controller's Raft node over the files under `dir` and, on a fresh store,
/// proposes the initial membership (every peer; all controllers propose the same one).
pub async fn start(
    self_id: u64,
    group: &str,
    peers: &[Peer],
    dir: &Path,
    snapshot_every: u64,
) -> Result<(Raft, state_machine::Shared), ControllerError> {
    let net = network::Network::new(RemotingClient::default());
    start_with(self_id, group, peers, dir, snapshot_every, net).await
}

/// [`start`] over another network (the simulation's).
pub async fn start_with<N: RaftNetworkFactory<TypeConfig>>(
    self_id: u64,
    group: &str,
    peers: &[Peer],
    dir: &Path,
    snapshot_every: u64,
    net: N,
) -> Result<(Raft, state_machine::Shared), ControllerError> {
    let config = Config {
        cluster_name: group.to_owned(),
        heartbeat_interval: RAFT_HEARTBEAT_MS,
        election_timeout_min: RAFT_ELECTION_MS.0,
        election_timeout_max: RAFT_ELECTION_MS.1,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(snapshot_every),
        max_in_snapshot_log_to_keep: 100,
        ..Config::default()
    };
    let config = Arc::new(config.validate().map_err(|e| ControllerError::Raft(e.to_string()))?);
    let log = log_store::LogStore::open(dir)?;
    let fresh = log.is_empty();
    let sm = state_machine::StateMachine::open(dir)?;
    let shared = sm.shared();
    let raft = Raft::new(self_id, config, net, log, sm).await.map_err(|e| ControllerError::Raft(e.to_string()))?;
    if fresh {
        let members: BTreeMap<u64, BasicNode> = peers.iter().map(|p| (p.id, BasicNode::new(&p.addr))).collect();
        if let Err(e) = raft.initialize(members).await {
            tracing::info!(error = %e, "raft membership already initialized");
        }
    }
    Ok((raft, shared))
}
