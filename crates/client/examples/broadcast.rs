//! Broadcasting: every instance of the group receives every message (offsets kept locally).
//! `cargo run -p rmq-client --example broadcast -- [namesrv] [topic]`

use std::time::Duration;

use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, MessageModel, PushConsumer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut config = ConsumerConfig::builder("example_broadcast").build();
    config.client.namesrv_addr = args.next();
    config.model = MessageModel::Broadcasting;
    config.from_where = ConsumeFromWhere::FirstOffset;
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let listener = Listener::concurrent(|msgs, _| {
        for m in msgs {
            println!("{}", String::from_utf8_lossy(&m.body));
        }
        ConsumeStatus::Success
    });
    let consumer = PushConsumer::start(config, &[(&topic, "TagA || TagB")], listener).await?;
    tokio::time::sleep(Duration::from_secs(30)).await;
    consumer.shutdown().await;
    Ok(())
}
