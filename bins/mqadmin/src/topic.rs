//! Topic commands: updateTopic, deleteTopic, topicList, topicRoute, topicStatus,
//! topicClusterList, updateTopicPerm.

use clap::Subcommand;
use rmq_admin::topic::Topics;
use rmq_admin::topic::{PermChange, QueueStatus, TopicClusterGroups, TopicSpec};
use rmq_admin::{Admin, BrokerRef};
use rmq_client::TopicRouteData;
use serde_json::json;

use crate::output::{time, Output, Table, TargetArgs};

/// Topic commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Create or update a topic.
    #[command(name = "updateTopic")]
    UpdateTopic {
        #[command(flatten)]
        target: TargetArgs,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Read queues.
        #[arg(short = 'r', long = "readQueueNums", default_value_t = 8)]
        read: i32,
        /// Write queues.
        #[arg(short = 'w', long = "writeQueueNums", default_value_t = 8)]
        write: i32,
        /// Permission: 2 write, 4 read, 6 read and write.
        #[arg(short = 'p', long = "perm", default_value_t = 6)]
        perm: i32,
        /// Ordered topic (true|false).
        #[arg(short = 'o', long = "order")]
        order: Option<bool>,
        /// 5.x attributes, +a=b,+c=d,-e.
        #[arg(short = 'a', long = "attributes")]
        attributes: Option<String>,
    },
    /// Delete a topic from a cluster's brokers and from the name servers.
    #[command(name = "deleteTopic")]
    DeleteTopic {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Cluster to delete it from.
        #[arg(short = 'c', long = "clusterName")]
        cluster: String,
    },
    /// List all topics the name servers know.
    #[command(name = "topicList")]
    TopicList {
        /// Also show each topic's cluster and consumer groups.
        #[arg(short = 'c', long = "clusterModel")]
        cluster_model: bool,
    },
    /// Show a topic's route: brokers and queues.
    #[command(name = "topicRoute")]
    TopicRoute {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
    },
    /// Show min/max offset and last update time of each queue of a topic.
    #[command(name = "topicStatus")]
    TopicStatus {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
    },
    /// Show the clusters that serve a topic.
    #[command(name = "topicClusterList")]
    TopicClusterList {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
    },
    /// Update a topic's permission.
    #[command(name = "updateTopicPerm")]
    UpdateTopicPerm {
        #[command(flatten)]
        target: TargetArgs,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Permission: 2 write, 4 read, 6 read and write.
        #[arg(short = 'p', long = "perm")]
        perm: i32,
    },
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        match self {
            Self::UpdateTopic { target, topic, read, write, perm, order, attributes } => {
                let spec = TopicSpec {
                    read_queue_nums: read,
                    write_queue_nums: write,
                    perm,
                    order: order.unwrap_or(false),
                    attributes,
                    ..TopicSpec::new(topic.trim())
                };
                let brokers = Topics::new(admin).create_topic(&target.target(), &spec).await?;
                out.print(&created_json(&brokers, &spec), || created_text(&brokers, &spec))
            }
            Self::DeleteTopic { topic, cluster } => {
                let brokers = Topics::new(admin).delete_topic(cluster.trim(), topic.trim()).await?;
                out.print(&json!({"topic": topic, "cluster": cluster, "brokers": brokers}), || {
                    format!("delete topic [{topic}] from cluster [{cluster}] success.\ndelete topic [{topic}] from NameServer success.\n")
                })
            }
            Self::TopicList { cluster_model: false } => {
                let topics = Topics::new(admin).topic_list().await?;
                out.print(&topics, || topics.iter().map(|t| format!("{t}\n")).collect())
            }
            Self::TopicList { cluster_model: true } => {
                let rows = Topics::new(admin).topic_list_with_groups(&out.progress("topics")).await?;
                out.print(&rows, || groups_table(&rows))
            }
            Self::TopicRoute { topic } => {
                let route = admin.route(topic.trim()).await?;
                out.print(&route, || route_text(&route))
            }
            Self::TopicStatus { topic } => {
                let rows = Topics::new(admin).topic_status(topic.trim(), &out.progress("brokers")).await?;
                out.print(&rows, || status_table(&rows))
            }
            Self::TopicClusterList { topic } => {
                let clusters = Topics::new(admin).topic_clusters(topic.trim()).await?;
                out.print(&clusters, || clusters.iter().map(|c| format!("{c}\n")).collect())
            }
            Self::UpdateTopicPerm { target, topic, perm } => {
                let changes = Topics::new(admin).update_topic_perm(topic.trim(), perm, &target.target()).await?;
                out.print(&changes, || changes.iter().map(perm_change_line).collect())
            }
        }
    }
}

/// updateTopic's JSON.
fn created_json(brokers: &[BrokerRef], spec: &TopicSpec) -> serde_json::Value {
    json!({
        "topic": spec.topic, "readQueueNums": spec.read_queue_nums, "writeQueueNums": spec.write_queue_nums,
        "perm": spec.perm, "order": spec.order, "brokers": brokers,
    })
}

/// updateTopic's text.
fn created_text(brokers: &[BrokerRef], spec: &TopicSpec) -> String {
    let mut s: String = brokers.iter().map(|b| format!("create topic to {} success.\n", b.addr)).collect();
    s.push_str(&format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, order={}]\n",
        spec.topic,
        spec.read_queue_nums,
        spec.write_queue_nums,
        perm_text(spec.perm),
        spec.order
    ));
    s
}

/// topicList -c's table.
fn groups_table(rows: &[TopicClusterGroups]) -> String {
    let mut t = Table::new(&["Cluster Name", "Topic", "Consumer Group"]);
    for r in rows {
        if r.groups.is_empty() {
            t.row(vec![r.cluster.clone(), r.topic.clone(), String::new()]);
        }
        for g in &r.groups {
            t.row(vec![r.cluster.clone(), r.topic.clone(), g.clone()]);
        }
    }
    t.render()
}

/// topicRoute's text: brokers, then queues.
fn route_text(route: &TopicRouteData) -> String {
    let mut b = Table::new(&["Broker Name", "Cluster", "BID", "Addr"]);
    for d in &route.broker_datas {
        for (id, addr) in &d.broker_addrs {
            b.row(vec![d.broker_name.clone(), d.cluster.clone(), id.to_string(), addr.clone()]);
        }
    }
    let mut q = Table::new(&["Broker Name", "Read Queues", "Write Queues", "Perm"]);
    for d in &route.queue_datas {
        q.row(vec![
            d.broker_name.clone(),
            d.read_queue_nums.to_string(),
            d.write_queue_nums.to_string(),
            perm_text(d.perm),
        ]);
    }
    let order = route.order_topic_conf.as_deref().map(|o| format!("\nOrder config: {o}\n")).unwrap_or_default();
    format!("{}\n{}{order}", b.render(), q.render())
}

/// topicStatus's table.
fn status_table(rows: &[QueueStatus]) -> String {
    let mut t = Table::new(&["Broker Name", "QID", "Min Offset", "Max Offset", "Last Updated"]);
    for r in rows {
        t.row(vec![
            r.broker_name.clone(),
            r.queue_id.to_string(),
            r.min_offset.to_string(),
            r.max_offset.to_string(),
            time(r.last_update_timestamp),
        ]);
    }
    t.render()
}

/// updateTopicPerm's line for one broker.
fn perm_change_line(c: &PermChange) -> String {
    if c.changed {
        format!("update topic perm from {} to {} in {} success.\n", c.old_perm, c.new_perm, c.addr)
    } else {
        format!("new perm equals to the old one ({}) in {}.\n", c.old_perm, c.addr)
    }
}

/// `6 (RW)` and the like.
fn perm_text(perm: i32) -> String {
    let r = if rmq_common::perm::readable(perm) { "R" } else { "" };
    let w = if rmq_common::perm::writable(perm) { "W" } else { "" };
    format!("{perm} ({r}{w})")
}
