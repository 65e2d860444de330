//! Consumer group settings the SDKs get from the proxy, as the official proxy derives them from
//! the broker's subscription group config: FIFO (`consumeMessageOrderly`), the receive batch
//! and long polling of push consumers, and the retry backoff (`retryMaxTimes`, the delay
//! levels).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use rmq_client::ClientInstance;
use rmq_remoting::body::SubscriptionGroupConfig;
use rmq_remoting::header::GetSubscriptionGroupConfigRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::pb::{retry_policy::Strategy, settings::PubSub, CustomizedBackoff, RetryPolicy, Settings};
use crate::receive::{MAX_BATCH, MAX_POLL_MS};

/// How long a group's config is reused before it is asked again.
const CACHE_FOR: Duration = Duration::from_secs(3);

/// The broker's default retry delays (`messageDelayLevel` from level 3: 10 s ... 2 h).
const BACKOFF_SECS: [i64; 16] = [10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200];

fn cache() -> &'static DashMap<String, (Instant, Option<SubscriptionGroupConfig>)> {
    static CACHE: OnceLock<DashMap<String, (Instant, Option<SubscriptionGroupConfig>)>> = OnceLock::new();
    CACHE.get_or_init(DashMap::new)
}

/// The group's config from a master broker (cached briefly); `None` when no broker knows it.
pub async fn config(
    cluster: &ClientInstance,
    broker_addr: Option<String>,
    group: &str,
) -> Option<SubscriptionGroupConfig> {
    if let Some(hit) = cache().get(group).filter(|e| e.0.elapsed() < CACHE_FOR) {
        return hit.1.clone();
    }
    let addr = broker_addr.or_else(|| cluster.all_broker_addrs().into_iter().find(|b| b.1 == 0).map(|b| b.2))?;
    let h = GetSubscriptionGroupConfigRequestHeader { group: group.to_owned() };
    let req = RemotingCommand::request_with_header(RequestCode::GetSubscriptiongroupConfig, &h);
    let found = match cluster.invoke_ok(&addr, req).await {
        Ok(resp) => rmq_remoting::body::decode::<SubscriptionGroupConfig>(&resp.body).ok(),
        Err(_) => None,
    };
    cache().insert(group.to_owned(), (Instant::now(), found.clone()));
    found
}

/// Whether the group consumes in order (FIFO).
pub async fn is_fifo(cluster: &ClientInstance, broker_addr: Option<String>, group: &str) -> bool {
    config(cluster, broker_addr, group).await.is_some_and(|c| c.consume_message_orderly)
}

/// A consumer's settings with the group's: FIFO, batch size, long polling and backoff.
pub async fn fill_subscription(cluster: &ClientInstance, mut s: Settings) -> Settings {
    let Some(PubSub::Subscription(sub)) = s.pub_sub.as_mut() else { return s };
    let group = sub.group.as_ref().map(|g| g.name.clone()).unwrap_or_default();
    for topic in sub.subscriptions.iter().filter_map(|e| e.topic.as_ref()) {
        let _ = cluster.update_route(&topic.name).await;
    }
    let cfg = config(cluster, None, &group).await.unwrap_or_default();
    sub.fifo = Some(cfg.consume_message_orderly);
    sub.receive_batch_size = Some(MAX_BATCH);
    sub.long_polling_timeout = Some(prost_types::Duration { seconds: MAX_POLL_MS / 1000, nanos: 0 });
    s.backoff_policy = Some(backoff(cfg.retry_max_times));
    s
}

/// The retry policy of a group: its retries plus the first delivery, the delay levels.
#[must_use]
pub fn backoff(retry_max_times: i32) -> RetryPolicy {
    let next = BACKOFF_SECS.iter().map(|s| prost_types::Duration { seconds: *s, nanos: 0 }).collect();
    RetryPolicy {
        max_attempts: retry_max_times.saturating_add(1),
        strategy: Some(Strategy::CustomizedBackoff(CustomizedBackoff { next })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_counts_the_first_delivery() {
        let p = backoff(16);
        assert_eq!(p.max_attempts, 17);
        let Some(Strategy::CustomizedBackoff(c)) = p.strategy else { panic!("customized") };
        assert_eq!(c.next.first().map(|d| d.seconds), Some(10));
    }
}
