//! The broker's transaction check-back through the proxy: for each topic an SDK client publishes
//! the proxy heartbeats as the producer group of that name (the group the official proxy puts on
//! transactional half messages); a CHECK_TRANSACTION_STATE for it goes to one such client over its
//! Telemetry stream as a RecoverOrphanedTransactionCommand, and the client answers with
//! EndTransaction (source SERVER_CHECK).

use std::sync::{Arc, Weak};

use dashmap::DashMap;
use rmq_client::{ClientInstance, Member};
use rmq_common::message::MessageExt;
use rmq_common::property;
use rmq_remoting::body::ProducerData;
use rmq_remoting::header::CheckTransactionStateRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::clients::Clients;
use crate::message;
use crate::pb::{telemetry_command::Command, RecoverOrphanedTransactionCommand, TelemetryCommand};
use crate::transaction::TransactionHandle;

/// The proxy's producer membership of one topic's group.
struct TopicProducer {
    topic: String,
    clients: Arc<Clients>,
    cluster: Weak<ClientInstance>,
}

impl Member for TopicProducer {
    fn topics(&self) -> Vec<String> {
        vec![self.topic.clone()]
    }

    fn producer_data(&self) -> Option<ProducerData> {
        Some(ProducerData { group_name: self.topic.clone() })
    }

    fn on_broker_request(&self, req: &RemotingCommand) -> Option<RemotingCommand> {
        if req.request_code() != RequestCode::CheckTransactionState {
            return None;
        }
        let cluster = self.cluster.upgrade()?;
        let Some(cmd) = recover_command(&cluster, req) else {
            tracing::warn!(topic = %self.topic, "undecodable CHECK_TRANSACTION_STATE");
            return None;
        };
        if !self.clients.send_to_publisher(&self.topic, &cmd) {
            tracing::debug!(topic = %self.topic, "no client can take a transaction check now; the broker will ask again");
        }
        None
    }
}

/// The Telemetry command relaying a CHECK_TRANSACTION_STATE.
fn recover_command(cluster: &ClientInstance, req: &RemotingCommand) -> Option<TelemetryCommand> {
    let h = req.header::<CheckTransactionStateRequestHeader>().ok()?;
    let mut msg = MessageExt::decode(&req.body).ok()?;
    if let Some(real) = property::get(&msg.properties, property::REAL_TOPIC) {
        msg.topic = real.to_owned();
    }
    let uniq = property::get(&msg.properties, property::UNIQ_KEY).map(str::to_owned);
    let store = msg.store_host.to_string();
    let broker = cluster
        .all_broker_addrs()
        .into_iter()
        .find(|(_, id, addr)| *id == 0 && *addr == store)
        .map_or(store, |(name, _, _)| name);
    let handle = TransactionHandle {
        broker_transaction_id: h.transaction_id.or(uniq).or(h.msg_id)?,
        broker,
        commit_log_offset: h.commit_log_offset,
        tran_state_table_offset: h.tran_state_table_offset,
    };
    let command =
        RecoverOrphanedTransactionCommand { message: Some(message::stored(&msg)), transaction_id: handle.to_string() };
    Some(TelemetryCommand { status: None, command: Some(Command::RecoverOrphanedTransactionCommand(command)) })
}

/// The producer groups the proxy heartbeats for, one per published topic.
pub struct CheckBack {
    clients: Arc<Clients>,
    cluster: Arc<ClientInstance>,
    groups: DashMap<String, Arc<TopicProducer>>,
}

impl std::fmt::Debug for CheckBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckBack").field("groups", &self.groups.len()).finish_non_exhaustive()
    }
}

impl CheckBack {
    /// Check-backs over `cluster` to `clients`.
    #[must_use]
    pub fn new(clients: Arc<Clients>, cluster: Arc<ClientInstance>) -> Self {
        Self { clients, cluster, groups: DashMap::new() }
    }

    fn key(topic: &str) -> String {
        format!("proxy@{topic}")
    }

    /// Joins the producer groups of the topics clients publish and leaves the others; heartbeats
    /// at once when a group was added, so the brokers know where to send checks.
    pub fn sync(&self) {
        let wanted = self.clients.published_topics();
        let mut added = false;
        for t in &wanted {
            if self.groups.contains_key(t) {
                continue;
            }
            let p = Arc::new(TopicProducer {
                topic: t.clone(),
                clients: Arc::clone(&self.clients),
                cluster: Arc::downgrade(&self.cluster),
            });
            let member: Arc<dyn Member> = p.clone();
            self.cluster.register(&Self::key(t), Arc::downgrade(&member));
            self.groups.insert(t.clone(), p);
            added = true;
        }
        let stale: Vec<String> = self.groups.iter().map(|e| e.key().clone()).filter(|t| !wanted.contains(t)).collect();
        for t in stale {
            self.cluster.unregister(&Self::key(&t));
            self.groups.remove(&t);
        }
        if added {
            let cluster = Arc::clone(&self.cluster);
            tokio::spawn(async move {
                cluster.refresh_routes().await;
                cluster.send_heartbeats().await;
            });
        }
    }

    /// Topics whose producer group the proxy is in.
    #[must_use]
    pub fn groups(&self) -> Vec<String> {
        let mut g: Vec<String> = self.groups.iter().map(|e| e.key().clone()).collect();
        g.sort();
        g
    }
}
