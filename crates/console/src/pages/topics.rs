//! Topics: the list (with their cluster and consumer groups, and the create form) and one
//! topic's page (queues with offsets, route with permissions, the delete form).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rmq_admin::no_progress;
use rmq_admin::topic::Topics;
use rmq_common::topic::is_system;
use rmq_remoting::body::TopicRouteData;

use super::{param, Params};
use crate::html::{esc, hidden, input, link, num, time, url, Table};
use crate::state::{Console, St};

/// `GET /topics[?system=1]`.
pub async fn list(State(c): St, q: Params) -> Response {
    let all = match Topics::new(&c.admin).topic_list_with_groups(&no_progress).await {
        Ok(t) => t,
        Err(e) => return c.error(StatusCode::BAD_GATEWAY, "Topics", "/topics", &e.to_string()),
    };
    let system = param(&q, "system").is_some();
    let mut t = Table::new("topics", &["Topic", "Cluster", "Consumer groups"]);
    for tg in all.iter().filter(|tg| system || !is_system(&tg.topic)) {
        let groups: Vec<String> = tg.groups.iter().map(|g| link(&format!("/group?name={}", url(g)), g)).collect();
        t.row(&[link(&format!("/topic?name={}", url(&tg.topic)), &tg.topic), esc(&tg.cluster), groups.join(", ")]);
    }
    let toggle =
        if system { link("/topics", "hide system topics") } else { link("/topics?system=1", "show system topics") };
    let body = format!("<p>{toggle}</p>{}{}", t.finish(), create_form(&c).await);
    c.page("Topics", "/topics", &body)
}

/// The create/update form (clusters to choose from).
async fn create_form(c: &Console) -> String {
    let clusters =
        c.admin.cluster_info().await.map(|i| i.cluster_addr_table.into_keys().collect()).unwrap_or_else(|_| vec![]);
    let options: String = clusters.iter().map(|n: &String| format!("<option>{}</option>", esc(n))).collect();
    format!(
        "<h2>Create or update a topic</h2><form class=\"inline\" method=\"post\" action=\"/topic/create\" id=\"create-topic\">\
         {}<label>Cluster <select name=\"cluster\" id=\"f-cluster\">{options}</select></label>{}{}\
         <label>Perm <select name=\"perm\"><option value=\"6\">read-write</option><option value=\"4\">read</option>\
         <option value=\"2\">write</option></select></label><button type=\"submit\" id=\"create\">Create…</button></form>",
        input("topic", "Topic", ""),
        input("readQueueNums", "Read queues", "8"),
        input("writeQueueNums", "Write queues", "8"),
    )
}

/// `GET /topic?name=T`.
pub async fn detail(State(c): St, q: Params) -> Response {
    let Some(name) = param(&q, "name") else {
        return c.error(StatusCode::BAD_REQUEST, "Topic", "/topics", "Which topic? (?name=)");
    };
    let topics = Topics::new(&c.admin);
    let (route, status) = match (c.admin.route(name).await, topics.topic_status(name, &no_progress).await) {
        (Ok(r), Ok(s)) => (r, s),
        (Err(e), _) | (_, Err(e)) => {
            return c.error(StatusCode::NOT_FOUND, &format!("Topic {name}"), "/topics", &e.to_string())
        }
    };
    let mut queues =
        Table::new("queues", &["Broker", "Queue", "Min offset", "Max offset", "Messages", "Last stored (UTC)"]);
    for s in &status {
        queues.row(&[
            esc(&s.broker_name),
            num(s.queue_id),
            num(s.min_offset),
            num(s.max_offset),
            num(s.max_offset - s.min_offset),
            esc(&time(s.last_update_timestamp)),
        ]);
    }
    let body = format!(
        "<p>{} · {}</p><h2>Queues</h2>{}<h2>Route</h2>{}{}",
        link(&format!("/messages?topic={}", url(name)), "query its messages"),
        link(&format!("/topics?system=1#{}", url(name)), "all topics"),
        queues.finish(),
        route_table(&route),
        delete_form(name, &route),
    );
    c.page(&format!("Topic {name}"), "/topics", &body)
}

/// Broker sets of the route with their queue counts and permissions.
fn route_table(route: &TopicRouteData) -> String {
    let mut t = Table::new("route", &["Broker", "Cluster", "Addresses", "Read queues", "Write queues", "Perm"]);
    for q in &route.queue_datas {
        let b = route.broker_datas.iter().find(|b| b.broker_name == q.broker_name);
        let addrs: Vec<String> =
            b.map(|b| b.broker_addrs.iter().map(|(id, a)| format!("{id}={a}")).collect()).unwrap_or_default();
        t.row(&[
            esc(&q.broker_name),
            esc(b.map_or("", |b| b.cluster.as_str())),
            esc(&addrs.join(" ")),
            num(q.read_queue_nums),
            num(q.write_queue_nums),
            esc(&perm_text(q.perm)),
        ]);
    }
    t.finish()
}

/// `6` as `rw-`-style text.
pub(crate) fn perm_text(perm: i32) -> String {
    let r = if perm & 4 != 0 { "r" } else { "-" };
    let w = if perm & 2 != 0 { "w" } else { "-" };
    format!("{r}{w} ({perm})")
}

fn delete_form(name: &str, route: &TopicRouteData) -> String {
    let cluster = route.broker_datas.first().map_or("", |b| b.cluster.as_str());
    format!(
        "<h2>Delete</h2><form class=\"inline\" method=\"post\" action=\"/topic/delete\" id=\"delete-topic\">{}{}\
         <button type=\"submit\" class=\"danger\" id=\"delete\">Delete topic…</button></form>",
        hidden("topic", name),
        hidden("cluster", cluster)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_read_as_letters() {
        assert_eq!(perm_text(6), "rw (6)");
        assert_eq!(perm_text(4), "r- (4)");
        assert_eq!(perm_text(0), "-- (0)");
    }
}
