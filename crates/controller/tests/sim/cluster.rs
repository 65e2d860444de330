//! The controllers of a run: the real `rmq_controller` (Raft on openraft, the state machine,
//! the request processor, the failover scanner) started over [`SimNet`] with its store in
//! the run's directory, crashed (dropped, its files kept) and started again; and brokers'
//! requests carried to it through the simulated network.

use std::time::Duration;

use rmq_controller::{api, failover, ControllerConfig};
use rmq_remoting::RemotingCommand;

use crate::net::SimNet;
use crate::world::{Ep, SimRef, Variant, CONTROLLERS};

/// A broker's request without an answer in this long has failed, ms.
const CALL_TIMEOUT: Duration = Duration::from_millis(2_000);

fn config(sim: &SimRef, i: usize) -> ControllerConfig {
    let peers: Vec<String> = (0..CONTROLLERS).map(|j| format!("n{j}-c{j}:9878")).collect();
    ControllerConfig {
        controller_dleger_peers: peers.join(";"),
        controller_dleger_self_id: format!("n{i}"),
        controller_store_path: sim.dir.join(format!("c{i}")).display().to_string(),
        enable_elect_unclean_master: sim.variant == Variant::UncleanElection,
        notify_broker_role_changed: false,
        scan_not_active_broker_interval: 200,
        broker_heartbeat_timeout_millis: 1_000,
        snapshot_every_entries: 10,
        ..ControllerConfig::default()
    }
}

/// Starts controller `i` over the files it left (a fresh store the first time).
pub async fn start(sim: &SimRef, i: usize) {
    let net = SimNet { sim: sim.clone(), from: i };
    let ctl = match rmq_controller::start_with(config(sim, i), net).await {
        Ok(ctl) => ctl,
        Err(e) => panic!("controller {i} did not start: {e}"),
    };
    let inc = {
        let mut slots = sim.ctls.lock();
        slots[i].ctl = Some(ctl);
        slots[i].incarnation += 1;
        slots[i].incarnation
    };
    sim.trace(&format!("controller {i} started (#{inc})"));
}

/// Crashes controller `i`: its process state is gone, its files stay.
pub async fn crash(sim: &SimRef, i: usize) {
    let Some(ctl) = sim.ctls.lock()[i].ctl.take() else { return };
    sim.trace(&format!("controller {i} crashed"));
    // Shutting down may report the core already stopped; either way the node is gone.
    let _ = ctl.raft.shutdown().await;
}

/// The index of the controller that leads, as the controllers themselves say.
pub fn leader(sim: &SimRef) -> Option<usize> {
    (0..CONTROLLERS).find(|i| sim.controller(*i).is_some_and(|c| c.is_leader()))
}

/// The connection a broker start uses to a controller.
pub fn channel(broker: usize, broker_incarnation: u64) -> u64 {
    (broker as u64 + 1) * 1_000_000 + broker_incarnation
}

/// Carries a broker's request to controller `ctl` and its answer back; `None` when either
/// was lost or the controller crashed meanwhile.
pub async fn call(sim: &SimRef, broker: usize, ctl: usize, req: RemotingCommand) -> Option<RemotingCommand> {
    let (from, to) = (Ep::Broker(broker), Ep::Ctl(ctl));
    let inc = sim.ctls.lock()[ctl].incarnation;
    let chan = channel(broker, sim.brokers.lock()[broker].incarnation);
    let answer = async {
        let c = match sim.deliver(from, to, "request").await {
            true => sim.controller(ctl).filter(|_| sim.ctls.lock()[ctl].incarnation == inc),
            false => None,
        };
        let Some(c) = c else { return std::future::pending().await };
        let answer = api::handle_on(&c, chan, &req).await;
        drop(c);
        let same = sim.ctls.lock()[ctl].incarnation == inc;
        match sim.deliver(to, from, "answer").await && same {
            true => answer,
            false => std::future::pending().await,
        }
    };
    // A lost message is noticed only when the call times out, as over TCP.
    tokio::time::timeout(CALL_TIMEOUT, answer).await.ok()
}

/// A broker process died: the controllers it can reach see its connections close.
pub fn connections_closed(sim: &SimRef, broker: usize, incarnation: u64) {
    for i in 0..CONTROLLERS {
        let Some(ctl) = sim.controller(i) else { continue };
        if sim.world.lock().cut.contains(&(Ep::Ctl(i), Ep::Broker(broker))) {
            continue;
        }
        let gone = ctl.live.channel_closed(channel(broker, incarnation));
        if !gone.is_empty() {
            failover::spawn_brokers_gone(&ctl, gone);
        }
    }
}
