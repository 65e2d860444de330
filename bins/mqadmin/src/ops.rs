//! Operators' commands: wipeWritePerm, addWritePerm, updateKvConfig, getKvConfig,
//! deleteKvConfig, updateOrderConf, statsAll, brokerConsumeStats, haStatus, cleanExpiredCQ,
//! queryCq. Text output follows the official tool's.

use clap::{Subcommand, ValueEnum};
use rmq_admin::ops::{BrokerConsumeRow, CqData, Ops, ORDER_TOPIC_CONFIG};
use rmq_admin::stats_all::{stats_all, StatsRow};
use rmq_admin::Admin;
use serde_json::{json, Value};

use crate::output::{time, Output, TargetArgs};

/// What updateOrderConf does.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OrderMethod {
    /// Print the topic's order conf.
    Get,
    /// Set it.
    Put,
    /// Remove it.
    Delete,
}

/// Operators' commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Wipe the write permission of a broker set on every name server.
    #[command(name = "wipeWritePerm")]
    WipeWritePerm {
        /// Broker set name.
        #[arg(short = 'b', long = "brokerName")]
        broker_name: String,
    },
    /// Give a broker set back its write permission on every name server.
    #[command(name = "addWritePerm")]
    AddWritePerm {
        /// Broker set name.
        #[arg(short = 'b', long = "brokerName")]
        broker_name: String,
    },
    /// Create or update a KV config on every name server.
    #[command(name = "updateKvConfig")]
    UpdateKvConfig {
        /// Namespace.
        #[arg(short = 's', long = "namespace")]
        namespace: String,
        /// Key.
        #[arg(short = 'k', long = "key")]
        key: String,
        /// Value.
        #[arg(short = 'v', long = "value")]
        value: String,
    },
    /// Print a KV config of the name servers.
    #[command(name = "getKvConfig")]
    GetKvConfig {
        /// Namespace.
        #[arg(short = 's', long = "namespace")]
        namespace: String,
        /// Key.
        #[arg(short = 'k', long = "key")]
        key: String,
    },
    /// Delete a KV config on every name server.
    #[command(name = "deleteKvConfig")]
    DeleteKvConfig {
        /// Namespace.
        #[arg(short = 's', long = "namespace")]
        namespace: String,
        /// Key.
        #[arg(short = 'k', long = "key")]
        key: String,
    },
    /// Get, put or delete a topic's order conf (`brokerName:queues;...`) on the name servers.
    #[command(name = "updateOrderConf")]
    UpdateOrderConf {
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// get, put or delete.
        #[arg(short = 'm', long = "method", value_enum, ignore_case = true)]
        method: OrderMethod,
        /// The order conf (with put).
        #[arg(short = 'v', long = "orderConf")]
        order_conf: Option<String>,
    },
    /// Topics and groups with their TPS and 24-hour counts.
    #[command(name = "statsAll")]
    StatsAll {
        /// Only lines with traffic in the last 24 hours.
        #[arg(short = 'a', long = "activeTopic")]
        active: bool,
        /// Only this topic.
        #[arg(short = 't', long = "topic")]
        topic: Option<String>,
    },
    /// Consume stats of every group on one broker.
    #[command(name = "brokerConsumeStats")]
    BrokerConsumeStats {
        /// Broker address.
        #[arg(short = 'b', long = "brokerAddr")]
        broker: String,
        /// Only ordered topics.
        #[arg(short = 'o', long = "order")]
        order: Option<bool>,
        /// Only queues at least this far behind.
        #[arg(short = 'l', long = "level", default_value_t = 0)]
        level: i64,
    },
    /// HA status of a master (its slaves) or a slave (its link).
    #[command(name = "haStatus")]
    HaStatus {
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Remove the consume queues of topics the brokers no longer have.
    #[command(name = "cleanExpiredCQ")]
    CleanExpiredCq {
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Print units of a consume queue.
    #[command(name = "queryCq")]
    QueryCq {
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Queue id.
        #[arg(short = 'q', long = "queue")]
        queue: i32,
        /// First logical offset.
        #[arg(short = 'i', long = "index")]
        index: i64,
        /// Number of units.
        #[arg(short = 'c', long = "count", default_value_t = 10)]
        count: i32,
        /// Broker address (default: the topic's first master).
        #[arg(short = 'b', long = "broker")]
        broker: Option<String>,
    },
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        let ops = Ops::new(admin);
        match self {
            Self::WipeWritePerm { broker_name } => write_perm(ops, out, &broker_name, true).await,
            Self::AddWritePerm { broker_name } => write_perm(ops, out, &broker_name, false).await,
            kv @ (Self::UpdateKvConfig { .. } | Self::GetKvConfig { .. } | Self::DeleteKvConfig { .. }) => {
                kv.run_kv(ops, out).await
            }
            Self::UpdateOrderConf { topic, method, order_conf } => {
                order_conf_cmd(ops, out, &topic, method, order_conf).await
            }
            Self::StatsAll { active, topic } => {
                let rows = stats_all(admin, topic.as_deref(), active, &out.progress("topics")).await?;
                out.print(&rows, || stats_text(&rows))
            }
            Self::BrokerConsumeStats { broker, order, level } => {
                let (mut rows, total) = ops.broker_consume_stats(&broker, order.unwrap_or(false)).await?;
                rows.retain(|r| r.broker_offset - r.consumer_offset >= level);
                out.print(&json!({"queues": rows, "totalDiff": total}), || consume_text(&rows, total))
            }
            Self::HaStatus { target } => ha_status(admin, ops, out, &target).await,
            Self::CleanExpiredCq { target } => clean_cq(admin, ops, out, &target).await,
            Self::QueryCq { topic, queue, index, count, broker } => {
                let addr = match broker {
                    Some(b) => b,
                    None => first_master(admin, &topic).await?,
                };
                let data = ops.query_cq(&addr, &topic, queue, index, count).await?;
                out.print(&data, || cq_text(&data, index))
            }
        }
    }

    /// updateKvConfig, getKvConfig, deleteKvConfig.
    async fn run_kv(self, ops: Ops<'_>, out: Output) -> anyhow::Result<()> {
        match self {
            Self::UpdateKvConfig { namespace, key, value } => {
                ops.put_kv(&namespace, &key, &value).await?;
                let data = json!({"namespace": namespace, "key": key, "value": value});
                out.print(&data, || "create or update kv config to namespace success.\n".to_owned())
            }
            Self::GetKvConfig { namespace, key } => {
                let value = ops.get_kv(&namespace, &key).await?;
                let text = value.clone().unwrap_or_default() + "\n";
                out.print(&json!({"namespace": namespace, "key": key, "value": value}), || text)
            }
            Self::DeleteKvConfig { namespace, key } => {
                ops.delete_kv(&namespace, &key).await?;
                let data = json!({"namespace": namespace, "key": key});
                out.print(&data, || "delete kv config from namespace success.\n".to_owned())
            }
            _ => Ok(()),
        }
    }
}

async fn write_perm(ops: Ops<'_>, out: Output, broker_name: &str, wipe: bool) -> anyhow::Result<()> {
    let done = ops.write_perm(broker_name, wipe).await?;
    let verb = if wipe { "wipe" } else { "add" };
    out.print(&done, || {
        done.iter()
            .map(|d| {
                format!(
                    "{verb} write perm of broker[{broker_name}] in name server[{}] OK, {}\n",
                    d.namesrv, d.topic_count
                )
            })
            .collect()
    })
}

async fn order_conf_cmd(
    ops: Ops<'_>,
    out: Output,
    topic: &str,
    method: OrderMethod,
    conf: Option<String>,
) -> anyhow::Result<()> {
    match method {
        OrderMethod::Get => {
            let conf = ops.get_kv(ORDER_TOPIC_CONFIG, topic).await?;
            let text =
                format!("get orderConf success. topic=[{topic}], orderConf=[{}]\n", conf.clone().unwrap_or_default());
            out.print(&json!({"topic": topic, "orderConf": conf}), || text)
        }
        OrderMethod::Put => {
            let Some(conf) = conf.filter(|c| !c.trim().is_empty()) else {
                anyhow::bail!(rmq_admin::AdminError::Invalid("updateOrderConf -m put needs -v orderConf".into()));
            };
            ops.put_kv(ORDER_TOPIC_CONFIG, topic, conf.trim()).await?;
            let text = format!("update orderConf success. topic=[{topic}], orderConf=[{}]\n", conf.trim());
            out.print(&json!({"topic": topic, "orderConf": conf.trim()}), || text)
        }
        OrderMethod::Delete => {
            ops.delete_kv(ORDER_TOPIC_CONFIG, topic).await?;
            out.print(&json!({"topic": topic}), || format!("delete orderConf success. topic=[{topic}]\n"))
        }
    }
}

async fn first_master(admin: &Admin, topic: &str) -> anyhow::Result<String> {
    let route = admin.route(topic).await?;
    let addr = route.broker_datas.first().and_then(|b| b.broker_addrs.get(&0).cloned());
    addr.ok_or_else(|| anyhow::anyhow!(rmq_admin::AdminError::TopicNotFound(topic.to_owned())))
}

async fn ha_status(admin: &Admin, ops: Ops<'_>, out: Output, target: &TargetArgs) -> anyhow::Result<()> {
    let mut all = Vec::new();
    for b in admin.resolve(&target.target(), false).await? {
        all.push((b.addr.clone(), ops.ha_status(&b.addr).await?));
    }
    let data: Vec<Value> = all.iter().map(|(a, s)| json!({"brokerAddr": a, "status": s})).collect();
    out.print(&data, || all.iter().map(|(a, s)| ha_text(a, s)).collect())
}

/// haStatus's text for one broker, as the official tool prints it.
fn ha_text(addr: &str, s: &Value) -> String {
    if s["master"].as_bool().unwrap_or(false) {
        ha_master_text(addr, s)
    } else {
        ha_slave_text(&s["haClientRuntimeInfo"])
    }
}

fn num(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

#[allow(clippy::cast_precision_loss)] // a speed for display
fn kib(v: &Value) -> f64 {
    num(v) as f64 / 1024.0
}

/// A master's slaves.
fn ha_master_text(addr: &str, s: &Value) -> String {
    let conns = s["haConnectionInfo"].as_array().cloned().unwrap_or_default();
    let (max, in_sync) = (num(&s["masterCommitLogMaxOffset"]), num(&s["inSyncSlaveNums"]));
    let mut t = format!(
        "\n#MasterAddr\t{addr}\n#MasterCommitLogMaxOffset\t{max}\n#SlaveNum\t{}\n#InSyncSlaveNum\t{in_sync}\n",
        conns.len()
    );
    let heads = ["#SlaveAddr", "#SlaveAckOffset", "#Diff", "#TransferSpeed(KB/s)", "#Status", "#TransferFromWhere"];
    t += &format!(
        "{:<32}  {:<16} {:>16} {:>16} {:>16} {:>16}\n",
        heads[0], heads[1], heads[2], heads[3], heads[4], heads[5]
    );
    for c in &conns {
        let status = if c["inSync"].as_bool().unwrap_or(false) { "OK" } else { "Fall Behind" };
        let (ack, diff, from, speed) = (
            num(&c["slaveAckOffset"]),
            num(&c["diff"]),
            num(&c["transferFromWhere"]),
            kib(&c["transferredByteInSecond"]),
        );
        t += &format!(
            "{:<32}  {ack:<16} {diff:>16} {speed:>16.2} {status:>16} {from:>16}\n",
            c["addr"].as_str().unwrap_or("")
        );
    }
    t
}

/// A slave's link to its master.
fn ha_slave_text(c: &Value) -> String {
    format!(
        "\n#MasterAddr\t{}\n#CommitLogMaxOffset\t{}\n#TransferSpeed(KB/s)\t{:.2}\n#LastReadTime\t{}\n#LastWriteTime\t{}\n#MasterFlushOffset\t{}\n",
        c["masterAddr"].as_str().unwrap_or(""),
        num(&c["maxOffset"]),
        kib(&c["transferredByteInSecond"]),
        time(num(&c["lastReadTimestamp"])),
        time(num(&c["lastWriteTimestamp"])),
        num(&c["masterFlushOffset"])
    )
}

async fn clean_cq(admin: &Admin, ops: Ops<'_>, out: Output, target: &TargetArgs) -> anyhow::Result<()> {
    let brokers = admin.resolve(&target.target(), true).await?;
    for b in &brokers {
        ops.clean_expired_cq(&b.addr).await?;
    }
    out.print(&json!({"result": true, "brokers": brokers}), || "success\n".to_owned())
}

/// statsAll's text: the official columns and widths.
fn stats_text(rows: &[StatsRow]) -> String {
    let mut t = format!(
        "{:<64}  {:<64} {:>12} {:>11} {:>11} {:>14} {:>14}\n",
        "#Topic", "#Consumer Group", "#Accumulation", "#InTPS", "#OutTPS", "#InMsg24Hour", "#OutMsg24Hour"
    );
    for r in rows {
        let line = match (&r.group, r.out_tps, r.out_msg_24_hour) {
            (Some(g), Some(o), Some(c)) => format!(
                "{:<64}  {g:<64} {:>12} {:>11.2} {o:>11.2} {:>14} {c:>14}\n",
                r.topic, r.accumulation, r.in_tps, r.in_msg_24_hour
            ),
            _ => format!(
                "{:<64}  {:<64} {:>12} {:>11.2} {:>11} {:>14} {:>14}\n",
                r.topic, "", 0, r.in_tps, "", r.in_msg_24_hour, "NO_CONSUMER"
            ),
        };
        t += &line;
    }
    t
}

/// brokerConsumeStats's text: the official columns, then the total lag.
fn consume_text(rows: &[BrokerConsumeRow], total: i64) -> String {
    let mut t = format!(
        "{:<64}  {:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20}  {}\n",
        "#Topic", "#Group", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime"
    );
    for r in rows {
        t += &format!(
            "{:<64}  {:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20}  {}\n",
            r.topic,
            r.group,
            r.broker_name,
            r.queue_id,
            r.broker_offset,
            r.consumer_offset,
            r.broker_offset - r.consumer_offset,
            time(r.last_timestamp)
        );
    }
    t + &format!("\nDiff Total: {total}\n")
}

/// queryCq's text, as the official tool prints it.
fn cq_text(d: &CqData, index: i64) -> String {
    let sep = "======================================\n";
    let mut t = format!("Queue data: \nmax: {}, min: {}\n{sep}", d.max_queue_index, d.min_queue_index);
    for (i, u) in (index..).zip(&d.queue_data) {
        t += &format!(
            "idx: {i}\nConsumeQueueData{{physicOffset={}, physicSize={}, tagsCode={}, extendDataJson='null', bitMap='null', eval=false, msg='null'}}\n{sep}",
            u.physic_offset, u.physic_size, u.tags_code
        );
    }
    t
}
