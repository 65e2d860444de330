//! What each request code needs: the topics and groups it touches with the permission it
//! needs on each (RocketMQ's `PlainAccessValidator.parse`, extended to the 5.x POP codes), and
//! whether it needs an admin account (RocketMQ's `Permission.ADMIN_CODE`, extended to every
//! code that changes or reveals a cluster's configuration, so a plain account cannot).

use std::borrow::Cow;

use rmq_common::topic::{retry_topic, RETRY_PREFIX};
use rmq_remoting::body::HeartbeatData;
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::error::Denial;
use crate::perm::{PUB, SUB};

/// A request's needs; topic names are borrowed from the request.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Needs<'a> {
    /// Only an admin account may send it.
    pub admin: bool,
    /// `(topic or %RETRY%group, permission)`.
    pub resources: Vec<(Cow<'a, str>, u8)>,
}

/// Codes only an admin account may use: they create, delete or reconfigure topics, groups,
/// offsets, brokers, routes, name-server state or the ACL itself, or read configuration.
#[must_use]
pub fn is_admin(code: RequestCode) -> bool {
    use RequestCode as C;
    matches!(
        code,
        C::UpdateAndCreateTopic
            | C::UpdateAndCreateTopicList
            | C::UpdateBrokerConfig
            | C::GetBrokerConfig
            | C::TriggerDeleteFiles
            | C::UpdateAndCreateAclConfig
            | C::DeleteAclConfig
            | C::GetBrokerClusterAclInfo
            | C::UpdateGlobalWhiteAddrsConfig
            | C::GetBrokerClusterAclConfig
            | C::PutKvConfig
            | C::DeleteKvConfig
            | C::RegisterBroker
            | C::UnregisterBroker
            | C::QueryDataVersion
            | C::UpdateAndCreateSubscriptiongroup
            | C::UpdateAndCreateSubscriptiongroupList
            | C::WipeWritePermOfBroker
            | C::AddWritePermOfBroker
            | C::DeleteSubscriptiongroup
            | C::SuspendConsumer
            | C::ResumeConsumer
            | C::ResetConsumerOffsetInBroker
            | C::AdjustConsumerThreadPool
            | C::DeleteTopicInBroker
            | C::DeleteTopicInNamesrv
            | C::RegisterTopicInNamesrv
            | C::InvokeBrokerToResetOffset
            | C::CleanExpiredConsumequeue
            | C::CloneGroupOffset
            | C::CleanUnusedTopic
            | C::UpdateNamesrvConfig
            | C::GetNamesrvConfig
            | C::ResumeCheckHalfMessage
            | C::DeleteExpiredCommitlog
            | C::UpdateAndGetGroupForbidden
            | C::SetMessageRequestMode
            | C::UpdateAndCreateStaticTopic
            | C::AddBroker
            | C::RemoveBroker
            | C::BrokerHeartbeat
            | C::NotifyMinBrokerIdChange
            | C::ExchangeBrokerHaInfo
            | C::ResetMasterFlushOffset
    ) || (1001..=1013).contains(&code.value())
        || (3001..=3010).contains(&code.value())
}

/// What `req` needs; a header or heartbeat body that cannot be read is a denial.
pub fn needs(req: &RemotingCommand) -> Result<Needs<'_>, Denial> {
    let code = req.request_code();
    let mut needs = Needs { admin: is_admin(code), resources: Vec::new() };
    let field = |k: &str| req.ext_fields.get(k).unwrap_or_default();
    use RequestCode as C;
    match code {
        C::SendMessage | C::SendReplyMessage => send(&mut needs, field("topic")),
        C::SendMessageV2 | C::SendBatchMessage | C::SendReplyMessageV2 => send(&mut needs, field("b")),
        C::ConsumerSendMsgBack => group(&mut needs, field("group")),
        C::PullMessage
        | C::LitePullMessage
        | C::QueryConsumerOffset
        | C::UpdateConsumerOffset
        | C::PopMessage
        | C::AckMessage
        | C::ChangeMessageInvisibletime
        | C::PeekMessage => {
            needs.resources.push((field("topic").into(), SUB));
            group(&mut needs, field("consumerGroup"));
        }
        C::QueryMessage => needs.resources.push((field("topic").into(), SUB)),
        C::UnregisterClient | C::GetConsumerListByGroup => {
            let g = field("consumerGroup");
            if !g.is_empty() {
                group(&mut needs, g);
            }
        }
        C::HeartBeat => heartbeat(req, &mut needs)?,
        _ => {}
    }
    Ok(needs)
}

/// A consumer group needs SUB on its retry topic.
fn group(needs: &mut Needs<'_>, group: &str) {
    needs.resources.push((retry_topic(group).into(), SUB));
}

/// A send needs PUB on its topic; a send to a retry topic acts for the group (SUB).
fn send<'a>(needs: &mut Needs<'a>, topic: &'a str) {
    let perm = if topic.starts_with(RETRY_PREFIX) { SUB } else { PUB };
    needs.resources.push((topic.into(), perm));
}

fn heartbeat(req: &RemotingCommand, needs: &mut Needs<'_>) -> Result<(), Denial> {
    let data: HeartbeatData = rmq_remoting::body::decode(&req.body).map_err(|e| Denial::Unreadable(e.to_string()))?;
    for consumer in data.consumer_data_set {
        needs.resources.push((retry_topic(&consumer.group_name).into(), SUB));
        for sub in consumer.subscription_data_set {
            needs.resources.push((sub.topic.into(), SUB));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_need_pub_and_pulls_need_sub_on_topic_and_group() {
        let send = RemotingCommand::request(RequestCode::SendMessageV2).with_ext("b", "T").with_ext("a", "P");
        assert_eq!(needs(&send).unwrap().resources, vec![("T".into(), PUB)]);
        let pull =
            RemotingCommand::request(RequestCode::PullMessage).with_ext("topic", "T").with_ext("consumerGroup", "G");
        let n = needs(&pull).unwrap();
        assert_eq!(n.resources, vec![("T".into(), SUB), ("%RETRY%G".into(), SUB)]);
        assert!(!n.admin);
    }

    #[test]
    fn admin_codes_are_admin() {
        assert!(is_admin(RequestCode::DeleteTopicInBroker));
        assert!(is_admin(RequestCode::RegisterBroker));
        assert!(is_admin(RequestCode::ControllerElectMaster));
        assert!(!is_admin(RequestCode::SendMessage));
        assert!(!is_admin(RequestCode::GetRouteinfoByTopic));
    }

    #[test]
    fn heartbeat_needs_its_groups_and_topics() {
        let body = br#"{"clientID":"c","producerDataSet":[],"consumerDataSet":[{"groupName":"G",
            "subscriptionDataSet":[{"topic":"T","subString":"*"}]}]}"#;
        let hb = RemotingCommand::request(RequestCode::HeartBeat).with_body(&body[..]);
        let n = needs(&hb).unwrap();
        assert_eq!(n.resources, vec![("%RETRY%G".into(), SUB), ("T".into(), SUB)]);
        let bad = RemotingCommand::request(RequestCode::HeartBeat).with_body(&b"{"[..]);
        assert!(needs(&bad).is_err());
    }
}
