//! Group commands: updateSubGroup, deleteSubGroup, consumerProgress, consumerConnection,
//! producerConnection, consumerStatus, setConsumeMode.

use clap::{Args, Subcommand};
use rmq_admin::group::Groups;
use rmq_admin::group::{ConsumerProgress, ConsumerRunningInfo, GroupOnBroker, GroupSpec, GroupSummary};
use rmq_admin::mode::{parse_mode, ModeOnBroker, Modes};
use rmq_admin::Admin;
use rmq_remoting::body::SetMessageRequestModeRequestBody;
use rmq_remoting::body::{Connection, ConsumerConnection};
use serde_json::json;

use crate::output::{time, Output, Table, TargetArgs};

/// Consumer and producer group commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Create or update a subscription group (unset options keep the current value).
    #[command(name = "updateSubGroup")]
    UpdateSubGroup {
        #[command(flatten)]
        target: TargetArgs,
        /// Consumer group name.
        #[arg(short = 'g', long = "groupName")]
        group: String,
        #[command(flatten)]
        flags: SubGroupFlags,
    },
    /// Delete a subscription group from brokers.
    #[command(name = "deleteSubGroup")]
    DeleteSubGroup {
        #[command(flatten)]
        target: TargetArgs,
        /// Consumer group name.
        #[arg(short = 'g', long = "groupName")]
        group: String,
        /// Also remove the group's offsets (true|false).
        #[arg(short = 'r', long = "removeOffset")]
        remove_offset: Option<bool>,
    },
    /// Per queue offsets, lag and last consume time of a group (all groups without -g).
    #[command(name = "consumerProgress")]
    ConsumerProgress {
        /// Consumer group name.
        #[arg(short = 'g', long = "groupName")]
        group: Option<String>,
        /// Only this topic.
        #[arg(short = 't', long = "topicName")]
        topic: Option<String>,
    },
    /// The group's online consumers, versions and subscriptions.
    #[command(name = "consumerConnection")]
    ConsumerConnection {
        /// Consumer group name.
        #[arg(short = 'g', long = "consumerGroup")]
        group: String,
    },
    /// The group's producers connected to the brokers of a topic.
    #[command(name = "producerConnection")]
    ProducerConnection {
        /// Producer group name.
        #[arg(short = 'g', long = "producerGroup")]
        group: String,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
    },
    /// What the group's consumers report about themselves (queues held, offsets, cache).
    #[command(name = "consumerStatus")]
    ConsumerStatus {
        /// Consumer group name.
        #[arg(short = 'g', long = "consumerGroup")]
        group: String,
        /// Only this client id.
        #[arg(short = 'i', long = "clientId")]
        client_id: Option<String>,
    },
    /// Set how a group reads a topic: PULL, or POP with the broker spreading the queues.
    #[command(name = "setConsumeMode")]
    SetConsumeMode {
        #[command(flatten)]
        target: TargetArgs,
        /// Topic name.
        #[arg(short = 't', long = "topicName")]
        topic: String,
        /// Consumer group name.
        #[arg(short = 'g', long = "groupName")]
        group: String,
        /// Consume mode: PULL or POP.
        #[arg(short = 'm', long = "mode")]
        mode: String,
        /// POP: how many following consumers' queues each consumer also pops (0: every queue).
        #[arg(short = 'q', long = "popShareQueueNum", default_value_t = 0)]
        pop_share_queue_num: i32,
    },
}

/// updateSubGroup's settings (unset ones keep the current value).
#[derive(Args, Debug)]
pub struct SubGroupFlags {
    /// Consume enable (true|false).
    #[arg(short = 's', long = "consumeEnable")]
    consume_enable: Option<bool>,
    /// Start a new group from the min offset (true|false).
    #[arg(short = 'm', long = "consumeFromMinEnable")]
    from_min: Option<bool>,
    /// Allow broadcast consumption (true|false).
    #[arg(short = 'd', long = "consumeBroadcastEnable")]
    broadcast: Option<bool>,
    /// Orderly group (true|false).
    #[arg(short = 'o', long = "consumeMessageOrderly")]
    orderly: Option<bool>,
    /// Retry queue count.
    #[arg(short = 'q', long = "retryQueueNums")]
    retry_queue_nums: Option<i32>,
    /// Max retries before the dead-letter queue.
    #[arg(short = 'r', long = "retryMaxTimes")]
    retry_max_times: Option<i32>,
    /// Broker id to consume from.
    #[arg(short = 'i', long = "brokerId")]
    broker_id: Option<i64>,
    /// Broker id to suggest when consuming slowly.
    #[arg(short = 'w', long = "whichBrokerWhenConsumeSlowly")]
    slow_broker: Option<i64>,
    /// Notify consumers when the group's membership changes (true|false).
    #[arg(short = 'a', long = "notifyConsumerIdsChanged")]
    notify: Option<bool>,
}

impl SubGroupFlags {
    fn spec(self) -> GroupSpec {
        GroupSpec {
            consume_enable: self.consume_enable,
            consume_from_min_enable: self.from_min,
            consume_broadcast_enable: self.broadcast,
            consume_message_orderly: self.orderly,
            retry_queue_nums: self.retry_queue_nums,
            retry_max_times: self.retry_max_times,
            broker_id: self.broker_id,
            which_broker_when_consume_slowly: self.slow_broker,
            notify_consumer_ids_changed_enable: self.notify,
        }
    }
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        match self {
            Self::UpdateSubGroup { target, group, flags } => {
                let done = Groups::new(admin).update_sub_group(&target.target(), group.trim(), &flags.spec()).await?;
                out.print(&done, || done.iter().map(sub_group_text).collect())
            }
            Self::DeleteSubGroup { target, group, remove_offset } => {
                let brokers = Groups::new(admin)
                    .delete_sub_group(&target.target(), group.trim(), remove_offset.unwrap_or(false))
                    .await?;
                out.print(&json!({"group": group, "brokers": brokers}), || {
                    brokers
                        .iter()
                        .map(|b| format!("delete subscription group [{group}] from broker [{}] success.\n", b.addr))
                        .collect()
                })
            }
            Self::ConsumerProgress { group: Some(group), topic } => {
                let p = Groups::new(admin)
                    .consumer_progress(group.trim(), topic.as_deref(), &out.progress("brokers"))
                    .await?;
                out.print(&p, || progress_text(&p))
            }
            Self::ConsumerProgress { group: None, .. } => {
                let groups = Groups::new(admin).group_list(&out.progress("groups")).await?;
                out.print(&groups, || groups_table(&groups))
            }
            Self::ConsumerConnection { group } => {
                let c = Groups::new(admin).consumer_connection(group.trim()).await?;
                out.print(&c, || consumer_connection_text(&c))
            }
            Self::ProducerConnection { group, topic } => {
                let c = Groups::new(admin).producer_connection(group.trim(), topic.trim()).await?;
                out.print(&c, || connections(&c.connection_set))
            }
            Self::SetConsumeMode { target, topic, group, mode, pop_share_queue_num } => {
                let mode = SetMessageRequestModeRequestBody {
                    topic: topic.trim().to_owned(),
                    consumer_group: group.trim().to_owned(),
                    mode: parse_mode(&mode)?,
                    pop_share_queue_num,
                };
                let done = Modes::new(admin).set_consume_mode(&target.target(), &mode).await?;
                out.print(&done, || consume_mode_text(&done, &mode))
            }
            Self::ConsumerStatus { group, client_id } => {
                let infos = Groups::new(admin).consumer_status(group.trim(), client_id.as_deref()).await?;
                out.print(&infos, || infos.iter().map(running_info_text).collect())
            }
        }
    }
}

/// setConsumeMode's text, as the official tool prints it.
fn consume_mode_text(done: &[ModeOnBroker], m: &SetMessageRequestModeRequestBody) -> String {
    let mut text: String = done.iter().map(|d| format!("set consume mode to {} success.\n", d.broker.addr)).collect();
    text.push_str(&format!(
        "topic[{}] group[{}] consume mode[{}] popShareQueueNum[{}]\n",
        m.topic, m.consumer_group, m.mode, m.pop_share_queue_num
    ));
    text
}

/// updateSubGroup's text for one broker.
fn sub_group_text(d: &GroupOnBroker) -> String {
    let c = &d.config;
    format!(
        "create subscription group to {} success.\nSubscriptionGroupConfig [groupName={}, consumeEnable={}, consumeFromMinEnable={}, consumeBroadcastEnable={}, retryQueueNums={}, retryMaxTimes={}, brokerId={}, whichBrokerWhenConsumeSlowly={}, notifyConsumerIdsChangedEnable={}]\n",
        d.broker.addr, c.group_name, c.consume_enable, c.consume_from_min_enable, c.consume_broadcast_enable,
        c.retry_queue_nums, c.retry_max_times, c.broker_id, c.which_broker_when_consume_slowly,
        c.notify_consumer_ids_changed_enable
    )
}

/// consumerProgress -g's table and totals.
fn progress_text(p: &ConsumerProgress) -> String {
    let mut t = Table::new(&[
        "Topic",
        "Broker Name",
        "QID",
        "Broker Offset",
        "Consumer Offset",
        "Diff",
        "Inflight",
        "LastTime",
    ]);
    for q in &p.queues {
        t.row(vec![
            q.topic.clone(),
            q.broker_name.clone(),
            q.queue_id.to_string(),
            q.broker_offset.to_string(),
            q.consumer_offset.to_string(),
            q.diff.to_string(),
            q.inflight.to_string(),
            time(q.last_timestamp),
        ]);
    }
    format!(
        "{}\nConsume TPS: {:.2}\nConsume Diff Total: {}\nConsume Inflight Total: {}\n",
        t.render(),
        p.consume_tps,
        p.diff_total,
        p.inflight_total
    )
}

/// consumerProgress's table of all groups.
fn groups_table(groups: &[GroupSummary]) -> String {
    let mut t = Table::new(&["Group", "Count", "Version", "Type", "Model", "TPS", "Diff Total"]);
    for g in groups {
        t.row(vec![
            g.group.clone(),
            g.count.to_string(),
            match g.version {
                Some(v) if g.count > 0 => v.to_string(),
                _ => "OFFLINE".to_owned(),
            },
            g.consume_type.clone(),
            g.message_model.clone(),
            format!("{:.0}", g.consume_tps),
            g.diff_total.to_string(),
        ]);
    }
    t.render()
}

/// consumerConnection's text: connections, subscriptions, settings.
fn consumer_connection_text(c: &ConsumerConnection) -> String {
    let mut s = connections(&c.connection_set);
    let mut t = Table::new(&["Topic", "SubExpression"]);
    for (topic, sub) in &c.subscription_table {
        t.row(vec![topic.clone(), sub.sub_string.clone()]);
    }
    s.push_str(&format!("\nBelow is subscription:\n{}\n", t.render()));
    s.push_str(&format!(
        "ConsumeType: {}\nMessageModel: {}\nConsumeFromWhere: {}\n",
        c.consume_type, c.message_model, c.consume_from_where
    ));
    s
}

/// consumerStatus's text for one client: properties, subscriptions, queues.
fn running_info_text(i: &ConsumerRunningInfo) -> String {
    let mut s = format!("#ClientId: {}\n#Properties:\n", i.client_id);
    for (k, v) in &i.properties {
        let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        s.push_str(&format!("  {k:<36}: {v}\n"));
    }
    s.push_str("#Subscriptions:\n");
    for sub in &i.subscriptions {
        let topic = sub.get("topic").and_then(|v| v.as_str()).unwrap_or_default();
        let expr = sub.get("subString").and_then(|v| v.as_str()).unwrap_or_default();
        s.push_str(&format!("  {topic}  {expr}\n"));
    }
    s.push_str(&format!("#Queues:\n{}\n", queues_table(i)));
    s
}

/// consumerStatus's queue table of one client.
fn queues_table(i: &ConsumerRunningInfo) -> String {
    let mut t = Table::new(&["Topic", "Broker Name", "QID", "Commit Offset", "Cached Msgs", "Locked", "Other"]);
    for q in &i.queues {
        let mut info = q.info.clone();
        let mut take =
            |k: &str| info.as_object_mut().and_then(|o| o.remove(k)).map_or_else(|| "-".to_owned(), |v| v.to_string());
        let (commit, cached, locked) = (take("commitOffset"), take("cachedMsgCount"), take("locked"));
        t.row(vec![
            q.topic.clone(),
            q.broker_name.clone(),
            q.queue_id.to_string(),
            commit,
            cached,
            locked,
            info.to_string(),
        ]);
    }
    t.render()
}

fn connections(set: &[Connection]) -> String {
    let mut t = Table::new(&["Id", "ClientId", "ClientAddr", "Language", "Version"]);
    for (i, c) in set.iter().enumerate() {
        t.row(vec![
            (i + 1).to_string(),
            c.client_id.clone(),
            c.client_addr.clone(),
            c.language.clone(),
            c.version.to_string(),
        ]);
    }
    t.render()
}
