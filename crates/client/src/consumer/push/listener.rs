//! The listener: the user's callback, concurrent or orderly.

use std::sync::Arc;

use rmq_common::message::MessageExt;
use rmq_remoting::body::MessageQueue;

use crate::consumer::types::{ConsumeStatus, OrderlyStatus};

/// What the listener learns besides the messages.
#[derive(Debug, Clone)]
pub struct ConsumeContext {
    /// The queue the messages came from.
    pub queue: MessageQueue,
}

pub(crate) type ConcurrentFn = dyn Fn(&[MessageExt], &ConsumeContext) -> ConsumeStatus + Send + Sync;
pub(crate) type OrderlyFn = dyn Fn(&[MessageExt], &ConsumeContext) -> OrderlyStatus + Send + Sync;

/// The message callback. It runs on a blocking-capable worker, so it may block.
#[derive(Clone)]
pub enum Listener {
    /// Messages of a queue are consumed in parallel.
    Concurrent(Arc<ConcurrentFn>),
    /// One batch at a time per queue, in queue order, under a broker-side queue lock.
    Orderly(Arc<OrderlyFn>),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if matches!(self, Self::Concurrent(_)) { "Listener::Concurrent" } else { "Listener::Orderly" })
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
}

impl Listener {
    /// Whether this is an orderly listener.
    #[must_use]
    pub fn is_orderly(&self) -> bool {
        matches!(self, Self::Orderly(_))
    }
}
