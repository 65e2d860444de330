//! What each RPC needs, as RocketMQ 5.3's `DefaultAuthorizationContextBuilder` maps gRPC
//! requests: sending, ending a transaction and recalling need PUB on the topic; receiving,
//! acking, changing invisibility, forwarding to the DLQ and assignments need SUB on the group and
//! the topic; QueryRoute needs PUB or SUB on the topic; a consumer's Heartbeat and termination
//! need SUB on its group; a Telemetry settings command needs what its publishing or subscription
//! names. The 5.x pull consumer's RPCs (absent from 5.3.3's map) need SUB on group and topic.

use rmq_acl::v2::eval::Need;
use rmq_acl::v2::model::{Action, Resource, ResourceType};

use crate::pb::{self, settings::PubSub, telemetry_command::Command, ClientType};

/// The needs of one call, or RocketMQ's reason when the request names no topic or group.
pub type Needs = Result<Vec<Need>, String>;

/// A request the proxy checks: its name in the whitelists and what it needs.
pub trait Guarded {
    /// The full name of the request message (`authenticationWhitelist` entries).
    const RPC: &'static str;
    /// What the call needs.
    fn needs(&self) -> Needs;
}

fn name<'a>(r: Option<&'a pb::Resource>, what: &str) -> Result<&'a str, String> {
    r.map(|r| r.name.as_str()).filter(|n| !n.trim().is_empty()).ok_or_else(|| format!("{what} is null."))
}

fn topic(r: Option<&pb::Resource>, actions: &[Action]) -> Needs {
    Ok(vec![Need::new(Resource::literal(ResourceType::Topic, name(r, "topic")?), actions)])
}

fn group(r: Option<&pb::Resource>) -> Needs {
    Ok(vec![Need::new(Resource::group(name(r, "group")?), &[Action::Sub])])
}

fn sub(g: Option<&pb::Resource>, t: Option<&pb::Resource>) -> Needs {
    let mut needs = group(g)?;
    needs.extend(topic(t, &[Action::Sub])?);
    Ok(needs)
}

fn queue_topic(q: Option<&pb::MessageQueue>) -> Result<Option<&pb::Resource>, String> {
    q.map(|q| q.topic.as_ref()).ok_or_else(|| "messageQueue is null.".to_owned())
}

macro_rules! guarded {
    ($($ty:ident => |$r:ident| $needs:expr;)*) => {$(
        impl Guarded for pb::$ty {
            const RPC: &'static str = concat!("apache.rocketmq.v2.", stringify!($ty));
            fn needs(&self) -> Needs {
                let $r = self;
                $needs
            }
        }
    )*};
}

guarded! {
    QueryRouteRequest => |r| topic(r.topic.as_ref(), &[Action::Pub, Action::Sub]);
    HeartbeatRequest => |r| if is_consumer(r.client_type) { group(r.group.as_ref()) } else { Ok(Vec::new()) };
    SendMessageRequest => |r| {
        let first = r.messages.first().ok_or("message is null.")?;
        topic(first.topic.as_ref(), &[Action::Pub])
    };
    QueryAssignmentRequest => |r| sub(r.group.as_ref(), r.topic.as_ref());
    ReceiveMessageRequest => |r| sub(r.group.as_ref(), queue_topic(r.message_queue.as_ref())?);
    AckMessageRequest => |r| sub(r.group.as_ref(), r.topic.as_ref());
    ForwardMessageToDeadLetterQueueRequest => |r| sub(r.group.as_ref(), r.topic.as_ref());
    PullMessageRequest => |r| sub(r.group.as_ref(), queue_topic(r.message_queue.as_ref())?);
    UpdateOffsetRequest => |r| sub(r.group.as_ref(), queue_topic(r.message_queue.as_ref())?);
    GetOffsetRequest => |r| sub(r.group.as_ref(), queue_topic(r.message_queue.as_ref())?);
    QueryOffsetRequest => |r| topic(queue_topic(r.message_queue.as_ref())?, &[Action::Sub]);
    EndTransactionRequest => |r| topic(r.topic.as_ref(), &[Action::Pub]);
    NotifyClientTerminationRequest => |r| {
        if r.group.as_ref().is_some_and(|g| !g.name.trim().is_empty()) { group(r.group.as_ref()) } else { Ok(Vec::new()) }
    };
    ChangeInvisibleDurationRequest => |r| group(r.group.as_ref());
    RecallMessageRequest => |r| topic(r.topic.as_ref(), &[Action::Pub]);
    TelemetryCommand => |r| telemetry(r);
}

fn is_consumer(client_type: i32) -> bool {
    [ClientType::PushConsumer, ClientType::SimpleConsumer, ClientType::PullConsumer]
        .iter()
        .any(|t| *t as i32 == client_type)
}

/// A settings command needs PUB on the topics it publishes, or SUB on its group and the topics it
/// subscribes; other commands need nothing.
fn telemetry(cmd: &pb::TelemetryCommand) -> Needs {
    let Some(Command::Settings(s)) = &cmd.command else { return Ok(Vec::new()) };
    match &s.pub_sub {
        Some(PubSub::Publishing(p)) => {
            p.topics.iter().map(|t| topic(Some(t), &[Action::Pub])).collect::<Result<Vec<_>, _>>().map(flat)
        }
        Some(PubSub::Subscription(sub)) => {
            let mut needs = group(sub.group.as_ref())?;
            for entry in &sub.subscriptions {
                needs.extend(topic(entry.topic.as_ref(), &[Action::Sub])?);
            }
            Ok(needs)
        }
        None => Err("settings command doesn't have publishing or subscription.".to_owned()),
    }
}

fn flat(v: Vec<Vec<Need>>) -> Vec<Need> {
    v.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(name: &str) -> Option<pb::Resource> {
        Some(pb::Resource { name: name.into(), ..Default::default() })
    }

    fn keys(needs: Needs) -> Vec<(String, Vec<Action>)> {
        needs.unwrap().into_iter().map(|n| (n.resource.key(), n.actions)).collect()
    }

    #[test]
    fn rpcs_map_to_official_resources_and_actions() {
        let msg = pb::Message { topic: res("T"), ..Default::default() };
        let send = pb::SendMessageRequest { messages: vec![msg] };
        assert_eq!(keys(send.needs()), [("Topic:T".to_owned(), vec![Action::Pub])]);
        assert_eq!(pb::SendMessageRequest::RPC, "apache.rocketmq.v2.SendMessageRequest");
        assert_eq!(pb::SendMessageRequest::default().needs().unwrap_err(), "message is null.");
        let ack = pb::AckMessageRequest { group: res("%RETRY%G"), topic: res("T"), ..Default::default() };
        let want = [("Group:G".to_owned(), vec![Action::Sub]), ("Topic:T".to_owned(), vec![Action::Sub])];
        assert_eq!(keys(ack.needs()), want);
        let route = pb::QueryRouteRequest { topic: res("T"), endpoints: None };
        assert_eq!(keys(route.needs()), [("Topic:T".to_owned(), vec![Action::Pub, Action::Sub])]);
        let producer = pb::HeartbeatRequest { group: None, client_type: ClientType::Producer as i32 };
        assert!(producer.needs().unwrap().is_empty());
        let consumer = pb::HeartbeatRequest { group: None, client_type: ClientType::SimpleConsumer as i32 };
        assert_eq!(consumer.needs().unwrap_err(), "group is null.");
        assert_eq!(pb::ReceiveMessageRequest::default().needs().unwrap_err(), "messageQueue is null.");
    }

    #[test]
    fn telemetry_settings_need_what_they_name() {
        let publishing = pb::Publishing { topics: vec![res("A").unwrap(), res("B").unwrap()], ..Default::default() };
        let s = pb::Settings { pub_sub: Some(PubSub::Publishing(publishing)), ..Default::default() };
        let cmd = pb::TelemetryCommand { status: None, command: Some(Command::Settings(s)) };
        assert_eq!(keys(cmd.needs()).len(), 2);
        assert!(pb::TelemetryCommand::default().needs().unwrap().is_empty());
        let bare = pb::TelemetryCommand { status: None, command: Some(Command::Settings(pb::Settings::default())) };
        assert!(bare.needs().is_err());
    }
}
