//! QueryRoute: a topic's queues, each served by the proxy's own endpoint as the official proxy
//! answers (the SDK then sends every request of that queue to the proxy).

use rmq_common::perm;
use rmq_remoting::body::{QueueData, TopicRouteData};

use crate::pb::{Broker, Endpoints, MessageQueue, MessageType, Permission, Resource};

/// The queues of `route` for `topic`, each naming `endpoints` as its broker's address.
#[must_use]
pub fn message_queues(topic: &Resource, route: &TopicRouteData, endpoints: &Endpoints) -> Vec<MessageQueue> {
    route.queue_datas.iter().flat_map(|q| queues_of(topic, q, endpoints)).collect()
}

/// As the official proxy: `min(read, write)` read-write queues, then the extra read-only or
/// write-only ones; a queue set without read or write permission gives none.
fn queues_of(topic: &Resource, q: &QueueData, endpoints: &Endpoints) -> Vec<MessageQueue> {
    let readable = perm::readable(q.perm);
    let writable = perm::writable(q.perm);
    let r = if readable { q.read_queue_nums.max(0) } else { 0 };
    let w = if writable { q.write_queue_nums.max(0) } else { 0 };
    let both = r.min(w);
    let broker = Broker { name: q.broker_name.clone(), id: 0, endpoints: Some(endpoints.clone()) };
    let make = |id: i32, p: Permission| MessageQueue {
        topic: Some(topic.clone()),
        id,
        permission: p as i32,
        broker: Some(broker.clone()),
        accept_message_types: accepted_types(),
    };
    let mut out: Vec<MessageQueue> = (0..both).map(|i| make(i, Permission::ReadWrite)).collect();
    out.extend((both..r).map(|i| make(i, Permission::Read)));
    out.extend((both..w).map(|i| make(i, Permission::Write)));
    out
}

/// Our topics carry no message-type attribute yet: every type is accepted.
fn accepted_types() -> Vec<i32> {
    [MessageType::Normal, MessageType::Fifo, MessageType::Delay, MessageType::Transaction]
        .iter()
        .map(|t| *t as i32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qd(name: &str, r: i32, w: i32, p: i32) -> QueueData {
        QueueData { broker_name: name.into(), read_queue_nums: r, write_queue_nums: w, perm: p, ..Default::default() }
    }

    #[test]
    fn queues_follow_read_write_counts_and_perm() {
        let route = TopicRouteData {
            queue_datas: vec![qd("b1", 4, 2, perm::READ_WRITE), qd("b2", 2, 2, perm::READ)],
            ..Default::default()
        };
        let topic = Resource { resource_namespace: String::new(), name: "T".into() };
        let ep = Endpoints::default();
        let qs = message_queues(&topic, &route, &ep);
        let perms: Vec<(String, i32, i32)> =
            qs.iter().map(|q| (q.broker.as_ref().unwrap().name.clone(), q.id, q.permission)).collect();
        let rw = Permission::ReadWrite as i32;
        let ro = Permission::Read as i32;
        assert_eq!(
            perms,
            vec![
                ("b1".into(), 0, rw),
                ("b1".into(), 1, rw),
                ("b1".into(), 2, ro),
                ("b1".into(), 3, ro),
                ("b2".into(), 0, ro),
                ("b2".into(), 1, ro),
            ]
        );
    }
}
