//! The simulated network: every message between two endpoints (controllers' Raft RPCs,
//! brokers' controller requests, replication between brokers) goes through [`Sim::transmit`],
//! which drops it (a cut link, the run's loss rate) or delays it by a seeded random time (so
//! messages also overtake each other). [`SimNet`] is the openraft network over it: the real
//! `Raft` of the target controller is called in memory.

use std::future::Future;
use std::time::Duration;

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use openraft::BasicNode;
use rmq_controller::raft::{Raft, TypeConfig};

use crate::world::{Ep, SimRef};

type RpcErr<E = openraft::error::Infallible> = RPCError<u64, BasicNode, RaftError<u64, E>>;

#[derive(Debug, thiserror::Error)]
#[error("simulated network: {0}")]
struct Lost(&'static str);

fn lost<E: std::error::Error>(why: &'static str) -> RpcErr<E> {
    RPCError::Network(NetworkError::new(&Lost(why)))
}

/// Raft RPCs of controller `from`.
#[derive(Clone)]
pub struct SimNet {
    pub sim: SimRef,
    pub from: usize,
}

impl RaftNetworkFactory<TypeConfig> for SimNet {
    type Network = SimPeer;

    async fn new_client(&mut self, target: u64, _node: &BasicNode) -> SimPeer {
        SimPeer { sim: self.sim.clone(), from: self.from, to: usize::try_from(target).unwrap_or(usize::MAX) }
    }
}

/// From one controller to another.
pub struct SimPeer {
    sim: SimRef,
    from: usize,
    to: usize,
}

impl SimPeer {
    /// Carries a request there and the answer back; a lost message costs the caller the
    /// RPC's time to live (a network error, as a timeout would be).
    async fn rpc<T, E, F, Fut>(&self, kind: &'static str, ttl: Duration, call: F) -> Result<T, RpcErr<E>>
    where
        E: std::error::Error,
        F: FnOnce(Raft) -> Fut,
        Fut: Future<Output = Result<T, RaftError<u64, E>>>,
    {
        let (from, to) = (Ep::Ctl(self.from), Ep::Ctl(self.to));
        let Some(raft) = self.sim.deliver(from, to, kind).await.then(|| self.sim.raft_of(self.to)).flatten() else {
            tokio::time::sleep(ttl).await;
            return Err(lost("request lost"));
        };
        let answer = call(raft).await;
        if !self.sim.deliver(to, from, kind).await {
            tokio::time::sleep(ttl).await;
            return Err(lost("answer lost"));
        }
        answer.map_err(|e| RPCError::RemoteError(RemoteError::new(self.to as u64, e)))
    }
}

impl RaftNetwork<TypeConfig> for SimPeer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RpcErr> {
        self.rpc("append", option.hard_ttl(), |raft| async move { raft.append_entries(rpc).await }).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<u64>, RpcErr<InstallSnapshotError>> {
        self.rpc("snapshot", option.hard_ttl(), |raft| async move { raft.install_snapshot(rpc).await }).await
    }

    async fn vote(&mut self, rpc: VoteRequest<u64>, option: RPCOption) -> Result<VoteResponse<u64>, RpcErr> {
        self.rpc("vote", option.hard_ttl(), |raft| async move { raft.vote(rpc).await }).await
    }
}
