//! A topic's readable queues over every broker set, as the name servers route it: what server
//! load balancing (QUERY_ASSIGNMENT) spreads over a group's consumers, as Apache RocketMQ's
//! `TopicRouteInfoManager.getTopicSubscribeInfo`. Answers are kept a few seconds; when no name
//! server answers, the broker's own queues of the topic stand in.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmq_common::perm;
use rmq_remoting::body::{MessageQueue, TopicRouteData};
use rmq_remoting::header::GetRouteInfoRequestHeader;
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::config::BrokerConfig;
use crate::state::topics::TopicTable;

/// How long a route stays cached.
const ROUTE_TTL: Duration = Duration::from_secs(3);
/// Timeout of one route call.
const ROUTE_TIMEOUT: Duration = Duration::from_secs(3);

/// Topic routes from the name servers.
#[derive(Debug)]
pub struct TopicRoutes {
    config: Arc<BrokerConfig>,
    topics: Arc<TopicTable>,
    client: RemotingClient,
    cache: Mutex<HashMap<String, (Instant, BTreeSet<MessageQueue>)>>,
}

impl TopicRoutes {
    /// Routes asked through `client`, falling back to `topics`.
    #[must_use]
    pub fn new(config: Arc<BrokerConfig>, topics: Arc<TopicTable>, client: RemotingClient) -> Self {
        Self { config, topics, client, cache: Mutex::new(HashMap::new()) }
    }

    /// The topic's readable queues, sorted; `None` when the topic is routed nowhere.
    pub async fn subscribe_queues(&self, topic: &str) -> Option<BTreeSet<MessageQueue>> {
        if let Some((at, queues)) = self.cache.lock().get(topic) {
            if at.elapsed() < ROUTE_TTL {
                return Some(queues.clone());
            }
        }
        let queues = match self.fetch(topic).await {
            Some(route) => readable_queues(topic, &route),
            None => self.local_queues(topic)?,
        };
        if queues.is_empty() {
            return None;
        }
        self.cache.lock().insert(topic.to_owned(), (Instant::now(), queues.clone()));
        Some(queues)
    }

    async fn fetch(&self, topic: &str) -> Option<TopicRouteData> {
        let header = GetRouteInfoRequestHeader { topic: topic.to_owned(), accept_standard_json_only: None };
        for addr in self.config.namesrv_list() {
            let req = RemotingCommand::request_with_header(RequestCode::GetRouteinfoByTopic, &header);
            match self.client.invoke(&addr, req, ROUTE_TIMEOUT).await {
                Ok(resp) if resp.response_code() == ResponseCode::Success => {
                    return rmq_remoting::body::decode(&resp.body).ok();
                }
                Ok(resp) if resp.response_code() == ResponseCode::TopicNotExist => return None,
                Ok(_) | Err(_) => {}
            }
        }
        None
    }

    fn local_queues(&self, topic: &str) -> Option<BTreeSet<MessageQueue>> {
        let t = self.topics.get(topic)?;
        let name = &self.config.identity.broker_name;
        Some((0..t.read_queue_nums).map(|q| queue(topic, name, q)).collect())
    }
}

fn queue(topic: &str, broker: &str, queue_id: i32) -> MessageQueue {
    MessageQueue { topic: topic.to_owned(), broker_name: broker.to_owned(), queue_id }
}

/// The readable queues of a route (`topicRouteData2TopicSubscribeInfo`).
fn readable_queues(topic: &str, route: &TopicRouteData) -> BTreeSet<MessageQueue> {
    route
        .queue_datas
        .iter()
        .filter(|q| perm::readable(q.perm))
        .flat_map(|q| (0..q.read_queue_nums).map(|id| queue(topic, &q.broker_name, id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use rmq_remoting::body::QueueData;

    use super::*;

    #[test]
    fn only_readable_brokers_count() {
        let qd = |b: &str, n, p| QueueData {
            broker_name: b.into(),
            read_queue_nums: n,
            write_queue_nums: n,
            perm: p,
            ..QueueData::default()
        };
        let route = TopicRouteData {
            queue_datas: vec![qd("b", 2, perm::READ_WRITE), qd("a", 1, perm::READ), qd("c", 4, perm::WRITE)],
            ..TopicRouteData::default()
        };
        let got: Vec<(String, i32)> =
            readable_queues("t", &route).into_iter().map(|q| (q.broker_name, q.queue_id)).collect();
        assert_eq!(got, vec![("a".into(), 0), ("b".into(), 0), ("b".into(), 1)]);
    }
}
