//! Consumer offsets: on the broker for clustering (committed every 5 s and at shutdown), in a
//! local file for broadcasting (`~/.rocketmq_offsets/<clientId>/<group>/offsets.json`, the
//! official client's layout).

use std::path::PathBuf;
use std::sync::Arc;

use dashmap::DashMap;
use rmq_remoting::body::{fastjson, MessageQueue};
use rmq_remoting::header::{OffsetResponseHeader, QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

/// Where offsets live.
#[derive(Debug)]
pub enum OffsetStore {
    /// On the brokers.
    Remote {
        /// Group.
        group: String,
        /// Client.
        instance: Arc<ClientInstance>,
        /// Offsets consumed so far.
        table: DashMap<MessageQueue, i64>,
    },
    /// In a local file.
    Local {
        /// The file.
        path: PathBuf,
        /// Offsets consumed so far.
        table: DashMap<MessageQueue, i64>,
    },
}

impl OffsetStore {
    /// Broker-side offsets for `group`.
    #[must_use]
    pub fn remote(group: &str, instance: Arc<ClientInstance>) -> Self {
        Self::Remote { group: group.to_owned(), instance, table: DashMap::new() }
    }

    /// A local file under `dir` (default `~/.rocketmq_offsets`), loaded now.
    #[must_use]
    pub fn local(dir: Option<PathBuf>, client_id: &str, group: &str) -> Self {
        let base = dir.unwrap_or_else(|| {
            std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from).join(".rocketmq_offsets")
        });
        let path = base.join(client_id.replace(':', "_")).join(group).join("offsets.json");
        let table = DashMap::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&fastjson::normalize(&text)) {
                if let Some(t) = v.get("offsetTable").and_then(|t| t.as_object()) {
                    for (k, off) in t {
                        if let (Some(mq), Some(off)) = (fastjson::message_queue_key(k), off.as_i64()) {
                            table.insert(mq, off);
                        }
                    }
                }
            }
        }
        Self::Local { path, table }
    }

    fn table(&self) -> &DashMap<MessageQueue, i64> {
        match self {
            Self::Remote { table, .. } | Self::Local { table, .. } => table,
        }
    }

    /// Records progress (only forward when `increase_only`).
    pub fn update(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        let t = self.table();
        let mut e = t.entry(mq.clone()).or_insert(offset);
        if !increase_only || offset > *e {
            *e = offset;
        }
    }

    /// The offset in memory, if known.
    #[must_use]
    pub fn get(&self, mq: &MessageQueue) -> Option<i64> {
        self.table().get(mq).map(|v| *v)
    }

    /// Forgets a queue (after it moved to another consumer).
    pub fn remove(&self, mq: &MessageQueue) {
        self.table().remove(mq);
    }

    /// The committed offset: from the broker (or file); `None` when the group has none yet.
    pub async fn read_stored(&self, mq: &MessageQueue) -> Result<Option<i64>> {
        match self {
            Self::Local { table, .. } => Ok(table.get(mq).map(|v| *v)),
            Self::Remote { group, instance, .. } => {
                let (addr, _) = instance
                    .broker_addr_for_read(&mq.broker_name, 0)
                    .ok_or_else(|| ClientError::Invalid(format!("no address for broker {}", mq.broker_name)))?;
                let h = QueryConsumerOffsetRequestHeader {
                    consumer_group: group.clone(),
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                    set_zero_if_not_found: None,
                };
                let req = RemotingCommand::request_with_header(RequestCode::QueryConsumerOffset, &h);
                let resp = instance.remoting().invoke(&addr, req, instance.config().api_timeout).await?;
                match resp.response_code() {
                    ResponseCode::Success => {
                        let h =
                            resp.header::<OffsetResponseHeader>().map_err(|e| ClientError::Invalid(e.to_string()))?;
                        Ok(Some(h.offset))
                    }
                    ResponseCode::QueryNotFound => Ok(None),
                    _ => Err(ClientError::broker(addr, resp.code, resp.remark)),
                }
            }
        }
    }

    /// Commits the offsets of `mqs`.
    pub async fn persist(&self, mqs: &[MessageQueue]) {
        match self {
            Self::Remote { group, instance, table } => {
                for mq in mqs {
                    let Some(offset) = table.get(mq).map(|v| *v) else { continue };
                    let Some((addr, _)) = instance.broker_addr_for_read(&mq.broker_name, 0) else { continue };
                    let h = UpdateConsumerOffsetRequestHeader {
                        consumer_group: group.clone(),
                        topic: mq.topic.clone(),
                        queue_id: mq.queue_id,
                        commit_offset: offset,
                    };
                    let req = RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &h);
                    if let Err(e) = instance.remoting().invoke_oneway(&addr, req).await {
                        tracing::debug!(%addr, cause = %e, "committing an offset failed");
                    }
                }
            }
            Self::Local { path, table } => {
                let mut parts = Vec::new();
                for e in table.iter() {
                    let key = serde_json::json!({"brokerName": e.key().broker_name, "queueId": e.key().queue_id, "topic": e.key().topic});
                    parts.push(format!("{key}:{}", e.value()));
                }
                let text = format!("{{\"offsetTable\":{{{}}}}}", parts.join(","));
                let write = || -> std::io::Result<()> {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    let tmp = path.with_extension("json.tmp");
                    std::fs::write(&tmp, text.as_bytes())?;
                    std::fs::rename(&tmp, path)
                };
                if let Err(e) = write() {
                    tracing::warn!(file = %path.display(), cause = %e, "writing local offsets failed");
                }
            }
        }
    }

    /// Commits the offsets of queues given up, then forgets them.
    pub async fn release(&self, gone: &[MessageQueue]) {
        if gone.is_empty() {
            return;
        }
        self.persist(gone).await;
        for mq in gone {
            self.remove(mq);
        }
    }
}
