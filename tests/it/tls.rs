//! TLS on the servers' ports (issue 24): permissive serves plaintext and TLS clients on one
//! port, enforcing refuses plaintext with a log line and serves TLS, disabled is plaintext only,
//! and a bad certificate path stops the start naming the key. Brokers register with TLS
//! (`tls.enable=true`) in the TLS clusters.

use std::path::Path;
use std::time::Duration;

use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::{ClientConfig, Message};
use rmq_tests::{
    broker_conf, free_port_pair, mqadmin, run_to_exit, start_broker, start_namesrv_with, tls_server_lines,
    write_test_cert, BrokerSpec, Process,
};

/// A name server and a broker in `mode`, the broker registering over TLS when `tls_enable`.
fn cluster(dir: &Path, mode: &str, tls_enable: bool) -> (Process, Process) {
    let tls = if mode == "disabled" { String::new() } else { tls_server_lines(dir, mode) };
    let ns = start_namesrv_with(dir, &tls);
    let extra = format!("{tls}tls.enable={tls_enable}\nautoCreateTopicEnable=true\n");
    let spec = BrokerSpec { namesrv: Some(ns.addr()), store: dir.join("store"), port: 0, extra };
    let broker = start_broker(&spec, dir);
    (ns, broker)
}

/// Sends one message through a producer (TLS or not); the outcome as text.
async fn send(ns: &str, group: &str, tls: bool) -> Result<String, String> {
    let mut client = ClientConfig::with_namesrv(ns);
    client.instance_name = group.to_owned();
    client.api_timeout = Duration::from_secs(3);
    if tls {
        client = client.with_tls();
    }
    let mut config = ProducerConfig::new(group, ns);
    config.client = client;
    let producer = Producer::start(config).await.map_err(|e| e.to_string())?;
    let mut last = String::new();
    // The broker registers within a second or two of starting: retry the first send.
    for _ in 0..40 {
        match producer.send(Message::new("TlsTopic", "hello")).await {
            Ok(r) => {
                producer.shutdown().await;
                return Ok(format!("{:?}", r.status));
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    producer.shutdown().await;
    Err(last)
}

fn cluster_list(ns: &str, tls: bool) -> rmq_tests::CommandOutput {
    let mut args = vec!["-n", ns, "clusterList"];
    if tls {
        args.push("--tls");
    }
    mqadmin(&args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissive_serves_plaintext_and_tls_clients() {
    let dir = tempfile::tempdir().unwrap();
    write_test_cert(dir.path());
    let (ns, _broker) = tokio::task::block_in_place(|| cluster(dir.path(), "permissive", true));
    assert_eq!(send(&ns.addr(), "tls_pg", true).await.unwrap(), "SendOk");
    assert_eq!(send(&ns.addr(), "plain_pg", false).await.unwrap(), "SendOk");
    for tls in [true, false] {
        let out = tokio::task::block_in_place(|| cluster_list(&ns.addr(), tls));
        assert!(out.code == Some(0) && out.stdout.contains("broker-a"), "tls={tls}: {out:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforcing_refuses_plaintext_and_serves_tls() {
    let dir = tempfile::tempdir().unwrap();
    write_test_cert(dir.path());
    let (ns, _broker) = tokio::task::block_in_place(|| cluster(dir.path(), "enforcing", true));
    assert_eq!(send(&ns.addr(), "tls_pg", true).await.unwrap(), "SendOk");
    let out = tokio::task::block_in_place(|| cluster_list(&ns.addr(), false));
    assert_ne!(out.code, Some(0), "a plaintext mqadmin was served: {out:?}");
    let log = std::fs::read_to_string(dir.path().join("mqnamesrv.out")).unwrap();
    assert!(log.contains("plaintext client on a TLS-only port (tls.server.mode=enforcing)"), "{log}");
    let out = tokio::task::block_in_place(|| cluster_list(&ns.addr(), true));
    assert!(out.code == Some(0) && out.stdout.contains("broker-a"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_is_plaintext_only() {
    let dir = tempfile::tempdir().unwrap();
    let (ns, _broker) = tokio::task::block_in_place(|| cluster(dir.path(), "disabled", false));
    assert_eq!(send(&ns.addr(), "plain_pg", false).await.unwrap(), "SendOk");
    let out = tokio::task::block_in_place(|| cluster_list(&ns.addr(), true));
    assert_ne!(out.code, Some(0), "a TLS client was served by a plaintext port: {out:?}");
}

#[test]
fn a_bad_certificate_path_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    write_test_cert(dir.path());
    let bad = format!(
        "tls.server.mode=enforcing\ntls.server.certPath={}\ntls.server.keyPath={}\n",
        dir.path().join("missing.pem").display(),
        dir.path().join("key.pem").display()
    );
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: bad.clone() };
    let conf = dir.path().join("bad-broker.conf");
    std::fs::write(&conf, broker_conf(&spec, free_port_pair())).unwrap();
    let ns_conf = dir.path().join("bad-ns.conf");
    std::fs::write(&ns_conf, format!("listenPort={}\nbindAddress=127.0.0.1\n{bad}", free_port_pair())).unwrap();
    for (bin, conf) in [("mqbroker", &conf), ("mqnamesrv", &ns_conf)] {
        let out = run_to_exit(bin, &["-c", conf.to_str().unwrap()], dir.path());
        assert_ne!(out.code, Some(0), "{bin} started with a missing certificate");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains("tls.server.certPath") && text.contains("missing.pem"), "{bin}: {text}");
    }
}

/// The HA link follows the broker's TLS (RocketMQ has no TLS there; docs/security.md): a
/// master with `tls.server.mode=enforcing` replicates to a slave with `tls.enable=true`, and a
/// slave of the same set connecting in plaintext gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_replicates_over_tls_and_enforcing_refuses_a_plaintext_slave() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_test_cert(d);
    let enforcing = tls_server_lines(d, "enforcing");
    let ns = tokio::task::block_in_place(|| start_namesrv_with(d, &tls_server_lines(d, "permissive")));
    let broker = |sub: &str, extra: String| {
        std::fs::create_dir_all(d.join(sub)).unwrap();
        let spec = BrokerSpec { namesrv: Some(ns.addr()), store: d.join(sub).join("store"), port: 0, extra };
        tokio::task::block_in_place(|| start_broker(&spec, &d.join(sub)))
    };
    let _master = broker("m", format!("{enforcing}tls.enable=true\nautoCreateTopicEnable=true\n"));
    let _slave = broker("s", format!("{enforcing}tls.enable=true\nbrokerId=1\nbrokerRole=SLAVE\n"));
    let _plain = broker("p", "tls.enable=false\nbrokerId=2\nbrokerRole=SLAVE\n".to_owned());
    assert_eq!(send(&ns.addr(), "ha_tls_pg", true).await.unwrap(), "SendOk");
    let want = crate::ha::commit_log(&d.join("m/store"));
    assert!(!want.is_empty());
    crate::ha::wait_until("the TLS slave's commit log equals the master's", 30, || {
        crate::ha::commit_log(&d.join("s/store")) == want
    })
    .await;
    let log = |sub: &str| std::fs::read_to_string(d.join(sub).join("mqbroker.out")).unwrap_or_default();
    let tls_link = |l: &str| l.contains("connected to the master's HA port") && l.contains("tls=true");
    assert!(log("s").lines().any(tls_link), "{}", log("s"));
    // The plaintext slave reaches the port (TCP), is refused, and keeps trying.
    crate::ha::wait_until("the plaintext slave's refused attempts", 30, || {
        log("p").matches("connected to the master's HA port").count() >= 2
    })
    .await;
    assert!(!log("p").lines().any(tls_link), "{}", log("p"));
    let plain = d.join("p/store");
    assert!(
        !plain.join("commitlog").exists() || crate::ha::commit_log(&plain).is_empty(),
        "the plaintext slave got data"
    );
    assert!(log("m").contains("plaintext client on a TLS-only port"), "{}", log("m"));
}
