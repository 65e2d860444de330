//! QueryAssignment in cluster mode: one assignment per readable broker set, queue id -1 (every
//! queue of that broker), as the official proxy answers for POP consumers.

use std::collections::BTreeSet;

use rmq_common::perm;
use rmq_remoting::body::TopicRouteData;

use crate::pb::{Assignment, Broker, Endpoints, MessageQueue, Permission, Resource};

/// The assignments of `topic`: every readable broker set, through `endpoints`.
#[must_use]
pub fn assignments(topic: &Resource, route: &TopicRouteData, endpoints: &Endpoints) -> Vec<Assignment> {
    let brokers: BTreeSet<&str> = route
        .queue_datas
        .iter()
        .filter(|q| perm::readable(q.perm) && q.read_queue_nums > 0)
        .map(|q| q.broker_name.as_str())
        .collect();
    brokers
        .into_iter()
        .map(|name| Assignment {
            message_queue: Some(MessageQueue {
                topic: Some(topic.clone()),
                id: -1,
                permission: Permission::ReadWrite as i32,
                broker: Some(Broker { name: name.to_owned(), id: 0, endpoints: Some(endpoints.clone()) }),
                accept_message_types: Vec::new(),
            }),
        })
        .collect()
}
