//! A topic's writable queues as a producer sees them, and queue selection.

use std::sync::atomic::{AtomicUsize, Ordering};

use rmq_remoting::body::{MessageQueue, TopicRouteData};

use super::fault::FaultTolerance;

use rmq_common::perm::WRITE as PERM_WRITE;

/// Writable queues of a topic, on masters, in route order.
#[derive(Debug, Default)]
pub struct PublishInfo {
    /// The queues.
    pub queues: Vec<MessageQueue>,
    next: AtomicUsize,
}

impl PublishInfo {
    /// Queues of `route` for `topic`; with `max_queues`, at most that many per broker (the
    /// default-topic case, where the broker will create the topic).
    #[must_use]
    pub fn from_route(topic: &str, route: &TopicRouteData, max_queues: Option<i32>) -> Self {
        let mut queues = Vec::new();
        if let Some(conf) = route.order_topic_conf.as_deref().filter(|c| !c.is_empty()) {
            for item in conf.split(';') {
                if let Some((broker, n)) = item.split_once(':') {
                    for q in 0..n.trim().parse::<i32>().unwrap_or(0) {
                        queues.push(MessageQueue {
                            topic: topic.to_owned(),
                            broker_name: broker.to_owned(),
                            queue_id: q,
                        });
                    }
                }
            }
            return Self { queues, next: AtomicUsize::new(rand::random::<u16>().into()) };
        }
        let mut datas = route.queue_datas.clone();
        datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
        for qd in datas {
            if qd.perm & PERM_WRITE == 0 {
                continue;
            }
            let has_master =
                route.broker_datas.iter().any(|b| b.broker_name == qd.broker_name && b.master_addr().is_some());
            if !has_master {
                continue;
            }
            let n = max_queues.map_or(qd.write_queue_nums, |m| qd.write_queue_nums.min(m));
            for q in 0..n {
                queues.push(MessageQueue { topic: topic.to_owned(), broker_name: qd.broker_name.clone(), queue_id: q });
            }
        }
        Self { queues, next: AtomicUsize::new(rand::random::<u16>().into()) }
    }

    /// The next queue round-robin, skipping `avoid` (the broker that just failed) and brokers the
    /// fault tolerance marks unavailable, unless nothing else is left.
    #[must_use]
    pub fn select(&self, avoid: Option<&str>, faults: &FaultTolerance) -> Option<MessageQueue> {
        let n = self.queues.len();
        if n == 0 {
            return None;
        }
        for _ in 0..n {
            let q = &self.queues[self.next.fetch_add(1, Ordering::Relaxed) % n];
            if Some(q.broker_name.as_str()) != avoid && faults.available(&q.broker_name) {
                return Some(q.clone());
            }
        }
        for _ in 0..n {
            let q = &self.queues[self.next.fetch_add(1, Ordering::Relaxed) % n];
            if Some(q.broker_name.as_str()) != avoid {
                return Some(q.clone());
            }
        }
        Some(self.queues[self.next.fetch_add(1, Ordering::Relaxed) % n].clone())
    }
}
