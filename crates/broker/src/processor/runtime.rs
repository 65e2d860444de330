//! GET_BROKER_RUNTIME_INFO: the KV table `mqadmin clusterList`, `brokerStatus` and the 5.x
//! dashboards read, with every key Apache RocketMQ 5.5.0 writes.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rmq_remoting::RemotingCommand;

use crate::error::HandlerResult;
use crate::wire::kv_table;
use crate::Broker;

/// The official request thread pools and their default queue capacities.
const THREAD_POOLS: [(&str, u32); 5] =
    [("send", 10_000), ("pull", 100_000), ("litePull", 100_000), ("query", 20_000), ("ack", 100_000)];

/// GET_BROKER_RUNTIME_INFO: the keys `mqadmin clusterList` and `brokerStatus` read.
pub fn runtime_info(broker: &Arc<Broker>) -> HandlerResult {
    let put = broker.stats.put_total.load(Ordering::Relaxed);
    let get = broker.stats.get_total.load(Ordering::Relaxed);
    let store = broker.store.runtime_info();
    let mut t = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        t.insert(k.to_owned(), v);
    };
    set("brokerVersionDesc", "V4_9_8".into());
    set("brokerVersion", rmq_remoting::CURRENT_VERSION.to_string());
    let uptime = broker.started.elapsed().as_secs_f64().max(1.0);
    #[allow(clippy::cast_precision_loss)]
    let (put_tps, get_tps) = (put as f64 / uptime, get as f64 / uptime);
    set("putTps", format!("{put_tps:.2} {put_tps:.2} {put_tps:.2}"));
    set("getTransferedTps", format!("{get_tps:.2} {get_tps:.2} {get_tps:.2}"));
    set("msgPutTotalYesterdayMorning", "0".into());
    set("msgPutTotalTodayMorning", "0".into());
    set("msgPutTotalTodayNow", put.to_string());
    set("msgGetTotalYesterdayMorning", "0".into());
    set("msgGetTotalTodayMorning", "0".into());
    set("msgGetTotalTodayNow", get.to_string());
    set("sendThreadPoolQueueSize", "0".into());
    set("pullThreadPoolQueueSize", "0".into());
    set("sendThreadPoolQueueHeadWaitTimeMills", "0".into());
    set("pullThreadPoolQueueHeadWaitTimeMills", "0".into());
    set("pageCacheLockTimeMills", "0".into());
    set(
        "bootTimestamp",
        (crate::now_ms() - i64::try_from(broker.started.elapsed().as_millis()).unwrap_or(0)).to_string(),
    );
    set("brokerRole", crate::config::PropValue::render_prop(&broker.config.broker_role));
    set("scheduleMessageBacklog", broker.delay_offsets.backlog(broker).to_string());
    let max = broker.store.commit_log_max_offset();
    if broker.config.is_master() {
        let slaves = broker.ha.slaves();
        let best = slaves.iter().map(|s| s.1).max();
        set("haConnectedSlaves", slaves.len().to_string());
        set("haSlaveAddrs", slaves.iter().map(|s| s.0.clone()).collect::<Vec<_>>().join(","));
        set("haSlaveAckOffset", best.map_or(-1, |b| i64::try_from(b).unwrap_or(-1)).to_string());
        set(
            "haReplicationLagBytes",
            best.map_or(-1, |b| i64::try_from(max.saturating_sub(b)).unwrap_or(-1)).to_string(),
        );
    } else {
        let master = broker.ha.master_offset.load(std::sync::atomic::Ordering::Acquire);
        let connected = broker.ha.connected.load(std::sync::atomic::Ordering::Acquire);
        set(
            "haMasterAddr",
            broker
                .config
                .ha_master_address
                .clone()
                .or_else(|| broker.ha_master_addr.read().clone())
                .unwrap_or_default(),
        );
        set("haConnected", connected.to_string());
        set("haMasterOffset", master.to_string());
        set("haReplicationLagBytes", master.saturating_sub(max).to_string());
    }
    // The 5.x keys (GET_BROKER_RUNTIME_INFO of Apache RocketMQ 5.5.0), from what we measure.
    let secs = broker.started.elapsed().as_secs();
    set(
        "runtime",
        format!(
            "[ {} days, {} hours, {} minutes, {} seconds ]",
            secs / 86_400,
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60
        ),
    );
    set("brokerActive", "true".into());
    set("startAcceptSendRequestTimeStamp", "0".into());
    set("getTransferredTps", format!("{get_tps:.2} {get_tps:.2} {get_tps:.2}"));
    let found = broker.stats.pulls_found.load(Ordering::Relaxed);
    let missed = broker.stats.pulls_missed.load(Ordering::Relaxed);
    #[allow(clippy::cast_precision_loss)]
    let (found_tps, miss_tps) = (found as f64 / uptime, missed as f64 / uptime);
    set("getFoundTps", format!("{found_tps:.2} {found_tps:.2} {found_tps:.2}"));
    set("getMissTps", format!("{miss_tps:.2} {miss_tps:.2} {miss_tps:.2}"));
    let total_tps = found_tps + miss_tps;
    set("getTotalTps", format!("{total_tps:.2} {total_tps:.2} {total_tps:.2}"));
    set("getMessageEntireTimeMax", broker.stats.get_time_max_ms.load(Ordering::Relaxed).to_string());
    set("putMessageFailedTimes", broker.stats.put_failed.load(Ordering::Relaxed).to_string());
    // Requests are served on one runtime here, not on per-kind thread pools: nothing queues, and
    // the capacities are the official pools' defaults (what a client sizing by them expects).
    for (pool, capacity) in THREAD_POOLS {
        set(&format!("{pool}ThreadPoolQueueSize"), "0".into());
        set(&format!("{pool}ThreadPoolQueueHeadWaitTimeMills"), "0".into());
        set(&format!("{pool}ThreadPoolQueueCapacity"), capacity.to_string());
    }
    set("EndTransactionQueueSize", "0".into());
    set("EndTransactionThreadPoolQueueCapacity", "100000".into());
    for (level, offset) in broker.delay_offsets.levels() {
        let max = broker.store.max_offset(crate::topics::system::SCHEDULE, level - 1);
        set(&format!("scheduleMessageOffset_{level}"), format!("{offset},{max}"));
    }
    if let Some(timer) = &broker.timer {
        for (k, v) in timer.stats(broker) {
            set(&k, v);
        }
    } else {
        for k in ["timerOffsetBehind", "timerReadBehind", "timerCongestNum"] {
            set(k, "0".into());
        }
        set("timerEnqueueTps", "0.0".into());
        set("timerDequeueTps", "0.0".into());
    }
    for (k, v) in store {
        set(&k, v);
    }
    Ok(RemotingCommand::success().with_body(kv_table(&t)))
}
