//! KV config requests: put, get, delete, list a namespace.

use rmq_remoting::body::KvTable;
use rmq_remoting::header::{
    GetKvConfigResponseHeader, GetKvListByNamespaceRequestHeader, KvConfigKeyRequestHeader, PutKvConfigRequestHeader,
};
use rmq_remoting::RemotingCommand;

use super::route::ok_json;
use crate::error::{HandlerResult, NamesrvError};
use crate::NameServer;

/// PUT_KV_CONFIG.
pub(super) fn put(ns: &NameServer, h: &PutKvConfigRequestHeader) -> RemotingCommand {
    ns.kv.put(&h.namespace, &h.key, &h.value);
    RemotingCommand::success()
}

/// GET_KV_CONFIG.
pub(super) fn get(ns: &NameServer, h: &KvConfigKeyRequestHeader) -> HandlerResult {
    let value = ns
        .kv
        .get(&h.namespace, &h.key)
        .ok_or_else(|| NamesrvError::KvNotFound(format!("Namespace: {} Key: {}", h.namespace, h.key)))?;
    Ok(RemotingCommand::success().with_header(&GetKvConfigResponseHeader { value: Some(value) }))
}

/// DELETE_KV_CONFIG.
pub(super) fn delete(ns: &NameServer, h: &KvConfigKeyRequestHeader) -> RemotingCommand {
    ns.kv.delete(&h.namespace, &h.key);
    RemotingCommand::success()
}

/// GET_KVLIST_BY_NAMESPACE.
pub(super) fn list(ns: &NameServer, h: &GetKvListByNamespaceRequestHeader) -> HandlerResult {
    let table =
        ns.kv.namespace(&h.namespace).ok_or_else(|| NamesrvError::KvNotFound(format!("Namespace: {}", h.namespace)))?;
    Ok(ok_json(&KvTable { table }))
}
