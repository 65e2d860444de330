//! Sends 10 messages synchronously. `cargo run -p rmq-client --example producer -- [namesrv] [topic]`
//! (name server from the argument, else NAMESRV_ADDR).

use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut config = ProducerConfig::builder("example_producer").build();
    config.client.namesrv_addr = args.next();
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let producer = Producer::start(config).await?;
    for i in 0..10 {
        let msg = Message::new(&topic, format!("Hello RocketMQ {i}")).with_tags("TagA").with_keys([format!("key{i}")]);
        let r = producer.send(msg).await?;
        println!("{:?} msgId={} queue={} offset={}", r.status, r.msg_id, r.queue.queue_id, r.queue_offset);
    }
    producer.shutdown().await;
    Ok(())
}
