use std::collections::HashMap;

use serde::Deserialize;

use super::*;
use crate::body::{ConsumeFromWhere, ConsumeType, HeartbeatData, MessageModel};

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Sample {
    count: i32,
    version: i64,
    ratio: f64,
    flag: bool,
    name: String,
    model: MessageModel,
    tags: Vec<String>,
    codes: Vec<i32>,
    by_id: HashMap<i64, String>,
    maybe: Option<u16>,
}

#[test]
fn numbers_strings_and_booleans_convert_as_fastjson_does() {
    let body = br#"{"count":"12","version":"1796226882518","ratio":"0.5","flag":"true","name":42,
        "tags":[1,"b",true],"codes":["97", 98],"byId":{"7":"x"},"maybe":"3","unknownField":{"a":[1]}}"#;
    let s: Sample = decode(body).unwrap();
    assert_eq!(s.count, 12);
    assert_eq!(s.version, 1_796_226_882_518);
    assert!((s.ratio - 0.5).abs() < f64::EPSILON);
    assert!(s.flag);
    assert_eq!(s.name, "42");
    assert_eq!(s.tags, vec!["1", "b", "true"]);
    assert_eq!(s.codes, vec![97, 98]);
    assert_eq!(s.by_id.get(&7).map(String::as_str), Some("x"));
    assert_eq!(s.maybe, Some(3));
}

#[test]
fn null_and_missing_fields_take_java_defaults() {
    let s: Sample = decode(br#"{"count":null,"flag":null,"name":null,"tags":null,"maybe":null}"#).unwrap();
    assert_eq!(s, Sample::default());
    let s: Sample = decode(b"{}").unwrap();
    assert_eq!(s, Sample::default());
    assert_eq!(decode::<Sample>(b"").unwrap(), Sample::default());
}

#[test]
fn enums_read_by_name_or_java_ordinal() {
    assert_eq!(decode::<Sample>(br#"{"model":"BROADCASTING"}"#).unwrap().model, MessageModel::Broadcasting);
    assert_eq!(decode::<Sample>(br#"{"model":0}"#).unwrap().model, MessageModel::Broadcasting);
    assert_eq!(decode::<Sample>(br#"{"model":1}"#).unwrap().model, MessageModel::Clustering);
    assert_eq!(decode::<ConsumeFromWhere>(b"4").unwrap(), ConsumeFromWhere::FirstOffset);
    assert_eq!(decode::<ConsumeFromWhere>(b"5").unwrap(), ConsumeFromWhere::Timestamp);
    assert_eq!(decode::<ConsumeType>(b"2").unwrap(), ConsumeType::Pop);
}

#[test]
fn errors_name_the_field_path() {
    let e = decode::<Sample>(br#"{"count":"twelve"}"#).unwrap_err();
    assert_eq!(e.path, "count");
    assert!(e.to_string().starts_with("field `count`: expected an integer"), "{e}");
    let e = decode::<Sample>(br#"{"codes":[1,"x"]}"#).unwrap_err();
    assert_eq!(e.path, "codes[1]");
    let e = decode::<Sample>(br#"{"model":7}"#).unwrap_err();
    assert_eq!(e.path, "model");
    let e = decode::<HeartbeatData>(br#"{"consumerDataSet":[{"messageModel":"SOMETIMES"}]}"#).unwrap_err();
    assert_eq!(e.path, "consumerDataSet[0].messageModel");
    let e = decode::<Sample>(b"{not json").unwrap_err();
    assert!(e.path.is_empty() && e.message.starts_with("not JSON"), "{e}");
    assert!(decode::<Sample>(br#"{"count":3000000000}"#).is_err());
}

#[test]
fn fastjson_object_keys_are_accepted() {
    let m: HashMap<String, i64> = decode(br#"{{"topic":"T","queueId":0}:5}"#).unwrap();
    assert_eq!(m.len(), 1);
    let m: HashMap<i32, String> = decode(br#"{0:"a",1:"b"}"#).unwrap();
    assert_eq!(m.get(&1).map(String::as_str), Some("b"));
}

#[test]
fn cpp_core_heartbeat_reads_as_the_java_one() {
    // The C++ core 2.x writes enums as ordinals and subVersion as a string.
    let cpp = br#"{"clientID":"127.0.0.1@1234#1","consumerDataSet":[{"consumeFromWhere":0,"consumeType":1,
        "groupName":"G","messageModel":1,"subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],
        "expressionType":"TAG","subString":"*","subVersion":"1796226882518","tagsSet":[],"topic":"T"}],
        "unitMode":false}],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]}"#;
    let java = br#"{"clientID":"127.0.0.1@1234#1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",
        "consumeType":"CONSUME_PASSIVELY","groupName":"G","messageModel":"CLUSTERING","subscriptionDataSet":[
        {"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1796226882518,
        "tagsSet":[],"topic":"T"}],"unitMode":false}],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]}"#;
    let a: HeartbeatData = decode(cpp).unwrap();
    let b: HeartbeatData = decode(java).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.consumer_data_set[0].consume_type, ConsumeType::Passively);
    assert_eq!(a.consumer_data_set[0].message_model, MessageModel::Clustering);
    assert_eq!(a.consumer_data_set[0].subscription_data_set[0].sub_version, 1_796_226_882_518);
}
