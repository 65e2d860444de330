//! Ordered messages: each order id's steps go to one queue (selector by key hash) and an orderly
//! listener sees them in order. `cargo run -p rmq-client --example ordered -- [namesrv] [topic]`

use std::time::Duration;

use rmq_client::consumer::{ConsumeFromWhere, ConsumerConfig, Listener, OrderlyStatus, PushConsumer};
use rmq_client::producer::{select_by_hash, Producer, ProducerConfig};
use rmq_client::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next();
    let topic = args.next().unwrap_or_else(|| "OrderTopic".into());
    let mut pc = ProducerConfig::builder("example_order_producer").build();
    pc.client.namesrv_addr.clone_from(&namesrv);
    let producer = Producer::start(pc).await?;
    for order in 0..3 {
        for step in ["created", "paid", "shipped"] {
            let key = format!("order-{order}");
            let msg = Message::new(&topic, format!("{key} {step}")).with_keys([&key]);
            producer.send_with_selector(msg, &move |qs, _| select_by_hash(qs, &key)).await?;
        }
    }
    let mut cc = ConsumerConfig::builder("example_order_consumer").build();
    cc.client.namesrv_addr = namesrv;
    cc.from_where = ConsumeFromWhere::FirstOffset;
    let listener = Listener::orderly(|msgs, ctx| {
        for m in msgs {
            println!("queue {}: {}", ctx.queue.queue_id, String::from_utf8_lossy(&m.body));
        }
        OrderlyStatus::Success
    });
    let consumer = PushConsumer::start(cc, &[(&topic, "*")], listener).await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    consumer.shutdown().await;
    producer.shutdown().await;
    Ok(())
}
