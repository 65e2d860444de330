//! Broker registration: register (every 30 s), unregister, and the data-version heartbeat.

use rmq_common::topic::ORDER_TOPIC_CONFIG;
use rmq_remoting::body::{self, DataVersion, KvTable, RegisterBrokerBody, TopicConfigSerializeWrapper};
use rmq_remoting::header::{
    QueryDataVersionResponseHeader, RegisterBrokerRequestHeader, RegisterBrokerResponseHeader,
    UnregisterBrokerRequestHeader,
};
use rmq_remoting::transport::RequestContext;
use rmq_remoting::RemotingCommand;

use crate::error::{HandlerResult, NamesrvError};
use crate::routes::Registration;
use crate::NameServer;

/// REGISTER_BROKER: records the broker and its topics; answers the HA and master addresses
/// of its set and the ordered-topic KV namespace.
pub(super) fn register(
    ns: &NameServer,
    ctx: &RequestContext,
    h: RegisterBrokerRequestHeader,
    body: &[u8],
) -> HandlerResult {
    let topics = registered_topics(ctx, &h, body)?;
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
    let order_conf = ns
        .kv
        .namespace(ORDER_TOPIC_CONFIG)
        .map(|table| serde_json::to_vec(&KvTable { table }).unwrap_or_default())
        .unwrap_or_default();
    Ok(RemotingCommand::success()
        .with_header(&RegisterBrokerResponseHeader {
            ha_server_addr: answer.ha_server_addr,
            master_addr: answer.master_addr,
        })
        .with_body(order_conf))
}

/// The topics of a registration body, after its CRC (when the header carries one) checks.
fn registered_topics(
    ctx: &RequestContext,
    h: &RegisterBrokerRequestHeader,
    body: &[u8],
) -> Result<TopicConfigSerializeWrapper, NamesrvError> {
    if h.body_crc32.is_some_and(|crc| crc != 0 && crc != rmq_common::message::body_crc(body)) {
        return Err(NamesrvError::Body("crc32 not match".into()));
    }
    if body.is_empty() {
        return Ok(TopicConfigSerializeWrapper::default());
    }
    if h.compressed.unwrap_or(false) {
        return Err(NamesrvError::Body(
            "compressed registration bodies are not supported; set compressedRegister=false".into(),
        ));
    }
    match body::decode::<RegisterBrokerBody>(body) {
        Ok(b) => Ok(b.topic_config_serialize_wrapper),
        Err(e) => {
            if ctx.channel.first_bad_request() {
                let peer = ctx.channel.peer_addr();
                tracing::warn!(%peer, cause = %e, "unreadable REGISTER_BROKER body (logged once per connection)");
            }
            Err(NamesrvError::Body(format!("bad register body: {e}")))
        }
    }
}

/// UNREGISTER_BROKER.
pub(super) fn unregister(ns: &NameServer, h: &UnregisterBrokerRequestHeader) -> RemotingCommand {
    ns.routes.write().unregister(&h.cluster_name, &h.broker_name, &h.broker_addr, h.broker_id);
    RemotingCommand::success()
}

/// QUERY_DATA_VERSION and BROKER_HEARTBEAT: whether the broker's topic data changed since
/// it last registered, and the version held here.
pub(super) fn query_data_version(ns: &NameServer, h: &UnregisterBrokerRequestHeader, body: &[u8]) -> RemotingCommand {
    let version: DataVersion = body::decode(body).unwrap_or_default();
    let routes = ns.routes.read();
    let changed = routes.version_changed(&h.broker_addr, &version);
    let held = routes.version_of(&h.broker_addr).unwrap_or_default();
    RemotingCommand::success()
        .with_header(&QueryDataVersionResponseHeader { changed })
        .with_body(serde_json::to_vec(&held).unwrap_or_default())
}
