//! Slave metadata sync: every 10 s (first after 3 s) the slave copies the master's topic
//! configs, consumer offsets, delay offsets, subscription groups and message request modes, so a consumer switched to
//! the slave continues where it was.

use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::body::{self, SubscriptionGroupWrapper, TopicConfigSerializeWrapper};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use tokio_util::sync::CancellationToken;

use super::learn::NamesrvTopics;
use super::slave::HaSlave;
use crate::services::schedule::ScheduleService;
use crate::state::groups::GroupTable;
use crate::state::offsets::ConsumerOffsets;
use crate::state::request_modes::RequestModeTable;
use crate::state::topics::TopicTable;

/// Copies the master's tables onto this slave.
#[derive(Debug)]
pub struct MetadataSync {
    /// Where the master is.
    pub slave: Arc<HaSlave>,
    /// Client for the master.
    pub client: RemotingClient,
    /// Topic configs to overwrite.
    pub topics: Arc<TopicTable>,
    /// Consumer offsets to overwrite.
    pub offsets: Arc<ConsumerOffsets>,
    /// Subscription groups to overwrite.
    pub groups: Arc<GroupTable>,
    /// PULL/POP modes to overwrite.
    pub request_modes: Arc<RequestModeTable>,
    /// Delay offsets to overwrite.
    pub schedule: Arc<ScheduleService>,
    /// Where topics are learned while the master cannot be reached.
    pub namesrv: NamesrvTopics,
    /// Cancelled at shutdown.
    pub stop: CancellationToken,
}

impl MetadataSync {
    /// Runs until the broker stops.
    pub async fn run(self) {
        let mut wait = Duration::from_secs(3);
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.stop.cancelled() => return,
            }
            wait = Duration::from_secs(10);
            let Some(master) = self.slave.master_addr() else {
                self.namesrv.learn(&self.topics).await;
                continue;
            };
            if let Err(e) = self.sync_once(&master).await {
                tracing::debug!(%master, cause = %e, "metadata sync from the master failed");
                self.namesrv.learn(&self.topics).await;
            }
        }
    }

    async fn fetch(&self, master: &str, code: RequestCode) -> Result<String, String> {
        let resp = self
            .client
            .invoke(master, RemotingCommand::request(code), Duration::from_secs(3))
            .await
            .map_err(|e| e.to_string())?;
        if resp.response_code() != ResponseCode::Success {
            return Err(format!("{} answered {}", code.name(), resp.code));
        }
        Ok(String::from_utf8_lossy(&resp.body).into_owned())
    }

    /// One round of copying.
    pub async fn sync_once(&self, master: &str) -> Result<(), String> {
        let topics: TopicConfigSerializeWrapper =
            body::decode(self.fetch(master, RequestCode::GetAllTopicConfig).await?.as_bytes())
                .map_err(|e| e.to_string())?;
        if topics.data_version != self.topics.data_version() {
            self.topics.replace_all(topics);
        }
        let offsets = self.fetch(master, RequestCode::GetAllConsumerOffset).await?;
        if self.offsets.replace_from_json(&offsets) {
            self.offsets.schedule_save();
        }
        let delay = self.fetch(master, RequestCode::GetAllDelayOffset).await?;
        self.schedule.replace_offsets_from_json(&delay);
        let groups: SubscriptionGroupWrapper =
            body::decode(self.fetch(master, RequestCode::GetAllSubscriptiongroupConfig).await?.as_bytes())
                .map_err(|e| e.to_string())?;
        self.groups.replace_all(groups);
        let modes = body::decode(self.fetch(master, RequestCode::GetAllMessageRequestMode).await?.as_bytes())
            .map_err(|e| e.to_string())?;
        self.request_modes.replace_all(modes).map_err(|e| e.to_string())?;
        Ok(())
    }
}
