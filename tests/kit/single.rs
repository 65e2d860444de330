//! One name server and one broker set's master in a temporary directory: the cluster most
//! client tests need.

use std::time::Duration;

use crate::{start_broker, start_namesrv, BrokerSpec, Process};

/// Delay levels of one second each, so retries come back quickly.
pub const FAST_RETRIES: &str = "messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s\n";

/// A running name server and broker (`broker-a`); both are killed, then the directory removed,
/// on drop.
#[derive(Debug)]
pub struct SingleBroker {
    /// The name server process.
    pub namesrv: Process,
    /// The broker process.
    pub broker: Process,
    /// The name server's address.
    pub ns: String,
    /// Where both keep their files and logs.
    pub dir: tempfile::TempDir,
}

/// Starts a name server and a broker with `extra` broker.conf lines, and waits for the broker's
/// first registration.
#[must_use]
pub fn single_broker(extra: &str) -> SingleBroker {
    let dir = tempfile::tempdir().expect("temp dir");
    let namesrv = start_namesrv(dir.path());
    let spec =
        BrokerSpec { namesrv: Some(namesrv.addr()), store: dir.path().join("store"), port: 0, extra: extra.to_owned() };
    let broker = start_broker(&spec, dir.path());
    let ns = namesrv.addr();
    std::thread::sleep(Duration::from_millis(800));
    SingleBroker { namesrv, broker, ns, dir }
}
