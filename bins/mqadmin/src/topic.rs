//! Topic commands: updateTopic, deleteTopic, topicList, topicRoute, topicStatus,
//! topicClusterList, updateTopicPerm.

use clap::Subcommand;
use rmq_client::admin::topic::TopicSpec;
use rmq_client::admin::Admin;
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
                let brokers = admin.create_topic(&target.target(), &spec).await?;
                let data = json!({
                    "topic": spec.topic, "readQueueNums": read, "writeQueueNums": write, "perm": perm,
                    "order": spec.order, "brokers": brokers,
                });
                out.print(&data, || {
                    let mut s: String =
                        brokers.iter().map(|b| format!("create topic to {} success.\n", b.addr)).collect();
                    s.push_str(&format!(
                        "TopicConfig [topicName={}, readQueueNums={read}, writeQueueNums={write}, perm={}, order={}]\n",
                        spec.topic,
                        perm_text(perm),
                        spec.order
                    ));
                    s
                })
            }
            Self::DeleteTopic { topic, cluster } => {
                let brokers = admin.delete_topic(cluster.trim(), topic.trim()).await?;
                out.print(&json!({"topic": topic, "cluster": cluster, "brokers": brokers}), || {
                    format!("delete topic [{topic}] from cluster [{cluster}] success.\ndelete topic [{topic}] from NameServer success.\n")
                })
            }
            Self::TopicList { cluster_model: false } => {
                let topics = admin.topic_list().await?;
                out.print(&topics, || topics.iter().map(|t| format!("{t}\n")).collect())
            }
            Self::TopicList { cluster_model: true } => {
                let rows = admin.topic_list_with_groups(&out.progress("topics")).await?;
                out.print(&rows, || {
                    let mut t = Table::new(&["Cluster Name", "Topic", "Consumer Group"]);
                    for r in &rows {
                        if r.groups.is_empty() {
                            t.row(vec![r.cluster.clone(), r.topic.clone(), String::new()]);
                        }
                        for g in &r.groups {
                            t.row(vec![r.cluster.clone(), r.topic.clone(), g.clone()]);
                        }
                    }
                    t.render()
                })
            }
            Self::TopicRoute { topic } => {
                let route = admin.route(topic.trim()).await?;
                out.print(&route, || {
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
                    let order =
                        route.order_topic_conf.as_deref().map(|o| format!("\nOrder config: {o}\n")).unwrap_or_default();
                    format!("{}\n{}{order}", b.render(), q.render())
                })
            }
            Self::TopicStatus { topic } => {
                let rows = admin.topic_status(topic.trim(), &out.progress("brokers")).await?;
                out.print(&rows, || {
                    let mut t = Table::new(&["Broker Name", "QID", "Min Offset", "Max Offset", "Last Updated"]);
                    for r in &rows {
                        t.row(vec![
                            r.broker_name.clone(),
                            r.queue_id.to_string(),
                            r.min_offset.to_string(),
                            r.max_offset.to_string(),
                            time(r.last_update_timestamp),
                        ]);
                    }
                    t.render()
                })
            }
            Self::TopicClusterList { topic } => {
                let clusters = admin.topic_clusters(topic.trim()).await?;
                out.print(&clusters, || clusters.iter().map(|c| format!("{c}\n")).collect())
            }
            Self::UpdateTopicPerm { target, topic, perm } => {
                let changes = admin.update_topic_perm(topic.trim(), perm, &target.target()).await?;
                out.print(&changes, || {
                    changes
                        .iter()
                        .map(|c| {
                            if c.changed {
                                format!(
                                    "update topic perm from {} to {} in {} success.\n",
                                    c.old_perm, c.new_perm, c.addr
                                )
                            } else {
                                format!("new perm equals to the old one ({}) in {}.\n", c.old_perm, c.addr)
                            }
                        })
                        .collect()
                })
            }
        }
    }
}

/// `6 (RW)` and the like.
fn perm_text(perm: i32) -> String {
    let r = if rmq_common::perm::readable(perm) { "R" } else { "" };
    let w = if rmq_common::perm::writable(perm) { "W" } else { "" };
    format!("{perm} ({r}{w})")
}
