//! Choosing a master (RocketMQ's `DefaultElectPolicy`): from the alive replicas of the
//! SyncStateSet (of every replica with `enableElectUncleanMaster`), keeping the old master
//! while it is alive, else the one with the newest epoch, then the largest commit-log offset,
//! then the best (lowest) election priority, then the lowest id.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use rmq_remoting::ResponseCode;
use serde::{Deserialize, Serialize};

/// An alive replica as its last heartbeat described it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Broker id.
    pub broker_id: i64,
    /// The last epoch it knows.
    pub epoch: i32,
    /// Its commit log's max offset.
    pub max_offset: i64,
    /// Lower is preferred.
    pub election_priority: i32,
}

/// An election request as it goes into the Raft log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectRequest {
    /// Broker set name.
    pub broker_name: String,
    /// The broker asking (a broker electing itself, or the admin's choice); `None` when the
    /// leader elects because the master died.
    pub broker_id: Option<i64>,
    /// Elect `broker_id` by force (mqadmin electMaster).
    pub designate: bool,
    /// Alive replicas, from the leader's heartbeat table when it proposed.
    pub alive: Vec<Candidate>,
    /// `enableElectUncleanMaster` when proposed.
    pub unclean: bool,
}

/// What an election looks at in a broker set.
#[derive(Debug, Clone, Copy)]
pub struct Electorate<'a> {
    /// The current master.
    pub master: Option<i64>,
    /// Its epoch (0: the set never had a master).
    pub master_epoch: i32,
    /// The SyncStateSet.
    pub sync_state_set: &'a BTreeSet<i64>,
    /// Registered replicas' addresses by id.
    pub replicas: &'a BTreeMap<i64, String>,
}

/// The new master (`Ok(Some(old))` when the old master stays), `Ok(None)` when no replica
/// qualifies, or the refusal of a designated election.
pub fn elect(set: &Electorate<'_>, req: &ElectRequest) -> Result<Option<i64>, (ResponseCode, String)> {
    let is_alive = |id: i64| req.alive.iter().any(|c| c.broker_id == id);
    let in_pool = |id: i64| set.sync_state_set.contains(&id) || (req.unclean && set.replicas.contains_key(&id));
    let first_time = set.master.is_none() && set.master_epoch == 0;
    if let Some(id) = req.broker_id {
        if !set.replicas.contains_key(&id) {
            return Err((ResponseCode::ControllerBrokerNeedToBeRegistered, format!("broker {id} not registered")));
        }
        if first_time && is_alive(id) {
            return Ok(Some(id));
        }
        if req.designate {
            if !in_pool(id) {
                return Err((
                    ResponseCode::ControllerElectMasterFailed,
                    format!("broker {id} is not in the SyncStateSet"),
                ));
            }
            if !is_alive(id) {
                return Err((ResponseCode::ControllerBrokerNotAlive, format!("broker {id} is not alive")));
            }
            return Ok(Some(id));
        }
    }
    if let Some(old) = set.master.filter(|m| is_alive(*m) && in_pool(*m)) {
        return Ok(Some(old));
    }
    let best = req
        .alive
        .iter()
        .filter(|c| in_pool(c.broker_id))
        .min_by_key(|c| (Reverse(c.epoch), Reverse(c.max_offset), c.election_priority, c.broker_id));
    Ok(best.map(|c| c.broker_id))
}
