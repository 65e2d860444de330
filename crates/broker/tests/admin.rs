//! Validation errors of sends and the admin codes the official mqadmin uses.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::time::Duration;

use rmq_broker::{BrokerConfig, BrokerRole};
use rmq_remoting::body::{fastjson, SubscriptionGroupConfig, SubscriptionGroupWrapper, TopicConfigSerializeWrapper};
use rmq_remoting::header::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, GetConsumeStatsRequestHeader, OffsetResponseHeader,
    ResetOffsetRequestHeader, SearchOffsetRequestHeader, TopicRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

const T: Duration = Duration::from_secs(5);

mod common;

async fn start(tweak: impl FnOnce(&mut BrokerConfig)) -> common::Running {
    common::start(|cfg| {
        cfg.send.max_message_size = 1024;
        tweak(cfg);
    })
    .await
}

fn send(topic: &str, queue: i32, body: Vec<u8>) -> RemotingCommand {
    common::send_request(&common::send_header(topic, queue), body)
}

fn create_topic(topic: &str, perm: i32) -> RemotingCommand {
    let h = CreateTopicRequestHeader {
        topic: topic.into(),
        default_topic: "TBW102".into(),
        read_queue_nums: 2,
        write_queue_nums: 2,
        perm,
        topic_filter_type: "SINGLE_TAG".into(),
        order: false,
        ..CreateTopicRequestHeader::default()
    };
    RemotingCommand::request_with_header(RequestCode::UpdateAndCreateTopic, &h)
}

#[tokio::test]
async fn send_validation_errors() {
    let b = start(|_| {}).await;
    let c = RemotingClient::default();
    let code = |r: RemotingCommand| r.response_code();
    assert_eq!(code(c.invoke(&b.addr, send("T", 0, vec![b'x'; 2000]), T).await.unwrap()), ResponseCode::MessageIllegal);
    assert_eq!(
        code(c.invoke(&b.addr, send(&"t".repeat(200), 0, b"x".to_vec()), T).await.unwrap()),
        ResponseCode::MessageIllegal
    );
    assert_eq!(
        code(c.invoke(&b.addr, send("RMQ_SYS_TRANS_HALF_TOPIC", 0, b"x".to_vec()), T).await.unwrap()),
        ResponseCode::NoPermission
    );
    assert_eq!(code(c.invoke(&b.addr, create_topic("Two", 6), T).await.unwrap()), ResponseCode::Success);
    let r = c.invoke(&b.addr, send("Two", 5, b"x".to_vec()), T).await.unwrap();
    assert_eq!(code(r.clone()), ResponseCode::SystemError);
    assert!(r.remark_str().contains("queueId"), "{}", r.remark_str());
    assert_eq!(code(c.invoke(&b.addr, create_topic("ReadOnly", 4), T).await.unwrap()), ResponseCode::Success);
    assert_eq!(
        code(c.invoke(&b.addr, send("ReadOnly", 0, b"x".to_vec()), T).await.unwrap()),
        ResponseCode::NoPermission
    );
    b.stop().await;

    let slave = start(|cfg| {
        cfg.identity.broker_role = BrokerRole::Slave;
        cfg.identity.broker_id = 1;
    })
    .await;
    let r = c.invoke(&slave.addr, send("T", 0, b"x".to_vec()), T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::ServiceNotAvailable);
    assert!(r.remark_str().contains("slave"), "{}", r.remark_str());
    slave.stop().await;
}

#[tokio::test]
async fn admin_codes() {
    let b = start(|_| {}).await;
    let c = RemotingClient::default();
    let ok = |r: &RemotingCommand| assert_eq!(r.code, 0, "{:?}", r.remark);
    ok(&c.invoke(&b.addr, create_topic("AdminT", 6), T).await.unwrap());
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetAllTopicConfig), T).await.unwrap();
    let w: TopicConfigSerializeWrapper = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(w.topic_config_table["AdminT"].write_queue_nums, 2);
    for i in 0..3 {
        ok(&c.invoke(&b.addr, send("AdminT", 1, format!("m{i}").into_bytes()), T).await.unwrap());
    }
    // Topic stats: fastjson object keys.
    let r = c
        .invoke(
            &b.addr,
            RemotingCommand::request_with_header(
                RequestCode::GetTopicStatsInfo,
                &TopicRequestHeader { topic: "AdminT".into() },
            ),
            T,
        )
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&fastjson::normalize(&String::from_utf8_lossy(&r.body))).unwrap();
    let q1 = v["offsetTable"].as_object().unwrap().iter().find(|(k, _)| k.contains("\"queueId\":1")).unwrap().1;
    assert_eq!(q1["maxOffset"], 3);
    assert!(q1["lastUpdateTimestamp"].as_i64().unwrap() > 0);

    // Groups.
    let g = SubscriptionGroupConfig { retry_max_times: 3, ..SubscriptionGroupConfig::named("AdminG") };
    ok(&c
        .invoke(
            &b.addr,
            RemotingCommand::request(RequestCode::UpdateAndCreateSubscriptiongroup)
                .with_body(serde_json::to_vec(&g).unwrap()),
            T,
        )
        .await
        .unwrap());
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetAllSubscriptiongroupConfig), T).await.unwrap();
    let w: SubscriptionGroupWrapper = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(w.subscription_group_table["AdminG"].retry_max_times, 3);

    // Offsets, consume stats, search and reset by time.
    let upd = UpdateConsumerOffsetRequestHeader {
        consumer_group: "AdminG".into(),
        topic: "AdminT".into(),
        queue_id: 1,
        commit_offset: 3,
    };
    ok(&c
        .invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &upd), T)
        .await
        .unwrap());
    let r = c
        .invoke(
            &b.addr,
            RemotingCommand::request_with_header(
                RequestCode::GetConsumeStats,
                &GetConsumeStatsRequestHeader { consumer_group: "AdminG".into(), topic: None },
            ),
            T,
        )
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert!(text.contains("\"brokerOffset\":3,\"consumerOffset\":3"), "{text}");
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetAllConsumerOffset), T).await.unwrap();
    assert!(String::from_utf8_lossy(&r.body).contains("\"AdminT@AdminG\":{1:3}"));
    let s = SearchOffsetRequestHeader { topic: "AdminT".into(), queue_id: 1, timestamp: 0, boundary_type: None };
    let r = c
        .invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::SearchOffsetByTimestamp, &s), T)
        .await
        .unwrap();
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 0);
    let reset =
        ResetOffsetRequestHeader { topic: "AdminT".into(), group: "AdminG".into(), timestamp: 0, is_force: true };
    ok(&c
        .invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::InvokeBrokerToResetOffset, &reset), T)
        .await
        .unwrap());
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetAllConsumerOffset), T).await.unwrap();
    assert!(String::from_utf8_lossy(&r.body).contains("\"AdminT@AdminG\":{0:0,1:0}"), "reset to the start");

    // Runtime info and config.
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo), T).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    for key in [
        "brokerVersionDesc",
        "putTps",
        "getTransferedTps",
        "msgPutTotalTodayNow",
        "commitLogDiskRatio",
        "earliestMessageTimeStamp",
    ] {
        assert!(v["table"].get(key).is_some(), "runtime info has {key}");
    }
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetBrokerConfig), T).await.unwrap();
    assert!(String::from_utf8_lossy(&r.body).contains("brokerName=broker-a"));
    let bad = RemotingCommand::request(RequestCode::UpdateBrokerConfig).with_body(b"listenPort=notanumber".to_vec());
    assert_eq!(c.invoke(&b.addr, bad, T).await.unwrap().response_code(), ResponseCode::SystemError);
    ok(&c
        .invoke(
            &b.addr,
            RemotingCommand::request(RequestCode::UpdateBrokerConfig).with_body(b"fileReservedTime=48".to_vec()),
            T,
        )
        .await
        .unwrap());
    let r = c.invoke(&b.addr, RemotingCommand::request(RequestCode::GetBrokerConfig), T).await.unwrap();
    assert!(String::from_utf8_lossy(&r.body).contains("\nfileReservedTime=48\n"), "the live value is shown");
    let fixed = RemotingCommand::request(RequestCode::UpdateBrokerConfig).with_body(b"listenPort=1234".to_vec());
    let r = c.invoke(&b.addr, fixed, T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::SystemError);
    assert!(r.remark.as_deref().unwrap_or("").contains("listenPort"), "{:?}", r.remark);

    // Deletions.
    let del = DeleteSubscriptionGroupRequestHeader { group_name: "AdminG".into(), remove_offset: Some(true) };
    ok(&c
        .invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::DeleteSubscriptiongroup, &del), T)
        .await
        .unwrap());
    ok(&c
        .invoke(
            &b.addr,
            RemotingCommand::request_with_header(
                RequestCode::DeleteTopicInBroker,
                &TopicRequestHeader { topic: "AdminT".into() },
            ),
            T,
        )
        .await
        .unwrap());
    let r = c
        .invoke(
            &b.addr,
            RemotingCommand::request_with_header(
                RequestCode::GetTopicStatsInfo,
                &TopicRequestHeader { topic: "AdminT".into() },
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.response_code(), ResponseCode::TopicNotExist);
    // Connection lists of an unknown group.
    let r = c
        .invoke(
            &b.addr,
            RemotingCommand::request_with_header(
                RequestCode::GetConsumerConnectionList,
                &rmq_remoting::header::ConsumerGroupRequestHeader { consumer_group: "nobody".into() },
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.response_code(), ResponseCode::ConsumerNotOnline);
    b.stop().await;
}

/// GET_SUBSCRIPTIONGROUP_CONFIG creates an unknown group as the official broker does
/// (`findSubscriptionGroupConfig`) when `autoCreateSubscriptionGroup` is on; with it off, or for
/// an invalid name, the answer is SUBSCRIPTION_GROUP_NOT_EXIST.
#[tokio::test]
async fn group_config_auto_creates_like_the_official_broker() {
    use rmq_remoting::header::GetSubscriptionGroupConfigRequestHeader;
    let ask = |group: &str| {
        let h = GetSubscriptionGroupConfigRequestHeader { group: group.into() };
        RemotingCommand::request_with_header(RequestCode::GetSubscriptiongroupConfig, &h)
    };
    let c = RemotingClient::default();
    let b = start(|_| {}).await;
    let r = c.invoke(&b.addr, ask("fresh_group"), T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::Success, "{:?}", r.remark);
    let cfg: SubscriptionGroupConfig = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(cfg, SubscriptionGroupConfig::named("fresh_group"));
    assert!(group_table(&c, &b.addr).await.contains_key("fresh_group"), "now in the group table");
    let r = c.invoke(&b.addr, ask("bad group!"), T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::SubscriptionGroupNotExist);
    b.stop().await;

    let b = start(|cfg| cfg.topics.auto_create_subscription_group = false).await;
    let r = c.invoke(&b.addr, ask("fresh_group"), T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::SubscriptionGroupNotExist);
    assert!(!group_table(&c, &b.addr).await.contains_key("fresh_group"));
    b.stop().await;
}

async fn group_table(c: &RemotingClient, addr: &str) -> std::collections::HashMap<String, SubscriptionGroupConfig> {
    let r = c.invoke(addr, RemotingCommand::request(RequestCode::GetAllSubscriptiongroupConfig), T).await.unwrap();
    serde_json::from_slice::<SubscriptionGroupWrapper>(&r.body).unwrap().subscription_group_table.into_iter().collect()
}
