//! Raft RPCs between controllers over our remoting protocol: private request codes
//! (`RMQRS_RAFT_*`, 2100001..=2100003, listed in docs/ARCHITECTURE.md), the
//! openraft request as a JSON body, the answer a SUCCESS command whose JSON body is the
//! receiver's `Result` (a Raft-level refusal travels as `Err`).

use std::time::Duration;

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use openraft::BasicNode;
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RemotingError, RequestCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Raft, TypeConfig};

type RpcErr<E = openraft::error::Infallible> = RPCError<u64, BasicNode, RaftError<u64, E>>;

/// Makes one [`PeerClient`] per target.
#[derive(Clone)]
pub struct Network {
    client: RemotingClient,
}

impl Network {
    /// Peers are reached through `client`'s pooled connections.
    #[must_use]
    pub fn new(client: RemotingClient) -> Self {
        Self { client }
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerClient;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> PeerClient {
        PeerClient { client: self.client.clone(), target, addr: node.addr.clone() }
    }
}

/// The calling side towards one peer.
pub struct PeerClient {
    client: RemotingClient,
    target: u64,
    addr: String,
}

impl PeerClient {
    async fn call<Req, Resp, E>(&self, code: RequestCode, req: &Req, timeout: Duration) -> Result<Resp, RpcErr<E>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let body = serde_json::to_vec(req).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let request = RemotingCommand::request(code).with_body(body);
        let answer = match self.client.invoke(&self.addr, request, timeout).await {
            Ok(a) => a,
            Err(
                e @ (RemotingError::Io(_) | RemotingError::Connect { .. } | RemotingError::ConnectionClosed { .. }),
            ) => {
                self.client.close_channel(&self.addr);
                return Err(RPCError::Unreachable(Unreachable::new(&e)));
            }
            Err(e) => return Err(RPCError::Network(NetworkError::new(&e))),
        };
        let answer = answer.into_success().map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let result: Result<Resp, RaftError<u64, E>> =
            serde_json::from_slice(&answer.body).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for PeerClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RpcErr> {
        self.call(RequestCode::RaftAppendEntries, &rpc, option.hard_ttl()).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<u64>, RpcErr<InstallSnapshotError>> {
        self.call(RequestCode::RaftInstallSnapshot, &rpc, option.hard_ttl()).await
    }

    async fn vote(&mut self, rpc: VoteRequest<u64>, option: RPCOption) -> Result<VoteResponse<u64>, RpcErr> {
        self.call(RequestCode::RaftVote, &rpc, option.hard_ttl()).await
    }
}

/// Serves one Raft RPC received from a peer: the body in, the `Result` as JSON out (`None`
/// when the body is not a request of that kind).
pub async fn serve(raft: &Raft, code: RequestCode, body: &[u8]) -> Option<Vec<u8>> {
    match code {
        RequestCode::RaftAppendEntries => {
            let req = serde_json::from_slice(body).ok()?;
            serde_json::to_vec(&raft.append_entries(req).await).ok()
        }
        RequestCode::RaftVote => {
            let req = serde_json::from_slice(body).ok()?;
            serde_json::to_vec(&raft.vote(req).await).ok()
        }
        RequestCode::RaftInstallSnapshot => {
            let req = serde_json::from_slice(body).ok()?;
            serde_json::to_vec(&raft.install_snapshot(req).await).ok()
        }
        _ => None,
    }
}
