//! Choosing a queue for ordered messages.

use rmq_remoting::body::MessageQueue;

use crate::message::Message;

/// Chooses a queue among the topic's writable queues.
pub type QueueSelector = dyn Fn(&[MessageQueue], &Message) -> usize + Send + Sync;

/// Index of the queue for `key` by Java `String.hashCode` (ordered messages per sharding key).
#[must_use]
pub fn select_by_hash(queues: &[MessageQueue], key: &str) -> usize {
    let n = i64::try_from(queues.len()).unwrap_or(1).max(1);
    usize::try_from(i64::from(rmq_common::hash::java_hash(key)).abs() % n).unwrap_or(0)
}
