//! PullMessage, the 5.x pull consumer's read: one PULL_MESSAGE on the queue the SDK names,
//! answered as a stream of a status, the messages found, and the offset to pull from next.

use std::time::Duration;

use rmq_client::consumer::{pull, PullRequest, PullStatus, Subscription};
use rmq_client::{ClientError, ClientInstance, MessageExt, MessageQueue};
use rmq_remoting::ResponseCode;

use crate::pb::{self, pull_message_response::Content, Code, FilterType};
use crate::{message, status};

/// Largest batch one pull returns (the broker's default `maxMsgNums` cap).
pub const MAX_BATCH: i32 = 32;
/// Longest hold of a long-polling pull.
pub const MAX_POLLING: Duration = Duration::from_secs(30);

/// The broker queue a request's `MessageQueue` names, or the status to answer.
pub fn queue_of(mq: Option<&pb::MessageQueue>) -> Result<MessageQueue, pb::Status> {
    let Some(mq) = mq else {
        return Err(status::status(Code::BadRequest, "message queue is required"));
    };
    let Some(topic) = mq.topic.as_ref().filter(|t| !t.name.is_empty()) else {
        return Err(status::status(Code::IllegalTopic, "topic is required"));
    };
    let Some(broker) = mq.broker.as_ref().filter(|b| !b.name.is_empty()) else {
        return Err(status::status(Code::BadRequest, "the queue names no broker"));
    };
    if mq.id < 0 {
        return Err(status::status(Code::BadRequest, format!("queue id {} is not a queue", mq.id)));
    }
    Ok(MessageQueue { topic: topic.name.clone(), broker_name: broker.name.clone(), queue_id: mq.id })
}

/// The group a request names, or ILLEGAL_CONSUMER_GROUP.
pub fn group_of(g: Option<&pb::Resource>) -> Result<String, pb::Status> {
    g.filter(|g| !g.name.is_empty())
        .map(|g| g.name.clone())
        .ok_or_else(|| status::status(Code::IllegalConsumerGroup, "group is required"))
}

/// Makes sure the broker of `q` is known (fetching the topic's route), or TOPIC_NOT_FOUND.
pub async fn locate(cluster: &ClientInstance, q: &MessageQueue) -> Result<String, pb::Status> {
    if let Some(a) = cluster.broker_addr(&q.broker_name, 0) {
        return Ok(a);
    }
    if let Err(e) = cluster.update_route(&q.topic).await {
        return Err(status::status(Code::TopicNotFound, format!("topic {}: {e}", q.topic)));
    }
    cluster
        .broker_addr(&q.broker_name, 0)
        .ok_or_else(|| status::status(Code::NotFound, format!("broker {} is not in the route", q.broker_name)))
}

/// The protocol status of a failed broker call: the broker's "no such topic / group" codes as
/// their protocol codes, anything else an internal error; transport failures a proxy timeout.
#[must_use]
pub fn broker_status(e: &ClientError) -> pb::Status {
    match e {
        ClientError::Broker { code, remark, .. } => {
            let c = match code {
                ResponseCode::TopicNotExist => Code::TopicNotFound,
                ResponseCode::SubscriptionGroupNotExist => Code::ConsumerGroupNotFound,
                _ => Code::InternalServerError,
            };
            status::status(c, format!("broker code {code}: {remark}"))
        }
        other => status::status(Code::ProxyTimeout, other.to_string()),
    }
}

fn subscription(topic: &str, f: Option<&pb::FilterExpression>) -> Result<Subscription, pb::Status> {
    let Some(f) = f.filter(|f| !f.expression.is_empty()) else { return Ok(Subscription::new(topic, "*")) };
    if f.r#type == FilterType::Sql as i32 {
        return Err(status::status(Code::IllegalFilterExpression, "SQL filters are not served by pull"));
    }
    Ok(Subscription::new(topic, &f.expression))
}

/// The validated pull.
struct Pull {
    group: String,
    queue: MessageQueue,
    sub: Subscription,
    offset: i64,
    batch: i32,
    hold: Duration,
}

fn validate(req: &pb::PullMessageRequest) -> Result<Pull, pb::Status> {
    let group = group_of(req.group.as_ref())?;
    let queue = queue_of(req.message_queue.as_ref())?;
    if req.offset < 0 {
        return Err(status::status(Code::IllegalOffset, format!("offset {} is negative", req.offset)));
    }
    let sub = subscription(&queue.topic, req.filter_expression.as_ref())?;
    let hold = req.long_polling_timeout.as_ref().map_or(Duration::ZERO, |d| {
        Duration::from_secs(u64::try_from(d.seconds).unwrap_or(0))
            + Duration::from_nanos(u64::try_from(d.nanos).unwrap_or(0))
    });
    Ok(Pull {
        group,
        queue,
        sub,
        offset: req.offset,
        batch: req.batch_size.clamp(1, MAX_BATCH),
        hold: hold.min(MAX_POLLING),
    })
}

fn content(c: Content) -> pb::PullMessageResponse {
    pb::PullMessageResponse { content: Some(c) }
}

/// The responses of one PullMessage: a status, then the messages and the next offset.
pub async fn pull_message(cluster: &ClientInstance, req: &pb::PullMessageRequest) -> Vec<pb::PullMessageResponse> {
    let p = match validate(req) {
        Ok(p) => p,
        Err(s) => return vec![content(Content::Status(s))],
    };
    if let Err(s) = locate(cluster, &p.queue).await {
        return vec![content(Content::Status(s))];
    }
    let r = PullRequest {
        group: &p.group,
        queue: &p.queue,
        subscription: &p.sub,
        offset: p.offset,
        max_msgs: p.batch,
        suspend: p.hold,
        commit_offset: None,
        broker_id: 0,
    };
    match pull(cluster, &r).await {
        Ok(found) => {
            let s = match found.status {
                PullStatus::Found => status::ok(),
                PullStatus::OffsetIllegal => status::status(Code::IllegalOffset, "the offset is outside the queue"),
                _ => status::status(Code::MessageNotFound, "no new message"),
            };
            let mut out = vec![content(Content::Status(s))];
            out.extend(found.messages.iter().map(|m| content(Content::Message(message::stored(m)))));
            out.push(content(Content::NextOffset(found.next_begin_offset)));
            out
        }
        Err(e) => vec![content(Content::Status(broker_status(&e)))],
    }
}

/// The message at `offset` of `q`, if the broker has it.
pub async fn read_at(cluster: &ClientInstance, group: &str, q: &MessageQueue, offset: i64) -> Option<MessageExt> {
    let sub = Subscription::new(&q.topic, "*");
    let r = PullRequest {
        group,
        queue: q,
        subscription: &sub,
        offset,
        max_msgs: 1,
        suspend: Duration::ZERO,
        commit_offset: None,
        broker_id: 0,
    };
    let found = pull(cluster, &r).await.ok()?;
    found.messages.into_iter().find(|m| m.queue_offset == offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(topic: &str, broker: &str, id: i32) -> Option<pb::MessageQueue> {
        Some(pb::MessageQueue {
            topic: Some(pb::Resource { resource_namespace: String::new(), name: topic.into() }),
            id,
            broker: Some(pb::Broker { name: broker.into(), id: 0, endpoints: None }),
            ..Default::default()
        })
    }

    #[test]
    fn pulls_are_validated() {
        let code = |r: &pb::PullMessageRequest| validate(r).err().map(|s| s.code);
        let mut r = pb::PullMessageRequest::default();
        assert_eq!(code(&r), Some(Code::IllegalConsumerGroup as i32));
        r.group = Some(pb::Resource { resource_namespace: String::new(), name: "G".into() });
        assert_eq!(code(&r), Some(Code::BadRequest as i32));
        r.message_queue = mq("", "b", 0);
        assert_eq!(code(&r), Some(Code::IllegalTopic as i32));
        r.message_queue = mq("T", "b", -1);
        assert_eq!(code(&r), Some(Code::BadRequest as i32));
        r.message_queue = mq("T", "b", 1);
        r.offset = -3;
        assert_eq!(code(&r), Some(Code::IllegalOffset as i32));
        r.offset = 0;
        r.batch_size = 1000;
        r.filter_expression = Some(pb::FilterExpression { r#type: FilterType::Sql as i32, expression: "a > 1".into() });
        assert_eq!(code(&r), Some(Code::IllegalFilterExpression as i32));
        r.filter_expression = Some(pb::FilterExpression { r#type: FilterType::Tag as i32, expression: "a||b".into() });
        let p = validate(&r).unwrap();
        assert_eq!((p.batch, p.queue.queue_id, p.sub.expression.as_str()), (MAX_BATCH, 1, "a||b"));
    }
}
