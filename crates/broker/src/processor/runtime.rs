//! GET_BROKER_RUNTIME_INFO: the KV table `mqadmin clusterList`, `brokerStatus` and the 5.x
//! dashboards read, with every key Apache RocketMQ 5.5.0 writes.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use rmq_remoting::RemotingCommand;

use crate::context::BrokerContext;
use crate::error::HandlerResult;
use crate::services::ha::Replication;
use crate::services::Services;
use crate::state::topics::system;
use crate::wire::kv_table;

/// The official request thread pools and their default queue capacities.
const THREAD_POOLS: [(&str, u32); 5] =
    [("send", 10_000), ("pull", 100_000), ("litePull", 100_000), ("query", 20_000), ("ack", 100_000)];

/// The table being built.
type Table = BTreeMap<String, String>;

fn set(t: &mut Table, k: &str, v: String) {
    t.insert(k.to_owned(), v);
}

/// A rate as the official broker prints it: the same figure for its three windows.
fn tps3(rate: f64) -> String {
    format!("{rate:.2} {rate:.2} {rate:.2}")
}

#[allow(clippy::cast_precision_loss)] // a rate for display: precision past 2^52 events is moot
fn per_second(count: u64, secs: f64) -> f64 {
    count as f64 / secs
}

/// GET_BROKER_RUNTIME_INFO: the keys `mqadmin clusterList` and `brokerStatus` read.
pub fn runtime_info(ctx: &BrokerContext, services: &Services) -> HandlerResult {
    let mut t = Table::new();
    counters(ctx, &mut t);
    set(&mut t, "brokerRole", crate::config::PropValue::render_prop(&ctx.config.identity.broker_role));
    replication_info(ctx, &services.replication, &mut t);
    keys_5x(ctx, &mut t);
    schedule_info(ctx, services, &mut t);
    t.extend(ctx.store.runtime_info());
    Ok(RemotingCommand::success().with_body(kv_table(&t)))
}

/// Version, throughput and the 4.x counters (zero where we keep none).
fn counters(ctx: &BrokerContext, t: &mut Table) {
    let put = ctx.stats.put_total.load(Ordering::Relaxed);
    let get = ctx.stats.get_total.load(Ordering::Relaxed);
    set(t, "brokerVersionDesc", "V4_9_8".into());
    set(t, "brokerVersion", rmq_remoting::CURRENT_VERSION.to_string());
    let now = crate::context::now_u64();
    set(t, "putTps", ctx.stats.put_rate.tps3(now));
    // The 4.x spelling, which 4.x tools read; 5.x tools read `getTransferredTps` (keys_5x).
    set(t, "getTransferedTps", ctx.stats.get_rate.tps3(now));
    set(t, "msgPutTotalTodayNow", put.to_string());
    set(t, "msgGetTotalTodayNow", get.to_string());
    let lost = &ctx.stats.retention;
    set(t, "retentionUnconsumedFiles", lost.files.load(Ordering::Relaxed).to_string());
    set(t, "retentionUnconsumedMessages", lost.messages.load(Ordering::Relaxed).to_string());
    for zero in [
        "msgPutTotalYesterdayMorning",
        "msgPutTotalTodayMorning",
        "msgGetTotalYesterdayMorning",
        "msgGetTotalTodayMorning",
        "pageCacheLockTimeMills",
    ] {
        set(t, zero, "0".into());
    }
    let up_ms = i64::try_from(ctx.stats.started.elapsed().as_millis()).unwrap_or(0);
    set(t, "bootTimestamp", (crate::now_ms() - up_ms).to_string());
}

/// The master's slaves and their lag, or the slave's link to its master.
fn replication_info(ctx: &BrokerContext, replication: &Replication, t: &mut Table) {
    let max = ctx.store.commit_log_max_offset();
    match replication {
        Replication::Master(master) => {
            let slaves = master.slaves();
            let best = slaves.iter().map(|s| s.1).max();
            set(t, "haConnectedSlaves", slaves.len().to_string());
            set(t, "haSlaveAddrs", slaves.iter().map(|s| s.0.clone()).collect::<Vec<_>>().join(","));
            set(t, "haSlaveAckOffset", best.map_or(-1, |b| i64::try_from(b).unwrap_or(-1)).to_string());
            let lag = best.map_or(-1, |b| i64::try_from(max.saturating_sub(b)).unwrap_or(-1));
            set(t, "haReplicationLagBytes", lag.to_string());
        }
        Replication::Slave(slave) => {
            let master = slave.master_offset();
            set(t, "haMasterAddr", slave.ha_master_addr().unwrap_or_default());
            set(t, "haConnected", slave.is_connected().to_string());
            set(t, "haMasterOffset", master.to_string());
            set(t, "haReplicationLagBytes", master.saturating_sub(max).to_string());
        }
    }
}

/// The 5.x keys (GET_BROKER_RUNTIME_INFO of Apache RocketMQ 5.5.0), from what we measure.
fn keys_5x(ctx: &BrokerContext, t: &mut Table) {
    let stats = &ctx.stats;
    let secs = stats.started.elapsed().as_secs();
    let (days, hours, minutes, seconds) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    set(t, "runtime", format!("[ {days} days, {hours} hours, {minutes} minutes, {seconds} seconds ]"));
    set(t, "brokerActive", "true".into());
    set(t, "startAcceptSendRequestTimeStamp", "0".into());
    let uptime = stats.started.elapsed().as_secs_f64().max(1.0);
    set(t, "getTransferredTps", stats.get_rate.tps3(crate::context::now_u64()));
    let found_tps = per_second(stats.pulls_found.load(Ordering::Relaxed), uptime);
    let miss_tps = per_second(stats.pulls_missed.load(Ordering::Relaxed), uptime);
    set(t, "getFoundTps", tps3(found_tps));
    set(t, "getMissTps", tps3(miss_tps));
    set(t, "getTotalTps", tps3(found_tps + miss_tps));
    set(t, "getMessageEntireTimeMax", stats.get_time_max_ms.load(Ordering::Relaxed).to_string());
    set(t, "putMessageFailedTimes", stats.put_failed.load(Ordering::Relaxed).to_string());
    // Requests are served on one runtime here, not on per-kind thread pools: nothing queues, and
    // the capacities are the official pools' defaults (what a client sizing by them expects).
    for (pool, capacity) in THREAD_POOLS {
        set(t, &format!("{pool}ThreadPoolQueueSize"), "0".into());
        set(t, &format!("{pool}ThreadPoolQueueHeadWaitTimeMills"), "0".into());
        set(t, &format!("{pool}ThreadPoolQueueCapacity"), capacity.to_string());
    }
    set(t, "EndTransactionQueueSize", "0".into());
    set(t, "EndTransactionThreadPoolQueueCapacity", "100000".into());
}

/// Delay-level progress and the timer's figures (zeros when timers are off).
fn schedule_info(ctx: &BrokerContext, services: &Services, t: &mut Table) {
    set(t, "scheduleMessageBacklog", services.schedule.backlog().to_string());
    for (level, offset) in services.schedule.level_offsets() {
        let max = ctx.store.max_offset(system::SCHEDULE, level - 1);
        set(t, &format!("scheduleMessageOffset_{level}"), format!("{offset},{max}"));
    }
    if let Some(timer) = &services.timer {
        t.extend(timer.stats());
    } else {
        for k in ["timerOffsetBehind", "timerReadBehind", "timerCongestNum"] {
            set(t, k, "0".into());
        }
        set(t, "timerEnqueueTps", "0.0".into());
        set(t, "timerDequeueTps", "0.0".into());
    }
}
