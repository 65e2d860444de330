//! Reading a consumer's current subscription back from it (GET_CONSUMER_RUNNING_INFO) when one
//! of its pulls names a newer subscription version than its heartbeats registered.
//!
//! The Java 4.x and 5.x push consumers stamp a new version on a subscription whenever their
//! rebalance result changes, then send a heartbeat under a try-lock; when the periodic
//! heartbeat holds that lock (both fire about a second after start), the new version reaches
//! no broker until the next heartbeat, 30 s later. For a TAG subscription the pull is served
//! without a broker-side filter (the client filters tags itself, see `pull.rs`); a SQL92
//! subscription is filtered only here, so instead the broker asks the pulling client for its
//! subscriptions, registers the current one and serves the pull with it. A client that does
//! not answer, or answers an older version, keeps RocketMQ's SUBSCRIPTION_NOT_LATEST.

use std::time::Duration;

use rmq_remoting::body::SubscriptionData;
use rmq_remoting::header::{GetConsumerRunningInfoRequestHeader, PullMessageRequestHeader};
use rmq_remoting::transport::Channel;
use rmq_remoting::{RemotingCommand, RequestCode};
use serde::Deserialize;

use crate::context::BrokerContext;

/// How long the broker waits for the client's answer before refusing the pull.
const ASK_TIMEOUT: Duration = Duration::from_secs(3);

/// The part of a ConsumerRunningInfo body read here.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RunningSubscriptions {
    subscription_set: Vec<SubscriptionData>,
}

/// The subscription of the pull's topic that its client holds now, registered for the group,
/// when it is at least as new as the pull's `subVersion`.
pub(crate) async fn from_client(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &PullMessageRequestHeader,
) -> Option<SubscriptionData> {
    let member = ctx.tables.clients.member_on(&h.consumer_group, channel.id())?;
    let header = GetConsumerRunningInfoRequestHeader {
        consumer_group: h.consumer_group.clone(),
        client_id: member.client_id.clone(),
        jstack_enable: Some(false),
    };
    let request = RemotingCommand::request_with_header(RequestCode::GetConsumerRunningInfo, &header);
    let answer = match channel.invoke(request, ASK_TIMEOUT).await {
        Ok(a) if a.code == 0 => a,
        Ok(a) => return refused(h, &format!("code {}", a.code)),
        Err(e) => return refused(h, &e.to_string()),
    };
    let info: RunningSubscriptions = rmq_remoting::body::decode(&answer.body).ok()?;
    let sub = info.subscription_set.into_iter().find(|s| s.topic == h.topic)?;
    if sub.sub_version < h.sub_version.unwrap_or(0) {
        return None;
    }
    tracing::info!(
        group = %h.consumer_group,
        topic = %h.topic,
        client = %member.client_id,
        version = sub.sub_version,
        "subscription newer than the heartbeat's read back from the consumer"
    );
    ctx.tables.clients.refresh_subscription(&h.consumer_group, sub.clone());
    Some(sub)
}

fn refused(h: &PullMessageRequestHeader, cause: &str) -> Option<SubscriptionData> {
    tracing::debug!(group = %h.consumer_group, topic = %h.topic, cause, "the consumer did not give its subscription");
    None
}
