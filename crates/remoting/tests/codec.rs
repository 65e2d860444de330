//! Frame codec: golden byte vectors built by hand from the protocol facts, round-trip
//! properties for both header serializations, and malformed input.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use bytes::{BufMut, BytesMut};
use proptest::prelude::*;
use rmq_remoting::{FrameError, LanguageCode, RemotingCodec, RemotingCommand, RemotingError, SerializeType};
use tokio_util::codec::Decoder;

/// `length | type<<24 | header length | header | body`, written out by hand.
fn frame(ser: u8, header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(i32::try_from(4 + header.len() + body.len()).unwrap()).to_be_bytes());
    v.extend_from_slice(&((u32::from(ser) << 24) | u32::try_from(header.len()).unwrap()).to_be_bytes());
    v.extend_from_slice(header);
    v.extend_from_slice(body);
    v
}

#[test]
fn golden_json_request_with_ext_fields() {
    let header = br#"{"code":310,"extFields":{"a":"PG","b":"TopicTest"},"flag":0,"language":"JAVA","opaque":17,"serializeTypeCurrentRPC":"JSON","version":409}"#;
    let bytes = frame(0, header, b"hello");
    let cmd = RemotingCommand::decode_frame(&bytes).unwrap();
    assert_eq!(cmd.code, 310);
    assert_eq!(cmd.opaque, 17);
    assert_eq!(cmd.version, 409);
    assert_eq!(cmd.language, LanguageCode::Java);
    assert_eq!(cmd.serialize_type, SerializeType::Json);
    assert_eq!(cmd.ext_fields.get("b"), Some("TopicTest"));
    assert_eq!(&cmd.body[..], b"hello");
    assert!(!cmd.is_response() && !cmd.is_oneway());
    assert_eq!(&cmd.encode_frame().unwrap()[..], &bytes[..], "encoding reproduces the bytes");
}

#[test]
fn golden_json_response_with_remark() {
    let header = br#"{"code":17,"extFields":{},"flag":1,"language":"JAVA","opaque":5,"remark":"topic not exist","serializeTypeCurrentRPC":"JSON","version":409}"#;
    let bytes = frame(0, header, b"");
    let cmd = RemotingCommand::decode_frame(&bytes).unwrap();
    assert!(cmd.is_response());
    assert_eq!(cmd.remark.as_deref(), Some("topic not exist"));
    assert_eq!(&cmd.encode_frame().unwrap()[..], &bytes[..]);
}

#[test]
fn golden_rocketmq_request_and_response() {
    // code 11 (i16) | lang GO=9 | version 317 (i16) | opaque 7 | flag 2 (oneway) | remark len 0 |
    // ext len | "k" -> "v" | "queueId" -> "3"
    let mut h = BytesMut::new();
    h.put_i16(11);
    h.put_u8(9);
    h.put_i16(317);
    h.put_i32(7);
    h.put_i32(2);
    h.put_i32(0);
    let mut ext = BytesMut::new();
    for (k, v) in [("k", "v"), ("queueId", "3")] {
        ext.put_i16(i16::try_from(k.len()).unwrap());
        ext.put_slice(k.as_bytes());
        ext.put_i32(i32::try_from(v.len()).unwrap());
        ext.put_slice(v.as_bytes());
    }
    h.put_i32(i32::try_from(ext.len()).unwrap());
    h.put_slice(&ext);
    let bytes = frame(1, &h, b"\x00\x01");
    let cmd = RemotingCommand::decode_frame(&bytes).unwrap();
    assert_eq!((cmd.code, cmd.version, cmd.opaque), (11, 317, 7));
    assert_eq!(cmd.language, LanguageCode::Go);
    assert!(cmd.is_oneway());
    assert_eq!(cmd.serialize_type, SerializeType::RocketMq);
    assert_eq!(cmd.ext_fields.len(), 2);
    assert_eq!(&cmd.encode_frame().unwrap()[..], &bytes[..]);

    // A response with a remark.
    let mut h = BytesMut::new();
    h.put_i16(0);
    h.put_u8(0);
    h.put_i16(409);
    h.put_i32(7);
    h.put_i32(1);
    h.put_i32(2);
    h.put_slice(b"ok");
    h.put_i32(0);
    let bytes = frame(1, &h, b"");
    let cmd = RemotingCommand::decode_frame(&bytes).unwrap();
    assert!(cmd.is_response());
    assert_eq!(cmd.remark.as_deref(), Some("ok"));
    assert_eq!(&cmd.encode_frame().unwrap()[..], &bytes[..]);
}

#[test]
fn lenient_json_headers_of_other_clients() {
    // Go: no serializeTypeCurrentRPC, language GO.
    let go = frame(
        0,
        br#"{"code":34,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":null}"#,
        b"{}",
    );
    let cmd = RemotingCommand::decode_frame(&go).unwrap();
    assert_eq!(cmd.language, LanguageCode::Go);
    assert!(cmd.ext_fields.is_empty());
    // C++: remark "", ACL keys, numbers as ext values.
    let cpp = frame(0, br#"{"code":10,"language":"CPP","version":333,"opaque":2,"flag":0,"remark":"","extFields":{"AccessKey":"","queueId":3,"batch":false}}"#, b"");
    let cmd = RemotingCommand::decode_frame(&cpp).unwrap();
    assert_eq!(cmd.ext_fields.get("queueId"), Some("3"));
    assert_eq!(cmd.ext_fields.get("batch"), Some("false"));
    // Only the code.
    let bare = frame(0, br#"{"code":105}"#, b"");
    let cmd = RemotingCommand::decode_frame(&bare).unwrap();
    assert_eq!((cmd.code, cmd.opaque, cmd.flag, cmd.version), (105, 0, 0, 0));
}

fn codec_decode(bytes: &[u8], max: usize) -> Result<Option<RemotingCommand>, RemotingError> {
    let mut buf = BytesMut::from(bytes);
    RemotingCodec::new(max).decode(&mut buf)
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let good = frame(0, br#"{"code":1}"#, b"xy");
    // Truncated: the codec waits for more, whole-frame decoding reports truncation.
    for cut in 0..good.len() {
        assert!(matches!(codec_decode(&good[..cut], 1024), Ok(None)), "cut {cut}");
        assert!(RemotingCommand::decode_frame(&good[..cut]).is_err());
    }
    // Past the limit: refused before allocating.
    let mut huge = vec![0u8; 8];
    huge[..4].copy_from_slice(&(i32::MAX).to_be_bytes());
    assert!(matches!(codec_decode(&huge, 16 << 20), Err(RemotingError::Frame(FrameError::TooLarge { .. }))));
    // Negative and too small lengths.
    for len in [-1i32, i32::MIN, 0, 3] {
        let mut b = len.to_be_bytes().to_vec();
        b.extend_from_slice(&[0; 8]);
        assert!(matches!(codec_decode(&b, 1024), Err(RemotingError::Frame(FrameError::InvalidLength(_)))), "len {len}");
    }
    // Header length past the frame.
    let mut b = frame(0, b"{}", b"");
    b[5..8].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
    assert!(matches!(codec_decode(&b, 1 << 30), Err(RemotingError::Frame(FrameError::HeaderTooLong { .. }))));
    // Unknown serialize type.
    assert!(matches!(
        codec_decode(&frame(7, b"{}", b""), 1024),
        Err(RemotingError::Frame(FrameError::UnknownSerializeType(7)))
    ));
    // Invalid JSON and invalid UTF-8.
    assert!(matches!(
        codec_decode(&frame(0, b"{\"code\":", b""), 1024),
        Err(RemotingError::Frame(FrameError::InvalidJson(_)))
    ));
    assert!(matches!(
        codec_decode(&frame(0, b"{\"code\":1,\"remark\":\"\xFF\"}", b""), 1024),
        Err(RemotingError::Frame(FrameError::InvalidUtf8))
    ));
    // ROCKETMQ header whose lengths run past it, and invalid UTF-8 in it.
    let mut h = vec![0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    h.extend_from_slice(&100i32.to_be_bytes());
    assert!(matches!(
        codec_decode(&frame(1, &h, b""), 1024),
        Err(RemotingError::Frame(FrameError::InvalidBinaryHeader(_)))
    ));
    let mut h = vec![0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    h.extend_from_slice(&1i32.to_be_bytes());
    h.push(0xFF);
    h.extend_from_slice(&0i32.to_be_bytes());
    assert!(matches!(codec_decode(&frame(1, &h, b""), 1024), Err(RemotingError::Frame(FrameError::InvalidUtf8))));
}

#[test]
fn codec_decodes_back_to_back_frames_and_keeps_partial_ones() {
    let a = frame(0, br#"{"code":1,"opaque":1}"#, b"a");
    let b = frame(0, br#"{"code":2,"opaque":2}"#, b"bb");
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&a);
    buf.extend_from_slice(&b[..5]);
    let mut codec = RemotingCodec::default();
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap().opaque, 1);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    buf.extend_from_slice(&b[5..]);
    assert_eq!(&codec.decode(&mut buf).unwrap().unwrap().body[..], b"bb");
}

fn arb_command(rocketmq: bool) -> impl Strategy<Value = RemotingCommand> {
    let code = if rocketmq { (-32768i32..32767).boxed() } else { any::<i32>().boxed() };
    let version = if rocketmq { (-32768i32..32767).boxed() } else { any::<i32>().boxed() };
    (
        code,
        version,
        any::<i32>(),
        0i32..4,
        proptest::option::of("\\PC{1,40}"),
        proptest::collection::btree_map("[a-zA-Z_]{1,12}", "\\PC{1,30}", 0..6),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(move |(code, version, opaque, flag, remark, ext, body)| RemotingCommand {
            code,
            language: LanguageCode::Java,
            version,
            opaque,
            flag,
            remark,
            ext_fields: ext.into_iter().collect(),
            body: body.into(),
            body_parts: Vec::new(),
            serialize_type: if rocketmq { SerializeType::RocketMq } else { SerializeType::Json },
        })
}

proptest! {
    #[test]
    fn json_round_trip(cmd in arb_command(false)) {
        let bytes = cmd.encode_frame().unwrap();
        let back = RemotingCommand::decode_frame(&bytes).unwrap();
        prop_assert_eq!(back, cmd);
    }

    #[test]
    fn rocketmq_round_trip(cmd in arb_command(true)) {
        let bytes = cmd.encode_frame().unwrap();
        let back = RemotingCommand::decode_frame(&bytes).unwrap();
        prop_assert_eq!(back, cmd);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = RemotingCommand::decode_frame(&data);
        let mut buf = BytesMut::from(&data[..]);
        let mut codec = RemotingCodec::new(1024);
        while let Ok(Some(_)) = codec.decode(&mut buf) {}
    }
}
