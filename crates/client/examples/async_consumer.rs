//! A push consumer with an async handler (at most 4 calls at once) for 30 s.
//! `cargo run -p rmq-client --example async_consumer -- [namesrv] [topic]`

use std::time::Duration;

use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut builder = ConsumerConfig::builder("example_async_consumer")
        .from_where(ConsumeFromWhere::FirstOffset)
        .consume_thread_max(4);
    if let Some(ns) = args.next() {
        builder = builder.namesrv_addr(ns);
    }
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let listener = Listener::concurrent_async(|m, ctx| async move {
        // Any async work: a database write, an HTTP call...
        tokio::time::sleep(Duration::from_millis(10)).await;
        println!("queue {} offset {}: {}", ctx.queue.queue_id, m.queue_offset, String::from_utf8_lossy(&m.body));
        ConsumeStatus::Success
    });
    let consumer = PushConsumer::start(builder.build(), &[(&topic, "*")], listener).await?;
    tokio::time::sleep(Duration::from_secs(30)).await;
    consumer.shutdown().await;
    Ok(())
}
