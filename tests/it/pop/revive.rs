//! Revive: unacked messages come back from the POP retry topic after their invisible time, go
//! to the DLQ past the group's retryMaxTimes, keep a changed invisible time, and survive SIGKILL.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rmq_common::message::MessageExt;
use rmq_remoting::body::SubscriptionGroupConfig;
use rmq_remoting::header::pop_info::ExtraInfo;
use rmq_remoting::header::{
    ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader, PullMessageRequestHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};
use rmq_tests::{start_broker, BrokerSpec};

use super::kit::{ack_msg, bodies, committed, handles, pop, send, Pop, T};

fn spec(dir: &std::path::Path) -> BrokerSpec {
    BrokerSpec { namesrv: None, store: dir.join("store"), port: 0, extra: "reviveInterval=100\n".into() }
}

async fn create_group(c: &RemotingClient, addr: &str, group: &str, retry_max_times: i32) {
    let cfg =
        SubscriptionGroupConfig { group_name: group.into(), retry_max_times, ..SubscriptionGroupConfig::default() };
    let req = RemotingCommand::request(RequestCode::UpdateAndCreateSubscriptiongroup)
        .with_body(serde_json::to_vec(&cfg).unwrap());
    assert_eq!(c.invoke(addr, req, T).await.unwrap().code, 0);
}

async fn pull_queue0(c: &RemotingClient, addr: &str, topic: &str) -> Vec<MessageExt> {
    let h = PullMessageRequestHeader {
        consumer_group: "reader".into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        // The subscription bit: the expression travels with the pull.
        sys_flag: 0x4,
        subscription: Some("*".into()),
        ..PullMessageRequestHeader::default()
    };
    let r = c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await.unwrap();
    if r.code != 0 {
        return Vec::new();
    }
    MessageExt::decode_all(&r.body).unwrap()
}

#[tokio::test]
async fn unacked_messages_are_revived_then_sent_to_the_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(&spec(dir.path()), dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    let (g, topic) = ("rg", "PopR");
    create_group(&c, &addr, g, 1).await;
    for b in ["r0", "r1", "r2"] {
        assert_eq!(send(&c, &addr, topic, b, "t").await.code, 0);
    }
    let popped = Instant::now();
    let first = handles(&pop(&c, &addr, &Pop { invisible: 1000, ..Pop::new(g, topic) }).await, topic);
    assert_eq!(bodies(&first), ["r0", "r1", "r2"]);
    ack_msg(&c, &addr, g, topic, &first[0]).await;

    // r2's invisible time moves to 60 s: only r1 is revived.
    let h = ChangeInvisibleTimeRequestHeader {
        consumer_group: g.into(),
        topic: topic.into(),
        queue_id: 0,
        extra_info: first[2].1.clone(),
        offset: 2,
        invisible_time: 60_000,
        broker_name: None,
    };
    let r = c
        .invoke(&addr, RemotingCommand::request_with_header(RequestCode::ChangeMessageInvisibletime, &h), T)
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let changed = r.header::<ChangeInvisibleTimeResponseHeader>().unwrap();
    assert_eq!(changed.invisible_time, 60_000);
    // The handle the Java client builds from the answer.
    let old = ExtraInfo::parse(&first[2].1).unwrap();
    let new_handle = ExtraInfo {
        ck_queue_offset: 2,
        pop_time: changed.pop_time,
        invisible_time: 60_000,
        revive_qid: changed.revive_qid,
        queue_offset: Some(2),
        ..old
    };

    // r1 comes back from %RETRY%rg_PopR, under its topic, once its invisible time passed.
    let again = handles(&pop(&c, &addr, &Pop { invisible: 1000, poll: 5000, ..Pop::new(g, topic) }).await, topic);
    assert!(popped.elapsed() >= Duration::from_millis(1000), "revived early: {:?}", popped.elapsed());
    assert_eq!(bodies(&again), ["r1"]);
    assert_eq!(again[0].0.reconsume_times, 1);
    let info = ExtraInfo::parse(&again[0].1).unwrap();
    assert_eq!((info.retry.as_str(), info.queue_id, info.queue_offset), ("1", 0, Some(0)));
    assert_eq!(rmq_common::property::get(&again[0].0.properties, "RETRY_TOPIC"), Some(topic));
    // r0 acked, r1 revived, r2 in flight: the topic's offset stays at r2.
    assert_eq!(committed(&c, &addr, g, topic).await, 2);

    // Not acked again: past retryMaxTimes=1 it goes to %DLQ%rg, never popped again.
    let r = pop(&c, &addr, &Pop { poll: 2500, ..Pop::new(g, topic) }).await;
    assert_eq!(r.code, 210, "{:?}", r.remark);
    let dlq = pull_queue0(&c, &addr, "%DLQ%rg").await;
    assert_eq!(dlq.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect::<Vec<_>>(), ["r1"]);
    assert_eq!(dlq[0].reconsume_times, 2);
    assert_eq!(committed(&c, &addr, g, "%RETRY%rg_PopR").await, 1);

    // The old handle of r2 is dead; the new one acks it and the offset moves to the end.
    let ack_with = |handle: String| {
        let h = rmq_remoting::header::AckMessageRequestHeader {
            consumer_group: g.into(),
            topic: topic.into(),
            queue_id: 0,
            extra_info: handle,
            offset: 2,
            broker_name: None,
        };
        RemotingCommand::request_with_header(RequestCode::AckMessage, &h)
    };
    assert_eq!(c.invoke(&addr, ack_with(first[2].1.clone()), T).await.unwrap().code, 0);
    assert_eq!(committed(&c, &addr, g, topic).await, 2);
    assert_eq!(c.invoke(&addr, ack_with(new_handle.to_string()), T).await.unwrap().code, 0);
    assert_eq!(committed(&c, &addr, g, topic).await, 3);
}

#[tokio::test]
async fn popped_but_unacked_messages_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path());
    let broker = start_broker(&spec, dir.path());
    let spec = BrokerSpec { port: broker.port, ..spec };
    let addr = broker.addr();
    let c = RemotingClient::default();
    let (g, topic) = ("kg", "PopK");
    for i in 0..20 {
        assert_eq!(send(&c, &addr, topic, &format!("k{i}"), "t").await.code, 0);
    }
    let a = handles(&pop(&c, &addr, &Pop { max: 10, invisible: 3000, ..Pop::new(g, topic) }).await, topic);
    let b = handles(&pop(&c, &addr, &Pop { max: 10, invisible: 3000, ..Pop::new(g, topic) }).await, topic);
    let popped_at = rmq_common::time::now_ms();
    assert_eq!(bodies(&a), (0..10).map(|i| format!("k{i}")).collect::<Vec<_>>());
    assert_eq!(bodies(&b), (10..20).map(|i| format!("k{i}")).collect::<Vec<_>>());
    for hm in a.iter().step_by(2).chain(b.iter()) {
        ack_msg(&c, &addr, g, topic, hm).await;
    }
    broker.kill();
    c.close_channel(&addr);
    let _broker = start_broker(&spec, dir.path());

    // Every unacked message exactly once, none before its invisible time, no acked one.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && seen.len() < 5 {
        let r = pop(&c, &addr, &Pop { invisible: 60_000, poll: 2000, ..Pop::new(g, topic) }).await;
        if r.code == 210 {
            continue;
        }
        let got = handles(&r, topic);
        assert!(rmq_common::time::now_ms() >= popped_at + 3000, "redelivered before the invisible time");
        for hm in &got {
            *seen.entry(String::from_utf8_lossy(&hm.0.body).into_owned()).or_default() += 1;
            ack_msg(&c, &addr, g, topic, hm).await;
        }
    }
    let expected: BTreeMap<String, usize> =
        ["k1", "k3", "k5", "k7", "k9"].iter().map(|k| ((*k).to_owned(), 1)).collect();
    assert_eq!(seen, expected);
    let r = pop(&c, &addr, &Pop { poll: 1500, ..Pop::new(g, topic) }).await;
    assert_eq!(r.code, 210, "nothing more after the crash: {:?}", r.remark);
    assert_eq!(committed(&c, &addr, g, topic).await, 20);
}

#[tokio::test]
async fn an_offset_reset_moves_a_pop_group_and_drops_its_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(&spec(dir.path()), dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    let (g, topic) = ("xg", "PopX");
    for b in ["x0", "x1", "x2"] {
        assert_eq!(send(&c, &addr, topic, b, "t").await.code, 0);
    }
    let first = handles(&pop(&c, &addr, &Pop { invisible: 1000, ..Pop::new(g, topic) }).await, topic);
    assert_eq!(bodies(&first), ["x0", "x1", "x2"]);
    ack_msg(&c, &addr, g, topic, &first[0]).await;
    assert_eq!(committed(&c, &addr, g, topic).await, 1);
    // Reset to the beginning (timestamp 0, forced): everything is popped again from offset 0,
    // and the dropped checkpoint revives nothing.
    let h = rmq_remoting::header::ResetOffsetRequestHeader {
        topic: topic.into(),
        group: g.into(),
        timestamp: 0,
        is_force: true,
    };
    let r = c
        .invoke(&addr, RemotingCommand::request_with_header(RequestCode::InvokeBrokerToResetOffset, &h), T)
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert_eq!(committed(&c, &addr, g, topic).await, 0);
    let again = handles(&pop(&c, &addr, &Pop::new(g, topic)).await, topic);
    assert_eq!(bodies(&again), ["x0", "x1", "x2"]);
    assert!(again.iter().all(|(m, _)| m.reconsume_times == 0));
    for hm in &again {
        ack_msg(&c, &addr, g, topic, hm).await;
    }
    let r = pop(&c, &addr, &Pop { poll: 2000, ..Pop::new(g, topic) }).await;
    assert_eq!(r.code, 210, "the dropped checkpoint revived something: {:?}", r.remark);
    assert_eq!(committed(&c, &addr, g, topic).await, 3);
}
