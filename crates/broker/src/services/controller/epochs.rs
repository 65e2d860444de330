//! The broker's epoch file in use (`rmq_store::ha_epoch`): a master adds `masterEpoch -> its
//! log end` when it takes office; a slave, before it follows, fetches the master's entries
//! (GET_BROKER_EPOCH_CACHE), cuts its log (queues and index with it) back to the last offset
//! both agree on, and takes the master's entries for what it keeps. A master of an older epoch
//! than the slave's is not followed.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmq_remoting::body::{self, EpochEntryBody, EpochEntryCache};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};
use rmq_store::ha_epoch::{truncation_point, EpochEntry, EpochFile};
use rmq_store::MessageStore;

/// The epoch file, shared by the role logic and GET_BROKER_EPOCH_CACHE.
pub type Epochs = Arc<Mutex<EpochFile>>;

/// A master takes office in `epoch` at its log's end.
pub fn take_office(epochs: &Epochs, epoch: i32, store: &MessageStore) -> Result<(), String> {
    let epoch = u32::try_from(epoch).map_err(|_| format!("negative master epoch {epoch}"))?;
    let end = store.commit_log_max_offset();
    epochs.lock().append(epoch, end).map_err(|e| format!("epoch {epoch} at {end}: {e}"))?;
    tracing::info!(epoch, start = end, "master epoch recorded");
    Ok(())
}

/// The GET_BROKER_EPOCH_CACHE body of this broker.
#[must_use]
pub fn cache_body(epochs: &Epochs, store: &MessageStore, who: (&str, &str, i64)) -> EpochEntryCache {
    let end = store.commit_log_max_offset();
    let epoch_list = epochs.lock().cache().entries(end).iter().map(to_body).collect();
    EpochEntryCache {
        cluster_name: who.0.to_owned(),
        broker_name: who.1.to_owned(),
        broker_id: who.2,
        epoch_list,
        max_offset: i64::try_from(end).unwrap_or(i64::MAX),
    }
}

fn to_body(e: &EpochEntry) -> EpochEntryBody {
    EpochEntryBody {
        epoch: i32::try_from(e.epoch).unwrap_or(i32::MAX),
        start_offset: i64::try_from(e.start_offset).unwrap_or(i64::MAX),
        end_offset: i64::try_from(e.end_offset).unwrap_or(i64::MAX),
    }
}

fn from_body(e: &EpochEntryBody) -> Option<EpochEntry> {
    Some(EpochEntry {
        epoch: u32::try_from(e.epoch).ok()?,
        start_offset: u64::try_from(e.start_offset).ok()?,
        end_offset: u64::try_from(e.end_offset).ok()?,
    })
}

/// Fetches the master's epoch entries.
pub async fn fetch(client: &RemotingClient, master: &str) -> Result<Vec<EpochEntry>, String> {
    let req = RemotingCommand::request(RequestCode::GetBrokerEpochCache);
    let resp = client.invoke(master, req, Duration::from_secs(3)).await.map_err(|e| e.to_string())?;
    if resp.code != 0 {
        return Err(format!("GET_BROKER_EPOCH_CACHE answered {}", resp.code));
    }
    let cache: EpochEntryCache = body::decode(&resp.body).map_err(|e| e.to_string())?;
    Ok(cache.epoch_list.iter().filter_map(from_body).collect())
}

/// Makes this slave's log a prefix of the master's (see the module doc); the offset it cut
/// to, if it cut.
pub fn align(epochs: &Epochs, store: &MessageStore, master: &[EpochEntry]) -> Result<Option<u64>, String> {
    let mut file = epochs.lock();
    let mine = file.cache().last_epoch().unwrap_or(0);
    let theirs = master.last().map_or(0, |e| e.epoch);
    if theirs < mine {
        return Err(format!("the master is in epoch {theirs}, older than ours ({mine}): not followed"));
    }
    let end = store.commit_log_max_offset();
    let cut = truncation_point(file.cache(), end, master, store.commit_log_min_offset());
    if let Some(at) = cut {
        tracing::warn!(from = end, to = at, "cutting the commit log back to where it agrees with the master");
        store.truncate_commit_log(at);
        file.truncate_suffix(at).map_err(|e| e.to_string())?;
    }
    adopt_into(&mut file, store.commit_log_max_offset(), master)?;
    Ok(cut)
}

/// A following slave takes the master's epochs its log has reached since (called every
/// `syncBrokerMetadataPeriod`: a slave that was behind when it aligned learns the later ones).
pub fn adopt(epochs: &Epochs, store: &MessageStore, master: &[EpochEntry]) -> Result<(), String> {
    adopt_into(&mut epochs.lock(), store.commit_log_max_offset(), master)
}

fn adopt_into(file: &mut EpochFile, kept: u64, master: &[EpochEntry]) -> Result<(), String> {
    for e in master.iter().filter(|e| e.start_offset <= kept) {
        if file.cache().last_epoch().is_none_or(|last| e.epoch > last) {
            file.append(e.epoch, e.start_offset).map_err(|err| err.to_string())?;
        }
    }
    Ok(())
}
