//! Calls to the controller leader: found with CONTROLLER_GET_METADATA_INFO (any controller
//! names it), looked for again when a controller answers CONTROLLER_NOT_LEADER or cannot be
//! reached.

use std::time::Duration;

use parking_lot::RwLock;
use rmq_remoting::header::GetMetaDataResponseHeader;
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

/// Timeout of one controller call.
const CALL: Duration = Duration::from_secs(3);
/// Leader look-ups per call before giving up.
const ATTEMPTS: usize = 3;

/// The controllers of `controllerAddr` and the leader among them.
#[derive(Debug)]
pub struct ControllerClient {
    client: RemotingClient,
    addrs: Vec<String>,
    leader: RwLock<Option<String>>,
}

impl ControllerClient {
    /// A client for `addrs`; the leader is found on first use.
    #[must_use]
    pub fn new(client: RemotingClient, addrs: Vec<String>) -> Self {
        Self { client, addrs, leader: RwLock::new(None) }
    }

    /// The underlying client (for calls to brokers).
    #[must_use]
    pub fn remoting(&self) -> &RemotingClient {
        &self.client
    }

    /// The leader as last found.
    #[must_use]
    pub fn leader(&self) -> Option<String> {
        self.leader.read().clone()
    }

    /// Asks every controller who leads; remembers and returns the first answer naming one.
    pub async fn find_leader(&self) -> Option<String> {
        for addr in &self.addrs {
            let req = RemotingCommand::request(RequestCode::ControllerGetMetadataInfo);
            let Ok(resp) = self.client.invoke(addr, req, CALL).await else { continue };
            let Ok(h) = resp.header::<GetMetaDataResponseHeader>() else { continue };
            let leader = if h.is_leader { Some(addr.clone()) } else { h.controller_leader_address };
            if let Some(leader) = leader.filter(|l| !l.is_empty()) {
                *self.leader.write() = Some(leader.clone());
                return Some(leader);
            }
        }
        None
    }

    /// Sends `req` to the leader, following leadership changes; the leader's answer, whatever
    /// its code, or an error when no leader answered.
    pub async fn call(&self, req: RemotingCommand) -> Result<RemotingCommand, String> {
        let mut last = String::from("no controller leader");
        for _ in 0..ATTEMPTS {
            let leader = match self.leader() {
                Some(l) => l,
                None => match self.find_leader().await {
                    Some(l) => l,
                    None => {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        continue;
                    }
                },
            };
            let mut attempt = req.clone();
            attempt.opaque = rmq_remoting::next_opaque();
            match self.client.invoke(&leader, attempt, CALL).await {
                Ok(resp) if resp.response_code() == ResponseCode::ControllerNotLeader => {
                    last = format!("{leader} is not the leader");
                }
                Ok(resp) => return Ok(resp),
                Err(e) => last = format!("{leader}: {e}"),
            }
            *self.leader.write() = None;
        }
        Err(last)
    }

    /// Like [`Self::call`] but only a SUCCESS answer is Ok.
    pub async fn call_ok(&self, req: RemotingCommand) -> Result<RemotingCommand, String> {
        let code = req.request_code();
        let resp = self.call(req).await?;
        if resp.code == 0 {
            Ok(resp)
        } else {
            let remark = resp.remark.clone().unwrap_or_default();
            Err(format!("{} answered {}: {remark}", code.name(), resp.response_code().name()))
        }
    }
}
