//! The shared state of one run: the seeded generator, the links that are cut, the loss rate,
//! the controllers and brokers, the checker and the trace hash.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use rmq_controller::raft::Raft;
use rmq_controller::Controller;

use crate::broker::Broker;
use crate::checker::Checker;
use crate::rng::Rng;

/// A place messages go between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ep {
    /// Controller by index (its Raft id).
    Ctl(usize),
    /// Broker replica by index.
    Broker(usize),
}

/// What a run breaks on purpose, to prove the checker catches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The system as built.
    Correct,
    /// Masters acknowledge a write once it is in their own log (before replication).
    AckBeforeReplication,
    /// Controllers run with `enableElectUncleanMaster=true` (elect outside the SyncStateSet).
    UncleanElection,
}

/// The network and the trace.
pub struct World {
    pub rng: Rng,
    /// Cut links, each as (smaller, larger).
    pub cut: BTreeSet<(Ep, Ep)>,
    /// Messages lost per thousand.
    pub loss: u64,
    trace: u64,
    pub events: u64,
    verbose: bool,
}

impl World {
    /// The trace hash so far.
    pub fn trace_value(&self) -> u64 {
        self.trace
    }
}

/// A controller slot: the running controller, if up, and how many times it started.
#[derive(Default)]
pub struct Slot {
    pub ctl: Option<Arc<Controller>>,
    pub incarnation: u64,
}

pub struct Sim {
    pub world: Mutex<World>,
    pub ctls: Mutex<Vec<Slot>>,
    pub brokers: Mutex<Vec<Broker>>,
    pub checker: Mutex<Checker>,
    pub dir: PathBuf,
    pub variant: Variant,
    pub start: tokio::time::Instant,
}

pub type SimRef = Arc<Sim>;

pub const CONTROLLERS: usize = 3;
pub const BROKERS: usize = 3;

fn link(a: Ep, b: Ep) -> (Ep, Ep) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Sim {
    pub fn new(seed: u64, dir: PathBuf, variant: Variant) -> SimRef {
        let world = World {
            rng: Rng::new(seed),
            cut: BTreeSet::new(),
            loss: 0,
            trace: 0xcbf2_9ce4_8422_2325,
            events: 0,
            verbose: std::env::var_os("SIM_TRACE").is_some(),
        };
        Arc::new(Self {
            world: Mutex::new(world),
            ctls: Mutex::new((0..CONTROLLERS).map(|_| Slot::default()).collect()),
            brokers: Mutex::new((0..BROKERS).map(Broker::new).collect()),
            checker: Mutex::new(Checker::new(variant == Variant::UncleanElection)),
            dir,
            variant,
            start: tokio::time::Instant::now(),
        })
    }

    /// Virtual ms since the run started.
    pub fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Adds an event to the trace hash (and prints it with SIM_TRACE set).
    pub fn trace(&self, event: &str) {
        if self.mix(event.as_bytes()) {
            eprintln!("{:>7} {event}", self.now());
        }
    }

    /// Hashes the time and `bytes` into the trace; whether events are printed.
    fn mix(&self, bytes: &[u8]) -> bool {
        let now = self.now();
        let mut w = self.world.lock();
        w.events += 1;
        for b in now.to_be_bytes().iter().chain(bytes) {
            w.trace = (w.trace ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        w.verbose
    }

    pub fn rand(&self, lo: u64, hi: u64) -> u64 {
        self.world.lock().rng.range(lo, hi)
    }

    pub fn chance(&self, per_mille: u64) -> bool {
        self.world.lock().rng.chance(per_mille)
    }

    /// The delay of a message, or `None` when it is lost.
    fn route(&self, from: Ep, to: Ep) -> Option<u64> {
        let mut w = self.world.lock();
        if w.cut.contains(&link(from, to)) {
            return None;
        }
        let loss = w.loss;
        if w.rng.chance(loss) {
            return None;
        }
        let slow = if w.rng.chance(50) { w.rng.range(0, 400) } else { 0 };
        Some(w.rng.range(1, 20) + slow)
    }

    /// Sends one message: waits its delay and says whether it arrived at a live endpoint.
    pub async fn deliver(&self, from: Ep, to: Ep, kind: &str) -> bool {
        let route = self.route(from, to);
        let up = match route {
            None => false,
            Some(delay) => {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                self.is_up(to) && self.is_up(from)
            }
        };
        let code = [ep_code(from), ep_code(to), u8::from(up), kind.len() as u8];
        if self.mix(&code) {
            eprintln!("{:>7} {kind} {from:?}->{to:?} {route:?}ms{}", self.now(), if up { "" } else { " lost" });
        }
        up
    }

    pub fn is_up(&self, ep: Ep) -> bool {
        match ep {
            Ep::Ctl(i) => self.ctls.lock()[i].ctl.is_some(),
            Ep::Broker(i) => self.brokers.lock()[i].up,
        }
    }

    pub fn controller(&self, i: usize) -> Option<Arc<Controller>> {
        self.ctls.lock()[i].ctl.clone()
    }

    pub fn raft_of(&self, i: usize) -> Option<Raft> {
        self.controller(i).map(|c| c.raft.clone())
    }

    pub fn cut(&self, a: Ep, b: Ep) {
        self.world.lock().cut.insert(link(a, b));
    }

    pub fn heal(&self) {
        let mut w = self.world.lock();
        w.cut.clear();
        w.loss = 0;
    }
}

fn ep_code(ep: Ep) -> u8 {
    match ep {
        Ep::Ctl(i) => i as u8,
        Ep::Broker(i) => 100 + i as u8,
    }
}

/// Every endpoint.
pub fn endpoints() -> Vec<Ep> {
    (0..CONTROLLERS).map(Ep::Ctl).chain((0..BROKERS).map(Ep::Broker)).collect()
}
