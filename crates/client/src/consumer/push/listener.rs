//! The listener: the user's callback, concurrent or orderly, blocking or async.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rmq_common::message::MessageExt;
use rmq_remoting::body::MessageQueue;

use crate::consumer::types::{ConsumeStatus, OrderlyStatus};

/// What the listener learns besides the messages.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsumeContext {
    /// The queue the messages came from.
    pub queue: MessageQueue,
}

/// Told when the group's rebalance moves queues to or from this consumer (Java's
/// `MessageQueueListener`, Kafka's `ConsumerRebalanceListener`). Called on a runtime task:
/// keep it short and non-blocking.
pub trait RebalanceListener: Send + Sync + std::fmt::Debug {
    /// `queues` of `topic` are about to leave this consumer (their offsets are committed next).
    fn on_revoked(&self, _topic: &str, _queues: &[MessageQueue]) {}
    /// `queues` of `topic` are now consumed here.
    fn on_assigned(&self, _topic: &str, _queues: &[MessageQueue]) {}
}

/// A boxed, sendable future.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
pub(crate) type ConcurrentFn = dyn Fn(&[MessageExt], &ConsumeContext) -> ConsumeStatus + Send + Sync;
pub(crate) type OrderlyFn = dyn Fn(&[MessageExt], &ConsumeContext) -> OrderlyStatus + Send + Sync;
pub(crate) type AsyncConcurrentFn = dyn Fn(Vec<MessageExt>, ConsumeContext) -> BoxFuture<ConsumeStatus> + Send + Sync;
pub(crate) type AsyncOrderlyFn = dyn Fn(Vec<MessageExt>, ConsumeContext) -> BoxFuture<OrderlyStatus> + Send + Sync;

/// The message callback. Blocking listeners run on tokio's blocking pool (they may block);
/// async listeners run as tasks on the runtime (they must not block). Either way at most
/// `consume.threads` (consumeThreadMax) calls run at once.
#[derive(Clone)]
#[non_exhaustive]
pub enum Listener {
    /// Messages of a queue are consumed in parallel.
    Concurrent(Arc<ConcurrentFn>),
    /// One batch at a time per queue, in queue order, under a broker-side queue lock.
    Orderly(Arc<OrderlyFn>),
    /// As `Concurrent`, with an async handler.
    ConcurrentAsync(Arc<AsyncConcurrentFn>),
    /// As `Orderly`, with an async handler.
    OrderlyAsync(Arc<AsyncOrderlyFn>),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Concurrent(_) => "Listener::Concurrent",
            Self::Orderly(_) => "Listener::Orderly",
            Self::ConcurrentAsync(_) => "Listener::ConcurrentAsync",
            Self::OrderlyAsync(_) => "Listener::OrderlyAsync",
        })
    }
}

impl Listener {
    /// A concurrent listener.
    pub fn concurrent(f: impl Fn(&[MessageExt], &ConsumeContext) -> ConsumeStatus + Send + Sync + 'static) -> Self {
        Self::Concurrent(Arc::new(f))
    }

    /// An orderly listener.
    pub fn orderly(f: impl Fn(&[MessageExt], &ConsumeContext) -> OrderlyStatus + Send + Sync + 'static) -> Self {
        Self::Orderly(Arc::new(f))
    }

    /// A concurrent async handler of one message at a time (`async fn(MessageExt,
    /// ConsumeContext) -> ConsumeStatus`). With a batch size above 1, the batch's messages go
    /// through it in order and the batch is retried if any of them asks for it.
    pub fn concurrent_async<F, Fut>(f: F) -> Self
    where
        F: Fn(MessageExt, ConsumeContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ConsumeStatus> + Send + 'static,
    {
        let f = Arc::new(f);
        Self::ConcurrentAsync(Arc::new(move |msgs: Vec<MessageExt>, ctx: ConsumeContext| {
            let f = Arc::clone(&f);
            Box::pin(async move {
                let mut status = ConsumeStatus::Success;
                for m in msgs {
                    if f(m, ctx.clone()).await != ConsumeStatus::Success {
                        status = ConsumeStatus::ReconsumeLater;
                    }
                }
                status
            }) as BoxFuture<ConsumeStatus>
        }))
    }

    /// An orderly async handler of one message at a time: a queue's next message is handed
    /// over only after this one succeeded (a batch stops at its first suspended message and is
    /// retried whole, as the blocking orderly listener).
    pub fn orderly_async<F, Fut>(f: F) -> Self
    where
        F: Fn(MessageExt, ConsumeContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = OrderlyStatus> + Send + 'static,
    {
        let f = Arc::new(f);
        Self::OrderlyAsync(Arc::new(move |msgs: Vec<MessageExt>, ctx: ConsumeContext| {
            let f = Arc::clone(&f);
            Box::pin(async move {
                for m in msgs {
                    if f(m, ctx.clone()).await != OrderlyStatus::Success {
                        return OrderlyStatus::SuspendCurrentQueueAMoment;
                    }
                }
                OrderlyStatus::Success
            }) as BoxFuture<OrderlyStatus>
        }))
    }

    /// Whether this is an orderly listener.
    #[must_use]
    pub fn is_orderly(&self) -> bool {
        matches!(self, Self::Orderly(_) | Self::OrderlyAsync(_))
    }

    /// Runs a concurrent listener on `msgs` (an orderly one answers `ReconsumeLater`). A
    /// panicking listener counts as `ReconsumeLater`.
    pub(crate) async fn call_concurrent(&self, msgs: Vec<MessageExt>, ctx: ConsumeContext) -> ConsumeStatus {
        let joined = match self {
            Self::Concurrent(f) => {
                let f = Arc::clone(f);
                tokio::task::spawn_blocking(move || f(&msgs, &ctx)).await
            }
            Self::ConcurrentAsync(f) => tokio::spawn(f(msgs, ctx)).await,
            _ => return ConsumeStatus::ReconsumeLater,
        };
        joined.unwrap_or(ConsumeStatus::ReconsumeLater)
    }

    /// Runs an orderly listener on `msgs`; a panic suspends the queue.
    pub(crate) async fn call_orderly(&self, msgs: Vec<MessageExt>, ctx: ConsumeContext) -> OrderlyStatus {
        let joined = match self {
            Self::Orderly(f) => {
                let f = Arc::clone(f);
                tokio::task::spawn_blocking(move || f(&msgs, &ctx)).await
            }
            Self::OrderlyAsync(f) => tokio::spawn(f(msgs, ctx)).await,
            _ => return OrderlyStatus::SuspendCurrentQueueAMoment,
        };
        joined.unwrap_or(OrderlyStatus::SuspendCurrentQueueAMoment)
    }
}
