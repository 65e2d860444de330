//! Broker as a process: registration, persistence across SIGTERM and SIGKILL restarts.

use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_remoting::header::{
    GetRouteInfoRequestHeader, OffsetResponseHeader, PullMessageRequestHeader, QueryConsumerOffsetRequestHeader,
    SendMessageRequestHeaderV2, UpdateConsumerOffsetRequestHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{start_broker, start_namesrv, BrokerSpec};

const T: Duration = Duration::from_secs(5);

async fn send(c: &RemotingClient, addr: &str, topic: &str, body: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: topic.into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 4,
        e: 0,
        i: Some("TAGS\u{1}t".into()),
        ..SendMessageRequestHeaderV2::default()
    };
    c.invoke(
        addr,
        RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(body.as_bytes().to_vec()),
        T,
    )
    .await
    .unwrap()
}

/// Every message of queue 0, pulled in as many pulls as the broker's transfer limits need.
async fn pull_all(c: &RemotingClient, addr: &str, topic: &str) -> Vec<MessageExt> {
    let mut all = Vec::new();
    loop {
        let h = PullMessageRequestHeader {
            consumer_group: "cg".into(),
            topic: topic.into(),
            queue_id: 0,
            queue_offset: i64::try_from(all.len()).unwrap(),
            max_msg_nums: 1000,
            sys_flag: 0x4,
            subscription: Some("*".into()),
            ..PullMessageRequestHeader::default()
        };
        let req = RemotingCommand::request_with_header(RequestCode::PullMessage, &h);
        let resp = c.invoke(addr, req, T).await.unwrap();
        if resp.response_code() == ResponseCode::PullNotFound && !all.is_empty() {
            return all;
        }
        assert_eq!(resp.code, 0, "{:?}", resp.remark);
        let got = MessageExt::decode_all(&resp.body).unwrap();
        assert!(got.len() <= 32, "a pull returned {} messages", got.len());
        all.extend(got);
    }
}

async fn committed(c: &RemotingClient, addr: &str) -> i64 {
    let q = QueryConsumerOffsetRequestHeader {
        consumer_group: "cg".into(),
        topic: "P".into(),
        queue_id: 0,
        set_zero_if_not_found: None,
    };
    let resp =
        c.invoke(addr, RemotingCommand::request_with_header(RequestCode::QueryConsumerOffset, &q), T).await.unwrap();
    resp.header::<OffsetResponseHeader>().unwrap().offset
}

#[tokio::test]
async fn registers_and_keeps_messages_and_offsets_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let spec = BrokerSpec { namesrv: Some(ns.addr()), store: dir.path().join("store"), port: 0, extra: String::new() };
    let broker = start_broker(&spec, dir.path());
    let spec = BrokerSpec { port: broker.port, ..spec };
    let addr = broker.addr();
    let c = RemotingClient::default();
    for i in 0..50 {
        assert_eq!(send(&c, &addr, "P", &format!("m{i}")).await.code, 0);
    }
    // The auto-created topic reaches the name server's route.
    let mut routed = false;
    for _ in 0..50 {
        let h = GetRouteInfoRequestHeader { topic: "P".into(), accept_standard_json_only: Some(true) };
        if c.invoke(&ns.addr(), RemotingCommand::request_with_header(RequestCode::GetRouteinfoByTopic, &h), T)
            .await
            .unwrap()
            .code
            == 0
        {
            routed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(routed, "topic registered with the name server");
    let upd = UpdateConsumerOffsetRequestHeader {
        consumer_group: "cg".into(),
        topic: "P".into(),
        queue_id: 0,
        commit_offset: 42,
    };
    c.invoke(&addr, RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &upd), T).await.unwrap();

    // Graceful restart: offsets persisted at shutdown.
    broker.terminate();
    c.close_channel(&addr);
    let broker = start_broker(&spec, dir.path());
    assert_eq!(committed(&c, &addr).await, 42);
    assert_eq!(pull_all(&c, &addr, "P").await.len(), 50);

    // Crash: every acknowledged message is still there, offsets dense.
    for i in 50..80 {
        assert_eq!(send(&c, &addr, "P", &format!("m{i}")).await.code, 0);
    }
    broker.kill();
    c.close_channel(&addr);
    let _broker = start_broker(&spec, dir.path());
    let msgs = pull_all(&c, &addr, "P").await;
    assert_eq!(msgs.len(), 80);
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m.queue_offset, i64::try_from(i).unwrap());
        assert_eq!(String::from_utf8_lossy(&m.body), format!("m{i}"));
    }
}

#[tokio::test]
async fn auto_create_off_refuses_unknown_topics() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec {
        namesrv: None,
        store: dir.path().join("store"),
        port: 0,
        extra: "autoCreateTopicEnable=false\n".into(),
    };
    let broker = start_broker(&spec, dir.path());
    let c = RemotingClient::default();
    let resp = send(&c, &broker.addr(), "Unknown", "x").await;
    assert_eq!(resp.response_code(), rmq_remoting::ResponseCode::TopicNotExist);
    broker.terminate();
}

async fn send_tagged(c: &RemotingClient, addr: &str, topic: &str, tag: &str) {
    let h = SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: topic.into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 1,
        e: 0,
        i: Some(format!("TAGS\u{1}{tag}")),
        ..SendMessageRequestHeaderV2::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(tag.as_bytes().to_vec());
    assert_eq!(c.invoke(addr, req, T).await.unwrap().code, 0);
}

/// A push consumer's pull: no expression in the request, only the subscription version.
async fn push_pull(c: &RemotingClient, addr: &str, topic: &str, sub_version: i64, kind: &str) -> RemotingCommand {
    let h = PullMessageRequestHeader {
        consumer_group: "cg_sub".into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: 0,
        sub_version: Some(sub_version),
        expression_type: Some(kind.into()),
        ..PullMessageRequestHeader::default()
    };
    c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await.unwrap()
}

fn tags(resp: &RemotingCommand) -> Vec<String> {
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let msgs = MessageExt::decode_all(&resp.body).unwrap();
    msgs.iter().map(|m| rmq_common::property::get(&m.properties, "TAGS").unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn pull_with_a_newer_subscription_than_the_heartbeat_is_served_unfiltered() {
    // The 5.x Java client stamps a new subVersion on every rebalance change and its heartbeat
    // carrying it can be skipped (try-lock held by the periodic heartbeat); refusing those pulls
    // with SUBSCRIPTION_NOT_LATEST stalled its consumers for 30 s.
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: String::new() };
    let broker = start_broker(&spec, dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    for tag in ["a", "b", "a"] {
        send_tagged(&c, &addr, "S", tag).await;
    }
    let heartbeat = serde_json::json!({
        "clientID": "127.0.0.1@sub",
        "producerDataSet": [],
        "consumerDataSet": [{
            "groupName": "cg_sub", "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
            "consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET", "unitMode": false,
            "subscriptionDataSet": [{
                "classFilterMode": false, "topic": "S", "subString": "a", "tagsSet": ["a"],
                "codeSet": [97], "subVersion": 1000, "expressionType": "TAG"
            }]
        }]
    });
    let req = RemotingCommand::request(RequestCode::HeartBeat).with_body(serde_json::to_vec(&heartbeat).unwrap());
    assert_eq!(c.invoke(&addr, req, T).await.unwrap().code, 0);

    // The heartbeat's version or an older one: the registered tag filter applies.
    assert_eq!(tags(&push_pull(&c, &addr, "S", 1000, "TAG").await), ["a", "a"]);
    assert_eq!(tags(&push_pull(&c, &addr, "S", 999, "TAG").await), ["a", "a"]);
    // Newer: every tag (the client filters by its current tags), never a refusal.
    assert_eq!(tags(&push_pull(&c, &addr, "S", 2000, "TAG").await), ["a", "b", "a"]);
    // Other expression types cannot be filtered by the client the same way: still refused.
    let resp = push_pull(&c, &addr, "S", 2000, "SQL92").await;
    assert_eq!(resp.response_code(), rmq_remoting::ResponseCode::SubscriptionNotLatest);
    broker.terminate();
}

#[tokio::test]
async fn stored_messages_carry_the_broker_region_and_trace_switch() {
    // The 5.x Java client writes a consume trace only for messages with MSG_REGION.
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: "regionId=R1\n".into() };
    let broker = start_broker(&spec, dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    send_tagged(&c, &addr, "R", "a").await;
    let msgs = pull_all(&c, &addr, "R").await;
    assert_eq!(msgs.len(), 1);
    let props = &msgs[0].properties;
    assert_eq!(rmq_common::property::get(props, "MSG_REGION"), Some("R1"));
    assert_eq!(rmq_common::property::get(props, "TRACE_ON"), Some("true"));
    broker.terminate();
}
