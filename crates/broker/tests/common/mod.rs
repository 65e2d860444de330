//! In-process broker harness shared by the integration tests.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::time::Duration;

use rmq_broker::config::groups::{NetSettings, StoreFiles};
use rmq_broker::BrokerConfig;

/// A broker running in this process on a free loopback port.
pub struct Running {
    /// `127.0.0.1:<port>`.
    pub addr: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// Starts a broker with a temporary store; `tweak` adjusts the config first.
pub async fn start(tweak: impl FnOnce(&mut BrokerConfig)) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = BrokerConfig {
        net: NetSettings {
            bind_address: "127.0.0.1".into(),
            listen_port: port,
            fast_listen_enable: false,
            ..NetSettings::default()
        },
        files: StoreFiles {
            store_path_root_dir: dir.path().to_string_lossy().into_owned(),
            mapped_file_size_commit_log: 16 * 1024 * 1024,
            max_hash_slot_num: 50_000,
            max_index_num: 200_000,
            ..StoreFiles::default()
        },
        ..BrokerConfig::default()
    };
    tweak(&mut cfg);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        rmq_broker::run(cfg, async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Running { addr, stop: Some(tx), task, _dir: dir }
}

impl Running {
    /// Stops the broker gracefully and waits for it.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.task.await;
    }
}

/// The SEND_MESSAGE_V2 header a 4.x producer of group `pg` sends for `topic`/`queue` (default
/// topic TBW102 with 4 queues, no properties); callers override fields with struct update.
#[allow(dead_code)] // not every test binary sends
pub fn send_header(topic: &str, queue: i32) -> rmq_remoting::header::SendMessageRequestHeaderV2 {
    rmq_remoting::header::SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: topic.into(),
        c: "TBW102".into(),
        d: 4,
        e: queue,
        ..rmq_remoting::header::SendMessageRequestHeaderV2::default()
    }
}

/// A SEND_MESSAGE_V2 request with `header` and `body`.
#[allow(dead_code)] // not every test binary sends
pub fn send_request(
    header: &rmq_remoting::header::SendMessageRequestHeaderV2,
    body: impl Into<Vec<u8>>,
) -> rmq_remoting::RemotingCommand {
    rmq_remoting::RemotingCommand::request_with_header(rmq_remoting::RequestCode::SendMessageV2, header)
        .with_body(body.into())
}
