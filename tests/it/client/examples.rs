//! Issue 28: the client crate's examples (crates/client/examples) run against our cluster and do
//! what their doc comments say. scripts/test.sh builds them (`cargo build --workspace
//! --examples`) before the tests run.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rmq_tests::{bin_dir, mqadmin, single_broker};

const TOPIC: &str = "ExampleTopic";

fn example(name: &str) -> PathBuf {
    let p = bin_dir().join("examples").join(name);
    assert!(p.exists(), "{} not built: run `cargo build --workspace --examples` first", p.display());
    p
}

fn spawn(name: &str, args: &[&str]) -> Child {
    Command::new(example(name))
        .args(args)
        .env_remove("NAMESRV_ADDR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn example")
}

/// Runs an example to its exit (at most `limit`); its exit code and stdout.
fn run(name: &str, args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let mut child = spawn(name, args);
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "example {name} failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code(), stdout)
}

/// Runs a consuming example until its output holds every body of `want` (or `limit` passes),
/// then stops it; the bodies it printed.
fn consume_until(name: &str, args: &[&str], want: &BTreeSet<String>, limit: Duration) -> BTreeSet<String> {
    let mut child = spawn(name, args);
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = BTreeSet::new();
    let deadline = Instant::now() + limit;
    while !want.is_subset(&seen) && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            // "queue 2 offset 5: Hello RocketMQ 3"
            if let Some((_, body)) = line.split_once(": ") {
                seen.insert(body.to_owned());
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    seen
}

#[test]
fn the_examples_send_and_receive_against_our_cluster() {
    let cluster = single_broker("");
    let (nsa, addr) = (cluster.ns.clone(), cluster.broker.addr());
    for topic in [TOPIC, "ExampleOrderTopic"] {
        let deadline = Instant::now() + Duration::from_secs(20);
        while mqadmin(&["-n", &nsa, "updateTopic", "-b", &addr, "-t", topic]).code != Some(0) {
            assert!(Instant::now() < deadline, "cannot create {topic}");
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    let limit = Duration::from_secs(60);

    let (_, out) = run("producer", &[&nsa, TOPIC], limit);
    assert_eq!(out.lines().filter(|l| l.starts_with("SendOk msgId=")).count(), 10, "producer printed: {out}");
    let (_, out) = run("async_send", &[&nsa, TOPIC], limit);
    assert!(out.contains("callback: "), "async_send printed: {out}");
    let (_, out) = run("batch", &[&nsa, TOPIC], limit);
    assert!(out.starts_with("SendOk: queue "), "batch printed: {out}");
    run("oneway", &[&nsa, TOPIC], limit);

    let hello: BTreeSet<String> = (0..10).map(|i| format!("Hello RocketMQ {i}")).collect();
    for consumer in ["consumer", "stream", "async_consumer"] {
        let seen = consume_until(consumer, &[&nsa, TOPIC], &hello, limit);
        assert!(hello.is_subset(&seen), "{consumer} received only {seen:?}");
    }

    let (_, out) = run("lite_pull", &[&nsa, TOPIC], limit);
    assert!(out.contains("after seek to 0: "), "lite_pull printed: {out}");

    let (_, out) = run("ordered", &[&nsa, "ExampleOrderTopic"], limit);
    for order in 0..3 {
        let steps: Vec<&str> = out
            .lines()
            .filter_map(|l| l.split_once(": ").map(|(_, b)| b))
            .filter_map(|b| b.strip_prefix(&format!("order-{order} ")))
            .collect();
        assert_eq!(steps, ["created", "paid", "shipped"], "ordered printed: {out}");
    }
}
