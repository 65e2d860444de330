//! Client-side metrics, through the [`metrics`](https://docs.rs/metrics) facade: the client
//! records, the application picks the exporter (Prometheus, StatsD...) by installing a
//! recorder; without one, recording costs next to nothing.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `rocketmq_client_send_total` | counter | `topic`, `result` (`ok` or `error`) |
//! | `rocketmq_client_send_latency_seconds` | histogram | `topic` |
//! | `rocketmq_client_consume_total` | counter | `group`, `topic`, `result` (`ok` or `retry`) |
//! | `rocketmq_client_consume_latency_seconds` | histogram | `group`, `topic` |
//!
//! Send figures cover one `send`/`send_async` call including its retries; consume figures one
//! listener call (one batch).

use std::time::Duration;

/// Counter of sends.
pub const SEND_TOTAL: &str = "rocketmq_client_send_total";
/// Histogram of send latency.
pub const SEND_LATENCY: &str = "rocketmq_client_send_latency_seconds";
/// Counter of listener calls.
pub const CONSUME_TOTAL: &str = "rocketmq_client_consume_total";
/// Histogram of listener call latency.
pub const CONSUME_LATENCY: &str = "rocketmq_client_consume_latency_seconds";

fn result_label(ok: bool, failed: &'static str) -> &'static str {
    if ok {
        "ok"
    } else {
        failed
    }
}

/// Records one send.
pub(crate) fn record_send(topic: &str, took: Duration, ok: bool) {
    let topic = topic.to_owned();
    metrics::counter!(SEND_TOTAL, "topic" => topic.clone(), "result" => result_label(ok, "error")).increment(1);
    metrics::histogram!(SEND_LATENCY, "topic" => topic).record(took.as_secs_f64());
}

/// Records one listener call.
pub(crate) fn record_consume(group: &str, topic: &str, took: Duration, ok: bool) {
    let (group, topic) = (group.to_owned(), topic.to_owned());
    metrics::counter!(CONSUME_TOTAL, "group" => group.clone(), "topic" => topic.clone(), "result" => result_label(ok, "retry"))
        .increment(1);
    metrics::histogram!(CONSUME_LATENCY, "group" => group, "topic" => topic).record(took.as_secs_f64());
}
