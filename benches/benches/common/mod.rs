//! The store benchmarks' shared set-up: a store configuration that does not depend on the host's
//! disk use, and the 1 KiB message both benchmarks append.

use bytes::Bytes;
use rmq_common::message::StoreMessage;
use rmq_store::{FlushMode, StoreConfig};

pub fn config(dir: &std::path::Path) -> StoreConfig {
    let mut config = StoreConfig { root: dir.to_owned(), ..StoreConfig::default() };
    config.files.commit_log_file_size = 256 * 1024 * 1024;
    config.flush.mode = FlushMode::Async;
    // Benchmarks must not depend on how full the host's disk is.
    config.retention.disk_max_used_ratio = 100;
    config
}

pub fn message(queue_id: i32) -> StoreMessage {
    StoreMessage {
        topic: "BenchTopic".into(),
        queue_id,
        body: Bytes::from(vec![b'x'; 1024]),
        properties: vec![
            ("TAGS".into(), "TagA".into()),
            ("UNIQ_KEY".into(), "7F00000100002A9F0000000000001000".into()),
        ],
        born_host: "127.0.0.1:5000".parse().expect("addr"),
        store_host: "127.0.0.1:10911".parse().expect("addr"),
        ..StoreMessage::default()
    }
}
