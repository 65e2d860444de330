//! Transactional messages. A half message (TRAN_MSG, prepared sys flag) is parked in
//! RMQ_SYS_TRANS_HALF_TOPIC (queue 0, REAL_TOPIC/REAL_QID kept, transaction bits cleared) where
//! no consumer sees it. END_TRANSACTION commits (the real message is stored with the commit type)
//! or rolls back; either way an op message (tag `d`, body = the half's queue offset) goes to
//! RMQ_SYS_TRANS_OP_HALF_TOPIC, so decisions survive a restart. A checker (every
//! transactionCheckInterval) asks a live producer of the group about half messages older than
//! transactionTimeOut, re-parking each with TRANSACTION_CHECK_TIMES + 1; past
//! transactionCheckMax the message is discarded to TRANS_CHECK_MAX_TIME_TOPIC and logged.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use rmq_common::message::{patch_record, MessageExt, StoreMessage};
use rmq_common::{msgid, property, sysflag};
use rmq_remoting::header::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use rmq_remoting::{RemotingCommand, RequestCode};
use rmq_store::{MessageStore, PutStatus};
use tokio_util::sync::CancellationToken;

use super::ha::Replication;
use crate::config::BrokerConfig;
use crate::error::{BrokerError, HandlerResult};
use crate::state::clients::ClientRegistry;
use crate::state::offsets::ConsumerOffsets;
use crate::state::topics::{perm, system, TopicTable};

/// Counts the checks of a half message.
const CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
/// Per-message first-check delay, seconds.
const CHECK_IMMUNITY: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
/// Queue offset of the half message, on the committed message.
const PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
// Offsets group under which the checker keeps its progress.
use rmq_common::group::TRANS_CHECK as CHECK_GROUP;
/// Tag of op messages.
const OP_TAG: &str = "d";

/// The checker's settings (transactionCheckInterval, transactionTimeOut, transactionCheckMax)
/// and the address check requests show as the store host.
#[derive(Debug, Clone, Copy)]
pub struct CheckSettings {
    /// Pause between checker passes.
    pub interval: Duration,
    /// Age before a half message is checked, ms.
    pub timeout_ms: i64,
    /// Checks before a half message is discarded.
    pub check_max: u32,
    /// This broker's address.
    pub store_host: SocketAddr,
}

impl CheckSettings {
    /// The settings of a broker config.
    #[must_use]
    pub fn of(config: &BrokerConfig) -> Self {
        let store_host =
            config.broker_addr().parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], config.net.listen_port)));
        Self {
            interval: Duration::from_millis(config.send.transaction_check_interval.max(100)),
            timeout_ms: i64::try_from(config.send.transaction_time_out).unwrap_or(6000),
            check_max: config.send.transaction_check_max,
            store_host,
        }
    }
}

/// The handles the transaction service uses.
#[derive(Debug, Clone)]
pub struct TransactionHandles {
    /// Half, op and real messages.
    pub store: Arc<MessageStore>,
    /// Creates the op and discard topics.
    pub topics: Arc<TopicTable>,
    /// The checker's progress (group CID_RMQ_SYS_TRANS).
    pub offsets: Arc<ConsumerOffsets>,
    /// Producers to ask.
    pub clients: Arc<ClientRegistry>,
    /// Woken after a commit.
    pub replication: Replication,
    /// Cancelled at shutdown.
    pub stop: CancellationToken,
}

/// The transaction service: decisions known so far (half queue offsets that have an op
/// message) and the checker.
#[derive(Debug)]
pub struct TransactionService {
    done: Mutex<BTreeSet<i64>>,
    /// Next op-topic offset not yet read into `done`.
    op_read: Mutex<i64>,
    settings: CheckSettings,
    handles: TransactionHandles,
}

/// Transaction decision codes of END_TRANSACTION.
fn decision(code: i32) -> i32 {
    code & sysflag::TRANSACTION_MASK
}

/// Parks a half message.
#[must_use]
pub fn park_half(mut m: StoreMessage) -> StoreMessage {
    property::set(&mut m.properties, property::REAL_TOPIC, &m.topic.clone());
    property::set(&mut m.properties, property::REAL_QID, &m.queue_id.to_string());
    m.sys_flag &= !sysflag::TRANSACTION_MASK;
    m.topic = system::TRANS_HALF.to_owned();
    m.queue_id = 0;
    m
}

impl TransactionService {
    /// A service that knows no decision yet (they are read from the op topic on first use).
    #[must_use]
    pub fn new(settings: CheckSettings, handles: TransactionHandles) -> Self {
        Self { done: Mutex::new(BTreeSet::new()), op_read: Mutex::new(0), settings, handles }
    }

    fn half_message(&self, commit_log_offset: i64) -> Option<MessageExt> {
        let rec = self.handles.store.message_by_offset(commit_log_offset)?;
        MessageExt::decode(&rec).ok().filter(|m| m.topic == system::TRANS_HALF)
    }

    /// Reads op messages written since the last call into the done set.
    fn load_ops(&self) {
        let mut read = self.op_read.lock();
        loop {
            let from = (*read).max(self.handles.store.min_offset(system::TRANS_OP_HALF, 0));
            let got = self.handles.store.get_messages(system::TRANS_OP_HALF, 0, from, 256, &|_| true);
            if got.messages.is_empty() {
                *read = from.max(got.next_begin_offset.min(self.handles.store.max_offset(system::TRANS_OP_HALF, 0)));
                return;
            }
            let mut done = self.done.lock();
            for rec in &got.messages {
                if let Ok(m) = MessageExt::decode(rec) {
                    if let Ok(o) = String::from_utf8_lossy(&m.body).trim().parse::<i64>() {
                        done.insert(o);
                    }
                    *read = m.queue_offset + 1;
                }
            }
        }
    }

    async fn write_op(&self, half_queue_offset: i64) -> Result<(), BrokerError> {
        self.handles.topics.get_or_create_system(system::TRANS_OP_HALF, 1, perm::READ | perm::WRITE);
        let op = StoreMessage {
            topic: system::TRANS_OP_HALF.to_owned(),
            queue_id: 0,
            body: Bytes::from(half_queue_offset.to_string()),
            properties: vec![(property::TAGS.to_owned(), OP_TAG.to_owned())],
            born_timestamp: crate::now_ms(),
            ..StoreMessage::default()
        };
        let r = self.handles.store.put_message(op).await;
        if !super::stored(r.status) {
            return Err(BrokerError::System(format!("writing the transaction op failed: {}", r.remark)));
        }
        self.done.lock().insert(half_queue_offset);
        Ok(())
    }

    /// END_TRANSACTION (masters): commit, roll back, or leave for the checker.
    pub async fn end_transaction(&self, h: &EndTransactionRequestHeader) -> HandlerResult {
        let kind = decision(h.commit_or_rollback);
        if kind == sysflag::TRANSACTION_NOT_TYPE {
            tracing::debug!(msg_id = %h.msg_id, "transaction state unknown; the checker will ask again");
            return Ok(RemotingCommand::success());
        }
        let Some(half) = self.half_message(h.commit_log_offset) else {
            return Err(BrokerError::System(format!("no half message at commit-log offset {}", h.commit_log_offset)));
        };
        if property::get(&half.properties, property::PGROUP) != Some(h.producer_group.as_str()) {
            return Err(BrokerError::System("the producer group does not match the half message".into()));
        }
        if half.queue_offset != h.tran_state_table_offset {
            return Err(BrokerError::System("the transaction state table offset does not match".into()));
        }
        self.load_ops();
        if self.done.lock().contains(&half.queue_offset) {
            return Ok(RemotingCommand::success()); // decided before (a duplicate END_TRANSACTION)
        }
        if kind == sysflag::TRANSACTION_COMMIT {
            self.commit(&half, h.commit_log_offset).await?;
        }
        self.write_op(half.queue_offset).await?;
        Ok(RemotingCommand::success())
    }

    /// Stores the real message of a committed half message.
    async fn commit(&self, half: &MessageExt, commit_log_offset: i64) -> Result<(), BrokerError> {
        let mut real = StoreMessage::from(half);
        let topic = property::get(&half.properties, property::REAL_TOPIC).unwrap_or_default().to_owned();
        real.queue_id = property::get(&half.properties, property::REAL_QID).and_then(|q| q.parse().ok()).unwrap_or(0);
        real.topic = topic;
        property::remove(&mut real.properties, property::REAL_TOPIC);
        property::remove(&mut real.properties, property::REAL_QID);
        property::set(&mut real.properties, PREPARED_QUEUE_OFFSET, &half.queue_offset.to_string());
        real.sys_flag = (real.sys_flag & !sysflag::TRANSACTION_MASK) | sysflag::TRANSACTION_COMMIT;
        real.prepared_transaction_offset = commit_log_offset;
        let r = self.handles.store.put_message(real).await;
        if !super::stored(r.status) {
            return Err(BrokerError::System(format!("storing the committed message failed: {}", r.remark)));
        }
        self.handles.replication.new_data();
        Ok(())
    }

    /// Starts the checker (masters).
    pub fn spawn_checker(self: &Arc<Self>) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(this.settings.interval) => {}
                    () = this.handles.stop.cancelled() => return,
                }
                this.check_transactions().await;
            }
        });
    }

    /// One pass of the checker over half messages old enough to ask about.
    pub async fn check_transactions(&self) {
        self.load_ops();
        let store = &self.handles.store;
        let max = store.max_offset(system::TRANS_HALF, 0);
        let start = self.handles.offsets.query(CHECK_GROUP, system::TRANS_HALF, 0).unwrap_or(0);
        let mut offset = start.max(store.min_offset(system::TRANS_HALF, 0));
        while offset < max && !self.handles.stop.is_cancelled() {
            if self.done.lock().contains(&offset) {
                offset += 1;
                continue;
            }
            let got = store.get_messages(system::TRANS_HALF, 0, offset, 1, &|_| true);
            let Some(m) = got.messages.first().and_then(|r| MessageExt::decode(r).ok()) else {
                offset = got.next_begin_offset.max(offset + 1);
                continue;
            };
            if !self.check_one(&m).await {
                break; // later half messages are younger still
            }
            offset = m.queue_offset + 1;
            self.handles.offsets.commit(CHECK_GROUP, system::TRANS_HALF, 0, offset);
        }
        self.handles.offsets.commit(CHECK_GROUP, system::TRANS_HALF, 0, offset);
    }

    /// Asks about (or discards) one half message; false when it is too young to ask about.
    async fn check_one(&self, m: &MessageExt) -> bool {
        let immunity = property::get(&m.properties, CHECK_IMMUNITY)
            .and_then(|v| v.parse::<i64>().ok())
            .map_or(self.settings.timeout_ms, |s| s * 1000);
        if crate::now_ms() - m.born_timestamp < immunity {
            return false;
        }
        let times: u32 = property::get(&m.properties, CHECK_TIMES).and_then(|v| v.parse().ok()).unwrap_or(0);
        if times >= self.settings.check_max {
            self.discard(m).await;
        } else {
            self.ask_producer(m, times + 1).await;
        }
        true
    }

    async fn discard(&self, m: &MessageExt) {
        tracing::warn!(
            msg_id = property::get(&m.properties, property::UNIQ_KEY).unwrap_or(&m.msg_id),
            group = property::get(&m.properties, property::PGROUP).unwrap_or(""),
            "half message checked transactionCheckMax times without an answer; discarded"
        );
        let _ = self.handles.topics.get_or_create_system(system::TRANS_CHECK_MAX_TIME, 1, perm::READ | perm::WRITE);
        let mut s = StoreMessage::from(m);
        s.topic = system::TRANS_CHECK_MAX_TIME.to_owned();
        s.queue_id = 0;
        let _ = self.handles.store.put_message(s).await;
        let _ = self.write_op(m.queue_offset).await;
    }

    /// Re-parks the half message with its check count and asks one producer of its group.
    async fn ask_producer(&self, m: &MessageExt, times: u32) {
        let mut again = StoreMessage::from(m);
        property::set(&mut again.properties, CHECK_TIMES, &times.to_string());
        let r = self.handles.store.put_message(again.clone()).await;
        if r.status != PutStatus::Ok && r.status != PutStatus::FlushDiskTimeout {
            tracing::warn!(remark = %r.remark, "re-parking a half message failed; checked next time");
            return;
        }
        // The half message as it is now stored, shown with its real topic and queue.
        let _ = self.write_op(m.queue_offset).await;
        let group = property::get(&m.properties, property::PGROUP).unwrap_or_default().to_owned();
        let producers = self.handles.clients.producer_group(&group);
        if producers.is_empty() {
            tracing::debug!(%group, "no producer of the group online to check a transaction");
            return;
        }
        let pick = &producers[usize::try_from(r.queue_offset).unwrap_or(0) % producers.len()];
        let mut shown = again;
        shown.topic = property::get(&m.properties, property::REAL_TOPIC).unwrap_or_default().to_owned();
        shown.queue_id = property::get(&m.properties, property::REAL_QID).and_then(|q| q.parse().ok()).unwrap_or(0);
        shown.store_host = self.store_host();
        let mut body = shown.encode();
        patch_record(&mut body, r.queue_offset, r.phy_offset, crate::now_ms());
        let uniq = property::get(&m.properties, property::UNIQ_KEY).map(str::to_owned);
        let h = CheckTransactionStateRequestHeader {
            topic: Some(shown.topic.clone()),
            tran_state_table_offset: r.queue_offset,
            commit_log_offset: r.phy_offset,
            msg_id: uniq.clone(),
            transaction_id: uniq,
            offset_msg_id: Some(msgid::offset_msg_id(&self.store_host(), r.phy_offset)),
        };
        let req = RemotingCommand::request_with_header(RequestCode::CheckTransactionState, &h).with_body(body);
        if let Err(e) = pick.channel.invoke_oneway(req).await {
            tracing::warn!(client = %pick.client_id, cause = %e, "asking a producer about a transaction failed");
        }
    }

    fn store_host(&self) -> SocketAddr {
        self.settings.store_host
    }
}
