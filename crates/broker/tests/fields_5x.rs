//! The fields Apache RocketMQ 5.x writes in answers (checked against the official broker by
//! tests/compat/run-fields-compat.sh), here on an in-process broker with exact values.
// Test and example code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::time::Duration;

use rmq_remoting::body::fastjson;
use rmq_remoting::header::{
    CreateTopicRequestHeader, GetConsumeStatsRequestHeader, PullMessageRequestHeader,
    QueryTopicsByConsumerRequestHeader, SendMessageRequestHeaderV2, UpdateConsumerOffsetRequestHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

mod common;

const T: Duration = Duration::from_secs(5);

fn send(properties: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 { i: Some(properties.into()), ..common::send_header("F5", 0) };
    common::send_request(&h, b"x".to_vec())
}

fn json(r: &RemotingCommand) -> serde_json::Value {
    assert_eq!(r.response_code(), ResponseCode::Success, "{}", r.remark_str());
    serde_json::from_str(&fastjson::normalize(&String::from_utf8_lossy(&r.body))).unwrap()
}

#[tokio::test]
async fn answers_carry_the_5x_fields() {
    let b = common::start(|_| {}).await;
    let c = RemotingClient::default();
    let call = |req: RemotingCommand| c.invoke(&b.addr, req, T);
    let create = CreateTopicRequestHeader {
        topic: "F5".into(),
        default_topic: "TBW102".into(),
        read_queue_nums: 1,
        write_queue_nums: 1,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        ..CreateTopicRequestHeader::default()
    };
    let r = call(RemotingCommand::request_with_header(RequestCode::UpdateAndCreateTopic, &create)).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::Success);

    // transactionId: the message's UNIQ_KEY, given one by the broker when it has none.
    let r = call(send("UNIQ_KEY\u{1}0A0B0C0D00000000000000000000AAAA\u{2}")).await.unwrap();
    assert_eq!(r.ext_fields.get("transactionId"), Some("0A0B0C0D00000000000000000000AAAA"));
    let r = call(send("KEYS\u{1}k\u{2}")).await.unwrap();
    let generated = r.ext_fields.get("transactionId").unwrap().to_owned();
    assert_eq!(generated.len(), 32, "{generated}");
    assert!(generated.starts_with("7F000001"), "{generated}");

    // Pull: 5.x sys flags in the header; the next offset is recorded as the pull offset.
    let pull = PullMessageRequestHeader {
        consumer_group: "cg".into(),
        topic: "F5".into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 1,
        sys_flag: 0x4,
        subscription: Some("*".into()),
        expression_type: Some("TAG".into()),
        ..PullMessageRequestHeader::default()
    };
    let r = call(RemotingCommand::request_with_header(RequestCode::PullMessage, &pull)).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::Success);
    assert_eq!((r.ext_fields.get("topicSysFlag"), r.ext_fields.get("groupSysFlag")), (Some("0"), Some("0")));
    let msg = rmq_common::message::MessageExt::decode(&r.body).unwrap();
    assert_eq!(msg.unique_id(), "0A0B0C0D00000000000000000000AAAA");

    let commit = UpdateConsumerOffsetRequestHeader {
        consumer_group: "cg".into(),
        topic: "F5".into(),
        queue_id: 0,
        commit_offset: 1,
    };
    call(RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &commit)).await.unwrap();
    let offsets = json(&call(RemotingCommand::request(RequestCode::GetAllConsumerOffset)).await.unwrap());
    assert_eq!(offsets["offsetTable"], serde_json::json!({"F5@cg": {"0": 1}}));
    assert_eq!(offsets["pullOffsetTable"], serde_json::json!({"F5@cg": {"0": 1}}));
    assert_eq!(offsets["groupTopicMap"], serde_json::json!({"cg": ["F5"]}));
    assert_eq!(offsets["dataVersion"]["counter"], 1);

    let stats = GetConsumeStatsRequestHeader { consumer_group: "cg".into(), topic: Some("F5".into()) };
    let stats = json(&call(RemotingCommand::request_with_header(RequestCode::GetConsumeStats, &stats)).await.unwrap());
    let row = stats["offsetTable"].as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(
        row,
        serde_json::json!({"brokerOffset": 2, "consumerOffset": 1, "lastTimestamp": row["lastTimestamp"], "pullOffset": 1})
    );
    let h = rmq_remoting::header::TopicRequestHeader { topic: "F5".into() };
    let topic_stats =
        json(&call(RemotingCommand::request_with_header(RequestCode::GetTopicStatsInfo, &h)).await.unwrap());
    assert!((topic_stats["topicPutTps"].as_f64().unwrap() - 2.0 / 60.0).abs() < 0.01, "{topic_stats}");

    let by = QueryTopicsByConsumerRequestHeader { group: "cg".into() };
    let list =
        json(&call(RemotingCommand::request_with_header(RequestCode::QueryTopicsByConsumer, &by)).await.unwrap());
    assert_eq!(list, serde_json::json!({"topicList": ["F5"], "brokerAddr": b.addr}));

    let r = call(RemotingCommand::request(RequestCode::GetAllTopicConfig)).await.unwrap();
    let topics = json(&r);
    let n = topics["topicConfigTable"].as_object().unwrap().len();
    assert_eq!(r.ext_fields.get("totalTopicNum"), Some(n.to_string().as_str()));
    assert_eq!(topics["topicQueueMappingInfoMap"], serde_json::json!({}));
    let r = call(RemotingCommand::request(RequestCode::GetAllSubscriptiongroupConfig)).await.unwrap();
    let groups = json(&r);
    let n = groups["subscriptionGroupTable"].as_object().unwrap().len();
    assert_eq!(r.ext_fields.get("totalGroupNum"), Some(n.to_string().as_str()));

    let config = call(RemotingCommand::request(RequestCode::GetBrokerConfig)).await.unwrap();
    let text = String::from_utf8_lossy(&config.body);
    for line in ["filterServerNums=0", "useTLS=false"] {
        assert!(text.lines().any(|l| l == line), "{line} not in {text}");
    }

    let info = json(&call(RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo)).await.unwrap());
    let table = info["table"].as_object().unwrap();
    for key in [
        "brokerActive",
        "runtime",
        "getTransferredTps",
        "getFoundTps",
        "getMissTps",
        "getTotalTps",
        "putMessageTimesTotal",
        "putMessageSizeTotal",
        "putMessageAverageSize",
        "putLatency99",
        "putLatency999",
        "consumeQueueDiskRatio",
        "sendThreadPoolQueueCapacity",
        "ackThreadPoolQueueHeadWaitTimeMills",
        "EndTransactionThreadPoolQueueCapacity",
        "timerEnqueueTps",
        "timerReadBehind",
    ] {
        assert!(table.contains_key(key), "{key} missing from {info}");
    }
    assert_eq!(table["putMessageTimesTotal"], "2");
    assert_eq!(table["brokerActive"], "true");
    assert_eq!(table["getFoundTps"].as_str().unwrap().split(' ').count(), 3);
    assert!(table.keys().any(|k| k.starts_with("commitLogDiskRatio_/")), "{info}");
    b.stop().await;
}
