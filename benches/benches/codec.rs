//! Frame encode/decode and stored-record encoding, per message.
#![allow(missing_docs, clippy::expect_used)] // a benchmark whose setup fails should stop with its reason

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rmq_common::message::{patch_record, StoreMessage};
use rmq_remoting::header::SendMessageRequestHeaderV2;
use rmq_remoting::{RemotingCodec, RemotingCommand, RequestCode, SerializeType};
use tokio_util::codec::Decoder;

fn send_request(ser: SerializeType) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        a: "benchmark_producer".into(),
        b: "BenchTopic".into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 4,
        e: 3,
        g: 1_700_000_000_000,
        i: Some("UNIQ_KEY\u{1}7F00000100002A9F0000000000001000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA".into()),
        k: Some(false),
        m: Some(false),
        ..SendMessageRequestHeaderV2::default()
    };
    let mut cmd = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(vec![b'x'; 1024]);
    cmd.serialize_type = ser;
    cmd
}

fn codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Elements(1));
    for (name, ser) in [("json", SerializeType::Json), ("rocketmq", SerializeType::RocketMq)] {
        let cmd = send_request(ser);
        let bytes = cmd.encode_frame().expect("encodes").freeze();
        g.bench_function(format!("encode_send_1k_{name}"), |b| {
            let mut buf = BytesMut::with_capacity(4096);
            b.iter(|| {
                buf.clear();
                cmd.encode_into(&mut buf).expect("encodes");
            });
        });
        g.bench_function(format!("decode_send_1k_{name}"), |b| {
            let mut codec = RemotingCodec::default();
            b.iter(|| {
                let mut buf = BytesMut::from(&bytes[..]);
                codec.decode(&mut buf).expect("decodes").expect("whole frame")
            });
        });
        g.bench_function(format!("decode_and_read_send_header_1k_{name}"), |b| {
            let mut codec = RemotingCodec::default();
            b.iter(|| {
                let mut buf = BytesMut::from(&bytes[..]);
                let cmd = codec.decode(&mut buf).expect("decodes").expect("whole frame");
                cmd.header::<SendMessageRequestHeaderV2>().expect("a send header")
            });
        });
    }
    g.finish();
}

fn record(c: &mut Criterion) {
    let msg = StoreMessage {
        topic: "BenchTopic".into(),
        queue_id: 3,
        body: Bytes::from(vec![b'x'; 1024]),
        properties: vec![
            ("TAGS".into(), "TagA".into()),
            ("UNIQ_KEY".into(), "7F00000100002A9F0000000000001000".into()),
        ],
        born_host: "127.0.0.1:5000".parse().expect("addr"),
        store_host: "127.0.0.1:10911".parse().expect("addr"),
        ..StoreMessage::default()
    };
    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode_and_patch_1k", |b| {
        b.iter(|| {
            let mut r = msg.encode();
            patch_record(&mut r, 42, 4096, 1_700_000_000_123);
            r
        });
    });
    g.finish();
}

criterion_group!(benches, codec, record);
criterion_main!(benches);
