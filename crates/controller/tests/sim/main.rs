//! Deterministic simulation of the controller with the brokers of one broker set (issue 25):
//! the real rmq-controller (openraft, its log and snapshot files, the state machine, the
//! request processor, the failover scanner) and modelled broker replicas, on one thread with
//! paused time, under message loss, delays, partitions, crashes and clock jumps chosen by a
//! seed. What is real and what is modelled: docs/ARCHITECTURE.md, "Simulation".
//!
//! - `SIM_SEED=n` runs one seed (`one_seed`; `SIM_CHAOS_MS` sets its fault phase, default
//!   40 s), `SIM_TRACE=1` prints its events;
//! - `SIM_SEEDS=n` sets how many seeds the CI tests run (default 200, in 4 tests);
//! - `SIM_LONG=n` makes `long_run` run n seeds from `SIM_LONG_FROM` (default 10000) with
//!   longer fault phases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_possible_truncation)]

mod broker;
mod broker_task;
mod checker;
mod cluster;
mod epoch;
mod net;
mod rng;
mod run;
mod world;

use run::{run, Options, Report};
use world::Variant;

const CHAOS_MS: u64 = 40_000;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn options(seed: u64, variant: Variant) -> Options {
    Options { seed, variant, chaos_ms: CHAOS_MS }
}

fn repro(seed: u64) -> String {
    repro_with(seed, CHAOS_MS)
}

fn repro_with(seed: u64, chaos_ms: u64) -> String {
    format!(
        "SIM_SEED={seed} SIM_CHAOS_MS={chaos_ms} SIM_TRACE=1 cargo test -p rmq-controller --test sim one_seed -- --nocapture"
    )
}

/// Runs the seeds of `part` (of 4) and fails naming every seed that broke an invariant.
fn run_part(part: u64) {
    let total = env_u64("SIM_SEEDS").unwrap_or(200);
    let seeds = (0..total).filter(|s| s % 4 == part);
    let mut failed = Vec::new();
    let (mut acked, mut elections, mut epochs) = (0, 0, 0);
    for seed in seeds {
        let r = run(options(seed, Variant::Correct));
        acked += r.acked;
        elections += r.elections_checked;
        epochs += r.max_epoch;
        if !r.violations.is_empty() {
            eprintln!("seed {seed} FAILED: {:?}\n  reproduce: {}", r.violations, repro(seed));
            failed.push(seed);
        }
    }
    eprintln!("part {part}: {acked} writes acknowledged, {epochs} master epochs, {elections} elections checked against the SyncStateSet, failed seeds {failed:?}");
    assert!(elections > 0, "no election was checked against the SyncStateSet");
    assert!(failed.is_empty(), "seeds {failed:?} broke invariants; reproduce one with {}", repro(failed[0]));
}

#[test]
fn seeds_part_0() {
    run_part(0);
}

#[test]
fn seeds_part_1() {
    run_part(1);
}

#[test]
fn seeds_part_2() {
    run_part(2);
}

#[test]
fn seeds_part_3() {
    run_part(3);
}

#[test]
fn a_seed_replays_the_same_trace() {
    let a = run(options(7, Variant::Correct));
    let b = run(options(7, Variant::Correct));
    assert_eq!(a, b, "same seed, same run");
    let c = run(options(8, Variant::Correct));
    assert_ne!(a.trace, c.trace, "another seed, another run");
    assert!(a.acked > 0 && a.events > 1_000, "the run did something: {a:?}");
}

/// How many of `seeds` runs of `variant` the checker caught.
fn caught(variant: Variant, seeds: std::ops::Range<u64>) -> Vec<Report> {
    seeds.map(|s| run(options(s, variant))).filter(|r| !r.violations.is_empty()).collect()
}

#[test]
fn acking_before_replication_is_caught() {
    let caught = caught(Variant::AckBeforeReplication, 0..20);
    assert!(!caught.is_empty(), "no run of a master that acks before replicating lost a write");
    let lost = caught.iter().flat_map(|r| &r.violations).any(|v| v.contains("acknowledged writes lost"));
    assert!(lost, "caught, but not as lost writes: {:?}", caught[0].violations);
}

#[test]
fn unclean_election_is_caught() {
    let caught = caught(Variant::UncleanElection, 0..40);
    assert!(!caught.is_empty(), "no run electing outside the SyncStateSet lost a write");
}

#[test]
fn one_seed() {
    let Some(seed) = env_u64("SIM_SEED") else { return };
    let chaos_ms = env_u64("SIM_CHAOS_MS").unwrap_or(CHAOS_MS);
    let r = run(Options { seed, variant: Variant::Correct, chaos_ms });
    eprintln!("{r:#?}");
    assert!(r.violations.is_empty(), "seed {seed}: {:?}", r.violations);
}

#[test]
fn long_run() {
    let Some(n) = env_u64("SIM_LONG") else { return };
    let from = env_u64("SIM_LONG_FROM").unwrap_or(10_000);
    let chaos_ms = 5 * CHAOS_MS;
    for seed in from..from + n {
        let r = run(Options { seed, variant: Variant::Correct, chaos_ms });
        let again = repro_with(seed, chaos_ms);
        assert!(r.violations.is_empty(), "seed {seed}: {:?}\n  reproduce: {again}", r.violations);
    }
}
