//! A slave whose master cannot be reached learns the topics it does not know from the name
//! servers: every listed topic whose route has queue data for this broker set is added with
//! that queue data. So a topic created after the slave's last copy of the master's table is
//! served during the outage even before a replicated message of it arrives.

use std::time::Duration;

use rmq_remoting::body::{self, TopicList, TopicRouteData};
use rmq_remoting::header::GetRouteInfoRequestHeader;
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::state::topics::{topic_config, TopicTable};

/// How long one name-server call may take.
const CALL: Duration = Duration::from_secs(3);
/// Most route look-ups per round (the rest come with the next rounds).
const MAX_LOOKUPS: usize = 256;

/// Where and as whom a slave asks.
#[derive(Debug, Clone)]
pub struct NamesrvTopics {
    /// Client for the name servers.
    pub client: RemotingClient,
    /// Name server addresses, tried in order.
    pub namesrv: Vec<String>,
    /// This broker set's name.
    pub broker_name: String,
}

impl NamesrvTopics {
    /// Adds the topics the first answering name server routes to this broker set and `topics`
    /// lacks; returns how many were added.
    pub async fn learn(&self, topics: &TopicTable) -> usize {
        for ns in &self.namesrv {
            let req = RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver);
            let Some(list) = self.call::<TopicList>(ns, req).await else { continue };
            let unknown = list.topic_list.into_iter().filter(|t| topics.get(t).is_none()).take(MAX_LOOKUPS);
            let mut learned = Vec::new();
            for topic in unknown {
                if let Some(cfg) = self.route_here(ns, &topic).await {
                    learned.push(cfg);
                }
            }
            let added = topics.add_missing(learned);
            if added > 0 {
                tracing::info!(added, namesrv = %ns, "slave learned topics from the name server");
            }
            return added;
        }
        0
    }

    /// The topic's config as its route gives it for this broker set.
    async fn route_here(&self, ns: &str, topic: &str) -> Option<rmq_remoting::body::TopicConfig> {
        let h = GetRouteInfoRequestHeader { topic: topic.to_owned(), ..GetRouteInfoRequestHeader::default() };
        let route: TopicRouteData =
            self.call(ns, RemotingCommand::request_with_header(RequestCode::GetRouteinfoByTopic, &h)).await?;
        let q = route.queue_datas.iter().find(|q| q.broker_name == self.broker_name)?;
        let mut cfg = topic_config(topic, q.read_queue_nums, q.write_queue_nums, q.perm);
        cfg.topic_sys_flag = q.topic_sys_flag;
        Some(cfg)
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, ns: &str, req: RemotingCommand) -> Option<T> {
        let resp = self.client.invoke(ns, req, CALL).await.ok()?;
        if resp.code != 0 {
            return None;
        }
        body::decode(&resp.body).ok()
    }
}
