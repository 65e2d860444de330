//! Feeds arbitrary bytes to the frame decoders: whole-frame decoding and the streaming codec.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rmq_remoting::{RemotingCodec, RemotingCommand};
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    if let Ok(cmd) = RemotingCommand::decode_frame(data) {
        // Whatever decodes must encode again (ROCKETMQ may refuse codes beyond int16).
        let _ = cmd.encode_frame();
    }
    let mut buf = BytesMut::from(data);
    let mut codec = RemotingCodec::new(64 * 1024);
    while let Ok(Some(_)) = codec.decode(&mut buf) {}
});
