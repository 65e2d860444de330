//! In-process broker: SEND_REPLY_MESSAGE(_V2) pushes the reply to the requesting client
//! (PUSH_REPLY_MESSAGE_TO_CLIENT, found by REPLY_TO_CLIENT among producers' heartbeats) and,
//! with storeReplyMessageEnable, stores it on the reply topic; the replier gets the push's
//! outcome (SYSTEM_ERROR with RocketMQ's remark when no requester can be reached).
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmq_common::message::MessageExt;
use rmq_common::property;
use rmq_remoting::body::{HeartbeatData, ProducerData};
use rmq_remoting::header::{
    PullMessageRequestHeader, ReplyMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use rmq_remoting::transport::{ClientConfig, Dispatcher, RemotingClient, RequestContext};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

mod common;
use common::start;

const T: Duration = Duration::from_secs(5);
const REPLY_TOPIC: &str = "DefaultCluster_REPLY_TOPIC";
const REQUESTER: &str = "127.0.0.1@requester";

type Pushes = Arc<Mutex<Vec<RemotingCommand>>>;

/// A requester connection: heartbeats as a producer under `client_id` and records every push,
/// answering each with `answer`.
async fn requester(addr: &str, client_id: &str, answer: ResponseCode) -> (RemotingClient, Pushes) {
    let pushes: Pushes = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&pushes);
    let handler = move |_ctx: RequestContext, req: RemotingCommand| {
        let seen = Arc::clone(&seen);
        async move {
            seen.lock().push(req);
            Some(if answer == ResponseCode::Success {
                RemotingCommand::success()
            } else {
                RemotingCommand::error(answer, "requester refuses")
            })
        }
    };
    let client = RemotingClient::new(ClientConfig::default(), Dispatcher::new().processor(Arc::new(handler)));
    let hb = HeartbeatData {
        client_id: client_id.into(),
        producer_data_set: vec![ProducerData { group_name: "requester_pg".into() }],
        consumer_data_set: vec![],
    };
    let req = RemotingCommand::request(RequestCode::HeartBeat).with_body(serde_json::to_vec(&hb).unwrap());
    assert_eq!(client.invoke(addr, req, T).await.unwrap().code, 0);
    (client, pushes)
}

fn reply_header(props: &[(&str, &str)]) -> SendMessageRequestHeader {
    let props: Vec<(String, String)> = props.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    SendMessageRequestHeader {
        producer_group: "replier_pg".into(),
        topic: REPLY_TOPIC.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 3,
        properties: Some(property::encode(&props)),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        ..SendMessageRequestHeader::default()
    }
}

fn reply_v2(props: &[(&str, &str)], body: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2::from(reply_header(props));
    RemotingCommand::request_with_header(RequestCode::SendReplyMessageV2, &h).with_body(body.as_bytes().to_vec())
}

const REQUEST_PROPS: &[(&str, &str)] =
    &[("CORRELATION_ID", "corr-1"), ("REPLY_TO_CLIENT", REQUESTER), ("TTL", "3000"), ("MSG_TYPE", "reply")];

async fn stored_replies(c: &RemotingClient, addr: &str) -> Vec<MessageExt> {
    let h = PullMessageRequestHeader {
        consumer_group: "cg".into(),
        topic: REPLY_TOPIC.into(),
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
    let resp = c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await.unwrap();
    if resp.response_code() != ResponseCode::Success {
        return Vec::new();
    }
    MessageExt::decode_all(&resp.body).unwrap()
}

#[tokio::test]
async fn a_reply_is_pushed_to_the_requester_and_stored() {
    let b = start(|_| {}).await;
    let (req_client, pushes) = requester(&b.addr, REQUESTER, ResponseCode::Success).await;
    let replier = RemotingClient::default();
    let resp = replier.invoke(&b.addr, reply_v2(REQUEST_PROPS, "the answer"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::Success, "{:?}", resp.remark);
    let h: SendMessageResponseHeader = resp.header().unwrap();
    assert_eq!(h.msg_id.len(), 32, "the stored reply's offset message id");
    assert_eq!((h.queue_id, h.queue_offset), (0, 0));
    assert_eq!(resp.ext_fields.get("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(resp.ext_fields.get("TRACE_ON"), Some("true"));

    let pushed = pushes.lock().clone();
    assert_eq!(pushed.len(), 1);
    let push = &pushed[0];
    assert_eq!(push.request_code(), RequestCode::PushReplyMessageToClient);
    assert_eq!(&push.body[..], b"the answer");
    let ph: ReplyMessageRequestHeader = push.header().unwrap();
    assert_eq!(ph.topic, REPLY_TOPIC);
    assert_eq!(ph.producer_group, "replier_pg");
    assert_eq!((ph.queue_id, ph.flag, ph.sys_flag, ph.born_timestamp), (0, 3, 0, 1_700_000_000_000));
    assert_eq!(ph.store_host, b.addr);
    assert!(ph.born_host.starts_with("127.0.0.1:"), "{}", ph.born_host);
    assert!(ph.store_timestamp > 1_700_000_000_000);
    let props = property::decode(ph.properties.as_deref().unwrap());
    assert_eq!(property::get(&props, "CORRELATION_ID"), Some("corr-1"));
    assert_eq!(property::get(&props, "REPLY_TO_CLIENT"), Some(REQUESTER));
    assert!(property::get(&props, "PUSH_REPLY_TIME").is_some_and(|t| t.parse::<i64>().is_ok()));

    let stored = stored_replies(&replier, &b.addr).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(&stored[0].body[..], b"the answer");
    assert_eq!(stored[0].msg_id, h.msg_id);
    assert_eq!(property::get(&stored[0].properties, "CORRELATION_ID"), Some("corr-1"));
    drop(req_client);
    b.stop().await;
}

#[tokio::test]
async fn replies_are_not_stored_when_store_reply_message_enable_is_off() {
    let b = start(|cfg| cfg.send.store_reply_message_enable = false).await;
    let (_req_client, pushes) = requester(&b.addr, REQUESTER, ResponseCode::Success).await;
    let replier = RemotingClient::default();
    // SEND_REPLY_MESSAGE (long header names) as well.
    let req = RemotingCommand::request_with_header(RequestCode::SendReplyMessage, &reply_header(REQUEST_PROPS))
        .with_body(b"v1 answer".to_vec());
    let resp = replier.invoke(&b.addr, req, T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::Success, "{:?}", resp.remark);
    let h: SendMessageResponseHeader = resp.header().unwrap();
    assert_eq!((h.msg_id.as_str(), h.queue_id, h.queue_offset), ("0", 0, 0));
    assert_eq!(pushes.lock().len(), 1);
    assert_eq!(&pushes.lock()[0].body[..], b"v1 answer");
    assert!(stored_replies(&replier, &b.addr).await.is_empty());
    b.stop().await;
}

#[tokio::test]
async fn unreachable_requesters_get_rocketmq_answers() {
    let b = start(|_| {}).await;
    let replier = RemotingClient::default();

    // No REPLY_TO_CLIENT.
    let resp = replier.invoke(&b.addr, reply_v2(&[("CORRELATION_ID", "c")], "x"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::SystemError);
    assert_eq!(resp.remark_str(), "reply message properties[REPLY_TO_CLIENT] is null");

    // A client id no producer connection has.
    let props = [("CORRELATION_ID", "c"), ("REPLY_TO_CLIENT", "10.9.9.9@gone")];
    let resp = replier.invoke(&b.addr, reply_v2(&props, "x"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::SystemError);
    assert_eq!(resp.remark_str(), "push reply message fail, channel of <10.9.9.9@gone> not found.");

    // A requester that refuses the push.
    let (_refuser, pushes) = requester(&b.addr, "127.0.0.1@refuser", ResponseCode::SystemError).await;
    let props = [("CORRELATION_ID", "c"), ("REPLY_TO_CLIENT", "127.0.0.1@refuser")];
    let resp = replier.invoke(&b.addr, reply_v2(&props, "x"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::SystemError);
    assert_eq!(resp.remark_str(), "push reply message to 127.0.0.1@refuserfail.");
    assert_eq!(pushes.lock().len(), 1);

    // No CORRELATION_ID: pushed all the same (the requester drops what it cannot match), as
    // RocketMQ does.
    let (_plain, plain_pushes) = requester(&b.addr, "127.0.0.1@plain", ResponseCode::Success).await;
    let resp = replier.invoke(&b.addr, reply_v2(&[("REPLY_TO_CLIENT", "127.0.0.1@plain")], "x"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::Success, "{:?}", resp.remark);
    assert_eq!(plain_pushes.lock().len(), 1);

    // A requester whose connection closed.
    let (gone, _) = requester(&b.addr, "127.0.0.1@closed", ResponseCode::Success).await;
    gone.shutdown();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let props = [("CORRELATION_ID", "c"), ("REPLY_TO_CLIENT", "127.0.0.1@closed")];
    let resp = replier.invoke(&b.addr, reply_v2(&props, "x"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::SystemError);
    assert_eq!(resp.remark_str(), "push reply message fail, channel of <127.0.0.1@closed> not found.");

    // Every reply was still stored (storeReplyMessageEnable defaults to true), as RocketMQ does.
    let bodies: Vec<Vec<u8>> = stored_replies(&replier, &b.addr).await.iter().map(|m| m.body.to_vec()).collect();
    assert_eq!(bodies, vec![b"x".to_vec(); 5]);
    b.stop().await;
}
