//! Admin codes for topics, groups and broker config (what the official mqadmin sends).

use rmq_remoting::body::{SubscriptionGroupConfig, TopicConfigAndMappingSerializeWrapper, TopicFilterType, TopicList};
use rmq_remoting::header::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, GetBrokerConfigResponseHeader,
    GetSubscriptionGroupConfigRequestHeader, GetTopicConfigRequestHeader, QueryTopicsByConsumerRequestHeader,
    TopicRequestHeader,
};
use rmq_remoting::RemotingCommand;

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::state::topics::{system, topic_config, validate_topic_name};

/// UPDATE_AND_CREATE_TOPIC.
pub async fn create_topic(ctx: &BrokerContext, h: CreateTopicRequestHeader) -> HandlerResult {
    validate_topic_name(&h.topic).map_err(BrokerError::Invalid)?;
    if h.topic == ctx.config.identity.broker_cluster_name {
        return Err(BrokerError::Invalid(format!("the topic[{}] is conflict with system reserved words", h.topic)));
    }
    if h.read_queue_nums <= 0 || h.write_queue_nums <= 0 || h.read_queue_nums > 1024 || h.write_queue_nums > 1024 {
        return Err(BrokerError::Invalid("read and write queue numbers must be within 1..=1024".into()));
    }
    let mut cfg = topic_config(&h.topic, h.read_queue_nums, h.write_queue_nums, h.perm);
    cfg.topic_filter_type = TopicFilterType::from_name(&h.topic_filter_type).unwrap_or_default();
    cfg.topic_sys_flag = h.topic_sys_flag.unwrap_or(0);
    cfg.order = h.order;
    let generation = ctx.tables.topics.upsert(cfg);
    ctx.tables
        .topics
        .saved(generation)
        .await
        .map_err(|e| BrokerError::System(format!("topics.json not saved: {e}")))?;
    Ok(RemotingCommand::success())
}

/// DELETE_TOPIC_IN_BROKER: the config, its consume queues and the offsets on it.
pub fn delete_topic(ctx: &BrokerContext, h: TopicRequestHeader) -> HandlerResult {
    if system::is_not_sendable(&h.topic) {
        return Err(BrokerError::Invalid(format!("system topic {} cannot be deleted", h.topic)));
    }
    ctx.tables.topics.delete(&h.topic);
    ctx.tables.offsets.remove_topic(&h.topic);
    ctx.store.delete_topic(&h.topic);
    Ok(RemotingCommand::success())
}

/// GET_ALL_TOPIC_CONFIG: the 5.x `TopicConfigAndMappingSerializeWrapper`, with the topic count
/// in the `totalTopicNum` header field (as 5.x).
pub fn all_topic_config(ctx: &BrokerContext) -> HandlerResult {
    let wrapper = TopicConfigAndMappingSerializeWrapper::from(ctx.tables.topics.wrapper());
    let total = wrapper.topic_config_table.len();
    let body = serde_json::to_vec(&wrapper).unwrap_or_default();
    Ok(RemotingCommand::success().with_ext("totalTopicNum", total.to_string()).with_body(body))
}

/// GET_TOPIC_NAME_LIST / GET_SYSTEM_TOPIC_LIST_FROM_BROKER.
pub fn topic_names(ctx: &BrokerContext, system_only: bool) -> HandlerResult {
    let names = ctx.tables.topics.names().into_iter().filter(|t| !system_only || system::is_system(t));
    let list = TopicList { topic_list: names.collect(), broker_addr: Some(ctx.config.broker_addr()) };
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&list).unwrap_or_default()))
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
pub async fn create_group(ctx: &BrokerContext, cfg: SubscriptionGroupConfig) -> HandlerResult {
    validate_topic_name(&cfg.group_name).map_err(|e| BrokerError::Invalid(e.replace("topic", "group")))?;
    let generation = ctx.tables.groups.upsert(cfg);
    let saved = ctx.tables.groups.saved(generation).await;
    saved.map_err(|e| BrokerError::System(format!("subscriptionGroup.json not saved: {e}")))?;
    Ok(RemotingCommand::success())
}

/// DELETE_SUBSCRIPTIONGROUP.
pub fn delete_group(ctx: &BrokerContext, h: DeleteSubscriptionGroupRequestHeader) -> HandlerResult {
    ctx.tables.groups.delete(&h.group_name);
    if h.remove_offset.unwrap_or(false) {
        ctx.tables.offsets.remove_group(&h.group_name);
    }
    Ok(RemotingCommand::success())
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG, with the group count in the `totalGroupNum` header field
/// (as 5.x).
pub fn all_groups(ctx: &BrokerContext) -> HandlerResult {
    let wrapper = ctx.tables.groups.wrapper();
    let total = wrapper.subscription_group_table.len();
    Ok(RemotingCommand::success()
        .with_ext("totalGroupNum", total.to_string())
        .with_body(serde_json::to_vec(&wrapper).unwrap_or_default()))
}

/// QUERY_TOPICS_BY_CONSUMER (5.x): the topics a group has offsets for or subscribes to here.
pub fn topics_by_consumer(ctx: &BrokerContext, h: QueryTopicsByConsumerRequestHeader) -> HandlerResult {
    let mut topics = ctx.tables.offsets.topics_of_group(&h.group);
    if let Some(g) = ctx.tables.clients.consumer_group(&h.group) {
        topics.extend(g.subscriptions.keys().cloned());
    }
    topics.sort();
    topics.dedup();
    let list = TopicList { topic_list: topics, broker_addr: Some(ctx.config.broker_addr()) };
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&list).unwrap_or_default()))
}

/// Keys the official tools read from GET_BROKER_CONFIG that we do not configure, with the value
/// that describes this broker (`mqadmin exportConfigs`, `exportMetrics`): no filter servers, no
/// TLS, and the callback thread count a Java broker would report (its CPU count).
fn reported_only_config() -> Vec<(&'static str, String)> {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    vec![
        ("filterServerNums", "0".to_owned()),
        ("useTLS", "false".to_owned()),
        ("clientCallbackExecutorThreads", cpus.to_string()),
    ]
}

/// GET_BROKER_CONFIG: the effective config as properties text.
pub fn broker_config(ctx: &BrokerContext) -> HandlerResult {
    let mut pairs = ctx.live.get().to_pairs();
    pairs.extend(reported_only_config());
    let text = crate::config::render(&pairs);
    let version = serde_json::to_string(&ctx.tables.topics.data_version()).unwrap_or_default();
    Ok(RemotingCommand::success().with_header(&GetBrokerConfigResponseHeader { version }).with_body(text.into_bytes()))
}

/// UPDATE_BROKER_CONFIG: the keys of [`crate::config::live::LIVE_KEYS`] change at once and are
/// persisted to the broker's own properties file; any other key, or a bad value, is refused
/// with its name and nothing changes.
pub fn update_broker_config(ctx: &BrokerContext, body: &[u8]) -> HandlerResult {
    let pairs = crate::config::parse_properties(&String::from_utf8_lossy(body));
    let next = ctx.live.update(&pairs).map_err(|e| BrokerError::Invalid(e.to_string()))?;
    tracing::info!(changes = ?pairs, "broker config updated");
    let changed = |keys: &[&str]| keys.iter().any(|k| pairs.contains_key(*k));
    let store = crate::store_config::store_config(&next);
    if changed(&["fileReservedTime", "deleteWhen", "diskMaxUsedSpaceRatio"]) {
        let r = store.retention;
        ctx.store.set_retention(r.file_reserved_time, r.delete_when, r.disk_max_used_ratio);
    }
    if changed(&["flushIntervalCommitLog"]) {
        ctx.store.set_flush_interval(store.flush.interval);
    }
    if changed(&["maxMessageSize"]) {
        ctx.store.set_max_message_size(store.max_message_size);
    }
    if changed(&["brokerPermission"]) {
        ctx.tables.topics.touch()?;
    }
    Ok(RemotingCommand::success())
}

/// GET_TOPIC_CONFIG (5.x): one topic's config (TopicConfigAndQueueMapping without a mapping).
pub fn one_topic_config(ctx: &BrokerContext, h: GetTopicConfigRequestHeader) -> HandlerResult {
    let cfg = ctx.tables.topics.get(&h.topic).ok_or_else(|| BrokerError::TopicNotExist(h.topic.clone()))?;
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&cfg).unwrap_or_default()))
}

/// GET_SUBSCRIPTIONGROUP_CONFIG (5.x): one group's config. As the official broker
/// (`SubscriptionGroupManager.findSubscriptionGroupConfig`), an unknown group with a valid name
/// is created here when `autoCreateSubscriptionGroup` is on: the official proxy asks this for
/// every consumer group before it pops.
pub fn group_config(ctx: &BrokerContext, h: GetSubscriptionGroupConfigRequestHeader) -> HandlerResult {
    let auto_create = ctx.live.get().topics.auto_create_subscription_group && validate_topic_name(&h.group).is_ok();
    let cfg = ctx
        .tables
        .groups
        .get_or_create(&h.group, auto_create)
        .ok_or_else(|| BrokerError::GroupNotExist(h.group.clone()))?;
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&cfg).unwrap_or_default()))
}
