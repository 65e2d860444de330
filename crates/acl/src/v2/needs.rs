//! What each request code needs under ACL 2.0: resources and actions, as RocketMQ 5.3's
//! `DefaultAuthorizationContextBuilder` derives them (hand-written cases for sends, pulls,
//! offsets, heartbeats and locks; the `@RocketMQAction` / `@RocketMQResource` annotations of
//! the request headers for the rest, in `TABLE`). A topic field naming a retry topic means
//! its group. Stricter than 5.3 where 5.3 checks nothing: the reply sends and lite pulls are
//! checked like sends and pulls, and codes ACL 1.0 reserves to admins that 5.3 leaves
//! unannotated (broker config, group creation, ...) need `Update` on the cluster.

use rmq_common::topic::RETRY_PREFIX;
use rmq_remoting::body::{HeartbeatData, LockBatchRequestBody};
use rmq_remoting::{RemotingCommand, RequestCode};

use super::eval::Need;
use super::model::{Action, Resource, ResourceType};
use Action::{Create, Delete, Get, Pub, Sub, Update};

/// A header field naming a resource: its type, key and list separator (if a list).
type Field = (ResourceType, &'static str, Option<char>);

/// One annotated header: code, whether its resource is the cluster when no field names one,
/// the actions, the fields.
type Row = (RequestCode, bool, &'static [Action], &'static [Field]);

const T: ResourceType = ResourceType::Topic;
const G: ResourceType = ResourceType::Group;
const CL: ResourceType = ResourceType::Cluster;

/// The annotated headers (RocketMQ 5.3's `@RocketMQAction` values).
const TABLE: &[Row] = {
    use RequestCode as C;
    &[
        (C::AckMessage, false, &[Sub], &[(G, "consumerGroup", None), (T, "topic", None)]),
        (C::BatchAckMessage, false, &[Sub], &[]),
        (C::ChangeMessageInvisibletime, false, &[Sub], &[(G, "consumerGroup", None), (T, "topic", None)]),
        (C::PopMessage, false, &[Sub], &[(G, "consumerGroup", None), (T, "topic", None)]),
        (C::PeekMessage, false, &[Sub], &[(T, "topic", None), (G, "consumerGroup", None)]),
        (C::Notification, false, &[Sub], &[(G, "consumerGroup", None), (T, "topic", None)]),
        (C::PollingInfo, false, &[Get], &[(G, "consumerGroup", None), (T, "topic", None)]),
        (C::CheckTransactionState, false, &[Pub], &[(T, "topic", None)]),
        (C::RecallMessage, false, &[Pub], &[(T, "topic", None)]),
        (C::CloneGroupOffset, false, &[Update], &[(G, "destGroup", None), (T, "topic", None)]),
        (C::ConsumeMessageDirectly, false, &[Sub], &[(G, "consumerGroup", None), (T, "topic", None)]),
        (C::PushReplyMessageToClient, false, &[Sub], &[(G, "producerGroup", None), (T, "topic", None)]),
        (C::UpdateAndCreateTopic, false, &[Create], &[(T, "topic", None)]),
        (C::DeleteTopicInBroker, false, &[Delete], &[(T, "topic", None)]),
        (C::DeleteSubscriptiongroup, false, &[Delete], &[(G, "groupName", None)]),
        (C::GetBrokerMemberGroup, false, &[Get], &[(CL, "clusterName", None)]),
        (
            C::GetConsumeStats,
            false,
            &[Get],
            &[(G, "consumerGroup", None), (T, "topic", None), (T, "topicList", Some(';'))],
        ),
        (C::GetConsumerConnectionList, false, &[Get], &[(G, "consumerGroup", None)]),
        (C::GetConsumerRunningInfo, false, &[Get], &[(G, "consumerGroup", None)]),
        (C::InvokeBrokerToGetConsumerStatus, false, &[Get], &[(T, "topic", None), (G, "group", None)]),
        (C::InvokeBrokerToResetOffset, false, &[Update], &[(G, "group", None), (T, "topic", None)]),
        (C::GetEarliestMsgStoretime, false, &[Get], &[(T, "topic", None)]),
        (C::GetMaxOffset, false, &[Get], &[(T, "topic", None)]),
        (C::GetMinOffset, false, &[Get], &[(T, "topic", None)]),
        (C::SearchOffsetByTimestamp, false, &[Get], &[(T, "topic", None)]),
        (C::GetSubscriptiongroupConfig, false, &[Get], &[(G, "group", None)]),
        (C::GetTopicConfig, false, &[Get], &[(T, "topic", None)]),
        (C::GetTopicStatsInfo, false, &[Get], &[(T, "topic", None)]),
        (C::CheckRocksdbCqWriteProgress, false, &[Get], &[(T, "topic", None)]),
        (C::NotifyConsumerIdsChanged, false, &[Sub], &[(G, "consumerGroup", None)]),
        (C::QueryConsumeQueue, false, &[Get], &[(T, "topic", None), (G, "consumerGroup", None)]),
        (C::QueryConsumeTimeSpan, false, &[Get], &[(T, "topic", None), (G, "group", None)]),
        (
            C::QueryCorrectionOffset,
            false,
            &[Get],
            &[(G, "filterGroups", Some(',')), (G, "compareGroup", None), (T, "topic", None)],
        ),
        (C::QuerySubscriptionByConsumer, false, &[Get], &[(G, "group", None), (T, "topic", None)]),
        (C::QueryTopicConsumeByWho, false, &[Get], &[(T, "topic", None)]),
        (C::QueryTopicsByConsumer, false, &[Get], &[(G, "group", None)]),
        (C::ResumeCheckHalfMessage, false, &[Update], &[(T, "topic", None)]),
        (C::UpdateAndGetGroupForbidden, false, &[Update], &[(G, "group", None), (T, "topic", None)]),
        (C::ViewMessageById, false, &[Get], &[(T, "topic", None)]),
        (C::GetAllProducerInfo, true, &[Get], &[]),
        (C::GetBrokerConsumeStats, true, &[Get], &[]),
        (C::GetProducerConnectionList, true, &[Get], &[]),
        (C::ViewBrokerStatsData, true, &[Get], &[]),
        (C::ExportRocksdbConfigToJson, true, &[Get], &[]),
        (C::AddBroker, true, &[Update], &[]),
        (C::RemoveBroker, true, &[Update], &[(CL, "brokerClusterName", None)]),
        (C::ExchangeBrokerHaInfo, true, &[Update], &[]),
        (C::NotifyBrokerRoleChanged, true, &[Update], &[]),
        (C::NotifyMinBrokerIdChange, true, &[Update], &[]),
        (C::ResetMasterFlushOffset, true, &[Update], &[]),
        (C::AuthCreateUser, true, &[Update], &[]),
        (C::AuthUpdateUser, true, &[Update], &[]),
        (C::AuthDeleteUser, true, &[Update], &[]),
        (C::AuthGetUser, true, &[Get], &[]),
        (C::AuthListUser, true, &[Get], &[]),
        (C::AuthCreateAcl, true, &[Update], &[]),
        (C::AuthUpdateAcl, true, &[Update], &[]),
        (C::AuthDeleteAcl, true, &[Update], &[]),
        (C::AuthGetAcl, true, &[Get], &[]),
        (C::AuthListAcl, true, &[Get], &[]),
    ]
};

/// What `req` needs; `cluster` names this broker's cluster. Unreadable bodies are an error.
pub fn needs(req: &RemotingCommand, cluster: &str) -> Result<Vec<Need>, String> {
    let field = |k: &str| req.ext_fields.get(k).filter(|v| !v.trim().is_empty()).map(str::to_owned);
    let mut out = Vec::new();
    use RequestCode as C;
    match req.request_code() {
        C::SendMessage | C::SendReplyMessage => send(&mut out, field("topic"), field("producerGroup")),
        C::SendMessageV2 | C::SendBatchMessage | C::SendReplyMessageV2 => send(&mut out, field("b"), field("a")),
        C::EndTransaction => topic(&mut out, field("topic"), &[Pub]),
        C::ConsumerSendMsgBack => group(&mut out, field("group"), &[Sub]),
        C::PullMessage | C::LitePullMessage => consumer(&mut out, field("topic"), field("consumerGroup"), &[Sub]),
        C::QueryMessage => topic(&mut out, field("topic"), &[Sub, Get]),
        C::HeartBeat => heartbeat(&mut out, req)?,
        C::UnregisterClient => group(&mut out, field("consumerGroup"), &[Sub]),
        C::GetConsumerListByGroup => group(&mut out, field("consumerGroup"), &[Sub, Get]),
        C::QueryConsumerOffset => consumer(&mut out, field("topic"), field("consumerGroup"), &[Sub, Get]),
        C::UpdateConsumerOffset => consumer(&mut out, field("topic"), field("consumerGroup"), &[Sub, Update]),
        C::LockBatchMq | C::UnlockBatchMq => locks(&mut out, req)?,
        code => annotated(&mut out, code, req, cluster),
    }
    Ok(out)
}

fn annotated(out: &mut Vec<Need>, code: RequestCode, req: &RemotingCommand, cluster: &str) {
    let Some((_, on_cluster, actions, fields)) = TABLE.iter().find(|row| row.0 == code) else {
        if crate::resource::is_admin(code) {
            out.push(Need::new(Resource::literal(CL, cluster), &[Update]));
        }
        return;
    };
    for (kind, key, splitter) in *fields {
        let Some(value) = req.ext_fields.get(key) else { continue };
        let values: Vec<&str> = match splitter {
            Some(sep) => value.split(*sep).filter(|v| !v.is_empty()).collect(),
            None => vec![value],
        };
        for v in values {
            let resource = if *kind == T && v.starts_with(RETRY_PREFIX) {
                Resource::group(v)
            } else {
                Resource::literal(*kind, v)
            };
            out.push(Need::new(resource, actions));
        }
    }
    if out.is_empty() && *on_cluster {
        out.push(Need::new(Resource::literal(CL, cluster), actions));
    }
}

fn topic(out: &mut Vec<Need>, topic: Option<String>, actions: &[Action]) {
    if let Some(t) = topic {
        out.push(Need::new(Resource::literal(T, &t), actions));
    }
}

fn group(out: &mut Vec<Need>, group: Option<String>, actions: &[Action]) {
    if let Some(g) = group {
        out.push(Need::new(Resource::group(&g), actions));
    }
}

/// A send needs Pub on its topic; a send to a retry topic acts for the group (Sub).
fn send(out: &mut Vec<Need>, to: Option<String>, producer_group: Option<String>) {
    let to = to.unwrap_or_default();
    if to.starts_with(RETRY_PREFIX) {
        let g = producer_group.filter(|g| !g.starts_with(RETRY_PREFIX)).unwrap_or(to);
        out.push(Need::new(Resource::group(&g), &[Sub]));
    } else {
        out.push(Need::new(Resource::literal(T, &to), &[Pub]));
    }
}

/// The topic (unless a retry topic) and the group.
fn consumer(out: &mut Vec<Need>, t: Option<String>, g: Option<String>, actions: &[Action]) {
    topic(out, t.filter(|t| !t.starts_with(RETRY_PREFIX)), actions);
    out.push(Need::new(Resource::group(&g.unwrap_or_default()), actions));
}

fn heartbeat(out: &mut Vec<Need>, req: &RemotingCommand) -> Result<(), String> {
    let data: HeartbeatData = rmq_remoting::body::decode(&req.body).map_err(|e| e.to_string())?;
    for consumer in data.consumer_data_set {
        out.push(Need::new(Resource::group(&consumer.group_name), &[Sub]));
        let topics = consumer.subscription_data_set.into_iter().map(|s| s.topic);
        topics
            .filter(|t| !t.starts_with(RETRY_PREFIX))
            .for_each(|t| out.push(Need::new(Resource::literal(T, &t), &[Sub])));
    }
    Ok(())
}

fn locks(out: &mut Vec<Need>, req: &RemotingCommand) -> Result<(), String> {
    let body: LockBatchRequestBody = rmq_remoting::body::decode(&req.body).map_err(|e| e.to_string())?;
    out.push(Need::new(Resource::group(&body.consumer_group), &[Sub]));
    let topics = body.mq_set.into_iter().map(|q| q.topic).filter(|t| !t.starts_with(RETRY_PREFIX));
    topics.for_each(|t| out.push(Need::new(Resource::literal(T, &t), &[Sub])));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(req: &RemotingCommand) -> Vec<String> {
        needs(req, "C1").unwrap().iter().map(|n| n.resource.key()).collect()
    }

    #[test]
    fn sends_pulls_and_admin_codes_map_as_rocketmq() {
        let send = RemotingCommand::request(RequestCode::SendMessageV2).with_ext("b", "T").with_ext("a", "P");
        assert_eq!(needs(&send, "C1").unwrap(), vec![Need::new(Resource::literal(T, "T"), &[Pub])]);
        let back = RemotingCommand::request(RequestCode::SendMessageV2).with_ext("b", "%RETRY%G").with_ext("a", "P");
        assert_eq!(keys(&back), vec!["Group:P"]);
        let pull =
            RemotingCommand::request(RequestCode::PullMessage).with_ext("topic", "T").with_ext("consumerGroup", "G");
        assert_eq!(keys(&pull), vec!["Topic:T", "Group:G"]);
        let retry_pull = RemotingCommand::request(RequestCode::PullMessage)
            .with_ext("topic", "%RETRY%G")
            .with_ext("consumerGroup", "G");
        assert_eq!(keys(&retry_pull), vec!["Group:G"]);
        let create = RemotingCommand::request(RequestCode::UpdateAndCreateTopic).with_ext("topic", "T");
        assert_eq!(needs(&create, "C1").unwrap()[0].actions, vec![Create]);
        let user = RemotingCommand::request(RequestCode::AuthCreateUser).with_ext("username", "x");
        assert_eq!(keys(&user), vec!["Cluster:C1"]);
        let config = RemotingCommand::request(RequestCode::UpdateBrokerConfig);
        assert_eq!(keys(&config), vec!["Cluster:C1"]);
        let stats = RemotingCommand::request(RequestCode::GetConsumeStats)
            .with_ext("consumerGroup", "G")
            .with_ext("topicList", "A;B");
        assert_eq!(keys(&stats), vec!["Group:G", "Topic:A", "Topic:B"]);
        assert!(keys(&RemotingCommand::request(RequestCode::GetBrokerClusterInfo)).is_empty());
    }

    #[test]
    fn heartbeats_need_their_groups_and_topics() {
        let body = br#"{"clientID":"c","consumerDataSet":[{"groupName":"G",
            "subscriptionDataSet":[{"topic":"T"},{"topic":"%RETRY%G"}]}]}"#;
        let hb = RemotingCommand::request(RequestCode::HeartBeat).with_body(&body[..]);
        assert_eq!(keys(&hb), vec!["Group:G", "Topic:T"]);
        assert!(needs(&RemotingCommand::request(RequestCode::HeartBeat).with_body(&b"{"[..]), "C").is_err());
    }
}
