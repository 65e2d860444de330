//! ACL 1.0: the broker-side check of one signed 1 KiB SEND_MESSAGE_V2 (signature recomputed,
//! account and topic permission looked up), and the client-side signing of it.
#![allow(missing_docs, clippy::expect_used)] // a benchmark whose setup fails should stop with its reason

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rmq_acl::{AclValidator, Credentials, Scope};
use rmq_remoting::header::SendMessageRequestHeaderV2;
use rmq_remoting::{RemotingCommand, RequestCode};

fn send_request() -> RemotingCommand {
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
    RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(vec![b'x'; 1024])
}

fn acl(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("plain_acl.yml");
    let yaml = "accounts:\n  - accessKey: RocketMQ\n    secretKey: '12345678'\n    defaultTopicPerm: DENY\n    topicPerms: [BenchTopic=PUB]\n";
    std::fs::write(&file, yaml).expect("write acl file");
    let validator = AclValidator::open(&file, Scope::Broker);
    let creds = Credentials::new("RocketMQ", "12345678");
    let mut signed = send_request();
    creds.sign(&mut signed);
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    validator.check(&signed, ip).expect("the signed send passes");
    let mut g = c.benchmark_group("acl");
    g.throughput(Throughput::Elements(1));
    g.bench_function("check_signed_send_1k", |b| b.iter(|| validator.check(&signed, ip)));
    g.bench_function("sign_send_1k", |b| {
        b.iter_batched(send_request, |mut r| creds.sign(&mut r), criterion::BatchSize::SmallInput)
    });
    g.finish();
}

criterion_group!(benches, acl);
criterion_main!(benches);
