//! Request handling: one match from code to handler.

use std::sync::Arc;

use rmq_remoting::body::{
    self, DataVersion, KvTable, RegisterBrokerBody, TopicConfigSerializeWrapper, TopicList, TopicRouteData,
};
use rmq_remoting::header::{
    BrokerNameRequestHeader, DeleteTopicFromNamesrvRequestHeader, GetKvConfigResponseHeader,
    GetKvListByNamespaceRequestHeader, GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader,
    KvConfigKeyRequestHeader, PutKvConfigRequestHeader, QueryDataVersionResponseHeader, RegisterBrokerRequestHeader,
    RegisterBrokerResponseHeader, UnregisterBrokerRequestHeader, WritePermResponseHeader,
};
use rmq_remoting::transport::{ProcessorFuture, RequestContext, RequestProcessor};
use rmq_remoting::{HeaderError, RemotingCommand, RequestCode, ResponseCode};

use crate::routes::Registration;
use crate::NameServer;

use rmq_common::topic::ORDER_TOPIC_CONFIG;

/// The name server's request processor.
pub struct Processor {
    /// Shared state.
    pub ns: Arc<NameServer>,
}

impl RequestProcessor for Processor {
    fn process(&self, ctx: RequestContext, request: RemotingCommand) -> ProcessorFuture {
        let ns = Arc::clone(&self.ns);
        Box::pin(async move {
            Some(match handle(&ns, &ctx, &request) {
                Ok(r) => r,
                Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
            })
        })
    }
}

fn ok_json<T: serde::Serialize>(body: &T) -> RemotingCommand {
    RemotingCommand::success().with_body(serde_json::to_vec(body).unwrap_or_default())
}

fn handle(ns: &NameServer, ctx: &RequestContext, req: &RemotingCommand) -> Result<RemotingCommand, HeaderError> {
    use RequestCode as C;
    Ok(match req.request_code() {
        C::RegisterBroker => register(ns, ctx, req)?,
        C::UnregisterBroker => {
            let h: UnregisterBrokerRequestHeader = req.header()?;
            ns.routes.write().unregister(&h.cluster_name, &h.broker_name, &h.broker_addr, h.broker_id);
            RemotingCommand::success()
        }
        C::QueryDataVersion | C::BrokerHeartbeat => {
            let h: UnregisterBrokerRequestHeader = req.header()?;
            let version: DataVersion = body::decode(&req.body).unwrap_or_default();
            let routes = ns.routes.read();
            let changed = routes.version_changed(&h.broker_addr, &version);
            let held = routes.version_of(&h.broker_addr).unwrap_or_default();
            RemotingCommand::success()
                .with_header(&QueryDataVersionResponseHeader { changed })
                .with_body(serde_json::to_vec(&held).unwrap_or_default())
        }
        C::GetRouteinfoByTopic => {
            let h: GetRouteInfoRequestHeader = req.header()?;
            match ns.routes.read().route(&h.topic) {
                Some(mut route) => {
                    route.order_topic_conf = ns.kv.get(ORDER_TOPIC_CONFIG, &h.topic);
                    route_response(&route, req.version, h.accept_standard_json_only.unwrap_or(false))
                }
                None => RemotingCommand::error(
                    ResponseCode::TopicNotExist,
                    format!("No topic route info in name server for the topic: {}", h.topic),
                ),
            }
        }
        C::GetBrokerClusterInfo => {
            // fastjson's default form (bare numeric brokerAddrs keys), as the official name server.
            let text = serde_json::to_string(&ns.routes.read().cluster_info()).unwrap_or_default();
            RemotingCommand::success().with_body(bare_numeric_keys(&text).into_bytes())
        }
        C::GetAllTopicListFromNameserver => {
            ok_json(&TopicList { topic_list: ns.routes.read().topics(), broker_addr: None })
        }
        C::GetTopicsByCluster => {
            let h: GetTopicsByClusterRequestHeader = req.header()?;
            ok_json(&TopicList { topic_list: ns.routes.read().topics_of_cluster(&h.cluster), broker_addr: None })
        }
        C::GetSystemTopicListFromNs => {
            let topics: Vec<String> = ns
                .routes
                .read()
                .cluster_info()
                .cluster_addr_table
                .into_iter()
                .flat_map(|(c, names)| std::iter::once(c).chain(names))
                .collect();
            ok_json(&TopicList { topic_list: topics, broker_addr: None })
        }
        C::GetUnitTopicList | C::GetHasUnitSubTopicList | C::GetHasUnitSubUnunitTopicList => {
            ok_json(&TopicList::default())
        }
        C::DeleteTopicInNamesrv => {
            let h: DeleteTopicFromNamesrvRequestHeader = req.header()?;
            ns.routes.write().delete_topic(&h.topic, h.cluster_name.as_deref().filter(|c| !c.is_empty()));
            RemotingCommand::success()
        }
        C::RegisterTopicInNamesrv => {
            let h: rmq_remoting::header::TopicRequestHeader = req.header()?;
            if let Ok(route) = body::decode::<TopicRouteData>(&req.body) {
                ns.routes.write().register_topic(&h.topic, route.queue_datas);
            }
            RemotingCommand::success()
        }
        C::PutKvConfig => {
            let h: PutKvConfigRequestHeader = req.header()?;
            ns.kv.put(&h.namespace, &h.key, &h.value);
            RemotingCommand::success()
        }
        C::GetKvConfig => {
            let h: KvConfigKeyRequestHeader = req.header()?;
            match ns.kv.get(&h.namespace, &h.key) {
                Some(value) => {
                    RemotingCommand::success().with_header(&GetKvConfigResponseHeader { value: Some(value) })
                }
                None => RemotingCommand::error(
                    ResponseCode::QueryNotFound,
                    format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
                ),
            }
        }
        C::DeleteKvConfig => {
            let h: KvConfigKeyRequestHeader = req.header()?;
            ns.kv.delete(&h.namespace, &h.key);
            RemotingCommand::success()
        }
        C::GetKvlistByNamespace => {
            let h: GetKvListByNamespaceRequestHeader = req.header()?;
            match ns.kv.namespace(&h.namespace) {
                Some(table) => ok_json(&KvTable { table }),
                None => RemotingCommand::error(
                    ResponseCode::QueryNotFound,
                    format!("No config item, Namespace: {}", h.namespace),
                ),
            }
        }
        C::WipeWritePermOfBroker | C::AddWritePermOfBroker => {
            let h: BrokerNameRequestHeader = req.header()?;
            let wipe = req.request_code() == C::WipeWritePermOfBroker;
            let n = ns.routes.write().set_write_perm(&h.broker_name, !wipe);
            let header = if wipe {
                WritePermResponseHeader { wipe_topic_count: Some(n), add_topic_count: None }
            } else {
                WritePermResponseHeader { wipe_topic_count: None, add_topic_count: Some(n) }
            };
            RemotingCommand::success().with_header(&header)
        }
        C::GetNamesrvConfig => RemotingCommand::success().with_body(render(&ns.config.to_pairs()).into_bytes()),
        C::UpdateNamesrvConfig => RemotingCommand::error(
            ResponseCode::NoPermission,
            "updating the name server config at run time is not supported; edit the file and restart",
        ),
        other => RemotingCommand::error(
            ResponseCode::RequestCodeNotSupported,
            format!(" request type {} not supported", other.value()),
        ),
    })
}

use crate::config::render;

fn register(ns: &NameServer, ctx: &RequestContext, req: &RemotingCommand) -> Result<RemotingCommand, HeaderError> {
    let h: RegisterBrokerRequestHeader = req.header()?;
    if let Some(crc) = h.body_crc32.filter(|c| *c != 0) {
        let actual = i32::try_from(crc32(&req.body) & 0x7FFF_FFFF).unwrap_or(0);
        if actual != crc {
            return Ok(RemotingCommand::error(ResponseCode::SystemError, "crc32 not match"));
        }
    }
    let topics = if req.body.is_empty() {
        TopicConfigSerializeWrapper::default()
    } else if h.compressed.unwrap_or(false) {
        return Ok(RemotingCommand::error(
            ResponseCode::SystemError,
            "compressed registration bodies are not supported; set compressedRegister=false",
        ));
    } else {
        match body::decode::<RegisterBrokerBody>(&req.body) {
            Ok(b) => b.topic_config_serialize_wrapper,
            Err(e) => {
                if ctx.channel.first_bad_request() {
                    let peer = ctx.channel.peer_addr();
                    tracing::warn!(%peer, cause = %e, "unreadable REGISTER_BROKER body (logged once per connection)");
                }
                return Ok(RemotingCommand::error(ResponseCode::SystemError, format!("bad register body: {e}")));
            }
        }
    };
    let answer = ns.routes.write().register(Registration {
        cluster: h.cluster_name,
        broker_name: h.broker_name,
        broker_addr: h.broker_addr,
        ha_server_addr: h.ha_server_addr,
        broker_id: h.broker_id,
        enable_acting_master: h.enable_acting_master.unwrap_or(false),
        topics,
        channel_id: ctx.channel.id(),
    });
    let body = ns
        .kv
        .namespace(ORDER_TOPIC_CONFIG)
        .map(|table| serde_json::to_vec(&KvTable { table }).unwrap_or_default())
        .unwrap_or_default();
    Ok(RemotingCommand::success()
        .with_header(&RegisterBrokerResponseHeader {
            ha_server_addr: answer.ha_server_addr,
            master_addr: answer.master_addr,
        })
        .with_body(body))
}

/// Standard JSON for clients at 4.9.4+ or asking for it; otherwise fastjson's default form.
fn route_response(route: &TopicRouteData, version: i32, standard_only: bool) -> RemotingCommand {
    let text = serde_json::to_string(route).unwrap_or_default();
    let text = if standard_only || version >= 401 { text } else { bare_numeric_keys(&text) };
    RemotingCommand::success().with_body(text.into_bytes())
}

/// Rewrites `"brokerAddrs":{"0":..,"1":..}` keys to bare numbers, as fastjson writes Long keys.
fn bare_numeric_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("\"brokerAddrs\":{") {
        let (head, tail) = rest.split_at(pos + "\"brokerAddrs\":{".len());
        out.push_str(head);
        let end = tail.find('}').unwrap_or(tail.len());
        let inner = &tail[..end];
        let mut first = true;
        for entry in split_entries(inner) {
            if !first {
                out.push(',');
            }
            first = false;
            if let Some((k, v)) = entry.split_once(':') {
                out.push_str(k.trim_matches('"'));
                out.push(':');
                out.push_str(v);
            }
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

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

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
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
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
