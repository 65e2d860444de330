//! Fuzzing on stable Rust, inside `cargo test` and bounded in time (#21): a seeded mutator
//! over the corpus in tests/fuzz-corpus (plus the captured body vectors) feeds the frame
//! decoders, the typed header decoders, the stored-record parsers, the lenient JSON body
//! reader and the SQL92 selector parser and evaluator (crates/filter). No input may panic, and the streaming decoder may not reserve past its frame limit.
//!
//! Longer runs: `FUZZ_MILLIS=60000 FUZZ_RUNS=100000000 FUZZ_SEED=7 cargo test -p rmq-tests --test fuzz`.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mutator;

use std::path::{Path, PathBuf};

use bytes::BytesMut;
use rmq_common::message::{decode_batch, MessageExt, StoreMessage};
use rmq_remoting::body::{self, fastjson};
use rmq_remoting::header::*;
use rmq_remoting::{RemotingCodec, RemotingCommand, RequestCode};
use tokio_util::codec::Decoder;

/// Frame limit of the streaming decoder under test.
const MAX_FRAME: usize = 64 * 1024;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus").join(target)
}

/// Every file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_none_or(|x| x != "md") {
            out.push(std::fs::read(&p).unwrap());
        }
    }
}

fn sample_commands() -> Vec<RemotingCommand> {
    let send = SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "TopicTest".into(),
        queue_id: 3,
        properties: Some("TAGS\u{1}a\u{2}KEYS\u{1}k\u{2}".into()),
        ..SendMessageRequestHeader::default()
    };
    let mut json = RemotingCommand::request_with_header(RequestCode::SendMessage, &send).with_body(&b"hello"[..]);
    json.serialize_type = rmq_remoting::SerializeType::Json;
    let mut binary = json.clone();
    binary.serialize_type = rmq_remoting::SerializeType::RocketMq;
    let mut answer = RemotingCommand::error(rmq_remoting::ResponseCode::SystemError, "no");
    answer.serialize_type = rmq_remoting::SerializeType::RocketMq;
    vec![json, binary, answer, RemotingCommand::request(RequestCode::GetRouteinfoByTopic)]
}

fn frame_corpus() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = sample_commands().iter().map(|c| c.encode_frame().unwrap().to_vec()).collect();
    files(&corpus_dir("frames"), &mut out);
    out
}

/// Tries every typed header on `cmd`: each must answer Ok or Err, never panic.
fn all_headers(cmd: &RemotingCommand) {
    macro_rules! try_headers { ($($h:ty),* $(,)?) => { $( let _ = cmd.header::<$h>(); )* } }
    try_headers!(
        SendMessageRequestHeader,
        PullMessageRequestHeader,
        PullMessageResponseHeader,
        PopMessageRequestHeader,
        PopMessageResponseHeader,
        AckMessageRequestHeader,
        ChangeInvisibleTimeRequestHeader,
        ChangeInvisibleTimeResponseHeader,
        PeekMessageRequestHeader,
        NotificationRequestHeader,
        PollingInfoRequestHeader,
        RegisterBrokerRequestHeader,
        RegisterBrokerResponseHeader,
        UnregisterBrokerRequestHeader,
        GetRouteInfoRequestHeader,
        PutKvConfigRequestHeader,
        QueryConsumerOffsetRequestHeader,
        UpdateConsumerOffsetRequestHeader,
        SearchOffsetRequestHeader,
        ResetOffsetRequestHeader,
        CreateTopicRequestHeader,
        QueryMessageRequestHeader,
        ViewMessageRequestHeader,
        ConsumerSendMsgBackRequestHeader,
        UnregisterClientRequestHeader,
        QueryConsumeQueueRequestHeader,
        CloneGroupOffsetRequestHeader,
        GetConsumerStatusRequestHeader,
        EndTransactionRequestHeader,
    );
    if let Some(info) = cmd.ext_fields.get("extraInfo") {
        let _ = rmq_remoting::header::pop_info::ExtraInfo::parse(info);
    }
}

#[test]
fn fuzz_frame_decoders() {
    mutator::run("frames", &frame_corpus(), |data| {
        if let Ok(cmd) = RemotingCommand::decode_frame(data) {
            all_headers(&cmd);
            let _ = cmd.encode_frame();
        }
        let mut codec = RemotingCodec::new(MAX_FRAME);
        let mut buf = BytesMut::from(data);
        while let Ok(Some(cmd)) = codec.decode(&mut buf) {
            all_headers(&cmd);
        }
        assert!(buf.capacity() <= MAX_FRAME + 4 + data.len(), "reserved {} bytes", buf.capacity());
    });
}

/// Header inputs are extFields as `key=value` lines, so mutations reach the field parsers.
#[test]
fn fuzz_header_decoders() {
    let mut corpus: Vec<Vec<u8>> = sample_commands()
        .iter()
        .map(|c| c.ext_fields.iter().map(|(k, v)| format!("{k}={v}\n")).collect::<String>().into_bytes())
        .filter(|t| !t.is_empty())
        .collect();
    files(&corpus_dir("headers"), &mut corpus);
    mutator::run("headers", &corpus, |data| {
        let mut cmd = RemotingCommand::request(RequestCode::SendMessage);
        for line in String::from_utf8_lossy(data).lines() {
            let (k, v) = line.split_once('=').unwrap_or((line, ""));
            cmd.ext_fields.insert(k.to_owned(), v.to_owned());
        }
        all_headers(&cmd);
    });
}

fn record_corpus() -> Vec<Vec<u8>> {
    let one = |topic: &str, body: &[u8]| StoreMessage {
        topic: topic.into(),
        queue_id: 1,
        body: bytes::Bytes::copy_from_slice(body),
        properties: vec![("TAGS".into(), "t".into()), ("KEYS".into(), "k1 k2".into())],
        born_host: "127.0.0.1:5000".parse().unwrap(),
        store_host: "[::1]:10911".parse().unwrap(),
        ..StoreMessage::default()
    };
    let mut out = vec![one("T", b"body").encode(), one(&"L".repeat(200), b"").encode()];
    out.push([out[0].clone(), out[1].clone()].concat());
    files(&corpus_dir("records"), &mut out);
    out
}

#[test]
fn fuzz_record_parsers() {
    mutator::run("records", &record_corpus(), |data| {
        let _ = MessageExt::decode_checked(data, true);
        let _ = MessageExt::decode_checked(data, false);
        let _ = MessageExt::decode_all(data);
        let _ = decode_batch(data);
    });
}

#[test]
fn fuzz_json_bodies() {
    let mut corpus = Vec::new();
    files(&corpus_dir("json"), &mut corpus);
    files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/remoting/tests/vectors/bodies"), &mut corpus);
    mutator::run("json", &corpus, |data| {
        macro_rules! try_bodies { ($($t:ty),* $(,)?) => { $( let _ = body::decode::<$t>(data); )* } }
        try_bodies!(
            body::HeartbeatData,
            body::TopicRouteData,
            body::ClusterInfo,
            body::RegisterBrokerBody,
            body::TopicConfigSerializeWrapper,
            body::SubscriptionGroupWrapper,
            body::LockBatchRequestBody,
            body::TopicList,
            body::ConsumerListBody,
            body::KvTable,
            body::BatchAckMessageRequestBody,
            body::GroupList,
        );
        let _ = fastjson::normalize(&String::from_utf8_lossy(data));
    });
}

/// Property sets a parsed selector is evaluated over: numbers, decimals, text, booleans, empty.
const SQL_PROPERTIES: &[&[(&str, &str)]] = &[
    &[],
    &[("a", "10"), ("region", "hz"), ("b", "1.5"), ("flag", "true"), ("name", "abz")],
    &[("a", "x"), ("region", ""), ("b", "-9223372036854775808"), ("flag", "TRUE"), ("c", "1e309")],
];

/// SQL92 selectors (issue 22) come from clients (heartbeats, CHECK_CLIENT_CONFIG, POP): any text
/// parses or is refused with a position, and what parses evaluates without panicking.
#[test]
fn fuzz_sql_selectors() {
    let mut corpus = Vec::new();
    files(&corpus_dir("sql"), &mut corpus);
    // Around the nesting and depth bounds, so mutations cross them both ways.
    let (nest, deep) = (rmq_filter::MAX_NESTING as usize, rmq_filter::MAX_DEPTH as usize);
    for n in [nest - 1, nest + 1] {
        corpus.push(format!("{}a = 1{}", "(".repeat(n), ")".repeat(n)).into_bytes());
        corpus.push(format!("{}a > 0", "NOT -".repeat(n / 2)).into_bytes());
    }
    for n in [deep / 2 - 1, deep / 2 + 1] {
        corpus.push(format!("a = 1{}", " AND a = 1".repeat(n)).into_bytes());
    }
    mutator::run("sql", &corpus, |data| {
        let text = String::from_utf8_lossy(data);
        match rmq_filter::parse(&text) {
            Ok(expr) => {
                for props in SQL_PROPERTIES {
                    let _ = expr.evaluate(*props);
                    let _ = expr.matches(*props);
                }
                let _ = expr.properties();
            }
            Err(e) => assert!(e.line >= 1 && e.column >= 1, "{text:?}: {e}"),
        }
    });
}
