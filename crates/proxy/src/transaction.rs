//! EndTransaction: commit or roll back a half message through the broker's END_TRANSACTION.
//!
//! The proxy is stateless about transactions: the transaction id it hands to SDKs (in the
//! SendMessage result and in RecoverOrphanedTransactionCommand) carries what END_TRANSACTION
//! needs, as the first 5.x proxies encoded it: the broker's transaction id, the broker's name,
//! the half message's commit-log offset and its transaction-state-table (queue) offset. The
//! producer group is the topic's name, as the official proxy sets it on transactional sends.

use std::fmt;

use rmq_client::ClientInstance;
use rmq_common::sysflag;
use rmq_remoting::header::{
    EndTransactionRequestHeader, QueryMessageRequestHeader, SendMessageResponseHeader, ViewMessageRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::pb::{self, Code, TransactionResolution, TransactionSource};
use crate::status;

/// Separator of the transaction id's fields (never in a broker name or a hex id).
const SEP: char = '@';

/// What END_TRANSACTION needs, carried by the transaction id the SDK echoes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionHandle {
    /// The broker's transaction id (the message's unique id).
    pub broker_transaction_id: String,
    /// Broker (set) name, or its address when only that is known.
    pub broker: String,
    /// Commit-log offset of the half message.
    pub commit_log_offset: i64,
    /// Queue offset of the half message in the half topic.
    pub tran_state_table_offset: i64,
}

impl fmt::Display for TransactionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { broker_transaction_id: id, broker, commit_log_offset: c, tran_state_table_offset: t } = self;
        write!(f, "{id}{SEP}{broker}{SEP}{c}{SEP}{t}")
    }
}

impl TransactionHandle {
    /// Parses a transaction id the proxy made; None for anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let mut it = text.rsplitn(3, SEP);
        let tran_state_table_offset = it.next()?.parse().ok()?;
        let commit_log_offset = it.next()?.parse().ok()?;
        let (id, broker) = it.next()?.split_once(SEP)?;
        if id.is_empty() || broker.is_empty() || commit_log_offset < 0 || tran_state_table_offset < 0 {
            return None;
        }
        Some(Self {
            broker_transaction_id: id.to_owned(),
            broker: broker.to_owned(),
            commit_log_offset,
            tran_state_table_offset,
        })
    }

    /// The handle of a half message sent through `broker_name`, from its send result: the
    /// transaction id SendMessage gives the SDK is `handle.to_string()`.
    #[must_use]
    pub fn from_send(broker_name: &str, sent: &rmq_client::producer::SendResult) -> Option<Self> {
        let (_, phy) = rmq_common::msgid::decode_offset_msg_id(&sent.offset_msg_id)?;
        Some(Self {
            broker_transaction_id: sent.transaction_id.clone().unwrap_or_else(|| sent.msg_id.clone()),
            broker: broker_name.to_owned(),
            commit_log_offset: phy,
            tran_state_table_offset: sent.queue_offset,
        })
    }
}

impl TransactionHandle {
    /// The handle of a half message from the broker's SEND_MESSAGE answer (`msgId` is the offset
    /// message id, `queueOffset` the half queue's offset): what SendMessage should hand out as
    /// the entry's transaction id.
    #[must_use]
    pub fn from_send_header(broker_name: &str, h: &SendMessageResponseHeader) -> Option<Self> {
        let (_, phy) = rmq_common::msgid::decode_offset_msg_id(&h.msg_id)?;
        let id = h.transaction_id.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| h.msg_id.clone());
        Some(Self {
            broker_transaction_id: id,
            broker: broker_name.to_owned(),
            commit_log_offset: phy,
            tran_state_table_offset: h.queue_offset,
        })
    }
}

/// A transaction id that is a bare offset message id (store host + commit-log offset): the half
/// message is read back from the broker (VIEW_MESSAGE_BY_ID) for its queue offset.
async fn from_offset_msg_id(cluster: &ClientInstance, id: &str) -> Option<TransactionHandle> {
    let (host, phy) = rmq_common::msgid::decode_offset_msg_id(id)?;
    let addr = host.to_string();
    let view = ViewMessageRequestHeader { offset: phy };
    let resp = cluster
        .invoke_ok(&addr, RemotingCommand::request_with_header(RequestCode::ViewMessageById, &view))
        .await
        .ok()?;
    let half = rmq_common::message::MessageExt::decode(&resp.body).ok()?;
    let uniq = rmq_common::property::get(&half.properties, rmq_common::property::UNIQ_KEY).map(str::to_owned);
    Some(TransactionHandle {
        broker_transaction_id: uniq.unwrap_or_else(|| id.to_owned()),
        broker: addr,
        commit_log_offset: phy,
        tran_state_table_offset: half.queue_offset,
    })
}

/// A transaction id that is the broker's own (the message's unique id, what a broker's send
/// answer names): the half message is found by that key in the half topic's index on the masters
/// of `topic`'s route; the newest copy (the checker re-puts undecided ones) is the one to end.
async fn from_unique_key(cluster: &ClientInstance, topic: &str, id: &str) -> Option<TransactionHandle> {
    let route = cluster.update_route(topic).await.ok()?;
    let h = QueryMessageRequestHeader {
        topic: rmq_common::topic::TRANS_HALF.to_owned(),
        key: id.to_owned(),
        max_num: 32,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: Some(true),
    };
    let mut best: Option<(rmq_common::message::MessageExt, String)> = None;
    for b in &route.broker_datas {
        let Some(addr) = b.broker_addrs.get(&0) else { continue };
        let cmd = RemotingCommand::request_with_header(RequestCode::QueryMessage, &h);
        let Ok(resp) = cluster.invoke_ok(addr, cmd).await else { continue };
        for m in rmq_common::message::MessageExt::decode_all(&resp.body).unwrap_or_default() {
            let get = |k| rmq_common::property::get(&m.properties, k);
            let ours =
                get(rmq_common::property::UNIQ_KEY) == Some(id) && get(rmq_common::property::REAL_TOPIC) == Some(topic);
            if ours && best.as_ref().is_none_or(|(x, _)| m.commit_log_offset > x.commit_log_offset) {
                best = Some((m, addr.clone()));
            }
        }
    }
    let (half, addr) = best?;
    Some(TransactionHandle {
        broker_transaction_id: id.to_owned(),
        broker: addr,
        commit_log_offset: half.commit_log_offset,
        tran_state_table_offset: half.queue_offset,
    })
}

/// The commit-or-rollback flag of `resolution`.
fn decision(resolution: i32) -> i32 {
    match TransactionResolution::try_from(resolution) {
        Ok(TransactionResolution::Commit) => sysflag::TRANSACTION_COMMIT,
        Ok(TransactionResolution::Rollback) => sysflag::TRANSACTION_ROLLBACK,
        _ => sysflag::TRANSACTION_NOT_TYPE,
    }
}

/// The handle of `req`'s transaction id, or the status to answer.
async fn resolve(cluster: &ClientInstance, req: &pb::EndTransactionRequest) -> Result<TransactionHandle, pb::Status> {
    if req.topic.as_ref().is_none_or(|t| t.name.is_empty()) {
        return Err(status::status(Code::IllegalTopic, "topic is required"));
    }
    if req.transaction_id.is_empty() {
        return Err(status::status(Code::InvalidTransactionId, "transaction id cannot be empty"));
    }
    if let Some(h) = TransactionHandle::parse(&req.transaction_id) {
        return Ok(h);
    }
    if let Some(h) = from_offset_msg_id(cluster, &req.transaction_id).await {
        return Ok(h);
    }
    let topic = req.topic.as_ref().map(|t| t.name.as_str()).unwrap_or_default();
    from_unique_key(cluster, topic, &req.transaction_id).await.ok_or_else(|| {
        status::status(Code::InvalidTransactionId, format!("unknown transaction id {}", req.transaction_id))
    })
}

/// The END_TRANSACTION header for `req` and its resolved handle.
fn header(req: &pb::EndTransactionRequest, handle: &TransactionHandle) -> EndTransactionRequestHeader {
    let topic = req.topic.as_ref().map(|t| t.name.clone()).unwrap_or_default();
    EndTransactionRequestHeader {
        producer_group: topic.clone(),
        topic: Some(topic),
        tran_state_table_offset: handle.tran_state_table_offset,
        commit_log_offset: handle.commit_log_offset,
        commit_or_rollback: decision(req.resolution),
        from_transaction_check: Some(req.source == TransactionSource::SourceServerCheck as i32),
        msg_id: req.message_id.clone(),
        transaction_id: Some(handle.broker_transaction_id.clone()),
    }
}

/// The master address of `broker` (a name, or already an address), fetching `topic`'s route when
/// the name is not known yet.
async fn master_of(cluster: &ClientInstance, broker: &str, topic: &str) -> Option<String> {
    if broker.contains(':') {
        return Some(broker.to_owned());
    }
    if let Some(a) = cluster.broker_addr(broker, 0) {
        return Some(a);
    }
    let _ = cluster.update_route(topic).await;
    cluster.broker_addr(broker, 0)
}

/// Ends a transaction: the status to answer the SDK with.
pub async fn end(cluster: &ClientInstance, req: &pb::EndTransactionRequest) -> pb::Status {
    let handle = match resolve(cluster, req).await {
        Ok(x) => x,
        Err(s) => return s,
    };
    let h = header(req, &handle);
    let Some(addr) = master_of(cluster, &handle.broker, h.topic.as_deref().unwrap_or_default()).await else {
        return status::status(Code::NotFound, format!("no master of broker {} known", handle.broker));
    };
    let cmd = RemotingCommand::request_with_header(RequestCode::EndTransaction, &h);
    match cluster.invoke_ok(&addr, cmd).await {
        Ok(_) => status::ok(),
        Err(rmq_client::ClientError::Broker { remark, .. }) => {
            status::status(Code::InvalidTransactionId, format!("the broker refused the transaction: {remark}"))
        }
        Err(e) => status::status(Code::ProxyTimeout, format!("END_TRANSACTION to {addr} failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_id_round_trips() {
        let h = TransactionHandle {
            broker_transaction_id: "7F0000010001".into(),
            broker: "broker-a".into(),
            commit_log_offset: 1234,
            tran_state_table_offset: 5,
        };
        let text = h.to_string();
        assert_eq!(TransactionHandle::parse(&text), Some(h.clone()));
        let by_addr = TransactionHandle { broker: "127.0.0.1:10911".into(), ..h };
        assert_eq!(TransactionHandle::parse(&by_addr.to_string()), Some(by_addr));
        for bad in ["", "abc", "id@b@x@1", "id@b@1@-1", "@b@1@2", "id@@1@2", "id@b@1"] {
            assert_eq!(TransactionHandle::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn headers_carry_the_handle_and_the_decision() {
        let topic = Some(pb::Resource { resource_namespace: String::new(), name: "T".into() });
        let r =
            pb::EndTransactionRequest { topic, resolution: TransactionResolution::Commit as i32, ..Default::default() };
        let handle = TransactionHandle::parse("ID@broker-a@100@3").unwrap();
        let h = header(&r, &handle);
        assert_eq!((h.producer_group.as_str(), h.commit_log_offset, h.tran_state_table_offset), ("T", 100, 3));
        assert_eq!(h.commit_or_rollback, sysflag::TRANSACTION_COMMIT);
        assert_eq!(h.from_transaction_check, Some(false));
        assert_eq!(decision(TransactionResolution::Rollback as i32), sysflag::TRANSACTION_ROLLBACK);
        assert_eq!(decision(0), sysflag::TRANSACTION_NOT_TYPE);
    }

    #[test]
    fn send_answers_give_handles() {
        let host: std::net::SocketAddr = "127.0.0.1:10911".parse().unwrap();
        let h = SendMessageResponseHeader {
            msg_id: rmq_common::msgid::offset_msg_id(&host, 4096),
            queue_offset: 9,
            transaction_id: Some("UNIQ".into()),
            ..Default::default()
        };
        let t = TransactionHandle::from_send_header("broker-a", &h).unwrap();
        assert_eq!(
            (t.broker_transaction_id.as_str(), t.commit_log_offset, t.tran_state_table_offset),
            ("UNIQ", 4096, 9)
        );
        assert!(TransactionHandle::from_send_header("b", &SendMessageResponseHeader::default()).is_none());
    }
}
