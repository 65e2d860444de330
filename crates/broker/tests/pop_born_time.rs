//! POP_MESSAGE and NOTIFICATION as the official rocketmq-proxy sends them: `bornTime` 0 (its
//! `ConsumerProcessor` never sets it) or absent. The official broker takes such a request as
//! born now; refusing it as "timeout too much" starved every consumer of the official proxy.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rmq_remoting::header::{
    NotificationRequestHeader, NotificationResponseHeader, PopMessageRequestHeader, SendMessageRequestHeaderV2,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

mod common;

const T: Duration = Duration::from_secs(10);
const TOPIC: &str = "PopBorn";

fn send(body: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 { i: Some("TAGS\u{1}t".into()), ..common::send_header(TOPIC, 0) };
    common::send_request(&h, body.as_bytes())
}

/// A pop as the official proxy builds it (queue -1, init mode MAX, a long poll, no born time).
fn proxy_pop(group: &str, born_time: Option<&str>) -> RemotingCommand {
    let h = PopMessageRequestHeader {
        consumer_group: group.into(),
        topic: TOPIC.into(),
        queue_id: -1,
        max_msg_nums: 32,
        invisible_time: 60_000,
        poll_time: 2_000,
        born_time: 0,
        init_mode: 1,
        exp_type: Some("TAG".into()),
        exp: Some("*".into()),
        order: Some(false),
        ..PopMessageRequestHeader::default()
    };
    let full = RemotingCommand::request_with_header(RequestCode::PopMessage, &h);
    let mut req = RemotingCommand::request(RequestCode::PopMessage);
    for (k, v) in full.ext_fields.iter().filter(|(k, _)| *k != "bornTime") {
        req.ext_fields.insert(k.to_owned(), v.to_owned());
    }
    if let Some(t) = born_time {
        req.ext_fields.insert("bornTime".into(), t.into());
    }
    req
}

#[tokio::test]
async fn pops_and_notifications_without_a_born_time_are_born_now() {
    let b = common::start(|_| {}).await;
    let c = RemotingClient::default();
    for i in 0..3 {
        assert_eq!(c.invoke(&b.addr, send(&format!("m{i}")), T).await.unwrap().code, 0);
    }
    for (group, born) in [("g_zero", Some("0")), ("g_absent", None)] {
        let r = c.invoke(&b.addr, proxy_pop(group, born), T).await.unwrap();
        assert_eq!(r.response_code(), ResponseCode::Success, "{group}: {:?}", r.remark);
        let got = rmq_common::message::MessageExt::decode_all(&r.body).unwrap();
        assert_eq!(got.len(), 3, "{group}: a new group of a fresh queue starts at its first message");
    }

    // An empty long poll waits its poll time rather than ending at once.
    let started = Instant::now();
    let r = c.invoke(&b.addr, proxy_pop("g_zero", Some("0")), T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::PollingTimeout);
    assert!(started.elapsed() >= Duration::from_millis(1500), "held {:?}", started.elapsed());

    // So does an empty NOTIFICATION.
    let h = NotificationRequestHeader {
        consumer_group: "g_zero".into(),
        topic: TOPIC.into(),
        queue_id: -1,
        poll_time: 2_000,
        born_time: 0,
        order: Some(false),
        attempt_id: None,
        broker_name: None,
    };
    let started = Instant::now();
    let r = c.invoke(&b.addr, RemotingCommand::request_with_header(RequestCode::Notification, &h), T).await.unwrap();
    assert_eq!(r.response_code(), ResponseCode::Success, "{:?}", r.remark);
    assert!(!r.header::<NotificationResponseHeader>().unwrap().has_msg, "all three are popped");
    assert!(started.elapsed() >= Duration::from_millis(1500), "held {:?}", started.elapsed());
    b.stop().await;
}
