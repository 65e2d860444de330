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

/// GET_NAMESRV_CONFIG: `key=value` lines.
pub(super) fn get_config(ns: &NameServer) -> RemotingCommand {
    RemotingCommand::success().with_body(render(&ns.config.to_pairs()).into_bytes())
}

/// UPDATE_NAMESRV_CONFIG: refused.
pub(super) fn update_config() -> NamesrvError {
    NamesrvError::NoPermission(
        "updating the name server config at run time is not supported; edit the file and restart",
    )
}
