//! A batch of messages stored with consecutive offsets in one queue.
//! `cargo run -p rmq-client --example batch -- [namesrv] [topic]`

use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut config = ProducerConfig::builder("example_batch").build();
    config.client.namesrv_addr = args.next();
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let producer = Producer::start(config).await?;
    let batch: Vec<Message> = (0..32).map(|i| Message::new(&topic, format!("batch {i}")).with_tags("TagB")).collect();
    let r = producer.send_batch(batch).await?;
    println!("{:?}: queue {} offsets {}..{}", r.status, r.queue.queue_id, r.queue_offset, r.queue_offset + 31);
    producer.shutdown().await;
    Ok(())
}
