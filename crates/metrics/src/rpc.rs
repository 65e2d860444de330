//! `rocketmq_rpc_latency`: how long each request took to process, by request code and response
//! code (their lower-case RocketMQ names, as `RemotingHelper` gives them), in ms. Recording
//! costs one lock-free map lookup and two atomic adds.

use std::sync::Arc;
use std::time::Instant;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use rmq_remoting::{RequestCode, ResponseCode};

use crate::encode::{histograms, NodeLabels};
use crate::meters::{Histogram, MeterMap};
use crate::names::{label, RPC_LATENCY, RPC_LATENCY_BUCKETS};

/// Response code label of a one-way request (no response).
const ONEWAY: i32 = i32::MIN;

/// Request latencies of one server.
#[derive(Debug, Default)]
pub struct RpcLatency {
    by_code: MeterMap<(i32, i32), Histogram>,
}

/// What a scrape reads of an [`RpcLatency`], labelled with its server's node labels.
#[derive(Debug)]
pub struct RpcCollector {
    /// The latencies.
    pub rpc: Arc<RpcLatency>,
    /// The server's labels.
    pub node: NodeLabels,
}

impl RpcLatency {
    /// Records a request with code `request` answered with `response` (None: one-way) that
    /// started at `started`.
    pub fn record(&self, request: i32, response: Option<i32>, started: Instant) {
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let key = (request, response.unwrap_or(ONEWAY));
        self.by_code.get_or_insert(&key, || Histogram::new(RPC_LATENCY_BUCKETS)).observe(ms);
    }

    fn rows(&self, node: &NodeLabels) -> Vec<(crate::encode::Labels, crate::meters::HistogramSnapshot)> {
        let mut entries = self.by_code.entries();
        entries.sort_by_key(|(k, _)| *k);
        entries
            .into_iter()
            .map(|((req, resp), h)| {
                let req = code_label(RequestCode::from_value(req).name().as_ref(), req);
                let resp = if resp == ONEWAY {
                    "oneway".to_owned()
                } else {
                    code_label(ResponseCode::from_value(resp).name().as_ref(), resp)
                };
                let labels = node.with(&[
                    (label::PROTOCOL_TYPE, "remoting"),
                    (label::REQUEST_CODE, &req),
                    (label::RESPONSE_CODE, &resp),
                ]);
                (labels, h.snapshot())
            })
            .collect()
    }
}

/// A code's label: its lower-case name, or the number for a code we do not know.
fn code_label(name: &str, value: i32) -> String {
    if name.starts_with("UNKNOWN(") {
        value.to_string()
    } else {
        name.to_ascii_lowercase()
    }
}

impl Collector for RpcCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        histograms(&mut encoder, RPC_LATENCY, "Request processing time, ms", &self.rpc.rows(&self.node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricsRegistry;

    #[test]
    fn rpc_latency_is_labelled_by_code_names() {
        let node = NodeLabels { cluster: "C".into(), node_type: "broker", node_id: "b".into() };
        let rpc = Arc::new(RpcLatency::default());
        rpc.record(RequestCode::SendMessage.value(), Some(0), Instant::now());
        rpc.record(RequestCode::SendMessage.value(), Some(0), Instant::now());
        rpc.record(999_999, None, Instant::now());
        let mut reg = MetricsRegistry::default();
        reg.register(RpcCollector { rpc: Arc::clone(&rpc), node });
        let text = reg.render();
        assert!(text.contains("# TYPE rocketmq_rpc_latency histogram"), "{text}");
        assert!(
            text.contains(r#"rocketmq_rpc_latency_count{cluster="C",node_type="broker",node_id="b",protocol_type="remoting",request_code="send_message",response_code="success"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"request_code="999999",response_code="oneway"} 1"#), "{text}");
    }
}
