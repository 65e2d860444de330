//! The changes the console makes: create/update and delete a topic, reset a group's offsets by
//! time, resend a message to a consumer (CONSUME_MESSAGE_DIRECTLY). Each is refused in
//! read-only mode, and each first answers a confirmation page that repeats the submitted fields
//! with `confirm=yes`; only that second submission changes the cluster.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use rmq_admin::group::Groups;
use rmq_admin::offset::Offsets;
use rmq_admin::topic::{TopicSpec, Topics};
use rmq_admin::Target;
use rmq_remoting::header::ConsumeMessageDirectlyRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::html::{esc, hidden, link, notice, num, url, Table};
use crate::pages::messages::parse_time;
use crate::state::{Console, St};

type Fields = Form<HashMap<String, String>>;

fn field<'a>(f: &'a HashMap<String, String>, key: &str) -> &'a str {
    f.get(key).map_or("", |v| v.trim())
}

/// The confirmation page: `question`, and a form posting the same fields back with `confirm=yes`.
fn confirm_page(c: &Console, action: &str, question: &str, f: &HashMap<String, String>) -> Response {
    let mut fields = String::new();
    for (k, v) in f.iter().filter(|(k, _)| k.as_str() != "confirm") {
        fields.push_str(&hidden(k, v));
    }
    let body = format!(
        "{}<form class=\"inline\" method=\"post\" action=\"{action}\" id=\"confirm-form\">{fields}{}\
         <button type=\"submit\" class=\"danger\" id=\"confirm\">Confirm</button> {}</form>",
        notice("warn", question),
        hidden("confirm", "yes"),
        link("javascript:history.back()", "Cancel"),
    );
    c.page("Please confirm", "", &body)
}

fn confirmed(f: &HashMap<String, String>) -> bool {
    field(f, "confirm") == "yes"
}

/// A topic name RocketMQ accepts: 1..=127 of `[A-Za-z0-9_%|-]`.
fn valid_topic(t: &str) -> bool {
    !t.is_empty() && t.len() <= 127 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-%|".contains(&b))
}

fn queue_count(f: &HashMap<String, String>, key: &str) -> Result<i32, String> {
    match field(f, key).parse::<i32>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("{key} must be a number from 1 to 1024")),
    }
}

fn topic_spec(f: &HashMap<String, String>) -> Result<TopicSpec, String> {
    let topic = field(f, "topic");
    if !valid_topic(topic) {
        return Err(format!("{topic:?} is not a valid topic name (1-127 of letters, digits, _ - % |)"));
    }
    let mut spec = TopicSpec::new(topic);
    spec.read_queue_nums = queue_count(f, "readQueueNums")?;
    spec.write_queue_nums = queue_count(f, "writeQueueNums")?;
    spec.perm = match field(f, "perm") {
        "" => 6,
        p => p.parse().ok().filter(|p| [2, 4, 6].contains(p)).ok_or("perm must be 2, 4 or 6")?,
    };
    Ok(spec)
}

/// `POST /topic/create`.
pub async fn create_topic(State(c): St, Form(f): Fields) -> Response {
    if let Some(refused) = c.refuse_read_only("creating a topic") {
        return refused;
    }
    let spec = match topic_spec(&f) {
        Ok(s) => s,
        Err(e) => return c.error(StatusCode::BAD_REQUEST, "Create topic", "/topics", &e),
    };
    let cluster = field(&f, "cluster");
    if !confirmed(&f) {
        let q = format!(
            "Create or update topic {} on every master of cluster {cluster} with {} read and {} write queues, perm {}?",
            spec.topic, spec.read_queue_nums, spec.write_queue_nums, spec.perm
        );
        return confirm_page(&c, "/topic/create", &q, &f);
    }
    match Topics::new(&c.admin).create_topic(&Target::Cluster(cluster.to_owned()), &spec).await {
        Ok(brokers) => {
            let names: Vec<&str> = brokers.iter().map(|b| b.broker_name.as_str()).collect();
            let text = format!("Topic {} created or updated on {}.", spec.topic, names.join(", "));
            let body = format!(
                "{}<p>{}</p>",
                notice("ok", &text),
                link(&format!("/topic?name={}", url(&spec.topic)), "open the topic")
            );
            c.page("Topic created", "/topics", &body)
        }
        Err(e) => c.error(StatusCode::BAD_GATEWAY, "Create topic", "/topics", &e.to_string()),
    }
}

/// `POST /topic/delete`.
pub async fn delete_topic(State(c): St, Form(f): Fields) -> Response {
    if let Some(refused) = c.refuse_read_only("deleting a topic") {
        return refused;
    }
    let (topic, cluster) = (field(&f, "topic"), field(&f, "cluster"));
    if !confirmed(&f) {
        let q = format!("Delete topic {topic} from every broker of cluster {cluster} and from the name servers? Its messages become unreachable.");
        return confirm_page(&c, "/topic/delete", &q, &f);
    }
    match Topics::new(&c.admin).delete_topic(cluster, topic).await {
        Ok(_) => {
            let body = format!(
                "{}<p>{}</p>",
                notice("ok", &format!("Topic {topic} deleted.")),
                link("/topics", "back to the topics")
            );
            c.page("Topic deleted", "/topics", &body)
        }
        Err(e) => c.error(StatusCode::BAD_GATEWAY, "Delete topic", "/topics", &e.to_string()),
    }
}

/// `POST /group/reset`: moves the group's offsets on a topic to a time (forced, as
/// `mqadmin resetOffsetByTime` without `-f false`).
pub async fn reset_offset(State(c): St, Form(f): Fields) -> Response {
    if let Some(refused) = c.refuse_read_only("resetting offsets") {
        return refused;
    }
    let (group, topic) = (field(&f, "group"), field(&f, "topic"));
    let ts = match parse_time(field(&f, "time")) {
        Ok(t) => t,
        Err(e) => return c.error(StatusCode::BAD_REQUEST, "Reset offsets", "/groups", &e),
    };
    if !confirmed(&f) {
        let q = format!(
            "Reset the offsets of group {group} on topic {topic} to the first message stored at or after {} UTC?",
            crate::html::time(ts)
        );
        return confirm_page(&c, "/group/reset", &q, &f);
    }
    match Offsets::new(&c.admin).reset_offset_by_time(group, topic, ts, true).await {
        Ok(queues) => {
            let mut t = Table::new("reset", &["Broker", "Queue", "New offset"]);
            for q in &queues {
                t.row(&[esc(&q.broker_name), num(q.queue_id), num(q.offset)]);
            }
            let back = link(&format!("/group?name={}", url(group)), "back to the group");
            c.page(
                "Offsets reset",
                "/groups",
                &format!("{}{}<p>{back}</p>", notice("ok", "Offsets reset."), t.finish()),
            )
        }
        Err(e) => c.error(StatusCode::BAD_GATEWAY, "Reset offsets", "/groups", &e.to_string()),
    }
}

/// `POST /message/resend`: asks an online consumer of the group to consume the message again
/// (CONSUME_MESSAGE_DIRECTLY through the broker that stores it) and shows its answer.
pub async fn resend(State(c): St, Form(f): Fields) -> Response {
    if let Some(refused) = c.refuse_read_only("resending a message") {
        return refused;
    }
    let (msg_id, group) = (field(&f, "msgId"), field(&f, "group"));
    if group.is_empty() {
        return c.error(StatusCode::BAD_REQUEST, "Resend", "/messages", "Give the consumer group");
    }
    if !confirmed(&f) {
        let q = format!("Have a consumer of group {group} consume message {msg_id} again?");
        return confirm_page(&c, "/message/resend", &q, &f);
    }
    match consume_directly(&c, msg_id, group, field(&f, "clientId")).await {
        Ok(answer) => {
            let mut body = notice("ok", "The consumer answered.");
            let _ = write!(body, "<pre class=\"body\" id=\"answer\">{}</pre>", esc(&answer));
            c.page("Message resent", "/messages", &body)
        }
        Err(e) => c.error(StatusCode::BAD_GATEWAY, "Resend", "/messages", &e),
    }
}

/// CONSUME_MESSAGE_DIRECTLY to the broker in the offset message id; the client is `client_id`,
/// else the group's first online client. Returns the consumer's answer (JSON, pretty).
async fn consume_directly(c: &Console, offset_msg_id: &str, group: &str, client_id: &str) -> Result<String, String> {
    let (host, _) = rmq_common::msgid::decode_offset_msg_id(offset_msg_id)
        .ok_or_else(|| format!("{offset_msg_id} is not an offset message id"))?;
    let client = if client_id.is_empty() {
        let conn = Groups::new(&c.admin).consumer_connection(group).await.map_err(|e| e.to_string())?;
        conn.connection_set.first().map(|k| k.client_id.clone()).ok_or("no consumer of the group is online")?
    } else {
        client_id.to_owned()
    };
    let h = ConsumeMessageDirectlyRequestHeader {
        consumer_group: group.to_owned(),
        client_id: Some(client),
        msg_id: Some(offset_msg_id.to_owned()),
        broker_name: None,
    };
    let req = RemotingCommand::request_with_header(RequestCode::ConsumeMessageDirectly, &h);
    let resp = c.admin.instance().invoke_ok(&host.to_string(), req).await.map_err(|e| e.to_string())?;
    Ok(match serde_json::from_slice::<serde_json::Value>(&resp.body) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(&resp.body).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn topic_forms_are_checked() {
        let ok = form(&[("topic", "T1"), ("readQueueNums", "4"), ("writeQueueNums", "4"), ("perm", "6")]);
        let spec = topic_spec(&ok).unwrap();
        assert_eq!((spec.read_queue_nums, spec.perm), (4, 6));
        assert!(topic_spec(&form(&[("topic", "a b"), ("readQueueNums", "4"), ("writeQueueNums", "4")])).is_err());
        assert!(topic_spec(&form(&[("topic", "t"), ("readQueueNums", "0"), ("writeQueueNums", "4")])).is_err());
        assert!(topic_spec(&form(&[("topic", "t"), ("readQueueNums", "1"), ("writeQueueNums", "1"), ("perm", "7")]))
            .is_err());
    }

    #[test]
    fn only_the_second_submission_is_confirmed() {
        assert!(!confirmed(&form(&[("topic", "t")])));
        assert!(confirmed(&form(&[("confirm", "yes")])));
    }
}
