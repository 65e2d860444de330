//! Feeds arbitrary bytes to the stored-record and batch decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rmq_common::message::{decode_batch, MessageExt};

fuzz_target!(|data: &[u8]| {
    let _ = MessageExt::decode_checked(data, true);
    let _ = MessageExt::decode_all(data);
    let _ = decode_batch(data);
});
