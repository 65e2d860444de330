//! Offset commands: resetOffsetByTime, cloneGroupOffset, skipAccumulatedMessage.

use clap::Subcommand;
use rmq_admin::offset::Offsets;
use rmq_admin::offset::QueueOffset;
use rmq_admin::time::parse_timestamp;
use rmq_admin::Admin;
use serde_json::json;

use crate::output::{time, Output, Table};

/// Offset commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Reset a group's offsets on a topic by time (consumers online or not).
    #[command(name = "resetOffsetByTime")]
    ResetOffsetByTime {
        /// Consumer group.
        #[arg(short = 'g', long = "group")]
        group: String,
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// now | epoch ms | yyyy-MM-dd#HH:mm:ss:SSS (UTC).
        #[arg(short = 's', long = "timestamp")]
        timestamp: String,
        /// Move offsets forward too (true|false, default true).
        #[arg(short = 'f', long = "force")]
        force: Option<bool>,
    },
    /// Copy one group's offsets on a topic to another group.
    #[command(name = "cloneGroupOffset")]
    CloneGroupOffset {
        /// Source group.
        #[arg(short = 's', long = "srcGroup")]
        src: String,
        /// Destination group.
        #[arg(short = 'd', long = "destGroup")]
        dest: String,
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Accepted for compatibility (the clone works either way).
        #[arg(short = 'o', long = "offline")]
        offline: Option<bool>,
    },
    /// Skip every message not yet consumed: offsets move to the end of each queue.
    #[command(name = "skipAccumulatedMessage")]
    SkipAccumulatedMessage {
        /// Consumer group.
        #[arg(short = 'g', long = "group")]
        group: String,
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Accepted for compatibility (always forced).
        #[arg(short = 'f', long = "force")]
        force: Option<bool>,
    },
}

fn table(offsets: &[QueueOffset]) -> String {
    let mut t = Table::new(&["Broker Name", "QID", "Offset"]);
    for o in offsets {
        t.row(vec![o.broker_name.clone(), o.queue_id.to_string(), o.offset.to_string()]);
    }
    t.render()
}

/// resetOffsetByTime's text.
fn reset_text(group: &str, topic: &str, ts: i64, offsets: &[QueueOffset]) -> String {
    format!("reset consumer offset of group[{group}] topic[{topic}] to {} ({ts})\n{}", time(ts), table(offsets))
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        let offsets_api = Offsets::new(admin);
        match self {
            Self::ResetOffsetByTime { group, topic, timestamp, force } => {
                let ts = parse_timestamp(&timestamp)?;
                let offsets =
                    offsets_api.reset_offset_by_time(group.trim(), topic.trim(), ts, force.unwrap_or(true)).await?;
                let data = json!({"group": group, "topic": topic, "timestamp": ts, "offsets": offsets});
                out.print(&data, || reset_text(&group, &topic, ts, &offsets))
            }
            Self::CloneGroupOffset { src, dest, topic, offline: _ } => {
                let offsets = offsets_api.clone_group_offset(src.trim(), dest.trim(), topic.trim()).await?;
                out.print(&json!({"srcGroup": src, "destGroup": dest, "topic": topic, "offsets": offsets}), || {
                    format!(
                        "clone group offset success. srcGroup[{src}], destGroup[{dest}], topic[{topic}]\n{}",
                        table(&offsets)
                    )
                })
            }
            Self::SkipAccumulatedMessage { group, topic, force: _ } => {
                let offsets = offsets_api.skip_accumulated(group.trim(), topic.trim()).await?;
                out.print(&json!({"group": group, "topic": topic, "offsets": offsets}), || table(&offsets))
            }
        }
    }
}
