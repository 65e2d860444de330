//! What the leader does on its own: brokers whose heartbeats stopped (or whose connection
//! closed) are dropped; a broker set whose master is among them, or that has no master while
//! an eligible replica is alive, gets an election; the replicas are told the outcome
//! (NOTIFY_BROKER_ROLE_CHANGED, when `notifyBrokerRoleChanged`).

use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::header::NotifyBrokerRoleChangedRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::elect::ElectRequest;
use crate::heartbeat::BrokerLive;
use crate::replicas::{Command, MasterView};
use crate::Controller;

const NOTIFY_TIMEOUT: Duration = Duration::from_secs(3);

/// Runs the scan every `scanNotActiveBrokerInterval` while the controller lives.
pub fn spawn_scanner(ctl: &Arc<Controller>) {
    let weak = Arc::downgrade(ctl);
    let period = Duration::from_millis(ctl.config.scan_not_active_broker_interval);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            let Some(ctl) = weak.upgrade() else { return };
            scan(&ctl).await;
        }
    });
}

/// Handles brokers known gone (their connection closed) at once.
pub fn spawn_brokers_gone(ctl: &Arc<Controller>, gone: Vec<BrokerLive>) {
    let ctl = Arc::clone(ctl);
    tokio::spawn(async move {
        for b in &gone {
            tracing::warn!(broker = %b.broker_name, id = b.broker_id, addr = %b.addr, "broker connection closed");
        }
        if ctl.is_leader() {
            reelect(&ctl).await;
        }
    });
}

async fn scan(ctl: &Arc<Controller>) {
    for b in ctl.live.expire(ctl.now()) {
        tracing::warn!(broker = %b.broker_name, id = b.broker_id, addr = %b.addr, "broker heartbeats stopped");
    }
    if ctl.is_leader() {
        reelect(ctl).await;
    }
}

/// Broker sets whose master is not alive, elected again.
async fn reelect(ctl: &Arc<Controller>) {
    let t = ctl.now();
    let orphans: Vec<String> = {
        let state = ctl.state.read();
        state
            .replicas
            .sets
            .values()
            .filter(|s| s.master_epoch > 0 || s.master.is_some())
            .filter(|s| s.master.is_none_or(|m| !ctl.live.is_alive(&s.broker_name, m, t)))
            .filter(|s| !ctl.live.alive(&s.broker_name, t).is_empty())
            .map(|s| s.broker_name.clone())
            .collect()
    };
    for name in orphans {
        // The outcome is logged by elect_for; the next scan tries again.
        let _ = elect_for(ctl, &name, None, false).await;
    }
}

/// Proposes an election for `broker_name` and notifies its replicas of a new master.
pub async fn elect_for(
    ctl: &Arc<Controller>,
    broker_name: &str,
    broker_id: Option<i64>,
    designate: bool,
) -> Result<crate::replicas::Outcome, crate::ControllerError> {
    let req = ElectRequest {
        broker_name: broker_name.to_owned(),
        broker_id,
        designate,
        alive: ctl.live.alive(broker_name, ctl.now()),
        unclean: ctl.config.enable_elect_unclean_master,
    };
    let out = ctl.propose(Command::ElectMaster(req)).await;
    match &out {
        Ok(o) if o.code == 0 => {
            tracing::info!(broker = broker_name, master = ?o.broker_id, "elected a new master");
            if let Some(view) = &o.view {
                notify(ctl, broker_name, view);
            }
        }
        Ok(o) => tracing::info!(broker = broker_name, code = o.code, remark = %o.remark, "no new master"),
        Err(e) => tracing::warn!(broker = broker_name, error = %e, "election not proposed"),
    }
    out
}

/// Tells every alive replica of the set its new master and SyncStateSet.
pub fn notify(ctl: &Arc<Controller>, broker_name: &str, view: &MasterView) {
    if !ctl.config.notify_broker_role_changed {
        return;
    }
    let header = NotifyBrokerRoleChangedRequestHeader {
        master_address: view.master_address.clone(),
        master_epoch: Some(view.master_epoch),
        sync_state_set_epoch: Some(view.sync_state_set.sync_state_set_epoch),
        master_broker_id: view.master_broker_id,
    };
    let body = serde_json::to_vec(&view.sync_state_set).unwrap_or_default();
    for addr in ctl.live.alive_addrs(broker_name, ctl.now()) {
        let request =
            RemotingCommand::request_with_header(RequestCode::NotifyBrokerRoleChanged, &header).with_body(body.clone());
        let client = ctl.client.clone();
        tokio::spawn(async move {
            if let Err(e) = client.invoke(&addr, request, NOTIFY_TIMEOUT).await {
                tracing::warn!(%addr, error = %e, "NOTIFY_BROKER_ROLE_CHANGED failed");
            }
        });
    }
}
