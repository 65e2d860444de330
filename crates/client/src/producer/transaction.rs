//! Transactional sends: a half message, the local transaction, then commit or rollback; the
//! broker asks any producer of the group (CHECK_TRANSACTION_STATE) about undecided ones.

use std::sync::Arc;

use rmq_common::{msgid, property, sysflag};
use rmq_remoting::header::EndTransactionRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode};

use super::check::{LocalTransactionState, TransactionListener};
use super::config::ProducerConfig;
use super::handle::Producer;
use super::outcome::{SendResult, SendStatus};
use crate::error::{ClientError, Result};
use crate::message::Message;

/// What `send_in_transaction` returns.
#[derive(Debug, Clone)]
pub struct TransactionSendResult {
    /// The half message's send result.
    pub send: SendResult,
    /// The local transaction's outcome, as told to the broker.
    pub state: LocalTransactionState,
}

/// A producer of transactional messages.
#[derive(Clone)]
pub struct TransactionProducer {
    producer: Producer,
    listener: Arc<dyn TransactionListener>,
}

impl std::fmt::Debug for TransactionProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionProducer").field("producer", &self.producer).finish_non_exhaustive()
    }
}

impl TransactionProducer {
    /// Starts the producer with its listener (which also answers checks for the group).
    pub async fn start(config: ProducerConfig, listener: Arc<dyn TransactionListener>) -> Result<Self> {
        let producer = Producer::start(config).await?;
        producer.set_check_listener(Arc::clone(&listener));
        Ok(Self { producer, listener })
    }

    /// The underlying producer (for plain sends).
    #[must_use]
    pub fn producer(&self) -> &Producer {
        &self.producer
    }

    /// Sends a half message, runs the local transaction, and ends the transaction with its outcome.
    pub async fn send_in_transaction(&self, msg: Message) -> Result<TransactionSendResult> {
        if msg.property(property::DELAY).is_some() {
            return Err(ClientError::Invalid("a transactional message cannot be delayed".into()));
        }
        let group = self.producer.config().group.clone();
        let half = msg.clone().with_property(property::TRAN_MSG, "true").with_property(property::PGROUP, &group);
        let retries = self.producer.config().retry_times_when_send_failed;
        let sent = self.producer.send_with_retries(half, sysflag::TRANSACTION_PREPARED, retries).await?;
        let state = if sent.status == SendStatus::SendOk {
            let (listener, m, s) = (Arc::clone(&self.listener), msg, sent.clone());
            tokio::task::spawn_blocking(move || listener.execute(&m, &s))
                .await
                .unwrap_or(LocalTransactionState::Unknown)
        } else {
            LocalTransactionState::RollbackMessage
        };
        let (_, phy) = msgid::decode_offset_msg_id(&sent.offset_msg_id)
            .ok_or_else(|| ClientError::Invalid(format!("bad offset message id {}", sent.offset_msg_id)))?;
        let addr = self
            .producer
            .instance()
            .broker_addr(&sent.queue.broker_name, 0)
            .ok_or_else(|| ClientError::Invalid(format!("no master address for {}", sent.queue.broker_name)))?;
        let h = EndTransactionRequestHeader {
            topic: Some(sent.queue.topic.clone()),
            producer_group: group,
            tran_state_table_offset: sent.queue_offset,
            commit_log_offset: phy,
            commit_or_rollback: state.code(),
            from_transaction_check: Some(false),
            msg_id: sent.msg_id.clone(),
            transaction_id: Some(sent.transaction_id.clone().unwrap_or_else(|| sent.msg_id.clone())),
        };
        let req = RemotingCommand::request_with_header(RequestCode::EndTransaction, &h);
        self.producer.instance().remoting().invoke_oneway(&addr, req).await?;
        Ok(TransactionSendResult { send: sent, state })
    }

    /// Leaves the group.
    pub async fn shutdown(&self) {
        self.producer.shutdown().await;
    }
}
