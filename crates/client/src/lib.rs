//! The RocketMQ client for Rust: producers, push, pull and POP consumers, speaking the remoting
//! protocol to name servers and brokers (ours or Apache RocketMQ's 4.9.x/5.x). The admin API
//! built on it is the `rmq-admin` crate.
//!
//! Everything hangs off a [`ClientInstance`] (one per process and instance name, shared by the
//! producers and consumers created with the same [`ClientConfig`]): it resolves name servers,
//! caches topic routes (refreshed every 30 s), sends heartbeats and answers the broker's calls.
//!
//! # Sending
//!
//! ```no_run
//! use rmq_client::producer::{Producer, ProducerConfig};
//! use rmq_client::Message;
//!
//! # async fn run() -> rmq_client::Result<()> {
//! let config = ProducerConfig::builder("my_producer_group")
//!     .namesrv_addr("127.0.0.1:9876")
//!     .send_timeout(std::time::Duration::from_secs(3))
//!     .build();
//! let producer = Producer::start(config).await?;
//! let sent = producer.send(Message::new("TopicTest", "hello").with_tags("TagA")).await?;
//! println!("{} stored at offset {}", sent.message_id(), sent.queue_offset);
//! match producer.send(Message::new("TopicTest", "again")).await {
//!     Ok(_) => {}
//!     Err(e) if e.is_retriable() => { /* busy broker, timeout: try later */ }
//!     Err(e) => return Err(e),
//! }
//! producer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Consuming as a stream
//!
//! Each [`consumer::Delivery`] is acked or nacked; at most `buffer` messages are handed out
//! and not acknowledged (back-pressure).
//!
//! ```no_run
//! use futures::StreamExt;
//! use rmq_client::consumer::{ConsumerConfig, MessageSelector, PushConsumer, StreamOptions};
//!
//! # async fn run() -> rmq_client::Result<()> {
//! let config = ConsumerConfig::builder("my_consumer_group").namesrv_addr("127.0.0.1:9876").build();
//! let subscriptions = [("TopicTest", MessageSelector::by_tag("TagA || TagB"))];
//! let consumer = PushConsumer::start_stream(config, &subscriptions, StreamOptions::buffer(64)).await?;
//! let mut messages = consumer.messages().expect("taken once");
//! while let Some(delivery) = messages.next().await {
//!     println!("{}", String::from_utf8_lossy(&delivery.body));
//!     delivery.ack(); // or nack(): delivered again later
//! }
//! # Ok(()) }
//! ```
//!
//! # Consuming with an async handler
//!
//! ```no_run
//! use rmq_client::consumer::{ConsumeStatus, ConsumerConfig, Listener, PushConsumer};
//!
//! # async fn store(_: &[u8]) -> Result<(), ()> { Ok(()) }
//! # async fn run() -> rmq_client::Result<()> {
//! let config = ConsumerConfig::builder("my_consumer_group")
//!     .namesrv_addr("127.0.0.1:9876")
//!     .consume_thread_max(8) // at most 8 handler calls at once
//!     .build();
//! let listener = Listener::concurrent_async(|msg, _ctx| async move {
//!     match store(&msg.body).await {
//!         Ok(()) => ConsumeStatus::Success,
//!         Err(()) => ConsumeStatus::ReconsumeLater,
//!     }
//! });
//! let consumer = PushConsumer::start(config, &[("TopicTest", "*")], listener).await?;
//! # consumer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Cancellation safety
//!
//! Dropping a call's future (a `select!`, an outer timeout) is safe: the request's pending
//! entry is removed at once and a late reply is discarded, but the request may already have
//! reached the broker (a dropped `send` may still store the message). [`consumer::MessageStream`]
//! is cancellation-safe (a dropped `next()` loses no message). `shutdown` calls should run to
//! completion. Settings structs and public enums are `#[non_exhaustive]`: use the builders and
//! keep a wildcard arm in matches.
//!
//! # Metrics
//!
//! Sends and listener calls are counted and timed through the `metrics` facade; see
//! [`telemetry`] for the names. Install any `metrics` recorder to export them.

mod builder;
mod config;
pub mod consumer;
mod error;
mod instance;
mod message;
mod namesrv;
pub mod producer;
pub mod reply;
pub mod telemetry;
pub mod trace;

pub use config::{ClientConfig, ClientConfigBuilder};
pub use error::{ClientError, Result};
pub use instance::{expect_ok, ClientInstance, LaterAnswer, Member};
pub use message::{decode_body, Message};
pub use namesrv::NameServerSource;
pub use rmq_acl::Credentials;
pub use rmq_common::message::MessageExt;
pub use rmq_remoting::body::MessageQueue;
pub use rmq_remoting::body::TopicRouteData;
