//! Delayed delivery: by delay level (level 3 = 10 s by default) and at a given time.
//! `cargo run -p rmq-client --example delay -- [namesrv] [topic]`

use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut config = ProducerConfig::builder("example_delay").build();
    config.client.namesrv_addr = args.next();
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let producer = Producer::start(config).await?;
    let r = producer.send(Message::new(&topic, "after level 3").with_delay_level(3)).await?;
    println!("delay level: {:?} {}", r.status, r.msg_id);
    let at = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis())? + 5000;
    let r = producer.send(Message::new(&topic, "in five seconds").with_deliver_time_ms(at)).await?;
    println!("timer: {:?} {} due at {at}", r.status, r.msg_id);
    producer.shutdown().await;
    Ok(())
}
