//! The controller of RocketMQ 5's controller mode: for every broker set it keeps the replicas
//! (ids and addresses), the master, `masterEpoch`, the SyncStateSet and its epoch, replicated
//! over three (or more) controllers by openraft ([`raft`]). Brokers register, send heartbeats
//! and ask for elections through RocketMQ's controller request codes ([`api`]); when a master's
//! heartbeats stop the leader elects a new one from the SyncStateSet ([`failover`]).
//!
//! Standalone (`mqcontroller`) or embedded in the name server (`enableControllerInNamesrv`):
//! both call [`start`] and serve its processor on a port of their own.

pub mod api;
pub mod config;
pub mod elect;
mod error;
pub mod failover;
pub mod heartbeat;
pub mod raft;
pub mod replicas;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use openraft::network::RaftNetworkFactory;
use rmq_remoting::transport::{Channel, ChannelEventListener, Dispatcher, RemotingClient, RemotingServer};
use rmq_remoting::ResponseCode;

pub use config::ControllerConfig;
pub use error::ControllerError;

use crate::config::Peer;
use crate::heartbeat::LiveTable;
use crate::replicas::{Command, Outcome};

/// A running controller: Raft node, applied state, broker liveness.
pub struct Controller {
    /// Settings as started.
    pub config: ControllerConfig,
    /// This controller's Raft id.
    pub self_id: u64,
    /// Every controller of the group.
    pub peers: Vec<Peer>,
    /// The Raft node.
    pub raft: raft::Raft,
    /// The applied state (read by the API on the leader).
    pub state: raft::state_machine::Shared,
    /// Brokers' heartbeats.
    pub live: LiveTable,
    /// Calls to brokers (role change notifications).
    pub client: RemotingClient,
    /// When this controller started: heartbeats are timed on this monotonic clock (tokio's,
    /// which a simulation pauses and advances).
    pub started: tokio::time::Instant,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller").field("self_id", &self.self_id).finish_non_exhaustive()
    }
}

impl Controller {
    /// Milliseconds since this controller started, for heartbeats.
    #[must_use]
    pub fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The Raft leader's id and address, if one is known.
    #[must_use]
    pub fn leader(&self) -> Option<(u64, String)> {
        let id = self.raft.metrics().borrow().current_leader?;
        let addr = self.peers.iter().find(|p| p.id == id).map(|p| p.addr.clone()).unwrap_or_default();
        Some((id, addr))
    }

    /// Whether this controller leads the group.
    #[must_use]
    pub fn is_leader(&self) -> bool {
        self.leader().is_some_and(|(id, _)| id == self.self_id)
    }

    /// CONTROLLER_NOT_LEADER naming the leader, as brokers expect.
    #[must_use]
    pub fn not_leader(&self) -> ControllerError {
        let leader = self.leader().map_or_else(|| "none".to_owned(), |(_, a)| a);
        ControllerError::answer(
            ResponseCode::ControllerNotLeader,
            format!("the controller is not leader, leader: {leader}"),
        )
    }

    /// Makes sure this controller leads and has applied everything committed before a read.
    pub async fn ensure_leader(&self) -> Result<(), ControllerError> {
        self.raft.ensure_linearizable().await.map(drop).map_err(|_| self.not_leader())
    }

    /// Replicates a command and returns what applying it gave.
    pub async fn propose(&self, cmd: Command) -> Result<Outcome, ControllerError> {
        match self.raft.client_write(cmd).await {
            Ok(resp) => Ok(resp.data),
            Err(openraft::error::RaftError::APIError(openraft::error::ClientWriteError::ForwardToLeader(_))) => {
                Err(self.not_leader())
            }
            Err(e) => Err(ControllerError::answer(ResponseCode::ControllerJraftInternalError, e.to_string())),
        }
    }
}

/// Starts the Raft node under `controllerStorePath` and the failover scanner; returns the
/// controller, whose [`api::processor`] a server must serve.
pub async fn start(config: ControllerConfig) -> Result<Arc<Controller>, ControllerError> {
    start_with(config, raft::network::Network::new(RemotingClient::default())).await
}

/// [`start`] with the Raft RPCs going over `net` (the simulation's in-memory router).
pub async fn start_with<N: RaftNetworkFactory<raft::TypeConfig>>(
    config: ControllerConfig,
    net: N,
) -> Result<Arc<Controller>, ControllerError> {
    let peers = config.peers()?;
    let self_id = config.self_id()?;
    if !peers.iter().any(|p| p.id == self_id) {
        let msg =
            format!("controllerDLegerSelfId {} is not in controllerDLegerPeers", config.controller_dleger_self_id);
        return Err(ControllerError::Config(msg));
    }
    let dir = Path::new(&config.controller_store_path).to_owned();
    let group = config.controller_dleger_group.clone();
    let (raft, state) = raft::start_with(self_id, &group, &peers, &dir, config.snapshot_every_entries, net).await?;
    let ctl = Arc::new(Controller {
        config,
        self_id,
        peers,
        raft,
        state,
        live: LiveTable::default(),
        client: RemotingClient::default(),
        started: tokio::time::Instant::now(),
    });
    failover::spawn_scanner(&ctl);
    Ok(ctl)
}

/// Marks the brokers of a closed connection dead (the leader re-elects their masters).
struct CloseWatch(Arc<Controller>);

impl ChannelEventListener for CloseWatch {
    fn on_close(&self, channel: &Channel) {
        let gone = self.0.live.channel_closed(channel.id());
        if !gone.is_empty() {
            failover::spawn_brokers_gone(&self.0, gone);
        }
    }
}

/// The dispatcher a server of this controller installs.
#[must_use]
pub fn dispatcher(ctl: &Arc<Controller>) -> Dispatcher {
    Dispatcher::new().processor(api::processor(ctl)).listener(Arc::new(CloseWatch(Arc::clone(ctl))))
}

/// Standalone controller: serves on `listenPort` until `shutdown` resolves.
pub async fn run(config: ControllerConfig, shutdown: impl Future<Output = ()>) -> Result<(), ControllerError> {
    let addr = format!("{}:{}", config.bind_address, config.listen_port);
    let ctl = start(config).await?;
    let server =
        RemotingServer::bind(&addr, dispatcher(&ctl), rmq_remoting::transport::ServerConfig::default()).await?;
    tracing::info!(addr = %server.local_addr(), id = ctl.self_id, "The ControllerManager boot success");
    shutdown.await;
    server.shutdown().await;
    if let Err(e) = ctl.raft.shutdown().await {
        tracing::warn!(error = %e, "raft shutdown");
    }
    tracing::info!("controller stopped");
    Ok(())
}
