//! A stream consumer: reads deliveries, acks them, at most 16 unacknowledged; stops after 30 s.
//! `cargo run -p rmq-client --example stream -- [namesrv] [topic]`

use std::time::Duration;

use futures::StreamExt;
use rmq_client::consumer::{ConsumeFromWhere, ConsumerConfig, MessageSelector, PushConsumer, StreamOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut builder = ConsumerConfig::builder("example_stream").from_where(ConsumeFromWhere::FirstOffset);
    if let Some(ns) = args.next() {
        builder = builder.namesrv_addr(ns);
    }
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let subs = [(topic.as_str(), MessageSelector::by_tag("*"))];
    let consumer = PushConsumer::start_stream(builder.build(), &subs, StreamOptions::buffer(16)).await?;
    let mut messages = consumer.messages().ok_or_else(|| anyhow::anyhow!("the stream is taken once"))?;
    let reading = async {
        while let Some(d) = messages.next().await {
            println!("queue {} offset {}: {}", d.queue().queue_id, d.queue_offset, String::from_utf8_lossy(&d.body));
            d.ack();
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(30), reading).await;
    consumer.shutdown().await;
    Ok(())
}
