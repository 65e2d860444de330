//! A push consumer printing what it receives for 30 s.
//! `cargo run -p rmq-client --example consumer -- [namesrv] [topic]`

use std::time::Duration;

use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut config = ConsumerConfig::builder("example_consumer").build();
    config.client.namesrv_addr = args.next();
    config.from_where = ConsumeFromWhere::FirstOffset;
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let listener = Listener::concurrent(|msgs, ctx| {
        for m in msgs {
            println!("queue {} offset {}: {}", ctx.queue.queue_id, m.queue_offset, String::from_utf8_lossy(&m.body));
        }
        ConsumeStatus::Success
    });
    let consumer = PushConsumer::start(config, &[(&topic, "*")], listener).await?;
    tokio::time::sleep(Duration::from_secs(30)).await;
    consumer.shutdown().await;
    Ok(())
}
