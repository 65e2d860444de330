//! Request-reply (RocketMQ 4.6+ RPC over the broker): a request is an ordinary message with a
//! CORRELATION_ID, the requester's client id (REPLY_TO_CLIENT) and its timeout (TTL); the
//! responder answers with [`crate::reply::create_reply_message`], and the broker pushes that
//! reply back to this client, where it completes the waiting request.

use std::future::Future;
use std::time::{Duration, Instant};

use rmq_common::message::MessageExt;
use rmq_common::property;
use rmq_remoting::body::MessageQueue;

use super::handle::Producer;
use super::outcome::SendResult;
use super::select::QueueSelector;
use crate::error::{ClientError, Result};
use crate::message::Message;
use crate::reply::new_correlation_id;

impl Producer {
    /// Sends `msg` as a request and waits up to `timeout` (sending included) for its reply.
    /// A reply that does not come in time gives [`ClientError::RequestTimeout`]; a failed send
    /// gives the send's error at once.
    pub async fn request(&self, msg: Message, timeout: Duration) -> Result<MessageExt> {
        self.request_via(msg, timeout, |p, m| async move { p.send_async(m).await }).await
    }

    /// [`Producer::request`] with the request sent to the queue `selector` picks.
    pub async fn request_with_selector(
        &self,
        msg: Message,
        selector: &QueueSelector,
        timeout: Duration,
    ) -> Result<MessageExt> {
        self.request_via(msg, timeout, |p, m| async move { p.send_with_selector(m, selector).await }).await
    }

    /// [`Producer::request`] with the request sent to queue `mq`.
    pub async fn request_to_queue(&self, msg: Message, mq: &MessageQueue, timeout: Duration) -> Result<MessageExt> {
        self.request_via(msg, timeout, |p, m| async move { p.send_to_queue(m, mq).await }).await
    }

    /// Async request: returns at once; `callback` runs with the reply or the failure.
    pub fn request_with_callback<F>(&self, msg: Message, timeout: Duration, callback: F)
    where
        F: FnOnce(Result<MessageExt>) + Send + 'static,
    {
        let this = self.clone();
        tokio::spawn(async move { callback(this.request(msg, timeout).await) });
    }

    /// Marks `msg` as a request, sends it with `send` and waits for the reply, all within
    /// `timeout`.
    async fn request_via<'a, F, Fut>(&'a self, mut msg: Message, timeout: Duration, send: F) -> Result<MessageExt>
    where
        F: FnOnce(&'a Self, Message) -> Fut,
        Fut: Future<Output = Result<SendResult>> + 'a,
    {
        let started = Instant::now();
        let instance = self.instance();
        let id = new_correlation_id();
        let topic = msg.topic.clone();
        property::set(&mut msg.properties, property::CORRELATION_ID, &id);
        property::set(&mut msg.properties, property::REPLY_TO_CLIENT, instance.client_id());
        property::set(&mut msg.properties, property::MESSAGE_TTL, &timeout.as_millis().to_string());
        if instance.cached_route(&topic).is_none() {
            // As the Java client: a first request to a topic makes sure every broker serving
            // it knows this client, or the reply would find no connection to push on.
            let _ = self.queues(&topic).await;
            instance.send_heartbeats().await;
        }
        let replies = instance.replies();
        let (reply, _waiting) = replies.wait_for(&id);
        let exchange = async move {
            send(self, msg).await?;
            reply.await.map_err(|_| ClientError::Shutdown)
        };
        let left = timeout.saturating_sub(started.elapsed());
        let outcome = tokio::time::timeout(left, exchange).await;
        match outcome {
            Ok(r) => r,
            Err(_) => Err(ClientError::RequestTimeout { topic, timeout_ms: timeout.as_millis() }),
        }
    }
}
