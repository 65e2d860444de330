//! Topics mode: creates `TOPIC_0` .. `TOPIC_{N-1}` with the same queue layout on every master of
//! a cluster (the `many-queues` scenario), as `mqadmin updateTopic -c` would one by one.

use std::time::Duration;

use anyhow::Context;
use rmq_admin::topic::{TopicSpec, Topics};
use rmq_admin::{Admin, Target};

/// Topics options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Name servers.
    #[arg(short = 'n', long, env = "NAMESRV_ADDR")]
    namesrv: String,
    /// Cluster whose masters get the topics.
    #[arg(short = 'c', long, default_value = "DefaultCluster")]
    cluster: String,
    /// Topic name (the prefix when `--count` is more than one).
    #[arg(short = 't', long, default_value = rmq_common::topic::BENCHMARK)]
    topic: String,
    /// Topics to create.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Read and write queues per topic on each master.
    #[arg(short = 'q', long, default_value_t = 8)]
    queues: i32,
}

/// The topic names a run of `count` topics based on `base` uses: `base` itself for one,
/// `base_0` .. for more.
pub fn names(base: &str, count: usize) -> Vec<String> {
    if count <= 1 {
        return vec![base.to_owned()];
    }
    (0..count).map(|i| format!("{base}_{i}")).collect()
}

/// Creates the topics.
pub async fn run(a: Args) -> anyhow::Result<()> {
    let admin = Admin::connect(Some(&a.namesrv), Duration::from_secs(10)).await.context("connecting")?;
    let target = Target::Cluster(a.cluster.clone());
    let topics = Topics::new(&admin);
    let names = names(&a.topic, a.count);
    for name in &names {
        let mut spec = TopicSpec::new(name);
        spec.read_queue_nums = a.queues;
        spec.write_queue_nums = a.queues;
        topics.create_topic(&target, &spec).await.with_context(|| format!("creating {name}"))?;
    }
    println!("created {} topic(s) of {} queues on cluster {}", names.len(), a.queues, a.cluster);
    admin.shutdown();
    Ok(())
}
