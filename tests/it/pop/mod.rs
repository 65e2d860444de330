//! POP consumption against a broker process, driven with the raw remoting client: pop, ack,
//! batch ack, change invisible time, peek, notification, polling info, revive to the POP retry
//! topic and the DLQ, orderly pops, and a SIGKILL with popped-but-unacked messages.

mod assignment;
pub(crate) mod kit;
mod orderly;
mod revive;

use rmq_remoting::body::{AckBits, BatchAck, BatchAckMessageRequestBody};
use rmq_remoting::header::{
    NotificationRequestHeader, NotificationResponseHeader, PeekMessageRequestHeader, PollingInfoRequestHeader,
    PollingInfoResponseHeader, PopMessageResponseHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};
use rmq_tests::{start_broker, BrokerSpec};

use kit::{ack, bodies, committed, handles, now_ms, pop, send, Pop, T};

#[tokio::test]
async fn pop_ack_batch_ack_peek_notification_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: String::new() };
    let broker = start_broker(&spec, dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    let topic = "PopT";
    for i in 0..5 {
        assert_eq!(send(&c, &addr, topic, &format!("m{i}"), "a").await.code, 0);
    }
    let g = "pg1";

    // Bad input, with the official codes.
    let bad = [
        (Pop { max: 33, ..Pop::new(g, topic) }, 29),
        (Pop { max: 0, ..Pop::new(g, topic) }, 29),
        (Pop { max: -1, ..Pop::new(g, topic) }, 29),
        (Pop { invisible: 0, ..Pop::new(g, topic) }, 29),
        (Pop { queue_id: 4, ..Pop::new(g, topic) }, 29),
        (Pop::new(g, "NoSuchTopic"), 17),
        (Pop { born_time: Some(now_ms() - 10_000), ..Pop::new(g, topic) }, 210),
    ];
    for (p, code) in bad {
        let r = pop(&c, &addr, &p).await;
        assert_eq!(r.code, code, "{p:?}: {:?}", r.remark);
    }

    // A first pop of 3 from queue 0 (MIN init mode).
    let r = pop(&c, &addr, &Pop { max: 3, ..Pop::new(g, topic) }).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let h = r.header::<PopMessageResponseHeader>().unwrap();
    assert_eq!(h.start_offset_info.as_deref(), Some("0 0 0"));
    assert_eq!(h.msg_offset_info.as_deref(), Some("0 0 0,1,2"));
    assert_eq!(h.invisible_time, 60_000);
    assert!((0..8).contains(&h.revive_qid), "{}", h.revive_qid);
    assert_eq!(h.rest_num, 2);
    let first = handles(&r, topic);
    assert_eq!(bodies(&first), ["m0", "m1", "m2"]);
    assert_eq!(first[1].1, format!("0 {} 60000 {} 0 broker-a 0 1", h.pop_time, h.revive_qid));

    let r = pop(&c, &addr, &Pop::new(g, topic)).await;
    let second = handles(&r, topic);
    assert_eq!(bodies(&second), ["m3", "m4"]);
    assert_eq!(r.header::<PopMessageResponseHeader>().unwrap().start_offset_info.as_deref(), Some("0 0 3"));
    // Nothing left: POLLING_TIMEOUT at once without a poll time.
    assert_eq!(pop(&c, &addr, &Pop::new(g, topic)).await.code, 210);

    // A long poll is woken by an arrival.
    let (c2, addr2) = (c.clone(), addr.clone());
    let sender = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        send(&c2, &addr2, "PopT", "m5", "a").await
    });
    let started = std::time::Instant::now();
    let r = pop(&c, &addr, &Pop { poll: 4000, ..Pop::new(g, topic) }).await;
    assert_eq!(sender.await.unwrap().code, 0);
    assert!(started.elapsed() < std::time::Duration::from_millis(3000), "{:?}", started.elapsed());
    let third = handles(&r, topic);
    assert_eq!(bodies(&third), ["m5"]);

    // Acks: the offset moves only past acked messages.
    assert_eq!(committed(&c, &addr, g, topic).await, 0);
    assert_eq!(ack(&c, &addr, g, topic, &first[1].1, 1).await.code, 0);
    assert_eq!(committed(&c, &addr, g, topic).await, 0);
    assert_eq!(ack(&c, &addr, g, topic, &first[0].1, 0).await.code, 0);
    assert_eq!(committed(&c, &addr, g, topic).await, 2);
    // Acked twice: SUCCESS, nothing changes (as RocketMQ).
    assert_eq!(ack(&c, &addr, g, topic, &first[0].1, 0).await.code, 0);
    // A garbled handle: SYSTEM_ERROR; an offset outside the queue: NO_MESSAGE.
    assert_eq!(ack(&c, &addr, g, topic, "x y z", 2).await.code, 1);
    assert_eq!(ack(&c, &addr, g, topic, &first[2].1, 99).await.code, 208);
    // Batch ack of m2, m3, m4 (two checkpoints) and m5.
    let ack_of = |start: i64, pop_time: i64, bits: &[usize]| BatchAck {
        consumer_group: g.into(),
        topic: topic.into(),
        retry: "0".into(),
        start_offset: start,
        queue_id: 0,
        revive_queue_id: 0,
        pop_time,
        invisible_time: 60_000,
        bit_set: AckBits::from_indexes(bits.iter().copied()),
    };
    let pt =
        |hs: &[(rmq_common::message::MessageExt, String)]| hs[0].1.split(' ').nth(1).unwrap().parse::<i64>().unwrap();
    let body = BatchAckMessageRequestBody {
        broker_name: "broker-a".into(),
        acks: vec![ack_of(0, pt(&first), &[2]), ack_of(3, pt(&second), &[0, 1]), ack_of(5, pt(&third), &[0])],
    };
    let req = RemotingCommand::request(RequestCode::BatchAckMessage).with_body(serde_json::to_vec(&body).unwrap());
    assert_eq!(c.invoke(&addr, req, T).await.unwrap().code, 0);
    assert_eq!(committed(&c, &addr, g, topic).await, 6);
    let empty = BatchAckMessageRequestBody { broker_name: "broker-a".into(), acks: vec![] };
    let req = RemotingCommand::request(RequestCode::BatchAckMessage).with_body(serde_json::to_vec(&empty).unwrap());
    assert_eq!(c.invoke(&addr, req, T).await.unwrap().code, 208);

    // Peek: nothing at the group's cursor; POLLING_INFO: nobody parked.
    let peek = PeekMessageRequestHeader {
        topic: topic.into(),
        queue_id: 0,
        max_msg_nums: 8,
        consumer_group: g.into(),
        broker_name: None,
    };
    let r = c.invoke(&addr, RemotingCommand::request_with_header(RequestCode::PeekMessage, &peek), T).await.unwrap();
    assert_eq!(r.code, 19, "{:?}", r.remark);
    let info =
        PollingInfoRequestHeader { consumer_group: g.into(), topic: topic.into(), queue_id: 0, broker_name: None };
    let r = c.invoke(&addr, RemotingCommand::request_with_header(RequestCode::PollingInfo, &info), T).await.unwrap();
    assert_eq!((r.code, r.header::<PollingInfoResponseHeader>().unwrap().polling_num), (0, 0));
    // Notification: nothing, then a message (tag b), which a peek shows and a tag-a pop skips.
    let note = NotificationRequestHeader {
        consumer_group: g.into(),
        topic: topic.into(),
        queue_id: -1,
        poll_time: 0,
        born_time: now_ms(),
        order: Some(false),
        attempt_id: None,
        broker_name: None,
    };
    let notify = |n: &NotificationRequestHeader| RemotingCommand::request_with_header(RequestCode::Notification, n);
    let r = c.invoke(&addr, notify(&note), T).await.unwrap();
    assert_eq!((r.code, r.header::<NotificationResponseHeader>().unwrap().has_msg), (0, false));
    assert_eq!(send(&c, &addr, topic, "m6", "b").await.code, 0);
    assert_eq!(send(&c, &addr, topic, "m7", "a").await.code, 0);
    let r = c.invoke(&addr, notify(&NotificationRequestHeader { born_time: now_ms(), ..note }), T).await.unwrap();
    assert_eq!((r.code, r.header::<NotificationResponseHeader>().unwrap().has_msg), (0, true));
    let r = c.invoke(&addr, RemotingCommand::request_with_header(RequestCode::PeekMessage, &peek), T).await.unwrap();
    assert_eq!(r.code, 0);
    assert_eq!(rmq_common::message::MessageExt::decode_all(&r.body).unwrap().len(), 2);
    let r = pop(&c, &addr, &Pop { exp: Some("a".into()), ..Pop::new(g, topic) }).await;
    let tagged = handles(&r, topic);
    assert_eq!(bodies(&tagged), ["m7"]);
    assert_eq!(r.header::<PopMessageResponseHeader>().unwrap().msg_offset_info.as_deref(), Some("0 0 7"));
    // SQL92 without enablePropertyFilter: SYSTEM_ERROR, as the official broker (tests/it/sql.rs
    // has it on).
    let r =
        pop(&c, &addr, &Pop { exp_type: Some("SQL92".into()), exp: Some("a > 1".into()), ..Pop::new(g, topic) }).await;
    assert_eq!(r.code, 1, "{:?}", r.remark);
    drop(broker);
}

#[tokio::test]
async fn a_slave_refuses_pop_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec {
        namesrv: None,
        store: dir.path().join("store"),
        port: 0,
        extra: "brokerId=1\nbrokerRole=SLAVE\n".into(),
    };
    let broker = start_broker(&spec, dir.path());
    let c = RemotingClient::default();
    let r = pop(&c, &broker.addr(), &Pop::new("g", "TBW102")).await;
    assert_eq!(r.code, 14, "{:?}", r.remark);
    assert!(r.remark.unwrap_or_default().contains("slave"));
}

#[tokio::test]
async fn parked_pops_are_counted_and_limited_by_pop_polling_size() {
    let dir = tempfile::tempdir().unwrap();
    let spec =
        BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: "popPollingSize=0\n".into() };
    let broker = start_broker(&spec, dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    let (g, topic) = ("fg", "PopF");
    assert_eq!(send(&c, &addr, topic, "f0", "t").await.code, 0);
    let f0 = handles(&pop(&c, &addr, &Pop { queue_id: 0, ..Pop::new(g, topic) }).await, topic);
    assert_eq!(bodies(&f0), ["f0"]);
    let (c2, addr2) = (c.clone(), addr.clone());
    let parked =
        tokio::spawn(async move { pop(&c2, &addr2, &Pop { queue_id: 0, poll: 3000, ..Pop::new("fg", "PopF") }).await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let info =
        PollingInfoRequestHeader { consumer_group: g.into(), topic: topic.into(), queue_id: 0, broker_name: None };
    let r = c.invoke(&addr, RemotingCommand::request_with_header(RequestCode::PollingInfo, &info), T).await.unwrap();
    assert_eq!((r.code, r.header::<PollingInfoResponseHeader>().unwrap().polling_num), (0, 1));
    // A second parked pop on the same queue is past popPollingSize=0: POLLING_FULL at once.
    let r = pop(&c, &addr, &Pop { queue_id: 0, poll: 3000, ..Pop::new(g, topic) }).await;
    assert_eq!(r.code, 209, "{:?}", r.remark);
    assert_eq!(parked.await.unwrap().code, 210);
    let r = c.invoke(&addr, RemotingCommand::request_with_header(RequestCode::PollingInfo, &info), T).await.unwrap();
    assert_eq!(r.header::<PollingInfoResponseHeader>().unwrap().polling_num, 0);
}
