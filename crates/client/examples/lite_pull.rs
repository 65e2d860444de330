//! Lite pull: assign a topic's queues, poll, seek back and commit.
//! `cargo run -p rmq-client --example lite_pull -- [namesrv] [topic]`

use std::time::Duration;

use rmq_client::consumer::{ConsumeFromWhere, LitePullConfig, LitePullConsumer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().or_else(|| std::env::var("NAMESRV_ADDR").ok()).unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let mut config = LitePullConfig::new("example_lite_pull", namesrv);
    config.from_where = ConsumeFromWhere::FirstOffset;
    config.auto_commit = false;
    let probe = LitePullConsumer::assign(config.clone(), Vec::new()).await?;
    let queues = probe.fetch_queues(&topic).await?;
    let consumer = LitePullConsumer::assign(config, queues.clone()).await?;
    for _ in 0..3 {
        for m in consumer.poll(Duration::from_secs(2)).await? {
            println!("{} #{}: {}", m.queue_id, m.queue_offset, String::from_utf8_lossy(&m.body));
        }
    }
    if let Some(q) = queues.first() {
        consumer.seek(q, 0)?;
        println!("after seek to 0: {} messages", consumer.poll(Duration::from_secs(2)).await?.len());
    }
    consumer.commit().await;
    consumer.shutdown().await;
    Ok(())
}
