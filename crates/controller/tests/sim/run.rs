//! One seeded run: three controllers and three replicas of one broker set on a
//! single-threaded tokio runtime with paused time (time moves only when every task waits,
//! straight to the next timer), a client writing to whichever replica is master, faults
//! injected at random for `chaos_ms`, then everything healed and the final checks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::broker_task::{self, BROKER_NAME};
use crate::cluster;
use crate::world::{endpoints, Ep, Sim, SimRef, Variant, BROKERS, CONTROLLERS};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub seed: u64,
    pub variant: Variant,
    /// Virtual time with faults, ms.
    pub chaos_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub seed: u64,
    pub trace: u64,
    pub events: u64,
    pub writes: u64,
    pub acked: usize,
    pub failed: u64,
    pub elections_checked: u64,
    pub max_epoch: i32,
    pub faults: u64,
    pub violations: Vec<String>,
}

/// Time after healing for the cluster to settle before the final checks, ms.
const SETTLE_MS: u64 = 30_000;

pub fn run(opts: Options) -> Report {
    rmq_controller::raft::runtime::seed_thread_rng(opts.seed.rotate_left(17) ^ 0x5151_5eed);
    let base = std::path::Path::new("/dev/shm");
    let dir = if base.is_dir() { tempfile::tempdir_in(base) } else { tempfile::tempdir() };
    let dir = dir.unwrap_or_else(|e| panic!("scratch dir: {e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let report = rt.block_on(scenario(opts, dir.path().to_owned()));
    drop(rt);
    report
}

async fn scenario(opts: Options, dir: std::path::PathBuf) -> Report {
    let sim = Sim::new(opts.seed, dir, opts.variant);
    for i in 0..CONTROLLERS {
        cluster::start(&sim, i).await;
    }
    for i in 0..BROKERS {
        broker_task::spawn(&sim, i);
    }
    let writing = Arc::new(AtomicBool::new(true));
    tokio::spawn(client(sim.clone(), writing.clone()));
    tokio::spawn(observer(sim.clone()));
    let mut faults = 0;
    while sim.now() < opts.chaos_ms {
        tokio::time::sleep(Duration::from_millis(sim.rand(200, 2_500))).await;
        inject(&sim).await;
        faults += 1;
    }
    heal(&sim).await;
    tokio::time::sleep(Duration::from_millis(SETTLE_MS / 2)).await;
    writing.store(false, Ordering::Relaxed);
    settle_and_check(&sim).await;
    report(&sim, opts.seed, faults)
}

fn report(sim: &SimRef, seed: u64, faults: u64) -> Report {
    let ck = sim.checker.lock();
    let w = sim.world.lock();
    Report {
        seed,
        trace: w.trace_value(),
        events: w.events,
        writes: ck.writes,
        acked: ck.acked.len(),
        failed: ck.failed,
        elections_checked: ck.elections_checked,
        max_epoch: ck.max_epoch,
        faults,
        violations: ck.violations.clone(),
    }
}

/// Writes a new value every 100 ms to a replica that believes it is master.
async fn client(sim: SimRef, writing: Arc<AtomicBool>) {
    let early = sim.variant == Variant::AckBeforeReplication;
    let mut value = 0;
    while writing.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let masters: Vec<usize> = {
            let brokers = sim.brokers.lock();
            brokers.iter().filter(|b| b.up && b.role == crate::broker::Role::Master).map(|b| b.idx).collect()
        };
        let Some(m) = sim.world.lock().rng.pick(&masters) else { continue };
        value += 1;
        let now = sim.now();
        let mut brokers = sim.brokers.lock();
        let mut ck = sim.checker.lock();
        if brokers[m].write(value, now, &mut ck) && early {
            brokers[m].settle(now, true, &mut ck);
        }
    }
}

/// Checks every controller's applied state every 5 ms.
async fn observer(sim: SimRef) {
    loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        for i in 0..CONTROLLERS {
            let (ctl, inc) = {
                let slots = sim.ctls.lock();
                (slots[i].ctl.clone(), slots[i].incarnation)
            };
            let Some(ctl) = ctl else { continue };
            let applied = ctl.state.read();
            sim.checker.lock().observe(i, inc, &applied);
        }
    }
}

/// One fault, chosen by the seed.
async fn inject(sim: &SimRef) {
    let eps = endpoints();
    match sim.rand(0, 10) {
        0 => {
            let (a, b) = (eps[sim.rand(0, 6) as usize], eps[sim.rand(0, 6) as usize]);
            sim.cut(a, b);
            sim.trace(&format!("fault: cut {a:?}-{b:?}"));
        }
        1 => {
            let a = eps[sim.rand(0, 6) as usize];
            eps.iter().for_each(|b| sim.cut(a, *b));
            sim.trace(&format!("fault: isolate {a:?}"));
        }
        2 => split(sim, &eps),
        3 => {
            sim.heal();
            sim.trace("fault: links healed");
        }
        4 => crash_controller(sim).await,
        5 => restart_controller(sim).await,
        6 => crash_broker(sim),
        7 => restart_broker(sim),
        8 => {
            let loss = [0, 10, 50, 150][sim.rand(0, 4) as usize];
            sim.world.lock().loss = loss;
            sim.trace(&format!("fault: loss {loss} per mille"));
        }
        _ => {
            let jump = sim.rand(500, 4_000);
            sim.trace(&format!("fault: clock jumps {jump} ms"));
            tokio::time::advance(Duration::from_millis(jump)).await;
        }
    }
}

fn split(sim: &SimRef, eps: &[Ep]) {
    let side: Vec<bool> = eps.iter().map(|_| sim.chance(500)).collect();
    for (i, a) in eps.iter().enumerate() {
        for (j, b) in eps.iter().enumerate() {
            if side[i] != side[j] {
                sim.cut(*a, *b);
            }
        }
    }
    sim.trace(&format!("fault: split {side:?}"));
}

async fn crash_controller(sim: &SimRef) {
    let up: Vec<usize> = (0..CONTROLLERS).filter(|i| sim.is_up(Ep::Ctl(*i))).collect();
    let leader = cluster::leader(sim).filter(|_| sim.chance(500));
    let pick = leader.or_else(|| sim.world.lock().rng.pick(&up));
    if let Some(i) = pick {
        cluster::crash(sim, i).await;
    }
}

async fn restart_controller(sim: &SimRef) {
    let down: Vec<usize> = (0..CONTROLLERS).filter(|i| !sim.is_up(Ep::Ctl(*i))).collect();
    let pick = sim.world.lock().rng.pick(&down);
    if let Some(i) = pick {
        cluster::start(sim, i).await;
    }
}

fn crash_broker(sim: &SimRef) {
    let up: Vec<usize> = (0..BROKERS).filter(|i| sim.is_up(Ep::Broker(*i))).collect();
    let master = up.iter().copied().find(|i| sim.brokers.lock()[*i].role == crate::broker::Role::Master);
    let Some(i) = master.filter(|_| sim.chance(800)).or_else(|| sim.world.lock().rng.pick(&up)) else { return };
    let inc = {
        let mut brokers = sim.brokers.lock();
        let inc = brokers[i].incarnation;
        brokers[i].crash(&mut sim.checker.lock());
        inc
    };
    sim.trace(&format!("fault: broker #{i} crashed"));
    cluster::connections_closed(sim, i, inc);
}

fn restart_broker(sim: &SimRef) {
    let down: Vec<usize> = (0..BROKERS).filter(|i| !sim.is_up(Ep::Broker(*i))).collect();
    let Some(i) = sim.world.lock().rng.pick(&down) else { return };
    sim.brokers.lock()[i].restart();
    sim.trace(&format!("broker #{i} restarted"));
    broker_task::spawn(sim, i);
}

/// Every link back, no loss, every node up.
async fn heal(sim: &SimRef) {
    sim.heal();
    sim.trace("healed");
    for i in 0..CONTROLLERS {
        if !sim.is_up(Ep::Ctl(i)) {
            cluster::start(sim, i).await;
        }
    }
    for i in 0..BROKERS {
        if !sim.is_up(Ep::Broker(i)) {
            sim.brokers.lock()[i].restart();
            broker_task::spawn(sim, i);
        }
    }
}

/// Waits (up to [`SETTLE_MS`]) for a master every replica agrees with, then checks.
async fn settle_and_check(sim: &SimRef) {
    let deadline = sim.now() + SETTLE_MS;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let found = final_state(sim);
        if found.as_ref().is_ok_and(|(_, log, others)| others.iter().all(|(_, l)| l == log)) || sim.now() > deadline {
            match found {
                Ok((master, log, others)) => sim.checker.lock().final_check(master, &log, &others),
                Err(why) => sim.checker.lock().violations.push(format!("after healing: {why}")),
            }
            return;
        }
    }
}

type FinalState = (i64, Vec<crate::epoch::Rec>, Vec<(usize, Vec<crate::epoch::Rec>)>);

/// The master the leading controller names, if that replica acts as master of that epoch.
fn final_state(sim: &SimRef) -> Result<FinalState, String> {
    let leader = cluster::leader(sim).ok_or("no controller leads")?;
    let ctl = sim.controller(leader).ok_or("the leader is down")?;
    let (master, epoch) = {
        let state = ctl.state.read();
        let set = state.replicas.sets.get(BROKER_NAME).ok_or("the broker set is unknown")?;
        (set.master.ok_or("the broker set has no master")?, set.master_epoch)
    };
    let brokers = sim.brokers.lock();
    let m = brokers.iter().find(|b| b.id == Some(master)).ok_or("no replica has the master's id")?;
    if m.role != crate::broker::Role::Master || m.epoch != epoch {
        return Err(format!(
            "replica {master} is {:?} in epoch {}, the controller says master of {epoch}",
            m.role, m.epoch
        ));
    }
    let others = brokers.iter().filter(|b| b.idx != m.idx).map(|b| (b.idx, b.log.clone())).collect();
    Ok((master, m.log.clone(), others))
}
