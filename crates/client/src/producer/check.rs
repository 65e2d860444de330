//! The local transaction's side: its outcome, the listener that runs and checks it, and the
//! answer to the broker's CHECK_TRANSACTION_STATE.

use std::sync::Arc;

use rmq_common::message::MessageExt;
use rmq_common::{property, sysflag};
use rmq_remoting::header::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use rmq_remoting::{RemotingCommand, RequestCode};

use super::outcome::SendResult;
use crate::instance::ClientInstance;
use crate::message::Message;

/// The local transaction's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalTransactionState {
    /// Deliver the message.
    CommitMessage,
    /// Discard it.
    RollbackMessage,
    /// Not known yet: the broker will ask again.
    Unknown,
}

impl LocalTransactionState {
    /// The commit-or-rollback value of END_TRANSACTION.
    pub(crate) fn code(self) -> i32 {
        match self {
            Self::CommitMessage => sysflag::TRANSACTION_COMMIT,
            Self::RollbackMessage => sysflag::TRANSACTION_ROLLBACK,
            Self::Unknown => sysflag::TRANSACTION_NOT_TYPE,
        }
    }
}

/// Runs local transactions and answers the broker's checks. Called on blocking threads.
pub trait TransactionListener: Send + Sync {
    /// Runs the local transaction for a half message the broker stored.
    fn execute(&self, msg: &Message, sent: &SendResult) -> LocalTransactionState;
    /// Says what became of the local transaction of `msg` (asked by the broker).
    fn check(&self, msg: &MessageExt) -> LocalTransactionState;
}

/// Answers a CHECK_TRANSACTION_STATE in the background.
pub(crate) fn answer_check(
    instance: Arc<ClientInstance>,
    group: String,
    listener: Arc<dyn TransactionListener>,
    req: &RemotingCommand,
) {
    let Ok(h) = req.header::<CheckTransactionStateRequestHeader>() else { return };
    let Ok(msg) = MessageExt::decode(&req.body) else { return };
    tokio::spawn(async move {
        let addr = msg.store_host.to_string();
        let m = msg.clone();
        let state =
            tokio::task::spawn_blocking(move || listener.check(&m)).await.unwrap_or(LocalTransactionState::Unknown);
        let uniq = property::get(&msg.properties, property::UNIQ_KEY).map(str::to_owned);
        let end = EndTransactionRequestHeader {
            topic: Some(msg.topic.clone()),
            producer_group: group,
            tran_state_table_offset: h.tran_state_table_offset,
            commit_log_offset: h.commit_log_offset,
            commit_or_rollback: state.code(),
            from_transaction_check: Some(true),
            msg_id: h.msg_id.or_else(|| uniq.clone()).unwrap_or_default(),
            transaction_id: h.transaction_id.or(uniq),
        };
        let req = RemotingCommand::request_with_header(RequestCode::EndTransaction, &end);
        if let Err(e) = instance.remoting().invoke_oneway(&addr, req).await {
            tracing::warn!(%addr, cause = %e, "answering a transaction check failed");
        }
    });
}
