//! The state machine: [`Replicas`] plus what openraft needs (last applied log id, membership),
//! with snapshots kept on disk as `snapshot.json` (meta and state, replaced whole).

// openraft's StorageError is large by design and its traits return it.
#![allow(clippy::result_large_err)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, RaftSnapshotBuilder, SnapshotMeta, StorageError, StorageIOError,
    StoredMembership,
};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use super::log_store::{read_json, write_json_atomic};
use super::TypeConfig;
use crate::error::ControllerError;
use crate::replicas::{Outcome, Replicas};

const SNAPSHOT_FILE: &str = "snapshot.json";

type StoreResult<T> = Result<T, StorageError<u64>>;

/// The applied state, shared with the request processor for reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Applied {
    /// Last log entry applied.
    pub last_applied: Option<LogId<u64>>,
    /// Last membership applied.
    pub membership: StoredMembership<u64, BasicNode>,
    /// The broker sets.
    pub replicas: Replicas,
}

/// A handle on the applied state for readers.
pub type Shared = Arc<RwLock<Applied>>;

#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    meta: SnapshotMeta<u64, BasicNode>,
    data: Vec<u8>,
}

/// The openraft state machine; clones share the state (one is the snapshot builder).
#[derive(Clone)]
pub struct StateMachine {
    state: Shared,
    dir: PathBuf,
}

impl StateMachine {
    /// Opens the state machine, restoring the snapshot under `dir` if there is one.
    pub fn open(dir: &Path) -> Result<Self, ControllerError> {
        let applied = match read_json::<SnapshotFile>(&dir.join(SNAPSHOT_FILE))? {
            Some(snap) => serde_json::from_slice(&snap.data).map_err(|e| ControllerError::Store {
                path: dir.join(SNAPSHOT_FILE).display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?,
            None => Applied::default(),
        };
        Ok(Self { state: Arc::new(RwLock::new(applied)), dir: dir.to_owned() })
    }

    /// The shared applied state.
    #[must_use]
    pub fn shared(&self) -> Shared {
        Arc::clone(&self.state)
    }

    fn save(&self, snap: &SnapshotFile) -> StoreResult<()> {
        write_json_atomic(&self.dir.join(SNAPSHOT_FILE), snap)
            .map_err(|e| StorageIOError::write_snapshot(Some(snap.meta.signature()), &e).into())
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> StoreResult<Snapshot<TypeConfig>> {
        let (data, last_applied, membership) = {
            let state = self.state.read();
            let data = serde_json::to_vec(&*state).map_err(|e| StorageIOError::read_state_machine(&e))?;
            (data, state.last_applied, state.membership.clone())
        };
        let snapshot_id = last_applied.map_or_else(|| "0-0-0".to_owned(), |l| format!("{}-{}", l.leader_id, l.index));
        let meta = SnapshotMeta { last_log_id: last_applied, last_membership: membership, snapshot_id };
        let file = SnapshotFile { meta: meta.clone(), data };
        self.save(&file)?;
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(file.data)) })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Self;

    async fn applied_state(&mut self) -> StoreResult<(Option<LogId<u64>>, StoredMembership<u64, BasicNode>)> {
        let state = self.state.read();
        Ok((state.last_applied, state.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> StoreResult<Vec<Outcome>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let mut state = self.state.write();
        let mut out = Vec::new();
        for entry in entries {
            state.last_applied = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => out.push(Outcome::default()),
                EntryPayload::Normal(cmd) => out.push(state.replicas.apply(&cmd)),
                EntryPayload::Membership(m) => {
                    state.membership = StoredMembership::new(Some(entry.log_id), m);
                    out.push(Outcome::default());
                }
            }
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> StoreResult<Box<Cursor<Vec<u8>>>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> StoreResult<()> {
        let data = snapshot.into_inner();
        let applied: Applied =
            serde_json::from_slice(&data).map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        self.save(&SnapshotFile { meta: meta.clone(), data })?;
        *self.state.write() = applied;
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> StoreResult<Option<Snapshot<TypeConfig>>> {
        let file: Option<SnapshotFile> =
            read_json(&self.dir.join(SNAPSHOT_FILE)).map_err(|e| StorageIOError::read_snapshot(None, &e))?;
        Ok(file.map(|f| Snapshot { meta: f.meta, snapshot: Box::new(Cursor::new(f.data)) }))
    }
}
