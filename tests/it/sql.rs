//! SQL92 property filters against a broker process (enablePropertyFilter=true): CHECK_CLIENT_CONFIG,
//! pull with the expression carried (lite pull) and registered by heartbeat (push), POP, the
//! retry topic under filterSupportRetry, and malformed expressions refused with their position
//! without disturbing other groups; a pull naming a newer subscription version than the
//! heartbeat's (the 5.x push consumer's race, issue 22).

use rmq_common::message::MessageExt;
use rmq_remoting::header::{PullMessageRequestHeader, SendMessageRequestHeaderV2};
use std::sync::Arc;

use rmq_remoting::transport::{ClientConfig, Dispatcher, RemotingClient, RequestContext};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{start_broker, BrokerSpec};

use crate::pop::kit::{bodies, handles, pop, Pop, T};

/// Sends `body` with properties `a=<a>` (when given) and tag `t`.
async fn send(c: &RemotingClient, addr: &str, topic: &str, body: &str, a: Option<i32>, extra: &str) {
    let mut props = String::from("TAGS\u{1}t\u{2}");
    if let Some(a) = a {
        props.push_str(&format!("a\u{1}{a}\u{2}"));
    }
    props.push_str(extra);
    let h = SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: topic.into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 1,
        e: 0,
        i: Some(props),
        ..SendMessageRequestHeaderV2::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(body.as_bytes().to_vec());
    let resp = c.invoke(addr, req, T).await.unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
}

/// One pull of queue 0 from `offset`; `sub` carried with the subscription flag (as a lite pull
/// consumer does) or, when `None`, taken from the group's heartbeat (as a push consumer).
async fn pull(c: &RemotingClient, addr: &str, group: &str, topic: &str, sub: Option<(&str, &str)>) -> RemotingCommand {
    let h = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: if sub.is_some() { 0x4 } else { 0 },
        subscription: sub.map(|s| s.1.to_owned()),
        expression_type: Some(sub.map_or("SQL92", |s| s.0).to_owned()),
        sub_version: Some(0),
        ..PullMessageRequestHeader::default()
    };
    c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await.unwrap()
}

fn pulled(resp: &RemotingCommand) -> Vec<String> {
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let msgs = MessageExt::decode_all(&resp.body).unwrap();
    msgs.iter().map(|m| String::from_utf8_lossy(&m.body).into_owned()).collect()
}

async fn check_config(c: &RemotingClient, addr: &str, kind: &str, expression: &str) -> RemotingCommand {
    let body = serde_json::json!({
        "clientId": "127.0.0.1@sql", "group": "cg_sql",
        "subscriptionData": {"classFilterMode": false, "codeSet": [], "expressionType": kind,
            "subString": expression, "subVersion": 1, "tagsSet": [], "topic": "SqlT"}
    });
    let req = RemotingCommand::request(RequestCode::CheckClientConfig).with_body(serde_json::to_vec(&body).unwrap());
    c.invoke(addr, req, T).await.unwrap()
}

async fn heartbeat(c: &RemotingClient, addr: &str, group: &str, topic: &str, expression: &str) {
    let hb = serde_json::json!({
        "clientID": "127.0.0.1@sql",
        "producerDataSet": [],
        "consumerDataSet": [{
            "groupName": group, "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
            "consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET", "unitMode": false,
            "subscriptionDataSet": [{"classFilterMode": false, "topic": topic, "subString": expression,
                "tagsSet": [], "codeSet": [], "subVersion": 1, "expressionType": "SQL92"}]
        }]
    });
    let req = RemotingCommand::request(RequestCode::HeartBeat).with_body(serde_json::to_vec(&hb).unwrap());
    assert_eq!(c.invoke(addr, req, T).await.unwrap().code, 0, "a heartbeat with SQL92 is accepted");
}

#[tokio::test]
async fn sql92_filters_pull_pop_and_retry() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "enablePropertyFilter=true\nfilterSupportRetry=true\n".into();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra };
    let broker = start_broker(&spec, dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    for (i, a) in [Some(1), Some(7), None, Some(9), Some(3)].into_iter().enumerate() {
        send(&c, &addr, "SqlT", &format!("m{i}"), a, "").await;
    }

    // CHECK_CLIENT_CONFIG: good expressions and TAG pass; a bad one names where and why.
    assert_eq!(check_config(&c, &addr, "SQL92", "a between 0 and 9").await.code, 0);
    assert_eq!(check_config(&c, &addr, "TAG", "*").await.code, 0);
    let bad = check_config(&c, &addr, "SQL92", "a > 5 AND").await;
    assert_eq!(bad.response_code(), ResponseCode::SubscriptionParseFailed);
    let remark = bad.remark.unwrap_or_default();
    assert!(remark.contains("line 1, column 10"), "{remark}");

    // Pull with the expression carried.
    let sql = ("SQL92", "a > 5");
    assert_eq!(pulled(&pull(&c, &addr, "g_lite", "SqlT", Some(sql)).await), ["m1", "m3"]);
    assert_eq!(pulled(&pull(&c, &addr, "g_lite", "SqlT", Some(("SQL92", "a IS NULL"))).await), ["m2"]);
    let bad = pull(&c, &addr, "g_bad", "SqlT", Some(("SQL92", "a >> 5"))).await;
    assert_eq!(bad.response_code(), ResponseCode::SubscriptionParseFailed, "{:?}", bad.remark);
    // Other groups are not disturbed by the bad one.
    assert_eq!(pulled(&pull(&c, &addr, "g_tag", "SqlT", Some(("TAG", "*"))).await).len(), 5);

    // Push: the expression comes from the heartbeat.
    heartbeat(&c, &addr, "g_push", "SqlT", "a BETWEEN 2 AND 8").await;
    assert_eq!(pulled(&pull(&c, &addr, "g_push", "SqlT", None).await), ["m1", "m4"]);

    // POP applies the filter per message and moves past what it skipped.
    let p = Pop { exp_type: Some("SQL92".into()), exp: Some("a > 5 OR a IS NULL".into()), ..Pop::new("g_pop", "SqlT") };
    assert_eq!(bodies(&handles(&pop(&c, &addr, &p).await, "SqlT")), ["m1", "m2", "m3"]);
    assert_eq!(pop(&c, &addr, &p).await.code, 210, "nothing else matches");
    let bad = Pop { exp: Some("a IN (1)".into()), ..p.clone() };
    assert_eq!(pop(&c, &addr, &bad).await.response_code(), ResponseCode::SubscriptionParseFailed);

    // filterSupportRetry: the retry topic is filtered by the group's expression of the topic
    // each message was first sent to.
    let retry = "%RETRY%g_push";
    send(&c, &addr, retry, "r-low", Some(1), "RETRY_TOPIC\u{1}SqlT\u{2}").await;
    send(&c, &addr, retry, "r-high", Some(5), "RETRY_TOPIC\u{1}SqlT\u{2}").await;
    assert_eq!(pulled(&pull(&c, &addr, "g_push", retry, Some(("TAG", "*"))).await), ["r-high"]);
    drop(broker);
}

#[tokio::test]
async fn sql92_is_refused_when_the_property_filter_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: String::new() };
    let broker = start_broker(&spec, dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    send(&c, &addr, "SqlOff", "m", Some(1), "").await;
    let r = check_config(&c, &addr, "SQL92", "a > 1").await;
    assert_eq!(r.response_code(), ResponseCode::SystemError);
    assert!(r.remark.unwrap_or_default().contains("does not support consumer to filter message by SQL92"));
    let r = pull(&c, &addr, "g", "SqlOff", Some(("SQL92", "a > 0"))).await;
    assert_eq!(r.response_code(), ResponseCode::SystemError);
    assert_eq!(pulled(&pull(&c, &addr, "g", "SqlOff", Some(("TAG", "*"))).await), ["m"]);
    drop(broker);
}

/// A consumer client whose connection answers the broker's GET_CONSUMER_RUNNING_INFO with
/// `expression` at `version` as its subscription of `SqlV`, as a Java consumer reports it.
fn consumer_reporting(expression: &'static str, version: i64) -> RemotingClient {
    let processor = move |_: RequestContext, req: RemotingCommand| async move {
        if req.request_code() != RequestCode::GetConsumerRunningInfo {
            return None;
        }
        let info = serde_json::json!({
            "properties": {"consumeType": "CONSUME_PASSIVELY"},
            "subscriptionSet": [{"classFilterMode": false, "topic": "SqlV", "subString": expression,
                "tagsSet": [], "codeSet": [], "subVersion": version, "expressionType": "SQL92"}],
            "mqTable": {}, "statusTable": {}
        });
        Some(RemotingCommand::success().with_body(serde_json::to_vec(&info).unwrap()))
    };
    RemotingClient::new(ClientConfig::default(), Dispatcher::new().processor(Arc::new(processor)))
}

/// A push consumer's pull of queue 0 of `SqlV` naming subscription version `version`.
async fn pull_version(c: &RemotingClient, addr: &str, group: &str, version: i64) -> RemotingCommand {
    let h = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: "SqlV".into(),
        queue_id: 0,
        max_msg_nums: 32,
        expression_type: Some("SQL92".into()),
        sub_version: Some(version),
        ..PullMessageRequestHeader::default()
    };
    c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await.unwrap()
}

/// Issue 22's 5.5.0 regression: a push consumer stamps a new subscription version when its
/// rebalance changes and its heartbeat carrying it can miss the lock, so pulls name a version
/// the broker has not seen for up to 30 s. For SQL92 the broker reads the subscription back
/// from the client instead of refusing every pull with SUBSCRIPTION_NOT_LATEST.
#[tokio::test]
async fn a_sql92_pull_newer_than_the_heartbeat_is_served_with_the_clients_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "enablePropertyFilter=true\n".into();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra };
    let broker = start_broker(&spec, dir.path());
    let addr = broker.addr();
    let producer = RemotingClient::default();
    for a in 0..10 {
        send(&producer, &addr, "SqlV", &format!("m{a}"), Some(a), "").await;
    }
    // The heartbeat registered version 1 (a < 0, nothing); the client now holds version 2.
    let c = consumer_reporting("a >= 5 AND a <> 7", 2);
    heartbeat(&c, &addr, "g_ver", "SqlV", "a < 0").await;
    let r = pull_version(&c, &addr, "g_ver", 1).await;
    assert_eq!(r.remark.as_deref(), Some("NO_MATCHED_MESSAGE"), "the registered filter: {}", r.code);
    assert_eq!(pulled(&pull_version(&c, &addr, "g_ver", 2).await), ["m5", "m6", "m8", "m9"]);
    // A client that reports an older version than its pull is still refused.
    let stale = consumer_reporting("a >= 0", 1);
    heartbeat(&stale, &addr, "g_stale", "SqlV", "a >= 0").await;
    let r = pull_version(&stale, &addr, "g_stale", 3).await;
    assert_eq!(r.response_code(), ResponseCode::SubscriptionNotLatest, "{:?}", r.remark);
    // So is one that does not answer (REQUEST_CODE_NOT_SUPPORTED).
    heartbeat(&producer, &addr, "g_mute", "SqlV", "a >= 0").await;
    let r = pull_version(&producer, &addr, "g_mute", 3).await;
    assert_eq!(r.response_code(), ResponseCode::SubscriptionNotLatest, "{:?}", r.remark);
    drop(broker);
}
