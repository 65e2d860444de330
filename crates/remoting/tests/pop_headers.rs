//! POP headers: the keys the official Java client writes and reads.

use rmq_remoting::header::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
    NotificationRequestHeader, NotificationResponseHeader, PeekMessageRequestHeader, PollingInfoRequestHeader,
    PollingInfoResponseHeader, PopMessageRequestHeader, PopMessageResponseHeader,
};
use rmq_remoting::{CommandHeader, ExtFields, HeaderError};

fn ext_of(pairs: &[(&str, &str)]) -> ExtFields {
    let mut ext = ExtFields::new();
    for (k, v) in pairs {
        ext.insert((*k).into(), (*v).into());
    }
    ext
}

fn keys<H: CommandHeader>(h: &H) -> Vec<String> {
    let mut ext = ExtFields::new();
    h.write(&mut ext);
    let mut keys: Vec<String> = ext.iter().map(|(k, _)| k.to_string()).collect();
    keys.sort();
    keys
}

#[test]
fn pop_request_reads_what_the_java_client_sends() {
    // As MQClientAPIImpl.popMessageAsync sends it (5.x, plus the RPC header's bname).
    let ext = ext_of(&[
        ("consumerGroup", "g"),
        ("topic", "T"),
        ("queueId", "-1"),
        ("maxMsgNums", "32"),
        ("invisibleTime", "60000"),
        ("pollTime", "20000"),
        ("bornTime", "1700000000000"),
        ("initMode", "1"),
        ("expType", "TAG"),
        ("exp", "*"),
        ("order", "false"),
        ("bname", "broker-a"),
    ]);
    let h = PopMessageRequestHeader::read(&ext).expect("read");
    assert_eq!(h.consumer_group, "g");
    assert_eq!(h.queue_id, -1);
    assert_eq!((h.max_msg_nums, h.invisible_time, h.poll_time), (32, 60_000, 20_000));
    assert_eq!((h.born_time, h.init_mode), (1_700_000_000_000, 1));
    assert_eq!((h.exp_type.as_deref(), h.exp.as_deref(), h.order), (Some("TAG"), Some("*"), Some(false)));
    assert_eq!(h.attempt_id, None);
    assert_eq!(h.broker_name.as_deref(), Some("broker-a"));
    let mut back = ExtFields::new();
    h.write(&mut back);
    assert_eq!(PopMessageRequestHeader::read(&back), Ok(h));

    let missing = ext_of(&[("consumerGroup", "g"), ("topic", "T"), ("queueId", "0"), ("maxMsgNums", "1")]);
    assert_eq!(PopMessageRequestHeader::read(&missing), Err(HeaderError::Missing("invisibleTime")));
}

#[test]
fn pop_response_writes_the_official_keys() {
    let h = PopMessageResponseHeader {
        pop_time: 1,
        invisible_time: 2,
        revive_qid: 3,
        rest_num: 4,
        start_offset_info: Some("0 0 5".into()),
        msg_offset_info: Some("0 0 5,6".into()),
        order_count_info: None,
    };
    assert_eq!(keys(&h), ["invisibleTime", "msgOffsetInfo", "popTime", "restNum", "reviveQid", "startOffsetInfo"]);
}

#[test]
fn ack_change_peek_notification_polling_keys() {
    let ack = AckMessageRequestHeader {
        consumer_group: "g".into(),
        topic: "T".into(),
        queue_id: 1,
        extra_info: "0 1 2 3 0 b 1 0".into(),
        offset: 0,
        broker_name: None,
    };
    assert_eq!(keys(&ack), ["consumerGroup", "extraInfo", "offset", "queueId", "topic"]);
    let change = ChangeInvisibleTimeRequestHeader {
        consumer_group: "g".into(),
        topic: "T".into(),
        queue_id: 1,
        extra_info: "x".into(),
        offset: 0,
        invisible_time: 5,
        broker_name: None,
    };
    assert_eq!(keys(&change), ["consumerGroup", "extraInfo", "invisibleTime", "offset", "queueId", "topic"]);
    let changed = ChangeInvisibleTimeResponseHeader { pop_time: 1, invisible_time: 2, revive_qid: 3 };
    assert_eq!(keys(&changed), ["invisibleTime", "popTime", "reviveQid"]);
    let peek = PeekMessageRequestHeader {
        topic: "T".into(),
        queue_id: 0,
        max_msg_nums: 1,
        consumer_group: "g".into(),
        broker_name: None,
    };
    assert_eq!(keys(&peek), ["consumerGroup", "maxMsgNums", "queueId", "topic"]);
    let note = NotificationRequestHeader {
        consumer_group: "g".into(),
        topic: "T".into(),
        queue_id: -1,
        poll_time: 1,
        born_time: 2,
        order: Some(true),
        attempt_id: None,
        broker_name: None,
    };
    assert_eq!(keys(&note), ["bornTime", "consumerGroup", "order", "pollTime", "queueId", "topic"]);
    assert_eq!(keys(&NotificationResponseHeader { has_msg: true, polling_full: false }), ["hasMsg", "pollingFull"]);
    let polling =
        PollingInfoRequestHeader { consumer_group: "g".into(), topic: "T".into(), queue_id: 0, broker_name: None };
    assert_eq!(keys(&polling), ["consumerGroup", "queueId", "topic"]);
    assert_eq!(keys(&PollingInfoResponseHeader { polling_num: 0 }), ["pollingNum"]);
}
