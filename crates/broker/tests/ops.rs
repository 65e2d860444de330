//! Operators' codes as the official mqadmin 5.x reads them: VIEW_BROKER_STATS_DATA (315) with
//! minute/hour/day windows, recent-window rates in GET_BROKER_RUNTIME_INFO, GET_BROKER_CONSUME_STATS
//! keyed by group, CLEAN_EXPIRED_CONSUMEQUEUE (306) and GET_BROKER_HA_STATUS (907).
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::time::Duration;

use rmq_remoting::body::{fastjson, KvTable};
use rmq_remoting::header::{
    CreateTopicRequestHeader, PullMessageRequestHeader, UpdateConsumerOffsetRequestHeader,
    ViewBrokerStatsDataRequestHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use serde_json::Value;

mod common;

const T: Duration = Duration::from_secs(5);

fn send(topic: &str, body: &str) -> RemotingCommand {
    common::send_request(&common::send_header(topic, 0), body.as_bytes())
}

fn pull(topic: &str) -> RemotingCommand {
    let h = PullMessageRequestHeader {
        consumer_group: "cg".into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: 0x2 | 0x4,
        commit_offset: Some(0),
        suspend_timeout_millis: Some(0),
        subscription: Some("*".into()),
        sub_version: Some(0),
        expression_type: Some("TAG".into()),
        ..PullMessageRequestHeader::default()
    };
    RemotingCommand::request_with_header(RequestCode::PullMessage, &h)
}

fn stats(name: &str, key: &str) -> RemotingCommand {
    let h = ViewBrokerStatsDataRequestHeader { stats_name: name.into(), stats_key: key.into() };
    RemotingCommand::request_with_header(RequestCode::ViewBrokerStatsData, &h)
}

fn first_rate(table: &KvTable, key: &str) -> f64 {
    table.table[key].split_whitespace().next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn stats_windows_consume_stats_by_group_housekeeping_and_ha() {
    let b = common::start(|_| {}).await;
    let c = RemotingClient::default();
    let ok = |r: &RemotingCommand| assert_eq!(r.code, 0, "{:?}", r.remark);
    let h = CreateTopicRequestHeader {
        topic: "OpsT".into(),
        default_topic: "TBW102".into(),
        read_queue_nums: 1,
        write_queue_nums: 1,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        ..CreateTopicRequestHeader::default()
    };
    ok(&c
        .invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::UpdateAndCreateTopic, &h), T)
        .await
        .unwrap());
    for i in 0..3 {
        ok(&c.invoke(&b.addr, send("OpsT", &format!("m{i}")), T).await.unwrap());
    }
    let r = c.invoke(&b.addr, pull("OpsT"), T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::Success);
    let upd = UpdateConsumerOffsetRequestHeader {
        consumer_group: "cg".into(),
        topic: "OpsT".into(),
        queue_id: 0,
        commit_offset: 3,
    };
    ok(&c
        .invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &upd), T)
        .await
        .unwrap());

    // 315: the minute, hour and day windows of a topic's puts and a group's gets.
    let r = c.invoke(&b.addr, stats("TOPIC_PUT_NUMS", "OpsT"), T).await.unwrap();
    ok(&r);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (v["statsMinute"]["sum"].as_i64(), v["statsHour"]["sum"].as_i64(), v["statsDay"]["sum"].as_i64()),
        (Some(3), Some(3), Some(3)),
        "{v}"
    );
    assert!(v["statsMinute"]["tps"].as_f64().unwrap() > 0.0, "{v}");
    let r = c.invoke(&b.addr, stats("GROUP_GET_NUMS", "OpsT@cg"), T).await.unwrap();
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["statsDay"]["sum"].as_i64(), Some(3), "{v}");
    let r = c.invoke(&b.addr, stats("GROUP_GET_NUMS", "OpsT@nobody"), T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::SystemError);
    assert!(r.remark.as_deref().unwrap_or("").contains("not exist"), "{:?}", r.remark);

    // Runtime info: rates over the last 10 s (the current second left out), both TPS spellings.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo), T).await.unwrap();
    let table: KvTable = rmq_remoting::body::decode(&r.body).unwrap();
    let put = first_rate(&table, "putTps");
    assert!(put > 0.0 && put <= 0.3 + 1e-9, "3 puts in the last 10 s: {:?}", table.table.get("putTps"));
    assert!(first_rate(&table, "getTransferredTps") > 0.0);
    assert_eq!(table.table["getTransferredTps"], table.table["getTransferedTps"]);

    // 317: keyed by the group.
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetBrokerConsumeStats), T).await.unwrap();
    ok(&r);
    let v: Value = serde_json::from_str(&fastjson::normalize(&String::from_utf8_lossy(&r.body))).unwrap();
    let by_group = v["consumeStatsList"].as_array().unwrap().iter().find_map(|m| m.get("cg").cloned());
    assert!(by_group.is_some_and(|l| l.as_array().is_some_and(|a| a.len() == 1)), "{v}");
    assert_eq!(v["totalDiff"], 0, "{v}");

    // 306 and 907.
    ok(&c.invoke(&b.addr, RemotingCommand::request(RequestCode::CleanExpiredConsumequeue), T).await.unwrap());
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetBrokerHaStatus), T).await.unwrap();
    ok(&r);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["master"], true, "{v}");
    assert!(v["masterCommitLogMaxOffset"].as_i64().unwrap() > 0, "{v}");
    assert_eq!(v["haConnectionInfo"], serde_json::json!([]), "{v}");
    b.stop().await;
}
