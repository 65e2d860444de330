//! Bodies written the way non-Java clients write them are read the way fastjson reads them.

use std::time::Duration;

use rmq_remoting::body::{ConsumerConnection, ConsumerListBody, MessageModel};
use rmq_remoting::header::ConsumerGroupRequestHeader;
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

mod common;
use common::start;

const T: Duration = Duration::from_secs(5);

/// HEART_BEAT as the C++ core 2.x writes it: enums as ordinals, subVersion as a string.
const CPP_HEARTBEAT: &str = r#"{"clientID":"127.0.0.1@4242#cpp","consumerDataSet":[{"consumeFromWhere":4,
"consumeType":1,"groupName":"cpp_group","messageModel":0,"subscriptionDataSet":[{"classFilterMode":false,
"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":"1796226882518","tagsSet":[],"topic":"CppTopic"}],
"unitMode":false}],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]}"#;

fn heartbeat(body: &str) -> RemotingCommand {
    RemotingCommand::request(RequestCode::HeartBeat).with_body(body.as_bytes().to_vec())
}

#[tokio::test]
async fn cpp_core_heartbeat_registers_its_consumer() {
    let b = start(|_| {}).await;
    let c = RemotingClient::default();
    let resp = c.invoke(&b.addr, heartbeat(CPP_HEARTBEAT), T).await.unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let h = ConsumerGroupRequestHeader { consumer_group: "cpp_group".into() };
    let list = RemotingCommand::request_with_header(RequestCode::GetConsumerListByGroup, &h);
    let resp = c.invoke(&b.addr, list, T).await.unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let ids: ConsumerListBody = rmq_remoting::body::decode(&resp.body).unwrap();
    assert_eq!(ids.consumer_id_list, vec!["127.0.0.1@4242#cpp".to_owned()]);
    let conn = RemotingCommand::request_with_header(RequestCode::GetConsumerConnectionList, &h);
    let resp = c.invoke(&b.addr, conn, T).await.unwrap();
    let conn: ConsumerConnection = rmq_remoting::body::decode(&resp.body).unwrap();
    assert_eq!(conn.message_model, MessageModel::Broadcasting);
    let sub = &conn.subscription_table["CppTopic"];
    assert_eq!(sub.sub_version, 1_796_226_882_518);
    // Written back by name, as fastjson writes enums.
    let text = String::from_utf8_lossy(&resp.body);
    assert!(text.contains(r#""messageModel":"BROADCASTING""#), "{text}");
    assert!(text.contains(r#""consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET""#), "{text}");
    b.stop().await;
}

#[tokio::test]
async fn an_unreadable_body_is_refused_naming_the_field_and_the_connection_goes_on() {
    let b = start(|_| {}).await;
    let c = RemotingClient::default();
    let bad = CPP_HEARTBEAT.replace(r#""messageModel":0"#, r#""messageModel":"SOMETIMES""#);
    for _ in 0..2 {
        let resp = c.invoke(&b.addr, heartbeat(&bad), T).await.unwrap();
        assert_eq!(resp.response_code(), ResponseCode::SystemError);
        let remark = resp.remark_str();
        assert!(remark.contains("consumerDataSet[0].messageModel"), "{remark}");
    }
    let resp = c.invoke(&b.addr, heartbeat(CPP_HEARTBEAT), T).await.unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    b.stop().await;
}
