//! Consumer groups: the list (online consumers, TPS, lag) and one group's page (its online
//! clients, lag per queue, the reset-offset-by-time form).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rmq_admin::group::{ConsumerProgress, Groups};
use rmq_admin::no_progress;
use rmq_remoting::body::ConsumerConnection;

use super::{param, Params};
use crate::html::{esc, hidden, link, num, time, url, Table};
use crate::state::St;

/// `GET /groups`.
pub async fn list(State(c): St) -> Response {
    let groups = match Groups::new(&c.admin).group_list(&no_progress).await {
        Ok(g) => g,
        Err(e) => return c.error(StatusCode::BAD_GATEWAY, "Consumer groups", "/groups", &e.to_string()),
    };
    let mut t = Table::new("groups", &["Group", "Online", "Type", "Model", "Consume TPS", "Lag"]);
    for g in &groups {
        t.row(&[
            link(&format!("/group?name={}", url(&g.group)), &g.group),
            num(g.count),
            esc(&g.consume_type),
            esc(&g.message_model),
            num(format!("{:.1}", g.consume_tps)),
            num(g.diff_total),
        ]);
    }
    c.page("Consumer groups", "/groups", &t.finish())
}

/// `GET /group?name=G`.
pub async fn detail(State(c): St, q: Params) -> Response {
    let Some(name) = param(&q, "name") else {
        return c.error(StatusCode::BAD_REQUEST, "Consumer group", "/groups", "Which group? (?name=)");
    };
    let groups = Groups::new(&c.admin);
    let progress = match groups.consumer_progress(name, None, &no_progress).await {
        Ok(p) => p,
        Err(e) => return c.error(StatusCode::NOT_FOUND, &format!("Group {name}"), "/groups", &e.to_string()),
    };
    let clients = match groups.consumer_connection(name).await {
        Ok(conn) => clients_table(&conn),
        Err(e) => format!("<p class=\"muted\" id=\"clients\">{}</p>", esc(&e.to_string())),
    };
    let body = format!(
        "<p>Lag: <b id=\"lag-total\">{}</b> · in flight {} · consume TPS {:.1}</p><h2>Online clients</h2>{clients}\
         <h2>Lag per queue</h2>{}{}",
        progress.diff_total,
        progress.inflight_total,
        progress.consume_tps,
        lag_table(&progress),
        reset_form(name, &progress)
    );
    c.page(&format!("Group {name}"), "/groups", &body)
}

fn clients_table(conn: &ConsumerConnection) -> String {
    let mut t = Table::new("clients", &["Client id", "Address", "Language", "Version"]);
    for k in &conn.connection_set {
        t.row(&[esc(&k.client_id), esc(&k.client_addr), esc(&k.language), num(k.version)]);
    }
    let subs: Vec<String> =
        conn.subscription_table.iter().map(|(topic, s)| format!("{} ({})", esc(topic), esc(&s.sub_string))).collect();
    format!("{}<p>Subscriptions: {}</p>", t.finish(), subs.join(", "))
}

fn lag_table(p: &ConsumerProgress) -> String {
    let mut t = Table::new(
        "lag",
        &["Topic", "Broker", "Queue", "Broker offset", "Consumer offset", "Lag", "In flight", "Last consumed (UTC)"],
    );
    for r in &p.queues {
        t.row(&[
            link(&format!("/topic?name={}", url(&r.topic)), &r.topic),
            esc(&r.broker_name),
            num(r.queue_id),
            num(r.broker_offset),
            num(r.consumer_offset),
            num(r.diff),
            num(r.inflight),
            esc(&time(r.last_timestamp)),
        ]);
    }
    t.finish()
}

fn reset_form(group: &str, p: &ConsumerProgress) -> String {
    let topics: BTreeSet<&str> = p.queues.iter().map(|r| r.topic.as_str()).collect();
    let options: String = topics.iter().map(|t| format!("<option>{}</option>", esc(t))).collect();
    format!(
        "<h2>Reset offsets by time</h2><form class=\"inline\" method=\"post\" action=\"/group/reset\" id=\"reset-offset\">{}\
         <label>Topic <select name=\"topic\">{options}</select></label>\
         <label>To the first message stored at or after (UTC) <input name=\"time\" id=\"f-time\" placeholder=\"2026-01-01T00:00:00 or now or epoch ms\"></label>\
         <button type=\"submit\" id=\"reset\">Reset…</button></form>",
        hidden("group", group)
    )
}
