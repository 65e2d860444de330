//! Message commands: queryMsgById, queryMsgByKey, queryMsgByUniqueKey, queryMsgByOffset,
//! printMsg, sendMessage, consumeMessage, checkMsgSendRT.

use clap::{Args, Subcommand};
use rmq_admin::message::MessageView;
use rmq_admin::message::Messages;
use rmq_admin::offset::Offsets;
use rmq_admin::pull::QueueRange;
use rmq_admin::pull::Queues;
use rmq_admin::send::Sender;
use rmq_admin::send::{RtReport, SendOutcome, SendSpec};
use rmq_admin::time::parse_timestamp;
use rmq_admin::{Admin, AdminError};
use rmq_client::trace::{TraceRecord, TraceType};
use serde::Serialize;

use crate::output::{time, Output, Table};

/// Message commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Show a message by its offset id (or, with -t, by its unique id).
    #[command(name = "queryMsgById")]
    QueryMsgById {
        /// Message id.
        #[arg(short = 'i', long = "msgId")]
        id: String,
        /// Topic (to look a unique id up in the index).
        #[arg(short = 't', long = "topic")]
        topic: Option<String>,
    },
    /// List the messages of a topic with a key.
    #[command(name = "queryMsgByKey")]
    QueryMsgByKey {
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Message key.
        #[arg(short = 'k', long = "msgKey")]
        key: String,
        /// Stored at or after (now | epoch ms | yyyy-MM-dd#HH:mm:ss:SSS).
        #[arg(short = 'b', long = "beginTimestamp")]
        begin: Option<String>,
        /// Stored at or before.
        #[arg(short = 'e', long = "endTimestamp")]
        end: Option<String>,
        /// Most messages per broker.
        #[arg(short = 'm', long = "maxNum", default_value_t = 64)]
        max: i32,
    },
    /// Show the message(s) of a topic with a unique (client) id.
    #[command(name = "queryMsgByUniqueKey")]
    QueryMsgByUniqueKey {
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Unique id.
        #[arg(short = 'i', long = "msgId")]
        id: String,
        /// Show every copy (a retried message has several), not only the first.
        #[arg(short = 'a', long = "showAll")]
        all: bool,
    },
    /// Show a message's trace: its send and each consumer group's consumption, with times and costs.
    #[command(name = "queryMsgTraceById")]
    QueryMsgTraceById {
        /// Message id (the unique id a send returns).
        #[arg(short = 'i', long = "msgId")]
        id: String,
        /// Trace topic.
        #[arg(short = 't', long = "traceTopic", default_value = rmq_common::topic::TRACE)]
        trace_topic: String,
    },
    /// Show the message at an offset of a queue.
    #[command(name = "queryMsgByOffset")]
    QueryMsgByOffset {
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Broker name.
        #[arg(short = 'b', long = "brokerName")]
        broker: String,
        /// Queue id.
        #[arg(short = 'i', long = "queueId")]
        queue_id: i32,
        /// Queue offset.
        #[arg(short = 'o', long = "offset")]
        offset: i64,
    },
    /// Print the messages of every queue of a topic, optionally within a time range.
    #[command(name = "printMsg")]
    PrintMsg {
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Body charset (UTF-8 only).
        #[arg(short = 'c', long = "charsetName", default_value = "UTF-8")]
        charset: String,
        /// Tag expression, e.g. "TagA || TagB".
        #[arg(short = 's', long = "subExpression", default_value = "*")]
        expression: String,
        /// From the first message stored at or after (now | epoch ms | yyyy-MM-dd#HH:mm:ss:SSS).
        #[arg(short = 'b', long = "beginTimestamp")]
        begin: Option<String>,
        /// Up to the first message stored at or after.
        #[arg(short = 'e', long = "endTimestamp")]
        end: Option<String>,
        /// Print bodies (true|false).
        #[arg(short = 'd', long = "printBody", default_value_t = true, action = clap::ArgAction::Set)]
        body: bool,
    },
    /// Send one message to a topic.
    #[command(name = "sendMessage")]
    SendMessage {
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Body (UTF-8 text).
        #[arg(short = 'p', long = "body")]
        body: String,
        /// Keys, space-separated.
        #[arg(short = 'k', long = "key")]
        key: Option<String>,
        /// Tag.
        #[arg(short = 'c', long = "tags")]
        tags: Option<String>,
        /// Only this broker.
        #[arg(short = 'b', long = "broker")]
        broker: Option<String>,
        /// Only this queue (with -b).
        #[arg(short = 'i', long = "qid")]
        queue_id: Option<i32>,
    },
    /// Read messages (nothing is committed): all queues, one queue (-b -i), or from an offset (-o).
    #[command(name = "consumeMessage")]
    ConsumeMessage(ConsumeArgs),
    /// Send messages one queue after the other and report each round trip.
    #[command(name = "checkMsgSendRT")]
    CheckMsgSendRt {
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// How many messages.
        #[arg(short = 'a', long = "amount", default_value_t = 100)]
        amount: usize,
        /// Body size, bytes.
        #[arg(short = 's', long = "size", default_value_t = 128)]
        size: usize,
    },
}

/// consumeMessage's arguments.
#[derive(Args, Debug)]
pub struct ConsumeArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Broker name.
    #[arg(short = 'b', long = "brokerName")]
    broker: Option<String>,
    /// Queue id (with -b).
    #[arg(short = 'i', long = "queueId")]
    queue_id: Option<i32>,
    /// Start offset (with -b and -i).
    #[arg(short = 'o', long = "offset")]
    offset: Option<i64>,
    /// From the first message stored at or after.
    #[arg(short = 's', long = "beginTimestamp")]
    begin: Option<String>,
    /// Up to the first message stored at or after.
    #[arg(short = 'e', long = "endTimestamp")]
    end: Option<String>,
    /// How many messages at most.
    #[arg(short = 'c', long = "MessageNumber", default_value_t = 128)]
    count: usize,
}

impl ConsumeArgs {
    /// Reads up to `count` messages of the chosen queues.
    async fn run(self, admin: &Admin, out: &Output) -> anyhow::Result<Vec<MessageView>> {
        if self.count == 0 {
            return Err(AdminError::Invalid("the message number (-c) must be positive".into()).into());
        }
        if self.offset.is_some() && self.queue_id.is_none() {
            return Err(
                AdminError::Invalid("an offset (-o) needs the broker name (-b) and queue id (-i)".into()).into()
            );
        }
        let mut ranges = self.ranges(admin).await?;
        if let Some(o) = self.offset {
            for r in &mut ranges {
                r.from = r.from.max(o);
            }
        }
        let report = out.progress("queues");
        let mut found = Vec::new();
        for (i, range) in ranges.iter().enumerate() {
            report(i, ranges.len());
            let left = self.count - found.len();
            if left == 0 {
                break;
            }
            Queues::new(admin).read_range(range, "*", left, &mut |batch| found.extend_from_slice(batch)).await?;
        }
        report(ranges.len(), ranges.len());
        Ok(found)
    }

    /// The queues to read: one (-b and -i), a broker's, or all, between the times given.
    async fn ranges(&self, admin: &Admin) -> anyhow::Result<Vec<QueueRange>> {
        let (b, e) = (ts_arg(self.begin.as_ref())?, ts_arg(self.end.as_ref())?);
        let topic = self.topic.trim();
        Ok(match (&self.broker, self.queue_id) {
            (Some(name), Some(q)) => {
                let mut r = Queues::new(admin).queue_range(topic, name.trim(), q).await?;
                if let Some(t) = b {
                    r.from = Offsets::new(admin).search_offset(&r.addr, &r.topic, q, t).await?;
                }
                if let Some(t) = e {
                    r.to = Offsets::new(admin).search_offset(&r.addr, &r.topic, q, t).await?;
                }
                vec![r]
            }
            (None, Some(_)) => {
                return Err(AdminError::Invalid("a queue id (-i) needs the broker name (-b)".into()).into())
            }
            (Some(name), None) => Queues::new(admin)
                .queue_ranges(topic, b, e)
                .await?
                .into_iter()
                .filter(|r| &r.broker_name == name)
                .collect(),
            (None, None) => Queues::new(admin).queue_ranges(topic, b, e).await?,
        })
    }
}

/// One queue's messages (printMsg).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct QueueDump {
    queue: QueueRange,
    messages: Vec<MessageView>,
}

impl QueueDump {
    /// printMsg's text for this queue (with bodies when `body`).
    fn text(&self, body: bool) -> String {
        let q = &self.queue;
        let mut s = format!(
            "minOffset={}, maxOffset={}, {} {}:{} ({} messages)\n",
            q.from,
            q.to,
            q.topic,
            q.broker_name,
            q.queue_id,
            self.messages.len()
        );
        if !self.messages.is_empty() {
            s.push_str(&lines(&self.messages, body).render());
        }
        s
    }
}

fn ts_arg(v: Option<&String>) -> anyhow::Result<Option<i64>> {
    Ok(v.map(|s| parse_timestamp(s)).transpose()?)
}

fn detail(ms: &[MessageView]) -> String {
    let mut s = String::new();
    for m in ms {
        let props: Vec<String> = m.properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for (k, v) in [
            ("Message ID", m.msg_id.clone()),
            ("OffsetID", m.offset_msg_id.clone()),
            ("Topic", m.topic.clone()),
            ("Tags", format!("[{}]", m.tags.clone().unwrap_or_default())),
            ("Keys", format!("[{}]", m.keys.clone().unwrap_or_default())),
            ("Queue ID", m.queue_id.to_string()),
            ("Queue Offset", m.queue_offset.to_string()),
            ("CommitLog Offset", m.commit_log_offset.to_string()),
            ("Reconsume Times", m.reconsume_times.to_string()),
            ("Born Timestamp", time(m.born_timestamp)),
            ("Store Timestamp", time(m.store_timestamp)),
            ("Born Host", m.born_host.clone()),
            ("Store Host", m.store_host.clone()),
            ("System Flag", m.sys_flag.to_string()),
            ("Properties", format!("{{{}}}", props.join(", "))),
            ("Body Length", m.body_length.to_string()),
            ("Body", m.body.clone()),
        ] {
            s.push_str(&format!("{:<20}{v}\n", format!("{k}:")));
        }
        s.push('\n');
    }
    s
}

fn lines(ms: &[MessageView], body: bool) -> Table {
    let mut t =
        Table::new(&["QID", "Offset", "MsgId", "Store Time", "Tags", "Keys", if body { "Body" } else { "Size" }]);
    for m in ms {
        t.row(vec![
            m.queue_id.to_string(),
            m.queue_offset.to_string(),
            m.msg_id.clone(),
            time(m.store_timestamp),
            m.tags.clone().unwrap_or_default(),
            m.keys.clone().unwrap_or_default(),
            if body { m.body.replace('\n', "\\n") } else { m.body_length.to_string() },
        ]);
    }
    t
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        match self {
            Self::QueryMsgById { id, topic } => {
                let found = Messages::new(admin).query_msg_by_id(id.trim(), topic.as_deref()).await?;
                out.print(&found, || detail(&found))
            }
            Self::QueryMsgByKey { topic, key, begin, end, max } => {
                let (b, e) = (ts_arg(begin.as_ref())?.unwrap_or(0), ts_arg(end.as_ref())?.unwrap_or(i64::MAX));
                let found = Messages::new(admin).query_by_key(topic.trim(), &key, max, b, e).await?;
                out.print(&found, || lines(&found, false).render())
            }
            Self::QueryMsgByUniqueKey { topic, id, all } => {
                let mut found = Messages::new(admin).query_by_unique_key(topic.trim(), id.trim()).await?;
                if !all {
                    found.truncate(1);
                }
                out.print(&found, || detail(&found))
            }
            Self::QueryMsgTraceById { id, trace_topic } => {
                let records = traces(admin, id.trim(), trace_topic.trim()).await?;
                out.print(&records, || trace_table(&records))
            }
            Self::QueryMsgByOffset { topic, broker, queue_id, offset } => {
                let m = Queues::new(admin).message_at(topic.trim(), broker.trim(), queue_id, offset).await?;
                out.print(&m, || detail(std::slice::from_ref(&m)))
            }
            Self::PrintMsg { topic, charset, expression, begin, end, body } => {
                if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") {
                    return Err(AdminError::Invalid(format!("charset {charset} is not supported (UTF-8 only)")).into());
                }
                let (b, e) = (ts_arg(begin.as_ref())?, ts_arg(end.as_ref())?);
                let dumps = dump_queues(admin, &out, topic.trim(), &expression, (b, e)).await?;
                out.print(&dumps, || dumps.iter().map(|d| d.text(body)).collect())
            }
            Self::SendMessage { topic, body, key, tags, broker, queue_id } => {
                let spec = SendSpec {
                    topic: topic.trim().to_owned(),
                    body: body.into_bytes(),
                    keys: key,
                    tags,
                    broker_name: broker,
                    queue_id,
                };
                let r = Sender::new(admin).send_message(&spec).await?;
                out.print(&r, || send_table(&r))
            }
            Self::ConsumeMessage(args) => {
                let found = args.run(admin, &out).await?;
                out.print(&found, || lines(&found, true).render())
            }
            Self::CheckMsgSendRt { topic, amount, size } => {
                let r = Sender::new(admin).check_send_rt(topic.trim(), amount, size, &out.progress("messages")).await?;
                out.print(&r, || rt_table(&r))
            }
        }
    }
}

/// The trace records of message `id` (an error when there are none).
async fn traces(admin: &Admin, id: &str, trace_topic: &str) -> anyhow::Result<Vec<TraceRecord>> {
    let records = rmq_client::trace::query(admin.instance(), trace_topic, id)
        .await
        .map_err(|e| AdminError::Invalid(e.to_string()))?;
    if records.is_empty() {
        return Err(AdminError::MessageNotFound(format!("no trace of message {id} on {trace_topic}")).into());
    }
    Ok(records)
}

/// printMsg: every queue's messages matching `expression` between the times given.
async fn dump_queues(
    admin: &Admin,
    out: &Output,
    topic: &str,
    expression: &str,
    (begin, end): (Option<i64>, Option<i64>),
) -> anyhow::Result<Vec<QueueDump>> {
    let ranges = Queues::new(admin).queue_ranges(topic, begin, end).await?;
    let (report, total) = (out.progress("queues"), ranges.len());
    let mut dumps = Vec::new();
    for (i, range) in ranges.into_iter().enumerate() {
        report(i, total);
        let mut messages = Vec::new();
        Queues::new(admin).read_range(&range, expression, usize::MAX, &mut |b| messages.extend_from_slice(b)).await?;
        dumps.push(QueueDump { queue: range, messages });
    }
    report(dumps.len(), dumps.len());
    Ok(dumps)
}

/// sendMessage's table.
fn send_table(r: &SendOutcome) -> String {
    let mut t = Table::new(&["Broker Name", "QID", "Send Result", "MsgId"]);
    t.row(vec![r.broker_name.clone(), r.queue_id.to_string(), r.status.clone(), r.msg_id.clone()]);
    t.render()
}

/// checkMsgSendRT's table and average.
fn rt_table(r: &RtReport) -> String {
    let mut t = Table::new(&["Broker Name", "QID", "Send Result", "RT(ms)"]);
    for s in &r.samples {
        t.row(vec![s.broker_name.clone(), s.queue_id.to_string(), s.ok.to_string(), s.rt_ms.to_string()]);
    }
    format!("{}Avg RT: {:.2}\n", t.render(), r.avg_rt_ms)
}

/// The path of a message: the send, then each consumer group's calls (before/after).
fn trace_table(records: &[TraceRecord]) -> String {
    let mut s =
        format!("{:<10} {:<30} {:<26} {:>8} {:<7} {}\n", "#Type", "#Group", "#Time", "#CostMs", "#Status", "#Detail");
    for r in records {
        let (kind, status, detail) = match r.kind {
            Some(TraceType::Pub) => (
                "Pub",
                if r.success { "success" } else { "failed" },
                format!(
                    "topic={} tags={} keys={} broker={} offsetMsgId={}",
                    r.topic, r.tags, r.keys, r.store_host, r.offset_msg_id
                ),
            ),
            Some(TraceType::SubBefore) => {
                ("SubBefore", "", format!("request={} retry={}", r.request_id, r.retry_times))
            }
            Some(TraceType::SubAfter) => {
                ("SubAfter", if r.success { "success" } else { "failed" }, format!("request={}", r.request_id))
            }
            _ => continue,
        };
        let cost = if r.kind == Some(TraceType::SubBefore) { String::new() } else { r.cost_ms.to_string() };
        s.push_str(&format!(
            "{kind:<10} {:<30} {:<26} {cost:>8} {status:<7} {detail}\n",
            r.group,
            rmq_admin::time::display(r.timestamp)
        ));
    }
    s
}
