//! The replicated state: per broker set (RocketMQ's `ReplicasInfoManager`) the replicas with
//! their ids and addresses, the master, `masterEpoch`, the SyncStateSet and its epoch.
//!
//! Every change is a [`Command`] in the Raft log; [`Replicas::apply`] is deterministic (the
//! leader puts what it knows of brokers' liveness into the command), so every controller that
//! applies the same log holds the same state. Epoch rules: see docs/ARCHITECTURE.md.

use std::collections::{BTreeMap, BTreeSet};

use rmq_remoting::body::{BrokerMemberGroup, SyncStateSet};
use rmq_remoting::ResponseCode;
use serde::{Deserialize, Serialize};

use crate::elect::{elect, ElectRequest, Electorate};

/// The first id a controller hands out in a broker set (RocketMQ's `FIRST_BROKER_CONTROLLER_ID`).
pub const FIRST_BROKER_ID: i64 = 1;

/// One broker set as the controllers know it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerSet {
    /// Cluster name.
    pub cluster: String,
    /// Broker set name.
    pub broker_name: String,
    /// Replica addresses by broker id (empty string until the replica registers).
    pub addrs: BTreeMap<i64, String>,
    /// The check code each id was applied with (`address;timestamp`).
    pub check_codes: BTreeMap<i64, String>,
    /// The master's id, if there is one.
    pub master: Option<i64>,
    /// Bumped each time a master is elected.
    pub master_epoch: i32,
    /// Replicas caught up with the master (always contains the master while there is one).
    pub sync_state_set: BTreeSet<i64>,
    /// Bumped each time the SyncStateSet changes.
    pub sync_state_set_epoch: i32,
}

impl BrokerSet {
    /// The id a new replica should apply for.
    #[must_use]
    pub fn next_id(&self) -> i64 {
        self.addrs.keys().next_back().map_or(FIRST_BROKER_ID, |max| max + 1)
    }

    /// What a broker of this set is told: master, epochs, SyncStateSet.
    #[must_use]
    pub fn view(&self) -> MasterView {
        MasterView {
            master_broker_id: self.master,
            master_address: self.master.and_then(|m| self.addrs.get(&m).cloned()),
            master_epoch: self.master_epoch,
            sync_state_set: SyncStateSet {
                sync_state_set: self.sync_state_set.clone(),
                sync_state_set_epoch: self.sync_state_set_epoch,
            },
            members: BrokerMemberGroup {
                cluster: self.cluster.clone(),
                broker_name: self.broker_name.clone(),
                broker_addrs: self.addrs.iter().filter(|(_, a)| !a.is_empty()).map(|(i, a)| (*i, a.clone())).collect(),
            },
        }
    }
}

/// A broker set's master and SyncStateSet, as answered to brokers and admin tools.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterView {
    /// The master's id.
    pub master_broker_id: Option<i64>,
    /// The master's address.
    pub master_address: Option<String>,
    /// The master's epoch.
    pub master_epoch: i32,
    /// The SyncStateSet with its epoch.
    pub sync_state_set: SyncStateSet,
    /// Replica addresses.
    pub members: BrokerMemberGroup,
}

/// A change to the replicated state: one Raft log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// CONTROLLER_APPLY_BROKER_ID: a new replica takes an id.
    ApplyBrokerId {
        /// Cluster name.
        cluster: String,
        /// Broker set name.
        broker_name: String,
        /// The id asked for.
        broker_id: i64,
        /// `address;timestamp`.
        check_code: String,
    },
    /// CONTROLLER_REGISTER_BROKER: a replica with an id says where it listens.
    RegisterBroker {
        /// Broker set name.
        broker_name: String,
        /// Its id.
        broker_id: i64,
        /// `ip:port`.
        address: String,
    },
    /// CONTROLLER_ELECT_MASTER, from a broker, an admin, or the leader when a master died.
    ElectMaster(ElectRequest),
    /// CONTROLLER_ALTER_SYNC_STATE_SET, from the master.
    AlterSyncStateSet {
        /// Broker set name.
        broker_name: String,
        /// The master asking.
        master_id: i64,
        /// Its epoch.
        master_epoch: i32,
        /// The set it wants, with the epoch of the set it is changing.
        new_set: SyncStateSet,
        /// Replicas alive when the leader proposed this.
        alive: Vec<i64>,
    },
}

/// The result of applying a [`Command`]: a response code with a remark, and the broker set's
/// state afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// A `ResponseCode` value (0 = SUCCESS).
    pub code: i32,
    /// Why, when not SUCCESS.
    pub remark: String,
    /// The broker set after the command.
    pub view: Option<MasterView>,
    /// The broker id concerned (applied or elected).
    pub broker_id: Option<i64>,
}

impl Outcome {
    fn ok(set: &BrokerSet, broker_id: Option<i64>) -> Self {
        Self { code: 0, remark: String::new(), view: Some(set.view()), broker_id }
    }

    fn fail(code: ResponseCode, remark: impl Into<String>) -> Self {
        Self { code: code.value(), remark: remark.into(), view: None, broker_id: None }
    }

    fn fail_with(code: ResponseCode, remark: impl Into<String>, set: &BrokerSet) -> Self {
        Self { view: Some(set.view()), ..Self::fail(code, remark) }
    }

    /// The response code.
    #[must_use]
    pub fn response_code(&self) -> ResponseCode {
        ResponseCode::from_value(self.code)
    }
}

/// Every broker set, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replicas {
    /// By broker set name.
    pub sets: BTreeMap<String, BrokerSet>,
}

impl Replicas {
    /// Applies one command.
    pub fn apply(&mut self, cmd: &Command) -> Outcome {
        match cmd {
            Command::ApplyBrokerId { cluster, broker_name, broker_id, check_code } => {
                self.apply_broker_id(cluster, broker_name, *broker_id, check_code)
            }
            Command::RegisterBroker { broker_name, broker_id, address } => {
                self.register(broker_name, *broker_id, address)
            }
            Command::ElectMaster(req) => self.elect_master(req),
            Command::AlterSyncStateSet { broker_name, master_id, master_epoch, new_set, alive } => {
                self.alter_sync_state_set(broker_name, *master_id, *master_epoch, new_set, alive)
            }
        }
    }

    fn apply_broker_id(&mut self, cluster: &str, name: &str, id: i64, code: &str) -> Outcome {
        let set = self.sets.entry(name.to_owned()).or_insert_with(|| BrokerSet {
            cluster: cluster.to_owned(),
            broker_name: name.to_owned(),
            ..BrokerSet::default()
        });
        if let Some(have) = set.check_codes.get(&id) {
            if have == code {
                return Outcome::ok(set, Some(id));
            }
            return Outcome::fail(
                ResponseCode::ControllerBrokerIdInvalid,
                format!("broker id {id} of {name} is taken"),
            );
        }
        if id != set.next_id() {
            let next = set.next_id();
            return Outcome::fail(
                ResponseCode::ControllerBrokerIdInvalid,
                format!("apply {id}, next id of {name} is {next}"),
            );
        }
        let address = code.split(';').next().unwrap_or_default().to_owned();
        set.addrs.insert(id, address);
        set.check_codes.insert(id, code.to_owned());
        Outcome::ok(set, Some(id))
    }

    fn register(&mut self, name: &str, id: i64, address: &str) -> Outcome {
        let Some(set) = self.sets.get_mut(name) else {
            return Outcome::fail(ResponseCode::ControllerBrokerMetadataNotExist, format!("broker set {name} unknown"));
        };
        let Some(addr) = set.addrs.get_mut(&id) else {
            return Outcome::fail(
                ResponseCode::ControllerBrokerMetadataNotExist,
                format!("broker {name}/{id} unknown"),
            );
        };
        address.clone_into(addr);
        Outcome::ok(set, Some(id))
    }

    fn elect_master(&mut self, req: &ElectRequest) -> Outcome {
        let Some(set) = self.sets.get_mut(&req.broker_name) else {
            return Outcome::fail(ResponseCode::ControllerBrokerNeedToBeRegistered, "broker set not registered");
        };
        let electorate = Electorate {
            master: set.master,
            master_epoch: set.master_epoch,
            sync_state_set: &set.sync_state_set,
            replicas: &set.addrs,
        };
        match elect(&electorate, req) {
            Ok(Some(new_master)) if Some(new_master) == set.master => Outcome::fail_with(
                ResponseCode::ControllerMasterStillExist,
                format!("the old master {new_master} is still alive"),
                set,
            ),
            Ok(Some(new_master)) => {
                set.master = Some(new_master);
                set.master_epoch += 1;
                set.sync_state_set = BTreeSet::from([new_master]);
                set.sync_state_set_epoch += 1;
                Outcome::ok(set, Some(new_master))
            }
            Ok(None) if req.broker_id.is_none() => {
                set.master = None;
                Outcome::fail_with(ResponseCode::ControllerMasterNotAvailable, "no replica can be master", set)
            }
            Ok(None) => {
                Outcome::fail_with(ResponseCode::ControllerElectMasterFailed, "failed to elect a new master", set)
            }
            Err((code, remark)) => Outcome::fail_with(code, remark, set),
        }
    }

    fn alter_sync_state_set(
        &mut self,
        name: &str,
        master: i64,
        epoch: i32,
        new: &SyncStateSet,
        alive: &[i64],
    ) -> Outcome {
        let Some(set) = self.sets.get_mut(name) else {
            return Outcome::fail(ResponseCode::ControllerBrokerNeedToBeRegistered, "broker set not registered");
        };
        if let Err((code, remark)) = check_alter(set, master, epoch, new, alive) {
            return Outcome::fail_with(code, remark, set);
        }
        set.sync_state_set.clone_from(&new.sync_state_set);
        set.sync_state_set_epoch += 1;
        Outcome::ok(set, Some(master))
    }
}

/// RocketMQ's checks of an alter request, in its order: master, epochs, replicas.
fn check_alter(
    set: &BrokerSet,
    master: i64,
    epoch: i32,
    new: &SyncStateSet,
    alive: &[i64],
) -> Result<(), (ResponseCode, String)> {
    if set.master != Some(master) {
        return Err((ResponseCode::ControllerInvalidMaster, format!("{master} is not the master")));
    }
    if epoch != set.master_epoch {
        let msg = format!("master epoch {epoch} is fenced, current {}", set.master_epoch);
        return Err((ResponseCode::ControllerFencedMasterEpoch, msg));
    }
    if new.sync_state_set_epoch != set.sync_state_set_epoch {
        let msg =
            format!("SyncStateSet epoch {} is fenced, current {}", new.sync_state_set_epoch, set.sync_state_set_epoch);
        return Err((ResponseCode::ControllerFencedSyncStateSetEpoch, msg));
    }
    if new.sync_state_set == set.sync_state_set {
        return Err((ResponseCode::ControllerAlterSyncStateSetFailed, "the new SyncStateSet equals the old".into()));
    }
    if !new.sync_state_set.contains(&master) {
        return Err((ResponseCode::ControllerInvalidRequest, "the SyncStateSet must contain the master".into()));
    }
    for id in &new.sync_state_set {
        if !set.addrs.contains_key(id) {
            return Err((ResponseCode::ControllerInvalidReplicas, format!("replica {id} is not registered")));
        }
        if *id != master && !alive.contains(id) {
            return Err((ResponseCode::ControllerBrokerNotAlive, format!("replica {id} is not alive")));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "replicas_tests.rs"]
mod tests;
