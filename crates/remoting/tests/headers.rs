//! Typed headers and code enums.

use rmq_remoting::header::{
    PullMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rmq_remoting::{CommandHeader, ExtFields, HeaderError, RemotingCommand, RequestCode, ResponseCode};

#[test]
fn headers_round_trip_through_ext_fields() {
    let h = SendMessageResponseHeader {
        msg_id: "ABC".into(),
        queue_id: 3,
        queue_offset: 1 << 40,
        msg_region: Some("DefaultRegion".into()),
        ..SendMessageResponseHeader::default()
    };
    let cmd = RemotingCommand::success().with_header(&h);
    assert_eq!(cmd.ext_fields.get("queueOffset"), Some("1099511627776"));
    assert!(!cmd.ext_fields.contains_key("transactionId"), "absent optional fields are not sent");
    assert_eq!(cmd.header::<SendMessageResponseHeader>().unwrap(), h);
}

#[test]
fn missing_and_malformed_fields_are_named() {
    let mut ext = ExtFields::new();
    ext.insert("msgId".into(), "x".into());
    ext.insert("queueId".into(), "1".into());
    assert_eq!(SendMessageResponseHeader::read(&ext), Err(HeaderError::Missing("queueOffset")));
    ext.insert("queueOffset".into(), "12x".into());
    let err = SendMessageResponseHeader::read(&ext).unwrap_err();
    assert!(matches!(err, HeaderError::Invalid { field: "queueOffset", .. }), "{err}");
    assert!(err.to_string().contains("queueOffset"));
}

#[test]
fn booleans_parse_like_java() {
    let mut ext = ExtFields::new();
    for (k, v) in [("a", "g"), ("b", "t"), ("c", "TBW102"), ("d", "4"), ("e", "0"), ("f", "0"), ("g", "1"), ("h", "0")]
    {
        ext.insert(k.into(), v.into());
    }
    for (text, expected) in [("true", true), ("TRUE", true), ("false", false), ("yes", false), ("1", false)] {
        ext.insert("m".into(), text.into());
        assert_eq!(SendMessageRequestHeaderV2::read(&ext).unwrap().m, Some(expected), "{text}");
    }
}

#[test]
fn v2_and_v1_send_headers_convert() {
    let v1 = SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: "T".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 2,
        born_timestamp: 9,
        properties: Some("a\u{1}b".into()),
        batch: Some(false),
        ..SendMessageRequestHeader::default()
    };
    let v2: SendMessageRequestHeaderV2 = v1.clone().into();
    assert_eq!((v2.a.as_str(), v2.b.as_str(), v2.e, v2.g), ("pg", "T", 2, 9));
    assert_eq!(SendMessageRequestHeader::from(v2), v1);
}

#[test]
fn pull_header_accepts_omitted_optional_fields() {
    let mut ext = ExtFields::new();
    for (k, v) in [
        ("consumerGroup", "g"),
        ("topic", "T"),
        ("queueId", "0"),
        ("queueOffset", "5"),
        ("maxMsgNums", "32"),
        ("sysFlag", "2"),
    ] {
        ext.insert(k.into(), v.into());
    }
    let h = PullMessageRequestHeader::read(&ext).unwrap();
    assert_eq!(h.queue_offset, 5);
    assert_eq!(h.suspend_timeout_millis, None);
}

#[test]
fn codes_keep_their_values_and_names() {
    for code in RequestCode::ALL {
        assert_eq!(RequestCode::from_value(code.value()), *code);
    }
    for code in ResponseCode::ALL {
        assert_eq!(ResponseCode::from_value(code.value()), *code);
    }
    assert_eq!(RequestCode::SendMessageV2.value(), 310);
    assert_eq!(RequestCode::SendMessageV2.name(), "SEND_MESSAGE_V2");
    assert_eq!(RequestCode::from_value(200_050), RequestCode::PopMessage);
    assert_eq!(RequestCode::from_value(12345), RequestCode::Unknown(12345));
    assert_eq!(RequestCode::Unknown(12345).value(), 12345);
    assert_eq!(ResponseCode::FlushSlaveTimeout.value(), 12);
    assert_eq!(ResponseCode::from_value(19).name(), "PULL_NOT_FOUND");
}
