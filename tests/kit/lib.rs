//! Test kit: starts our binaries (`mqnamesrv`, `mqbroker`, `mqcontroller`) as processes on free
//! loopback ports with temporary directories, and stops them by PID when dropped.
//!
//! Binaries are found next to the test executable (`target/<profile>/`), or in `RMQ_BIN_DIR`.
//! `scripts/test.sh` builds them (`cargo build --workspace --bins`) before running tests.
// A test kit: a setup step that fails should panic with its reason, as a test does.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod prom;
mod single;
pub use single::{single_broker, SingleBroker, FAST_RETRIES};

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Directory holding our built binaries.
#[must_use]
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("RMQ_BIN_DIR") {
        return PathBuf::from(d);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>
    exe.parent().and_then(Path::parent).expect("target dir").to_owned()
}

fn binary(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(p.exists(), "{} not built: run `cargo build --workspace --bins` first (scripts/test.sh does)", p.display());
    p
}

/// A free loopback port (bound and released; good enough for tests).
#[must_use]
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A free port whose successor is free too (a broker's HA port is listenPort + 1).
#[must_use]
pub fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let p = free_port();
        if p < u16::MAX && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    free_port()
}

/// Waits until something accepts TCP connections on the port.
pub fn wait_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A child process killed (SIGKILL) on drop unless stopped before.
#[derive(Debug)]
pub struct Process {
    child: Option<Child>,
    /// The port it serves.
    pub port: u16,
}

impl Process {
    fn spawn(bin: &str, args: &[&str], dir: &Path, port: u16) -> Self {
        let mut cmd = Command::new(binary(bin));
        cmd.args(args);
        Self::spawn_command(cmd, bin, dir, port)
    }

    /// Runs `cmd` (one of our binaries, maybe behind a wrapper such as `prlimit`), output in
    /// `<dir>/<bin>.out`, and waits for its port.
    fn spawn_command(mut cmd: Command, bin: &str, dir: &Path, port: u16) -> Self {
        let out = std::fs::File::create(dir.join(format!("{bin}.out"))).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd
            .env("ROCKETMQ_LOG_DIR", dir.join("logs"))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn");
        let p = Self { child: Some(child), port };
        // Generous: a restart after SIGKILL recovers first, and CI machines are shared.
        assert!(wait_port(port, Duration::from_secs(30)), "{bin} did not open port {port}; see {}", dir.display());
        p
    }

    /// `127.0.0.1:<port>`.
    #[must_use]
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The PID.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// SIGTERM and wait (graceful shutdown).
    pub fn terminate(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
            panic!("process did not stop within 20 s of SIGTERM");
        }
    }

    /// SIGKILL and wait (a crash).
    pub fn kill(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts a name server on a free port, state in `dir`.
#[must_use]
pub fn start_namesrv(dir: &Path) -> Process {
    start_namesrv_with(dir, "")
}

/// Starts a name server on a free port with `extra` `key=value` lines in its config.
#[must_use]
pub fn start_namesrv_with(dir: &Path, extra: &str) -> Process {
    let port = free_port();
    let conf = dir.join("namesrv.conf");
    std::fs::write(
        &conf,
        format!(
            "listenPort={port}\nbindAddress=127.0.0.1\nkvConfigPath={}\n{extra}",
            dir.join("kvConfig.json").display()
        ),
    )
    .expect("write config");
    Process::spawn("mqnamesrv", &["-c", conf.to_str().expect("utf-8 path")], dir, port)
}

/// Broker settings for tests; `extra` lines are appended to the config file.
#[derive(Debug, Clone)]
pub struct BrokerSpec {
    /// Name server address.
    pub namesrv: Option<String>,
    /// Store root.
    pub store: PathBuf,
    /// Port (0 = pick a free one).
    pub port: u16,
    /// Extra `key=value` lines.
    pub extra: String,
}

/// Starts a broker; its store lives in `spec.store`.
#[must_use]
pub fn start_broker(spec: &BrokerSpec, dir: &Path) -> Process {
    let port = if spec.port == 0 { free_port_pair() } else { spec.port };
    let conf = dir.join(format!("broker-{port}.conf"));
    std::fs::write(&conf, broker_conf(spec, port)).expect("write config");
    start_broker_file(&conf, dir, port)
}

/// The config file text [`start_broker`] writes for `spec` on `port`.
#[must_use]
pub fn broker_conf(spec: &BrokerSpec, port: u16) -> String {
    let mut text = format!(
        "brokerName=broker-a\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\nlistenPort={port}\nfastListenEnable=false\nstorePathRootDir={}\nmappedFileSizeCommitLog=16777216\nmaxHashSlotNum=50000\nmaxIndexNum=200000\n",
        spec.store.display()
    );
    if let Some(ns) = &spec.namesrv {
        text.push_str(&format!("namesrvAddr={ns}\n"));
    }
    text.push_str(&spec.extra);
    text
}

/// Starts a broker for `spec` with at most `nofile` open file descriptors (RLIMIT_NOFILE, soft
/// and hard, set by `prlimit` for the child only).
#[must_use]
pub fn start_broker_nofile(spec: &BrokerSpec, dir: &Path, nofile: u64) -> Process {
    let port = if spec.port == 0 { free_port_pair() } else { spec.port };
    let conf = dir.join(format!("broker-{port}.conf"));
    std::fs::write(&conf, broker_conf(spec, port)).expect("write config");
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--nofile={nofile}:{nofile}")).arg("--").arg(binary("mqbroker")).arg("-c").arg(&conf);
    Process::spawn_command(cmd, "mqbroker", dir, port)
}

/// Starts a broker with an existing config file that sets `listenPort={port}`.
#[must_use]
pub fn start_broker_file(conf: &Path, dir: &Path, port: u16) -> Process {
    Process::spawn("mqbroker", &["-c", conf.to_str().expect("utf-8 path")], dir, port)
}

/// Starts a name server with an existing config file that sets `listenPort={port}`.
#[must_use]
pub fn start_namesrv_file(conf: &Path, dir: &Path, port: u16) -> Process {
    Process::spawn("mqnamesrv", &["-c", conf.to_str().expect("utf-8 path")], dir, port)
}

/// Starts a standalone controller with an existing config file that sets `listenPort={port}`.
#[must_use]
pub fn start_controller_file(conf: &Path, dir: &Path, port: u16) -> Process {
    Process::spawn("mqcontroller", &["-c", conf.to_str().expect("utf-8 path")], dir, port)
}

/// Runs one of our binaries to its exit (a start that must fail), with a time limit.
#[must_use]
pub fn run_to_exit(bin: &str, args: &[&str], dir: &Path) -> CommandOutput {
    let mut child = Command::new(binary(bin))
        .args(args)
        .env("ROCKETMQ_LOG_DIR", dir.join("logs"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    CommandOutput {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// How a finished command exited and what it printed.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CommandOutput {
    /// Stdout parsed as JSON (panics with the output when it is not JSON).
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): stdout={} stderr={}", self.stdout, self.stderr))
    }
}

/// Runs the built `mqadmin` with `args` (NAMESRV_ADDR cleared, so pass `-n`) and waits for it.
#[must_use]
pub fn mqadmin(args: &[&str]) -> CommandOutput {
    mqadmin_env(args, &[])
}

/// [`mqadmin`] with extra environment variables.
#[must_use]
pub fn mqadmin_env(args: &[&str], env: &[(&str, &str)]) -> CommandOutput {
    let out = Command::new(binary("mqadmin"))
        .args(args)
        .env_remove("NAMESRV_ADDR")
        .env_remove("MQADMIN_PROGRESS")
        .envs(env.iter().copied())
        .output()
        .expect("run mqadmin");
    CommandOutput {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes a self-signed certificate for `localhost` and 127.0.0.1 (`cert.pem`) and its PKCS#8
/// key (`key.pem`) into `dir`, for servers started with TLS; returns their paths.
pub fn write_test_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let rcgen::CertifiedKey { cert, key_pair } = rcgen::generate_simple_self_signed(names).expect("certificate");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).expect("write cert.pem");
    std::fs::write(&key_path, key_pair.serialize_pem()).expect("write key.pem");
    (cert_path, key_path)
}

/// `key=value` lines that turn TLS on in `mode` for a server's ports with the certificate
/// [`write_test_cert`] wrote into `dir`.
#[must_use]
pub fn tls_server_lines(dir: &Path, mode: &str) -> String {
    format!(
        "tls.server.mode={mode}\ntls.server.certPath={}\ntls.server.keyPath={}\n",
        dir.join("cert.pem").display(),
        dir.join("key.pem").display()
    )
}
