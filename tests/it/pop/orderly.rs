//! Orderly POP: a queue is locked to its outstanding batch until it is acked or its invisible
//! time passes; an expired batch comes back from its first unacked offset with a count.

use std::time::Duration;

use rmq_remoting::header::PopMessageResponseHeader;
use rmq_remoting::transport::RemotingClient;
use rmq_tests::{start_broker, BrokerSpec};

use super::kit::{ack_msg, bodies, committed, handles, pop, send, Pop};

#[tokio::test]
async fn orderly_pop_locks_the_queue_until_acked() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: String::new() };
    let broker = start_broker(&spec, dir.path());
    let addr = broker.addr();
    let c = RemotingClient::default();
    let (g, topic) = ("og", "PopO");
    for i in 0..4 {
        assert_eq!(send(&c, &addr, topic, &format!("o{i}"), "t").await.code, 0);
    }
    let ordered = |max| Pop { max, invisible: 1500, order: true, ..Pop::new(g, topic) };
    let r = pop(&c, &addr, &ordered(2)).await;
    let h = r.header::<PopMessageResponseHeader>().unwrap();
    assert_eq!(h.revive_qid, 999);
    assert_eq!(h.order_count_info.as_deref(), Some("0 qo0%0 0;0 qo0%1 0"));
    let first = handles(&r, topic);
    assert_eq!(bodies(&first), ["o0", "o1"]);
    // Locked: no later offset while o0 and o1 are out.
    assert_eq!(pop(&c, &addr, &ordered(2)).await.code, 210);
    ack_msg(&c, &addr, g, topic, &first[0]).await;
    assert_eq!(pop(&c, &addr, &ordered(2)).await.code, 210);
    assert_eq!(committed(&c, &addr, g, topic).await, 1);

    // o1 not acked: after the invisible time the batch comes back from o1, counted.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let r = pop(&c, &addr, &ordered(2)).await;
    let h = r.header::<PopMessageResponseHeader>().unwrap();
    assert_eq!(h.order_count_info.as_deref(), Some("0 qo0%1 1;0 qo0%2 0"));
    let second = handles(&r, topic);
    assert_eq!(bodies(&second), ["o1", "o2"]);
    for hm in &second {
        ack_msg(&c, &addr, g, topic, hm).await;
    }
    let third = handles(&pop(&c, &addr, &ordered(2)).await, topic);
    assert_eq!(bodies(&third), ["o3"]);
    ack_msg(&c, &addr, g, topic, &third[0]).await;
    assert_eq!(committed(&c, &addr, g, topic).await, 4);
    assert_eq!(pop(&c, &addr, &ordered(2)).await.code, 210);
}
