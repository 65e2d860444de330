//! The master keeps its SyncStateSet: every `checkSyncStateSetPeriod` it compares the replicas
//! caught up within `haMaxTimeSlaveNotCatchup` (itself included) with the set the controllers
//! hold, and asks for the change with CONTROLLER_ALTER_SYNC_STATE_SET, carrying its
//! `masterEpoch` and the set's epoch (a fenced answer means the broker's role is stale: it
//! checks its role at once). The HA service is told the set (and a change while it is asked
//! for): SYNC writes count on it (`minInSyncReplicas`, `allAckInSyncStateSet`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::body::SyncStateSet;
use rmq_remoting::header::{AlterSyncStateSetRequestHeader, AlterSyncStateSetResponseHeader};
use rmq_remoting::{RemotingCommand, RequestCode};
use tokio_util::sync::CancellationToken;

use super::Membership;
use crate::services::ha::master::HaMaster;

/// The set a master wants: itself and the slaves caught up lately.
#[must_use]
pub fn wanted(master_id: i64, in_sync: &[i64]) -> BTreeSet<i64> {
    in_sync.iter().copied().chain(std::iter::once(master_id)).collect()
}

/// Runs the check until `stop`.
pub fn spawn(m: Arc<Membership>, master: Arc<HaMaster>, stop: CancellationToken, period: Duration, max_lag_ms: u64) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(period) => {}
                () = master.newer_epoch_seen() => {
                    m.poke();
                    continue;
                }
                () = stop.cancelled() => return,
            }
            let Some(d) = m.current() else { continue };
            if !d.is_master() {
                return;
            }
            master.set_sync_state_set(d.sync_state_set.sync_state_set.clone());
            let want = wanted(m.broker_id, &master.in_sync_ids(max_lag_ms, rmq_common::time::now_ms()));
            if want != d.sync_state_set.sync_state_set {
                master.propose_sync_state_set(want.clone());
                if let Some(now) = alter(&m, d.master_epoch, &d.sync_state_set, want).await {
                    master.set_sync_state_set(now);
                }
            }
        }
    });
}

/// Asks for `want`; the set the controllers then hold, or `None` when refused.
async fn alter(
    m: &Membership,
    master_epoch: i32,
    current: &SyncStateSet,
    want: BTreeSet<i64>,
) -> Option<BTreeSet<i64>> {
    let h = AlterSyncStateSetRequestHeader {
        broker_name: m.who.broker_name.clone(),
        master_broker_id: m.broker_id,
        master_epoch,
        invoke_time: Some(rmq_common::time::now_ms()),
    };
    let set = SyncStateSet { sync_state_set: want, sync_state_set_epoch: current.sync_state_set_epoch };
    let body = serde_json::to_vec(&set).unwrap_or_default();
    let req = RemotingCommand::request_with_header(RequestCode::ControllerAlterSyncStateSet, &h).with_body(body);
    match m.ctl.call_ok(req).await {
        Ok(resp) => {
            let epoch = resp.header::<AlterSyncStateSetResponseHeader>().map_or(0, |h| h.new_sync_state_set_epoch);
            tracing::info!(set = ?set.sync_state_set, epoch, "SyncStateSet changed");
            m.set_sync_state_set(SyncStateSet {
                sync_state_set: set.sync_state_set.clone(),
                sync_state_set_epoch: epoch,
            });
            Some(set.sync_state_set)
        }
        Err(e) => {
            tracing::info!(cause = %e, "SyncStateSet change refused; checking the role");
            m.poke();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_master_is_always_in_its_set() {
        assert_eq!(super::wanted(2, &[]).into_iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(super::wanted(2, &[3, 1]).into_iter().collect::<Vec<_>>(), vec![1, 2, 3]);
    }
}
