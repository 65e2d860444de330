//! Producers and consumers known from heartbeats, by group, with their connections.
//!
//! A client is identified per connection: the same client id may reconnect. Entries expire when
//! their connection closes or after `CHANNEL_EXPIRED` without a heartbeat.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use rmq_remoting::body::{ConsumeFromWhere, ConsumeType, ConsumerData, MessageModel, SubscriptionData};
use rmq_remoting::header::ConsumerGroupRequestHeader;
use rmq_remoting::transport::Channel;
use rmq_remoting::{LanguageCode, RemotingCommand, RequestCode};

/// Silence after which a client is dropped.
pub const CHANNEL_EXPIRED: Duration = Duration::from_secs(120);

/// One client connection in a group.
#[derive(Debug, Clone)]
pub struct ClientChannel {
    /// The connection.
    pub channel: Channel,
    /// `ip@instance`.
    pub client_id: String,
    /// Client language.
    pub language: LanguageCode,
    /// Client version ordinal.
    pub version: i32,
    /// Last heartbeat.
    pub last_update: Instant,
}

/// A consumer group: its members and the subscription they share.
#[derive(Debug, Clone, Default)]
pub struct ConsumerGroup {
    /// Members by connection id.
    pub channels: HashMap<u64, ClientChannel>,
    /// Subscriptions by topic (from the latest heartbeat).
    pub subscriptions: HashMap<String, SubscriptionData>,
    /// Pull, push or POP.
    pub consume_type: ConsumeType,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// Start position for a new group.
    pub consume_from_where: ConsumeFromWhere,
}

impl ConsumerGroup {
    /// Client ids of the members, sorted.
    #[must_use]
    pub fn client_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.channels.values().map(|c| c.client_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// The broker's view of connected clients.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    producers: RwLock<HashMap<String, HashMap<u64, ClientChannel>>>,
    consumers: RwLock<HashMap<String, ConsumerGroup>>,
}

/// Identity of the connection a heartbeat arrived on.
#[derive(Debug, Clone)]
pub struct ClientIdentity<'a> {
    /// The connection.
    pub channel: &'a Channel,
    /// Client id.
    pub client_id: &'a str,
    /// Language.
    pub language: LanguageCode,
    /// Version.
    pub version: i32,
}

impl ClientRegistry {
    fn entry(who: &ClientIdentity<'_>) -> ClientChannel {
        ClientChannel {
            channel: who.channel.clone(),
            client_id: who.client_id.to_owned(),
            language: who.language,
            version: who.version,
            last_update: Instant::now(),
        }
    }

    /// Every producer connection's (language, version), for the connection gauges.
    #[must_use]
    pub fn producer_connections(&self) -> Vec<(LanguageCode, i32)> {
        self.producers.read().values().flat_map(|m| m.values().map(|c| (c.language, c.version))).collect()
    }

    /// Every consumer connection's (group, language, version, consume type).
    #[must_use]
    pub fn consumer_connections(&self) -> Vec<(String, LanguageCode, i32, ConsumeType)> {
        let consumers = self.consumers.read();
        let each = |(g, c): (&String, &ConsumerGroup)| {
            c.channels.values().map(move |ch| (g.clone(), ch.language, ch.version, c.consume_type)).collect::<Vec<_>>()
        };
        consumers.iter().flat_map(each).collect()
    }

    /// Records a producer group member.
    pub fn register_producer(&self, group: &str, who: &ClientIdentity<'_>) {
        self.producers.write().entry(group.to_owned()).or_default().insert(who.channel.id(), Self::entry(who));
    }

    /// Records a consumer group member; true when the group's membership or subscription changed
    /// (the caller then notifies the group).
    pub fn register_consumer(&self, data: &ConsumerData, who: &ClientIdentity<'_>) -> bool {
        let mut consumers = self.consumers.write();
        let group = consumers.entry(data.group_name.clone()).or_default();
        let new_member = group.channels.insert(who.channel.id(), Self::entry(who)).is_none();
        let subs: HashMap<String, SubscriptionData> =
            data.subscription_data_set.iter().map(|s| (s.topic.clone(), s.clone())).collect();
        let subs_changed = subs.len() != group.subscriptions.len()
            || subs.iter().any(|(t, s)| group.subscriptions.get(t).is_none_or(|old| old.sub_string != s.sub_string));
        // Keep the highest sub version per topic, as pulls compare against it.
        let mut merged = subs;
        for (topic, sub) in &mut merged {
            if let Some(old) = group.subscriptions.get(topic) {
                if old.sub_string == sub.sub_string && old.sub_version > sub.sub_version {
                    sub.sub_version = old.sub_version;
                }
            }
        }
        group.subscriptions = merged;
        group.consume_type = data.consume_type;
        group.message_model = data.message_model;
        group.consume_from_where = data.consume_from_where;
        new_member || subs_changed
    }

    /// Removes a client from a producer group (UNREGISTER_CLIENT).
    pub fn unregister_producer(&self, group: &str, channel: &Channel) {
        let mut producers = self.producers.write();
        if let Some(g) = producers.get_mut(group) {
            g.remove(&channel.id());
            if g.is_empty() {
                producers.remove(group);
            }
        }
    }

    /// Removes a client from a consumer group; true when it was a member.
    pub fn unregister_consumer(&self, group: &str, channel: &Channel) -> bool {
        let mut consumers = self.consumers.write();
        let Some(g) = consumers.get_mut(group) else { return false };
        let removed = g.channels.remove(&channel.id()).is_some();
        if g.channels.is_empty() {
            consumers.remove(group);
        }
        removed
    }

    /// Drops a closed connection everywhere; returns the consumer groups it left.
    pub fn channel_closed(&self, channel: &Channel) -> Vec<String> {
        let id = channel.id();
        self.producers.write().retain(|_, g| {
            g.remove(&id);
            !g.is_empty()
        });
        let mut left = Vec::new();
        self.consumers.write().retain(|name, g| {
            if g.channels.remove(&id).is_some() {
                left.push(name.clone());
            }
            !g.channels.is_empty()
        });
        left
    }

    /// Drops members silent for longer than `max_idle`; returns the consumer groups that changed.
    pub fn expire(&self, max_idle: Duration) -> Vec<String> {
        let now = Instant::now();
        let stale = |c: &ClientChannel| now.duration_since(c.last_update) > max_idle;
        self.producers.write().retain(|_, g| {
            g.retain(|_, c| !stale(c));
            !g.is_empty()
        });
        let mut changed = Vec::new();
        self.consumers.write().retain(|name, g| {
            let before = g.channels.len();
            g.channels.retain(|_, c| {
                if stale(c) {
                    c.channel.close();
                    false
                } else {
                    true
                }
            });
            if g.channels.len() != before {
                changed.push(name.clone());
            }
            !g.channels.is_empty()
        });
        changed
    }

    /// A snapshot of a consumer group.
    #[must_use]
    pub fn consumer_group(&self, group: &str) -> Option<ConsumerGroup> {
        self.consumers.read().get(group).cloned()
    }

    /// The subscription of `group` to `topic`, from heartbeats.
    #[must_use]
    pub fn subscription(&self, group: &str, topic: &str) -> Option<SubscriptionData> {
        self.consumers.read().get(group).and_then(|g| g.subscriptions.get(topic).cloned())
    }

    /// Names of all consumer groups online.
    #[must_use]
    pub fn consumer_group_names(&self) -> Vec<String> {
        self.consumers.read().keys().cloned().collect()
    }

    /// Members of a producer group.
    #[must_use]
    pub fn producer_group(&self, group: &str) -> Vec<ClientChannel> {
        self.producers.read().get(group).map(|g| g.values().cloned().collect()).unwrap_or_default()
    }

    /// The connection of the producer client `client_id` (any group): the one that sent the
    /// latest heartbeat, as RocketMQ's `ProducerManager.findChannel`.
    #[must_use]
    pub fn find_producer_channel(&self, client_id: &str) -> Option<ClientChannel> {
        self.producers
            .read()
            .values()
            .flat_map(HashMap::values)
            .filter(|c| c.client_id == client_id && !c.channel.is_closed())
            .max_by_key(|c| c.last_update)
            .cloned()
    }

    /// The connection of a consumer client in `group`.
    #[must_use]
    pub fn find_consumer(&self, group: &str, client_id: &str) -> Option<ClientChannel> {
        self.consumers.read().get(group).and_then(|g| g.channels.values().find(|c| c.client_id == client_id).cloned())
    }

    /// The member of `group` on connection `channel_id`.
    #[must_use]
    pub fn member_on(&self, group: &str, channel_id: u64) -> Option<ClientChannel> {
        self.consumers.read().get(group).and_then(|g| g.channels.get(&channel_id).cloned())
    }

    /// Takes `sub` as the group's subscription of its topic when it is newer than the one
    /// registered (a subscription read back from a member, between two heartbeats).
    pub fn refresh_subscription(&self, group: &str, sub: SubscriptionData) {
        let mut consumers = self.consumers.write();
        let Some(g) = consumers.get_mut(group) else { return };
        let newer = g.subscriptions.get(&sub.topic).is_none_or(|old| old.sub_version < sub.sub_version);
        if newer {
            g.subscriptions.insert(sub.topic.clone(), sub);
        }
    }

    /// Groups consuming `topic`.
    #[must_use]
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        self.consumers
            .read()
            .iter()
            .filter(|(_, g)| g.subscriptions.contains_key(topic))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Tells every consumer of `group` that membership changed (one-way, in the background),
    /// so they rebalance.
    pub fn notify_consumer_ids_changed(&self, group: &str) {
        let Some(g) = self.consumer_group(group) else { return };
        let header = ConsumerGroupRequestHeader { consumer_group: group.to_owned() };
        for member in g.channels.values() {
            let ch = member.channel.clone();
            let request = RemotingCommand::request_with_header(RequestCode::NotifyConsumerIdsChanged, &header);
            tokio::spawn(async move {
                if let Err(e) = ch.invoke_oneway(request).await {
                    tracing::debug!(peer = %ch.peer_addr(), cause = %e, "notify consumer ids changed failed");
                }
            });
        }
    }
}
