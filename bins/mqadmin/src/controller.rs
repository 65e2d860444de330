//! Controller-mode commands: getControllerMetaData, getSyncStateSet, electMaster. They talk to
//! a controller (`-a`), so they need no name server unless getSyncStateSet is given a cluster.
//! getBrokerEpoch asks each broker of a set or cluster found through the name server.
//! Text output follows the official tool's.

use clap::Subcommand;
use rmq_admin::controller::{ControllerMetaData, Controllers, ElectedMaster};
use rmq_admin::Admin;
use rmq_remoting::body::{BrokerReplicasInfo, EpochEntryCache};

use crate::output::Output;

/// Controller-mode commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Get controller cluster's metadata.
    #[command(name = "getControllerMetaData")]
    GetControllerMetaData {
        /// The address of a controller.
        #[arg(short = 'a', long = "controllerAddress")]
        controller: String,
    },
    /// Fetch syncStateSet for target brokers.
    #[command(name = "getSyncStateSet")]
    GetSyncStateSet {
        /// The address of a controller (the first of a `;` list).
        #[arg(short = 'a', long = "controllerAddress")]
        controller: String,
        /// Broker set name.
        #[arg(short = 'b', long = "brokerName", required_unless_present = "cluster")]
        broker_name: Option<String>,
        /// Every broker set of this cluster (asks the name server, `-n`).
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
    },
    /// Re-elect the specified broker as master.
    #[command(name = "electMaster")]
    ElectMaster {
        /// The address of a controller.
        #[arg(short = 'a', long = "controllerAddress")]
        controller: String,
        /// The id of the broker to become master.
        #[arg(short = 'b', long = "brokerId")]
        broker_id: i64,
        /// The broker set (`-bn` as the official tool spells it).
        #[arg(long = "brokerName")]
        broker_name: String,
        /// The broker set's cluster.
        #[arg(short = 'c', long = "clusterName")]
        cluster: String,
    },
    /// Fetch broker epoch entries.
    #[command(name = "getBrokerEpoch")]
    GetBrokerEpoch {
        /// Which broker set to fetch.
        #[arg(short = 'b', long = "brokerName", required_unless_present = "cluster")]
        broker_name: Option<String>,
        /// Every broker set of this cluster.
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
    },
}

impl Cmd {
    /// Whether the command can run without a name server.
    pub fn needs_namesrv(&self) -> bool {
        matches!(self, Self::GetSyncStateSet { broker_name: None, .. } | Self::GetBrokerEpoch { .. })
    }

    /// The controller address it was given.
    pub fn controller_addr(&self) -> String {
        match self {
            Self::GetControllerMetaData { controller }
            | Self::GetSyncStateSet { controller, .. }
            | Self::ElectMaster { controller, .. } => controller.clone(),
            Self::GetBrokerEpoch { .. } => String::new(),
        }
    }

    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        let ctl = Controllers::new(admin);
        match self {
            Self::GetControllerMetaData { controller } => {
                let meta = ctl.metadata(controller.trim()).await?;
                out.print(&meta, || meta_text(&meta))
            }
            Self::GetSyncStateSet { controller, broker_name, cluster } => {
                let names = match (broker_name, cluster) {
                    (Some(b), _) => vec![b.trim().to_owned()],
                    (None, Some(c)) => cluster_broker_names(admin, c.trim()).await?,
                    (None, None) => Vec::new(),
                };
                let first = controller.split(';').next().unwrap_or_default().trim().to_owned();
                let info = ctl.sync_state_set(&first, &names).await?;
                out.print(&info, || sync_state_text(&info))
            }
            Self::ElectMaster { controller, broker_id, broker_name, cluster } => {
                let (cluster, name) = (cluster.trim().to_owned(), broker_name.trim().to_owned());
                let m = ctl.elect_master(controller.trim(), &cluster, &name, broker_id).await?;
                out.print(&m, || elect_text(&cluster, &name, &m))
            }
            Self::GetBrokerEpoch { broker_name, cluster } => {
                let mut caches = Vec::new();
                for addr in member_addrs(admin, broker_name.as_deref(), cluster.as_deref()).await? {
                    caches.push((addr.clone(), ctl.broker_epoch(&addr).await?));
                }
                out.print(&caches, || caches.iter().map(|(a, c)| epoch_text(a, c)).collect())
            }
        }
    }
}

/// Addresses of every member of a broker set, or of every set of a cluster.
async fn member_addrs(admin: &Admin, name: Option<&str>, cluster: Option<&str>) -> anyhow::Result<Vec<String>> {
    let info = admin.cluster_info().await?;
    let names: Vec<String> = match (name, cluster) {
        (Some(b), _) => vec![b.trim().to_owned()],
        (None, Some(c)) => info.cluster_addr_table.get(c.trim()).cloned().unwrap_or_default().into_iter().collect(),
        (None, None) => Vec::new(),
    };
    let sets = names.iter().filter_map(|n| info.broker_addr_table.get(n));
    Ok(sets.flat_map(|d| d.broker_addrs.values().cloned()).collect())
}

/// As the official tool prints it (`EpochEntry.toString`).
fn epoch_text(addr: &str, c: &EpochEntryCache) -> String {
    let mut t = format!(
        "\n#clusterName\t{}\n#brokerName\t{}\n#brokerAddr\t{addr}\n#brokerId\t{}",
        c.cluster_name, c.broker_name, c.broker_id
    );
    for e in &c.epoch_list {
        t += &format!(
            "\n#Epoch: EpochEntry{{epoch={}, startOffset={}, endOffset={}}}",
            e.epoch, e.start_offset, e.end_offset
        );
    }
    t + "\n"
}

async fn cluster_broker_names(admin: &Admin, cluster: &str) -> anyhow::Result<Vec<String>> {
    let info = admin.cluster_info().await?;
    let names = info.cluster_addr_table.get(cluster).cloned().unwrap_or_default();
    Ok(names.into_iter().collect())
}

/// The official tool writes `-bn`; clap takes one-letter shorts, so it becomes `--brokerName`.
pub fn rewrite_args(args: impl Iterator<Item = String>) -> Vec<String> {
    args.map(|a| if a == "-bn" { "--brokerName".to_owned() } else { a }).collect()
}

fn meta_text(m: &ControllerMetaData) -> String {
    let mut t = format!(
        "\n#ControllerGroup\t{}\n#ControllerLeaderId\t{}\n#ControllerLeaderAddress\t{}",
        m.group, m.controller_leader_id, m.controller_leader_address
    );
    for peer in m.peers.split(';').filter(|p| !p.is_empty()) {
        t += &format!("\n#Peer:\t{peer}");
    }
    t + "\n"
}

fn sync_state_text(info: &BrokerReplicasInfo) -> String {
    let mut t = String::new();
    for (name, r) in &info.replicas_info_table {
        t += &format!(
            "\n#brokerName\t{name}\n#MasterBrokerId\t{}\n#MasterAddr\t{}\n#MasterEpoch\t{}\n#SyncStateSetEpoch\t{}\n#SyncStateSetNums\t{}\n",
            r.master_broker_id.unwrap_or(-1),
            r.master_address.as_deref().unwrap_or("null"),
            r.master_epoch,
            r.sync_state_set_epoch,
            r.in_sync_replicas.len()
        );
        for m in &r.in_sync_replicas {
            t += &format!("\nInSyncReplica:\t{}\n", replica_text(m));
        }
        for m in &r.not_in_sync_replicas {
            t += &format!("\nNotInSyncReplica:\t{}\n", replica_text(m));
        }
    }
    t
}

/// `ReplicaIdentity.toString()` of the official tool.
fn replica_text(r: &rmq_remoting::body::ReplicaIdentity) -> String {
    format!(
        "ReplicaIdentity{{brokerName='{}', brokerId={}, brokerAddress='{}', alive={}}}",
        r.broker_name, r.broker_id, r.broker_address, r.alive
    )
}

fn elect_text(cluster: &str, name: &str, m: &ElectedMaster) -> String {
    let mut t = format!(
        "\n#ClusterName\t{cluster}\n#BrokerName\t{name}\n#BrokerMasterAddr\t{}\n#MasterEpoch\t{}\n#SyncStateSetEpoch\t{}\n",
        m.master_address, m.master_epoch, m.sync_state_set_epoch
    );
    for (id, addr) in &m.broker_addrs {
        t += &format!("\t#Broker\t{id}\t{addr}\n");
    }
    t
}
