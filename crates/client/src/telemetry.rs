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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use metrics::{
        Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
    };
    use parking_lot::Mutex;

    use super::*;

    /// Records "name{labels} value" lines.
    #[derive(Default)]
    struct Lines(Arc<Mutex<Vec<String>>>);

    struct Handle(String, Arc<Mutex<Vec<String>>>);

    impl CounterFn for Handle {
        fn increment(&self, value: u64) {
            self.1.lock().push(format!("{} {value}", self.0));
        }
        fn absolute(&self, _value: u64) {}
    }

    impl HistogramFn for Handle {
        fn record(&self, value: f64) {
            self.1.lock().push(format!("{} {}", self.0, value >= 0.0));
        }
    }

    impl Lines {
        fn handle(&self, key: &Key) -> Arc<Handle> {
            let labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
            Arc::new(Handle(format!("{}{{{}}}", key.name(), labels.join(",")), Arc::clone(&self.0)))
        }
    }

    impl Recorder for Lines {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            Counter::from_arc(self.handle(key))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::from_arc(self.handle(key))
        }
    }

    #[test]
    fn sends_and_consumes_are_counted_and_timed() {
        let rec = Lines::default();
        metrics::with_local_recorder(&rec, || {
            record_send("T", Duration::from_millis(3), true);
            record_send("T", Duration::from_millis(3), false);
            record_consume("G", "T", Duration::from_millis(1), false);
        });
        let lines = rec.0.lock().clone();
        assert_eq!(
            lines,
            vec![
                "rocketmq_client_send_total{topic=T,result=ok} 1",
                "rocketmq_client_send_latency_seconds{topic=T} true",
                "rocketmq_client_send_total{topic=T,result=error} 1",
                "rocketmq_client_send_latency_seconds{topic=T} true",
                "rocketmq_client_consume_total{group=G,topic=T,result=retry} 1",
                "rocketmq_client_consume_latency_seconds{group=G,topic=T} true",
            ]
        );
    }
}
