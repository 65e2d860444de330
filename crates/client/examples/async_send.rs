//! Async sends: futures awaited together, and the callback form.
//! `cargo run -p rmq-client --example async_send -- [namesrv] [topic]`

use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut config = ProducerConfig::builder("example_async").build();
    config.client.namesrv_addr = args.next();
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let producer = Producer::start(config).await?;
    let sends = (0..10).map(|i| producer.send_async(Message::new(&topic, format!("async {i}"))));
    for r in futures::future::join_all(sends).await {
        let r = r?;
        println!("{:?} {}", r.status, r.msg_id);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    producer.send_with_callback(Message::new(&topic, "with a callback"), move |r| {
        let _ = tx.send(r.map(|r| r.msg_id));
    });
    println!("callback: {}", rx.await??);
    producer.shutdown().await;
    Ok(())
}
