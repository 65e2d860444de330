//! One-way sends (no answer, for logs and metrics).
//! `cargo run -p rmq-client --example oneway -- [namesrv] [topic]`

use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut config = ProducerConfig::builder("example_oneway").build();
    config.client.namesrv_addr = args.next();
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let producer = Producer::start(config).await?;
    for i in 0..10 {
        producer.send_oneway(Message::new(&topic, format!("one-way {i}"))).await?;
    }
    println!("sent 10 one-way messages");
    producer.shutdown().await;
    Ok(())
}
