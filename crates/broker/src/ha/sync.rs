//! Slave metadata sync: every 10 s (first after 3 s) the slave copies the master's topic
//! configs, consumer offsets, delay offsets and subscription groups, so a consumer switched to
//! the slave continues where it was.

use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::body::{self, SubscriptionGroupWrapper, TopicConfigSerializeWrapper};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::Broker;

/// Runs until the broker stops.
pub async fn run(broker: Arc<Broker>) {
    let mut wait = Duration::from_secs(3);
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = broker.stop.cancelled() => return,
        }
        wait = Duration::from_secs(10);
        let Some(master) = broker.master_addr.read().clone() else { continue };
        if let Err(e) = sync_once(&broker, &master).await {
            tracing::debug!(%master, cause = %e, "metadata sync from the master failed");
        }
    }
}

async fn fetch(broker: &Broker, master: &str, code: RequestCode) -> Result<String, String> {
    let resp = broker
        .namesrv_client
        .invoke(master, RemotingCommand::request(code), Duration::from_secs(3))
        .await
        .map_err(|e| e.to_string())?;
    if resp.response_code() != ResponseCode::Success {
        return Err(format!("{} answered {}", code.name(), resp.code));
    }
    Ok(String::from_utf8_lossy(&resp.body).into_owned())
}

/// One round of copying.
pub async fn sync_once(broker: &Broker, master: &str) -> Result<(), String> {
    let topics: TopicConfigSerializeWrapper =
        body::decode(fetch(broker, master, RequestCode::GetAllTopicConfig).await?.as_bytes())
            .map_err(|e| e.to_string())?;
    if topics.data_version != broker.topics.data_version() {
        broker.topics.replace_all(topics).map_err(|e| e.to_string())?;
    }
    let offsets = fetch(broker, master, RequestCode::GetAllConsumerOffset).await?;
    if broker.offsets.replace_from_json(&offsets) {
        broker.offsets.persist().map_err(|e| e.to_string())?;
    }
    let delay = fetch(broker, master, RequestCode::GetAllDelayOffset).await?;
    broker.delay_offsets.replace_from_json(&delay);
    let groups: SubscriptionGroupWrapper =
        body::decode(fetch(broker, master, RequestCode::GetAllSubscriptiongroupConfig).await?.as_bytes())
            .map_err(|e| e.to_string())?;
    broker.groups.replace_all(groups).map_err(|e| e.to_string())?;
    Ok(())
}
