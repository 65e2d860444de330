//! Operator requests: broker write permission and the name server's own config.

use rmq_remoting::header::{BrokerNameRequestHeader, WritePermResponseHeader};
use rmq_remoting::RemotingCommand;

use crate::config::render;
use crate::error::NamesrvError;
use crate::NameServer;

/// WIPE_WRITE_PERM_OF_BROKER (`wipe`) and ADD_WRITE_PERM_OF_BROKER: answers the number of
/// topics changed.
pub(super) fn write_perm(ns: &NameServer, h: &BrokerNameRequestHeader, wipe: bool) -> RemotingCommand {
    let n = ns.routes.write().set_write_perm(&h.broker_name, !wipe);
    let header = if wipe {
        WritePermResponseHeader { wipe_topic_count: Some(n), add_topic_count: None }
    } else {
        WritePermResponseHeader { wipe_topic_count: None, add_topic_count: Some(n) }
    };
    RemotingCommand::success().with_header(&header)
}

/// GET_NAMESRV_CONFIG: the current values as `key=value` lines.
pub(super) fn get_config(ns: &NameServer) -> RemotingCommand {
    RemotingCommand::success().with_body(render(&ns.live.get().to_pairs()).into_bytes())
}

/// UPDATE_NAMESRV_CONFIG: the live keys change at once and persist to `configStorePath`;
/// another key or a bad value is refused with its name.
pub(super) fn update_config(ns: &NameServer, body: &[u8]) -> Result<RemotingCommand, NamesrvError> {
    let pairs = crate::config::parse_properties(&String::from_utf8_lossy(body));
    ns.live.update(&pairs).map_err(|e| NamesrvError::Body(e.to_string()))?;
    tracing::info!(changes = ?pairs, "name server config updated");
    Ok(RemotingCommand::success())
}
