//! Running out of resources for real (#21 points 3 and 4): a broker whose store is on a small
//! tmpfs that fills up, and a broker started with a low RLIMIT_NOFILE that runs out of file
//! descriptors. Both need root (mount, and a hard limit lowered for the child only through
//! `prlimit`); without it, or where mounting is not allowed, the test prints why and passes.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rmq_common::message::MessageExt;
use rmq_remoting::header::{PullMessageRequestHeader, SendMessageRequestHeaderV2};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{start_broker, BrokerSpec};

const T: Duration = Duration::from_secs(5);
const TOPIC: &str = "FullDisk";

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1)) == Some("0")
}

/// A tmpfs of `size` mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Result<Self, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(Self(at.to_owned()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount").arg(&self.0).status().is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

fn send_request(topic: &str, body: Vec<u8>) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        a: "res_pg".into(),
        b: topic.into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 1,
        e: 0,
        ..SendMessageRequestHeaderV2::default()
    };
    RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(body)
}

/// A body of `len` bytes starting with `tag`.
fn body(tag: &str, len: usize) -> Vec<u8> {
    let mut b = tag.as_bytes().to_vec();
    b.resize(len, b'.');
    b
}

/// The tags (body up to the first '.') of every message on queue 0 of `topic`.
async fn stored(c: &RemotingClient, addr: &str, topic: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut offset = 0;
    loop {
        let h = PullMessageRequestHeader {
            consumer_group: "res_cg".into(),
            topic: topic.into(),
            queue_id: 0,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: 0x4,
            subscription: Some("*".into()),
            ..PullMessageRequestHeader::default()
        };
        let resp = c.invoke(addr, RemotingCommand::request_with_header(RequestCode::PullMessage, &h), T).await;
        let resp = resp.unwrap();
        if resp.response_code() != ResponseCode::Success {
            return out;
        }
        let got = MessageExt::decode_all(&resp.body).unwrap();
        offset += i64::try_from(got.len()).unwrap();
        out.extend(got.iter().map(|m| String::from_utf8_lossy(&m.body).split('.').next().unwrap_or("").to_owned()));
    }
}

/// Sends 32 KiB messages until the disk refuses `failures` in a row; the acknowledged tags and
/// the remarks of the refusals.
async fn fill(c: &RemotingClient, addr: &str, failures: usize) -> (Vec<String>, Vec<String>) {
    let (mut acked, mut refused) = (Vec::new(), Vec::new());
    let mut in_a_row = 0;
    for i in 0..4000 {
        let tag = format!("m{i}");
        match c.invoke(addr, send_request(TOPIC, body(&tag, 32 * 1024)), T).await {
            Ok(r) if r.code == 0 => {
                acked.push(tag);
                in_a_row = 0;
            }
            Ok(r) => {
                refused.push(format!("code {}: {}", r.code, r.remark.unwrap_or_default()));
                in_a_row += 1;
            }
            Err(e) => {
                refused.push(format!("error: {e}"));
                in_a_row += 1;
            }
        }
        if in_a_row == failures {
            break;
        }
    }
    (acked, refused)
}

/// Files under `dir` and their sizes.
fn sizes(dir: &Path) -> Vec<(String, u64)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().map_or(0, |m| m.len())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_sends_loses_nothing_acknowledged_and_restarts_once_freed() {
    if !is_root() {
        eprintln!("SKIPPED: mounting a size-limited tmpfs needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    let _fs = match Tmpfs::mount(&mnt, "64m") {
        Ok(fs) => fs,
        Err(e) => {
            eprintln!("SKIPPED: cannot mount a tmpfs here: {e}");
            return;
        }
    };
    // A filler the test frees later, so the broker fills the rest sooner.
    let filler = mnt.join("filler");
    std::fs::File::create(&filler).unwrap().write_all(&vec![0u8; 24 << 20]).unwrap();
    // The disk guard off (100%) and no forced deletion: the store itself meets ENOSPC.
    let extra = "diskSpaceWarningLevelRatio=100\ncleanFileForciblyEnable=false\nmappedFileSizeConsumeQueue=60000\n\
                 flushDiskType=SYNC_FLUSH\n";
    let spec = BrokerSpec { namesrv: None, store: mnt.join("store"), port: 0, extra: extra.into() };
    let broker = start_broker(&spec, dir.path());
    let spec = BrokerSpec { port: broker.port, ..spec };
    let c = RemotingClient::default();
    let (acked, refused) = fill(&c, &broker.addr(), 20).await;
    eprintln!(
        "disk full: {} acknowledged, {} refused; first refusal: {:?}",
        acked.len(),
        refused.len(),
        refused.first()
    );
    assert!(!acked.is_empty(), "some sends were acknowledged before the disk filled");
    assert!(refused.len() >= 20, "the full disk refused sends: {refused:?}");
    assert!(refused.iter().all(|r| !r.is_empty()), "refusals say why: {refused:?}");
    let have = stored(&c, &broker.addr(), TOPIC).await;
    let lost: Vec<_> = acked.iter().filter(|t| !have.contains(*t)).collect();
    assert!(lost.is_empty(), "acknowledged and unreadable on the full disk: {lost:?}");
    broker.kill();

    std::fs::remove_file(&filler).unwrap();
    let broker = start_broker(&spec, dir.path());
    let have = stored(&c, &broker.addr(), TOPIC).await;
    let lost: Vec<_> = acked.iter().filter(|t| !have.contains(*t)).collect();
    assert!(lost.is_empty(), "acknowledged and lost after the restart: {lost:?}");
    let r = c.invoke(&broker.addr(), send_request(TOPIC, body("after", 1024)), T).await.unwrap();
    assert_eq!(r.code, 0, "sends succeed once space is freed: {:?}", r.remark);
    let index = sizes(&mnt.join("store").join("index"));
    let empty: Vec<_> = index.iter().filter(|(_, len)| *len == 0).collect();
    assert!(index.len() <= 2 && empty.is_empty(), "index files left by failed allocations: {index:?}");
    broker.terminate();
}

/// Open descriptors of process `pid`.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// Whether a new connection to `addr` is answered within a second.
fn answered(addr: &str) -> Option<std::net::TcpStream> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let frame = RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo).encode_frame().ok()?;
    s.write_all(&frame).ok()?;
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut rest = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut rest).ok()?;
    Some(s)
}

/// Opens answered connections until one is not (the broker is out of descriptors); all of
/// them, the unanswered last one included.
fn exhaust(addr: &str) -> Vec<std::net::TcpStream> {
    let mut held = Vec::new();
    for _ in 0..2000 {
        match answered(addr) {
            Some(s) => held.push(s),
            None => {
                // Keep the connection waiting in the listen backlog too.
                if let Ok(s) = std::net::TcpStream::connect(addr) {
                    held.push(s);
                }
                return held;
            }
        }
    }
    panic!("2000 connections answered: the descriptor limit did not apply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_broker_stays_up_and_recovers() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("SKIPPED: prlimit (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: String::new() };
    // Measure what a started broker holds, then give it 48 descriptors more.
    let probe = start_broker(&spec, dir.path());
    let c = RemotingClient::default();
    assert_eq!(c.invoke(&probe.addr(), send_request("Warm", body("w", 16)), T).await.unwrap().code, 0);
    let baseline = open_fds(probe.pid());
    probe.terminate();
    let broker = rmq_tests::start_broker_nofile(&spec, dir.path(), (baseline + 48) as u64);
    let addr = broker.addr();
    let existing = RemotingClient::default();
    assert_eq!(existing.invoke(&addr, send_request("Warm", body("before", 16)), T).await.unwrap().code, 0);

    let held = exhaust(&addr);
    eprintln!("descriptor limit {}: {} connections opened before one was not answered", baseline + 48, held.len());
    // The client connected before is still served: sends to a topic that exists, and pulls.
    let r = existing.invoke(&addr, send_request("Warm", body("during", 16)), T).await.unwrap();
    assert_eq!(r.code, 0, "an existing client's send while out of descriptors: {:?}", r.remark);
    assert!(stored(&existing, &addr, "Warm").await.contains("during"));
    // A new topic cannot be saved without a descriptor: no SEND_OK unless it is on disk.
    let r = existing.invoke(&addr, send_request("NoFdTopic", body("new", 16)), T).await.unwrap();
    let topics = std::fs::read_to_string(dir.path().join("store/config/topics.json")).unwrap_or_default();
    eprintln!("send to a new topic while out of descriptors: code {} {:?}", r.code, r.remark);
    assert!(r.code != 0 || topics.contains("NoFdTopic"), "SEND_OK for a topic not persisted");
    if r.code != 0 {
        assert!(r.remark.as_deref().is_some_and(|m| !m.is_empty()), "the refusal says why");
    }
    assert!(Path::new(&format!("/proc/{}", broker.pid())).exists(), "the broker is up");

    drop(held);
    let deadline = Instant::now() + Duration::from_secs(20);
    while answered(&addr).is_none() {
        assert!(Instant::now() < deadline, "new connections are served again once descriptors are freed");
        std::thread::sleep(Duration::from_millis(200));
    }
    let r = existing.invoke(&addr, send_request("NoFdTopic", body("later", 16)), T).await.unwrap();
    assert_eq!(r.code, 0, "the new topic can be created once descriptors are freed: {:?}", r.remark);
    broker.terminate();
}
