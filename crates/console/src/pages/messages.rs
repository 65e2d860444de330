//! Messages: queries by id, by key, by topic and time range; one message's page (properties,
//! body preview, resend to a consumer); and the trace of a message id.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rmq_admin::message::{MessageView, Messages};
use rmq_admin::pull::Queues;
use rmq_client::trace::{TraceRecord, TraceType};

use super::{param, Params};
use crate::html::{esc, hidden, input, link, notice, num, time, url, Table};
use crate::state::{Console, St};

/// Most messages a time-range query shows.
const RANGE_LIMIT: usize = 100;
/// Characters of a body shown in a list / on a message's page.
const PREVIEW_SHORT: usize = 80;
const PREVIEW_LONG: usize = 4096;

/// Reads a time typed in a form: `now`, epoch ms, or a UTC date-time (seconds optional, as
/// `<input type=datetime-local>` sends it).
pub(crate) fn parse_time(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let padded = if t.len() == 16 && t.as_bytes().get(13) == Some(&b':') { format!("{t}:00") } else { t.to_owned() };
    rmq_admin::time::parse_in(&padded, &jiff::tz::TimeZone::UTC).map_err(|e| e.to_string())
}

/// `GET /messages`: the three query forms, and the results of the one submitted (`by`).
pub async fn query(State(c): St, q: Params) -> Response {
    let results = match param(&q, "by") {
        None => String::new(),
        Some(by) => match run_query(&c, by, &q).await {
            Ok(found) => results_table(&found),
            Err(e) => notice("error", &e),
        },
    };
    let body = format!("{}{results}", forms(&q));
    c.page("Messages", "/messages", &body)
}

async fn run_query(c: &Console, by: &str, q: &HashMap<String, String>) -> Result<Vec<MessageView>, String> {
    let topic = param(q, "topic");
    let messages = Messages::new(&c.admin);
    match by {
        "id" => {
            let id = param(q, "id").ok_or("Give a message id")?;
            messages.query_msg_by_id(id, topic).await.map_err(|e| e.to_string())
        }
        "key" => {
            let (topic, key) = (topic.ok_or("Give the topic")?, param(q, "key").ok_or("Give a key")?);
            let (begin, end) = range(q)?;
            messages.query_by_key(topic, key, 64, begin, end).await.map_err(|e| e.to_string())
        }
        "time" => by_time(c, topic.ok_or("Give the topic")?, range(q)?).await,
        other => Err(format!("Unknown query {other}")),
    }
}

/// `begin`/`end` of a query (defaults: the last hour).
fn range(q: &HashMap<String, String>) -> Result<(i64, i64), String> {
    let now = rmq_common::time::now_ms();
    let begin = param(q, "begin").map(parse_time).transpose()?.unwrap_or(now - 3_600_000);
    let end = param(q, "end").map(parse_time).transpose()?.unwrap_or(now);
    Ok((begin, end))
}

/// Messages of `topic` stored within `[begin, end]`, read queue by queue (at most RANGE_LIMIT).
async fn by_time(c: &Console, topic: &str, (begin, end): (i64, i64)) -> Result<Vec<MessageView>, String> {
    let queues = Queues::new(&c.admin);
    let ranges = queues.queue_ranges(topic, Some(begin), Some(end)).await.map_err(|e| e.to_string())?;
    let mut out: Vec<MessageView> = Vec::new();
    for r in ranges {
        let left = RANGE_LIMIT.saturating_sub(out.len());
        if left == 0 {
            break;
        }
        let mut batch = |b: &[MessageView]| out.extend_from_slice(b);
        queues.read_range(&r, "*", left, &mut batch).await.map_err(|e| e.to_string())?;
    }
    out.retain(|m| m.store_timestamp >= begin && m.store_timestamp <= end);
    out.sort_by_key(|m| m.store_timestamp);
    Ok(out)
}

fn forms(q: &HashMap<String, String>) -> String {
    let v = |k: &str| param(q, k).unwrap_or_default().to_owned();
    let form = |id: &str, legend: &str, fields: String| {
        format!(
            "<fieldset><legend>{legend}</legend><form class=\"inline\" method=\"get\" action=\"/messages\" id=\"{id}\">\
             {}{fields}<button type=\"submit\">Search</button></form></fieldset>",
            hidden("by", id.trim_start_matches("by-"))
        )
    };
    let times = || format!("{}{}", input("begin", "From (UTC)", &v("begin")), input("end", "To (UTC)", &v("end")));
    [
        form(
            "by-id",
            "By message id",
            format!("{}{}", input("id", "Message id", &v("id")), input("topic", "Topic (for unique ids)", &v("topic"))),
        ),
        form(
            "by-key",
            "By key",
            format!("{}{}{}", input("topic", "Topic", &v("topic")), input("key", "Key", &v("key")), times()),
        ),
        form(
            "by-time",
            "By topic and time range (default: the last hour)",
            format!("{}{}", input("topic", "Topic", &v("topic")), times()),
        ),
    ]
    .concat()
}

fn preview(body: &str, max: usize) -> String {
    match body.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.to_owned(),
    }
}

fn results_table(found: &[MessageView]) -> String {
    let mut t =
        Table::new("results", &["Message id", "Topic", "Tags", "Keys", "Queue", "Offset", "Stored (UTC)", "Body"]);
    for m in found {
        let href = format!("/message?id={}&topic={}", url(&m.offset_msg_id), url(&m.topic));
        t.row(&[
            link(&href, &m.msg_id),
            esc(&m.topic),
            esc(m.tags.as_deref().unwrap_or("")),
            esc(m.keys.as_deref().unwrap_or("")),
            num(m.queue_id),
            num(m.queue_offset),
            esc(&time(m.store_timestamp)),
            esc(&preview(&m.body, PREVIEW_SHORT)),
        ]);
    }
    format!("<h2>{} message(s)</h2>{}", found.len(), t.finish())
}

/// `GET /message?id=ID[&topic=T]`: properties, body, trace link, resend form.
pub async fn detail(State(c): St, q: Params) -> Response {
    let Some(id) = param(&q, "id") else {
        return c.error(StatusCode::BAD_REQUEST, "Message", "/messages", "Which message? (?id=)");
    };
    let found = Messages::new(&c.admin).query_msg_by_id(id, param(&q, "topic")).await;
    let m = match found.map(|v| v.into_iter().next()) {
        Ok(Some(m)) => m,
        Ok(None) => return c.error(StatusCode::NOT_FOUND, "Message", "/messages", &format!("No message {id}")),
        Err(e) => return c.error(StatusCode::NOT_FOUND, "Message", "/messages", &e.to_string()),
    };
    c.page(&format!("Message {}", m.msg_id), "/messages", &message_body(&m))
}

fn message_body(m: &MessageView) -> String {
    let mut t = Table::new("fields", &["Field", "Value"]);
    let fields = [
        ("Topic", m.topic.clone()),
        ("Offset message id", m.offset_msg_id.clone()),
        ("Tags", m.tags.clone().unwrap_or_default()),
        ("Keys", m.keys.clone().unwrap_or_default()),
        ("Queue / offset", format!("{} / {}", m.queue_id, m.queue_offset)),
        ("Born (UTC)", format!("{} from {}", time(m.born_timestamp), m.born_host)),
        ("Stored (UTC)", format!("{} on {}", time(m.store_timestamp), m.store_host)),
        ("Reconsumed", m.reconsume_times.to_string()),
        ("Body bytes", m.body_length.to_string()),
    ];
    for (k, v) in
        fields.iter().chain(m.properties.iter().map(|(k, v)| (k.as_str(), v.clone())).collect::<Vec<_>>().iter())
    {
        t.row(&[esc(k), esc(v)]);
    }
    format!(
        "<p>{}</p><h2>Body</h2><pre class=\"body\" id=\"body\">{}</pre><h2>Fields and properties</h2>{}\
         <h2>Resend to a consumer</h2><form class=\"inline\" method=\"post\" action=\"/message/resend\" id=\"resend\">{}{}{}{}\
         <button type=\"submit\">Resend…</button></form>",
        link(&format!("/trace?id={}", url(&m.msg_id)), "trace of this message"),
        esc(&preview(&m.body, PREVIEW_LONG)),
        t.finish(),
        hidden("msgId", &m.offset_msg_id),
        hidden("topic", &m.topic),
        input("group", "Consumer group", ""),
        input("clientId", "Client id (empty: any online)", ""),
    )
}

/// `GET /trace?id=ID`: the trace records of a message id on the trace topic.
pub async fn trace(State(c): St, q: Params) -> Response {
    let id = param(&q, "id").unwrap_or_default();
    let form = format!(
        "<form class=\"inline\" method=\"get\" action=\"/trace\" id=\"trace-form\">{}<button type=\"submit\">Trace</button></form>",
        input("id", "Message id", id)
    );
    let result = if id.is_empty() {
        String::new()
    } else {
        match rmq_client::trace::query(c.admin.instance(), &c.config.trace_topic, id).await {
            Ok(records) if records.is_empty() => {
                notice("warn", &format!("No trace of {id} on {}", c.config.trace_topic))
            }
            Ok(records) => trace_table(&records),
            Err(e) => notice("error", &e.to_string()),
        }
    };
    c.page("Message trace", "/trace", &(form + &result))
}

fn trace_table(records: &[TraceRecord]) -> String {
    let mut t = Table::new("trace", &["Type", "Group", "Time (UTC)", "Cost ms", "Status", "Detail"]);
    for r in records {
        let (kind, detail) = match r.kind {
            Some(TraceType::Pub) => {
                ("Pub", format!("topic={} tags={} keys={} broker={}", r.topic, r.tags, r.keys, r.store_host))
            }
            Some(TraceType::SubBefore) => ("SubBefore", format!("retry={}", r.retry_times)),
            Some(TraceType::SubAfter) => ("SubAfter", format!("code={}", r.context_code)),
            _ => ("Other", String::new()),
        };
        let status = if r.success { "success" } else { "failed" };
        t.row(&[esc(kind), esc(&r.group), esc(&time(r.timestamp)), num(r.cost_ms), esc(status), esc(&detail)]);
    }
    t.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_times_are_utc_with_optional_seconds() {
        assert_eq!(parse_time("1970-01-02T00:00"), Ok(86_400_000));
        assert_eq!(parse_time("1970-01-02T00:00:01"), Ok(86_401_000));
        assert_eq!(parse_time("1234"), Ok(1234));
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn previews_cut_on_characters() {
        assert_eq!(preview("héllo", 2), "hé…");
        assert_eq!(preview("hi", 5), "hi");
    }
}
