//! What the hot paths record: messages and bytes in (per topic and message type) and out (per
//! topic and group), incoming message sizes, request latencies. Each record is a lookup in a
//! map read without a lock plus relaxed atomic adds; with metrics off, a branch and nothing.

use std::sync::Arc;
use std::time::Instant;

use rmq_common::property;
use rmq_metrics::encode::{counters, histograms, Labels, NodeLabels};
use rmq_metrics::meters::{Counter, Histogram, HistogramSnapshot, MeterMap};
use rmq_metrics::names::{self, label, MESSAGE_SIZE_BUCKETS};
use rmq_metrics::rpc::RpcLatency;
use rmq_metrics::{Collector, DescriptorEncoder};

/// RocketMQ's `TopicMessageType` as metrics label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Plain.
    Normal,
    /// Ordered by a sharding key.
    Fifo,
    /// Delay level or timer.
    Delay,
    /// Transactional half message.
    Transaction,
}

const TYPES: [MessageType; 4] = [MessageType::Normal, MessageType::Fifo, MessageType::Delay, MessageType::Transaction];

impl MessageType {
    /// The type a message's properties say (as `BrokerMetricsManager.getMessageType`).
    #[must_use]
    pub fn of(properties: &[(String, String)]) -> Self {
        let has = |k: &str| property::get(properties, k).is_some_and(|v| !v.is_empty());
        if property::get(properties, property::TRAN_MSG) == Some("true") {
            Self::Transaction
        } else if has("__SHARDINGKEY") {
            Self::Fifo
        } else if has(property::DELAY) || has("TIMER_DELIVER_MS") || has("TIMER_DELAY_SEC") || has("TIMER_DELAY_MS") {
            Self::Delay
        } else {
            Self::Normal
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn label(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Fifo => "fifo",
            Self::Delay => "delay",
            Self::Transaction => "transaction",
        }
    }
}

/// Incoming traffic of one topic, by message type.
#[derive(Debug)]
struct TopicIn {
    msgs: [Counter; 4],
    bytes: [Counter; 4],
    sizes: [Histogram; 4],
}

impl TopicIn {
    fn new() -> Self {
        Self {
            msgs: Default::default(),
            bytes: Default::default(),
            sizes: std::array::from_fn(|_| Histogram::new(MESSAGE_SIZE_BUCKETS)),
        }
    }
}

/// Outgoing traffic of one group on one topic.
#[derive(Debug, Default)]
struct Flow {
    msgs: Counter,
    bytes: Counter,
}

/// The broker's hot-path meters.
#[derive(Debug, Default)]
pub struct Meters {
    on: bool,
    input: MeterMap<String, TopicIn>,
    output: MeterMap<String, MeterMap<String, Flow>>,
    /// Request latencies.
    pub rpc: Arc<RpcLatency>,
}

impl Meters {
    /// Meters that record when `on` (metrics exported), else do nothing.
    #[must_use]
    pub fn new(on: bool) -> Self {
        Self { on, ..Self::default() }
    }

    /// The message type of a send, read only when metrics are on.
    #[must_use]
    pub fn kind_of(&self, properties: &[(String, String)]) -> MessageType {
        if self.on {
            MessageType::of(properties)
        } else {
            MessageType::Normal
        }
    }

    /// Counts `msgs` messages, `bytes` long in all, stored on `topic`.
    pub fn put(&self, topic: &str, kind: MessageType, msgs: usize, bytes: usize) {
        if !self.on || msgs == 0 {
            return;
        }
        let t = self.input.get_or_insert(topic, TopicIn::new);
        let i = kind.index();
        t.msgs[i].add(msgs as u64);
        t.bytes[i].add(bytes as u64);
        t.sizes[i].observe_n((bytes / msgs) as u64, msgs as u64);
    }

    /// Counts `msgs` messages, `bytes` long in all, handed to `group` from `topic`.
    pub fn got(&self, topic: &str, group: &str, msgs: usize, bytes: usize) {
        if !self.on || msgs == 0 {
            return;
        }
        let flow = self.output.get_or_insert(topic, MeterMap::default).get_or_insert(group, Flow::default);
        flow.msgs.add(msgs as u64);
        flow.bytes.add(bytes as u64);
    }

    /// When a request started, if latencies are recorded.
    #[must_use]
    pub fn started(&self) -> Option<Instant> {
        self.on.then(Instant::now)
    }

    /// Records a request's latency (`response` None: one-way).
    pub fn rpc(&self, started: Option<Instant>, request: i32, response: Option<i32>) {
        if let Some(t) = started {
            self.rpc.record(request, response, t);
        }
    }
}

/// The traffic meters as a scrape sees them.
#[derive(Debug)]
pub struct TrafficCollector {
    /// The meters.
    pub meters: Arc<Meters>,
    /// The broker's labels.
    pub node: NodeLabels,
}

type CounterRows = Vec<(Labels, u64)>;
type InRows = (CounterRows, CounterRows, Vec<(Labels, HistogramSnapshot)>);

impl TrafficCollector {
    fn in_rows(&self) -> InRows {
        let (mut msgs, mut bytes, mut sizes) = (Vec::new(), Vec::new(), Vec::new());
        for (topic, t) in self.meters.input.entries() {
            let system = super::is_system(&topic, None).to_string();
            for kind in TYPES.iter().filter(|k| t.msgs[k.index()].get() > 0) {
                let i = kind.index();
                let labels = self.node.with(&[
                    (label::TOPIC, &topic),
                    (label::MESSAGE_TYPE, kind.label()),
                    (label::IS_SYSTEM, &system),
                ]);
                msgs.push((labels.clone(), t.msgs[i].get()));
                bytes.push((labels.clone(), t.bytes[i].get()));
                sizes.push((labels, t.sizes[i].snapshot()));
            }
        }
        (msgs, bytes, sizes)
    }

    fn out_rows(&self) -> (CounterRows, CounterRows) {
        let (mut msgs, mut bytes) = (Vec::new(), Vec::new());
        for (topic, groups) in self.meters.output.entries() {
            let retry = rmq_common::topic::is_retry(&topic).to_string();
            for (group, flow) in groups.entries() {
                let system = super::is_system(&topic, Some(&group)).to_string();
                let labels = self.node.with(&[
                    (label::TOPIC, &topic),
                    (label::CONSUMER_GROUP, &group),
                    (label::IS_RETRY, &retry),
                    (label::IS_SYSTEM, &system),
                ]);
                msgs.push((labels.clone(), flow.msgs.get()));
                bytes.push((labels, flow.bytes.get()));
            }
        }
        (msgs, bytes)
    }
}

impl Collector for TrafficCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (msgs, bytes, sizes) = self.in_rows();
        counters(&mut enc, names::MESSAGES_IN, "Total number of incoming messages", &msgs)?;
        counters(&mut enc, names::THROUGHPUT_IN, "Total traffic of incoming messages, bytes", &bytes)?;
        histograms(&mut enc, names::MESSAGE_SIZE, "Incoming messages size, bytes", &sizes)?;
        let (msgs, bytes) = self.out_rows();
        counters(&mut enc, names::MESSAGES_OUT, "Total number of outgoing messages", &msgs)?;
        counters(&mut enc, names::THROUGHPUT_OUT, "Total traffic of outgoing messages, bytes", &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn message_type_follows_the_properties() {
        assert_eq!(MessageType::of(&props(&[("KEYS", "k")])), MessageType::Normal);
        assert_eq!(MessageType::of(&props(&[("TRAN_MSG", "true"), ("DELAY", "3")])), MessageType::Transaction);
        assert_eq!(MessageType::of(&props(&[("__SHARDINGKEY", "a")])), MessageType::Fifo);
        assert_eq!(MessageType::of(&props(&[("DELAY", "3")])), MessageType::Delay);
        assert_eq!(MessageType::of(&props(&[("TIMER_DELIVER_MS", "1")])), MessageType::Delay);
    }

    #[test]
    fn meters_off_record_nothing_and_on_count_per_type() {
        let off = Meters::new(false);
        off.put("t", MessageType::Normal, 2, 20);
        assert!(off.input.entries().is_empty());
        let on = Meters::new(true);
        on.put("t", MessageType::Delay, 2, 20);
        on.put("t", MessageType::Delay, 1, 5);
        on.got("t", "g", 3, 30);
        let t = on.input.get_or_insert("t", TopicIn::new);
        let i = MessageType::Delay.index();
        assert_eq!((t.msgs[i].get(), t.bytes[i].get(), t.sizes[i].snapshot().count), (3, 25, 3));
        assert_eq!(t.msgs[MessageType::Normal.index()].get(), 0);
        let flow = on.output.get_or_insert("t", MeterMap::default).get_or_insert("g", Flow::default);
        assert_eq!((flow.msgs.get(), flow.bytes.get()), (3, 30));
    }
}
