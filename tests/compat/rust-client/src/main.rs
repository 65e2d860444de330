//! Compatibility scenarios for crates.io `rocketmq-client-rust` 1.0.0 against our name server
//! and brokers. Run by tests/compat/run-rust-client-compat.sh, which starts the servers.
//!
//! Env: NAMESRV_ADDR, BROKER_ADDR (broker-a's master: topics are created there), MQADMIN_BIN
//! (our admin CLI), ADMIN_NAMESRV_ADDR / ADMIN_BROKER_ADDR (where mqadmin reaches them instead,
//! when a capture proxy stands between the client and the servers), COMPAT_RUST_RUN (run only the scenarios whose name contains this),
//! rocketmq.client.localOffsetStoreDir (where broadcasting consumers keep their offsets).
//! Prints `PASS <name>` or `FAIL <name>: <why>` per scenario and exits 1 if any failed.

mod admin;
mod consume;
mod query;
mod send;
mod support;
mod tx;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::support::Env;

/// Upper bound for one scenario.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(150);

type Scenario = for<'a> fn(&'a Env) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

macro_rules! scenario {
    ($name:literal, $f:path) => {
        ($name, (|env| Box::pin($f(env))) as Scenario)
    };
}

#[tokio::main]
async fn main() -> Result<()> {
    let env = Env::from_env()?;
    let filter = std::env::var("COMPAT_RUST_RUN").unwrap_or_default();
    let scenarios = [
        scenario!("sync_send_tags_keys", send::sync_tags_keys),
        scenario!("async_send", send::async_send),
        scenario!("batch_send", send::batch_send),
        scenario!("oneway_send", send::oneway_send),
        scenario!("tag_filter", send::tag_filter),
        scenario!("clustering_two_consumers", consume::clustering),
        scenario!("broadcasting", consume::broadcasting),
        scenario!("orderly", consume::orderly),
        scenario!("delay_level", send::delay_level),
        scenario!("reconsume_later_then_success", consume::reconsume_then_success),
        scenario!("retry_then_dlq", consume::retry_then_dlq),
        scenario!("consumer_running_info", admin::running_info),
        scenario!("transaction", tx::transaction),
        scenario!("timer", tx::timer),
        scenario!("query_by_id_and_key", query::query),
        scenario!("reset_offset_by_time", admin::reset_offset),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, run) in scenarios {
        if !name.contains(filter.as_str()) {
            continue;
        }
        let t0 = Instant::now();
        let outcome = match tokio::time::timeout(SCENARIO_TIMEOUT, run(&env)).await {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!("did not finish in {SCENARIO_TIMEOUT:?}")),
        };
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("PASS {name} ({:.1}s)", t0.elapsed().as_secs_f64());
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {name} ({:.1}s): {e:#}", t0.elapsed().as_secs_f64());
            }
        }
    }
    println!("rust client scenarios: {passed} ok, {failed} not ok");
    // The client's background tasks may outlive the scenarios: leave without waiting for them.
    std::process::exit(if failed == 0 && passed > 0 { 0 } else { 1 });
}
