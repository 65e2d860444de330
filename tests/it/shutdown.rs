//! scripts/mqshutdown: signals only our own binaries; stale pid files are removed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/mqshutdown")
}

fn shutdown(run_dir: &Path, what: &str) -> String {
    let Output { stdout, stderr, .. } =
        Command::new("sh").arg(script()).arg(what).env("RMQ_RUN_DIR", run_dir).output().expect("run mqshutdown");
    format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr))
}

fn alive(pid: u32) -> bool {
    Command::new("kill").arg("-0").arg(pid.to_string()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

#[test]
fn a_pid_file_naming_another_process_is_removed_and_the_process_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut other = Command::new("sleep").arg("30").spawn().unwrap();
    let pid_file = dir.path().join("namesrv.pid");
    std::fs::write(&pid_file, other.id().to_string()).unwrap();
    let out = shutdown(dir.path(), "namesrv");
    let still_alive = alive(other.id());
    let _ = other.kill();
    let _ = other.wait();
    assert!(still_alive, "mqshutdown signalled an unrelated process: {out}");
    assert!(out.contains("is not mqnamesrv"), "{out}");
    assert!(out.contains("No mqnamesrv running"), "{out}");
    assert!(!pid_file.exists(), "the stale pid file stays: {out}");
}

#[test]
fn a_pid_file_of_a_dead_process_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let pid_file = dir.path().join("broker-10911.pid");
    std::fs::write(&pid_file, pid.to_string()).unwrap();
    let out = shutdown(dir.path(), "broker");
    assert!(out.contains("not running"), "{out}");
    assert!(!pid_file.exists(), "{out}");
}

#[test]
fn our_name_server_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = rmq_tests::free_port();
    let conf = dir.path().join("namesrv.conf");
    std::fs::write(&conf, format!("listenPort={port}\nbindAddress=127.0.0.1\n")).unwrap();
    let mut child = Command::new(rmq_tests::bin_dir().join("mqnamesrv"))
        .arg("-c")
        .arg(&conf)
        .env("ROCKETMQ_LOG_DIR", dir.path().join("logs"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(rmq_tests::wait_port(port, Duration::from_secs(10)));
    let pid_file = dir.path().join("namesrv.pid");
    let pid = child.id();
    std::fs::write(&pid_file, pid.to_string()).unwrap();
    // Reap it as soon as it exits, so mqshutdown sees it gone (no zombie).
    let waiter = std::thread::spawn(move || child.wait());
    let out = shutdown(dir.path(), "namesrv");
    if !out.contains("is stopped") {
        let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
    }
    let status = waiter.join().unwrap().unwrap();
    assert!(out.contains("is stopped"), "{out}");
    assert!(status.code().is_some() || status.success(), "stopped by SIGTERM handling, not killed: {status:?}");
    assert!(!pid_file.exists());
}
