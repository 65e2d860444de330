//! Route and topic-list requests, and the fastjson form of route bodies old clients read.

use rmq_common::topic::ORDER_TOPIC_CONFIG;
use rmq_remoting::body::{self, TopicList, TopicRouteData};
use rmq_remoting::header::{
    DeleteTopicFromNamesrvRequestHeader, GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader, TopicRequestHeader,
};
use rmq_remoting::RemotingCommand;

use crate::error::{HandlerResult, NamesrvError};
use crate::NameServer;

/// Clients from this version on read standard JSON route bodies (4.9.4 and later).
const STANDARD_JSON_SINCE_VERSION: i32 = 401;

/// A success response whose body is `body` as JSON.
pub(super) fn ok_json<T: serde::Serialize>(body: &T) -> RemotingCommand {
    RemotingCommand::success().with_body(serde_json::to_vec(body).unwrap_or_default())
}

fn topic_list(topics: Vec<String>) -> RemotingCommand {
    ok_json(&TopicList { topic_list: topics, broker_addr: None })
}

/// GET_ROUTEINFO_BY_TOPIC, with the topic's ordered config from the KV store.
pub(super) fn by_topic(ns: &NameServer, h: &GetRouteInfoRequestHeader, version: i32) -> HandlerResult {
    let mut route = ns.routes.read().route(&h.topic).ok_or_else(|| NamesrvError::TopicNotExist(h.topic.clone()))?;
    route.order_topic_conf = ns.kv.get(ORDER_TOPIC_CONFIG, &h.topic);
    Ok(route_response(&route, version, h.accept_standard_json_only.unwrap_or(false)))
}

/// GET_BROKER_CLUSTER_INFO, in fastjson's default form (bare numeric brokerAddrs keys), as
/// the official name server writes it.
pub(super) fn cluster_info(ns: &NameServer) -> RemotingCommand {
    let text = serde_json::to_string(&ns.routes.read().cluster_info()).unwrap_or_default();
    RemotingCommand::success().with_body(bare_numeric_keys(&text).into_bytes())
}

/// GET_ALL_TOPIC_LIST_FROM_NAMESERVER.
pub(super) fn all_topics(ns: &NameServer) -> RemotingCommand {
    topic_list(ns.routes.read().topics())
}

/// GET_TOPICS_BY_CLUSTER.
pub(super) fn topics_of_cluster(ns: &NameServer, h: &GetTopicsByClusterRequestHeader) -> RemotingCommand {
    topic_list(ns.routes.read().topics_of_cluster(&h.cluster))
}

/// GET_SYSTEM_TOPIC_LIST_FROM_NS: every cluster name and broker name (each is a topic).
pub(super) fn system_topics(ns: &NameServer) -> RemotingCommand {
    let clusters = ns.routes.read().cluster_info().cluster_addr_table;
    topic_list(clusters.into_iter().flat_map(|(c, names)| std::iter::once(c).chain(names)).collect())
}

/// The unit-topic lists: no unit topics here.
pub(super) fn unit_topics() -> RemotingCommand {
    ok_json(&TopicList::default())
}

/// DELETE_TOPIC_IN_NAMESRV, from one cluster when the header names one.
pub(super) fn delete_topic(ns: &NameServer, h: &DeleteTopicFromNamesrvRequestHeader) -> RemotingCommand {
    ns.routes.write().delete_topic(&h.topic, h.cluster_name.as_deref().filter(|c| !c.is_empty()));
    RemotingCommand::success()
}

/// REGISTER_TOPIC_IN_NAMESRV: the body's queue datas (an unreadable body changes nothing).
pub(super) fn register_topic(ns: &NameServer, h: &TopicRequestHeader, body: &[u8]) -> RemotingCommand {
    if let Ok(route) = body::decode::<TopicRouteData>(body) {
        ns.routes.write().register_topic(&h.topic, route.queue_datas);
    }
    RemotingCommand::success()
}

/// Standard JSON for clients at 4.9.4+ or asking for it; otherwise fastjson's default form.
fn route_response(route: &TopicRouteData, version: i32, standard_only: bool) -> RemotingCommand {
    let text = serde_json::to_string(route).unwrap_or_default();
    let text = if standard_only || version >= STANDARD_JSON_SINCE_VERSION { text } else { bare_numeric_keys(&text) };
    RemotingCommand::success().with_body(text.into_bytes())
}

/// Rewrites `"brokerAddrs":{"0":..,"1":..}` keys to bare numbers, as fastjson writes Long keys.
fn bare_numeric_keys(text: &str) -> String {
    const KEY: &str = "\"brokerAddrs\":{";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(KEY) {
        let (head, tail) = rest.split_at(pos + KEY.len());
        out.push_str(head);
        let end = tail.find('}').unwrap_or(tail.len());
        let entries: Vec<String> = split_entries(&tail[..end])
            .into_iter()
            .filter_map(|entry| entry.split_once(':').map(|(k, v)| format!("{}:{v}", k.trim_matches('"'))))
            .collect();
        out.push_str(&entries.join(","));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The `,`-separated entries of a JSON object's inside (commas in strings kept).
fn split_entries(inner: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut in_str) = (0, false);
    for (i, c) in inner.char_indices() {
        match c {
            '"' => in_str = !in_str,
            ',' if !in_str => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        out.push(&inner[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_keys_like_fastjson() {
        let t = r#"{"brokerAddrTable":{"a":{"brokerAddrs":{"0":"x:1","1":"y:2"},"brokerName":"a","cluster":"c"}}}"#;
        assert_eq!(
            bare_numeric_keys(t),
            r#"{"brokerAddrTable":{"a":{"brokerAddrs":{0:"x:1",1:"y:2"},"brokerName":"a","cluster":"c"}}}"#
        );
        assert_eq!(bare_numeric_keys(r#"{"brokerAddrs":{}}"#), r#"{"brokerAddrs":{}}"#);
        assert_eq!(bare_numeric_keys(r#"{"brokerAddrs":{"0":"a,b"}}"#), r#"{"brokerAddrs":{0:"a,b"}}"#);
    }
}
