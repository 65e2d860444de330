//! Registration with every name server: at start, on topic change, and periodically. A slave
//! learns its master from the answers.

use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::body::RegisterBrokerBody;
use rmq_remoting::header::{RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnregisterBrokerRequestHeader};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};
use tokio_util::sync::CancellationToken;

use super::ha::Replication;
use crate::config::live::LiveConfig;
use crate::config::BrokerConfig;
use crate::state::topics::{perm, TopicTable};

/// Timeout of one registration call (`registerBrokerTimeoutMills`).
const REGISTER_TIMEOUT: Duration = Duration::from_secs(6);
/// How soon a slave that knows no master registers again.
const SLAVE_WITHOUT_MASTER_RETRY: Duration = Duration::from_secs(2);

/// The registration service.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Who we are, and the name servers.
    pub config: Arc<BrokerConfig>,
    /// The current values of keys that change at run time (brokerPermission).
    pub live: Arc<LiveConfig>,
    /// What we serve (sent with each registration; a change registers at once).
    pub topics: Arc<TopicTable>,
    /// Client for the name servers.
    pub client: RemotingClient,
    /// A slave learns its master from the answers.
    pub replication: Replication,
    /// Cancelled at shutdown.
    pub stop: CancellationToken,
}

impl Registration {
    fn register_request(&self) -> RemotingCommand {
        let cfg = &self.config;
        let mut wrapper = self.topics.wrapper();
        let bp = self.live.get().topics.broker_permission;
        if !perm::writable(bp) || !perm::readable(bp) {
            for t in wrapper.topic_config_table.values_mut() {
                t.perm = bp;
            }
        }
        let body = RegisterBrokerBody { topic_config_serialize_wrapper: wrapper, filter_server_list: Vec::new() };
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let header = RegisterBrokerRequestHeader {
            broker_name: cfg.identity.broker_name.clone(),
            broker_addr: cfg.broker_addr(),
            cluster_name: cfg.identity.broker_cluster_name.clone(),
            ha_server_addr: cfg.ha_addr(),
            broker_id: cfg.identity.broker_id,
            compressed: Some(false),
            body_crc32: Some(0),
            ..RegisterBrokerRequestHeader::default()
        };
        RemotingCommand::request_with_header(RequestCode::RegisterBroker, &header).with_body(body)
    }

    /// Registers with every name server in parallel; a slave learns its master from the answers.
    pub async fn register_all(&self) {
        let addrs = self.config.namesrv_list();
        let mut calls = Vec::new();
        for addr in addrs {
            let this = self.clone();
            let mut request = self.register_request();
            request.opaque = rmq_remoting::next_opaque();
            calls.push(tokio::spawn(async move {
                match this.client.invoke(&addr, request, REGISTER_TIMEOUT).await.and_then(RemotingCommand::into_success)
                {
                    Ok(resp) => {
                        if let Ok(h) = resp.header::<RegisterBrokerResponseHeader>() {
                            this.on_register_answer(h);
                        }
                    }
                    Err(e) => tracing::warn!(namesrv = %addr, cause = %e, "register broker failed"),
                }
            }));
        }
        for c in calls {
            let _ = c.await;
        }
    }

    fn on_register_answer(&self, h: RegisterBrokerResponseHeader) {
        if let Some(slave) = self.replication.slave() {
            slave.learn_master(h.master_addr, h.ha_server_addr);
        }
    }

    /// Sends UNREGISTER_BROKER to every name server (clean shutdown).
    pub async fn unregister_all(&self) {
        let cfg = &self.config;
        let header = UnregisterBrokerRequestHeader {
            broker_name: cfg.identity.broker_name.clone(),
            broker_addr: cfg.broker_addr(),
            cluster_name: cfg.identity.broker_cluster_name.clone(),
            broker_id: cfg.identity.broker_id,
        };
        for addr in cfg.namesrv_list() {
            let request = RemotingCommand::request_with_header(RequestCode::UnregisterBroker, &header);
            if let Err(e) = self.client.invoke(&addr, request, Duration::from_secs(3)).await {
                tracing::warn!(namesrv = %addr, cause = %e, "unregister broker failed");
            }
        }
    }

    /// Registers now, then every period and whenever the topic table changes, until stopped.
    pub fn spawn(&self) {
        let this = self.clone();
        let period = Duration::from_millis(this.config.identity.register_name_server_period.clamp(10_000, 60_000));
        tokio::spawn(async move {
            loop {
                this.register_all().await;
                // A slave that started before its master registered has no master to replicate
                // from yet: ask again soon rather than a whole period later.
                let wait = if this.replication.slave().is_some_and(|s| s.master_addr().is_none()) {
                    SLAVE_WITHOUT_MASTER_RETRY
                } else {
                    period
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = this.topics.changed.notified() => {}
                    () = this.stop.cancelled() => break,
                }
            }
        });
    }
}
