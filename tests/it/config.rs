//! Configuration as an operator meets it: bad values stop the start naming the key, and
//! UPDATE_BROKER_CONFIG / UPDATE_NAMESRV_CONFIG change keys at once and survive a restart.

use std::time::Duration;

use rmq_remoting::header::SendMessageRequestHeaderV2;
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{
    broker_conf, free_port, free_port_pair, run_to_exit, start_broker_file, start_namesrv_file, BrokerSpec,
};

const T: Duration = Duration::from_secs(5);

async fn call(c: &RemotingClient, addr: &str, code: RequestCode, body: &str) -> RemotingCommand {
    let req = RemotingCommand::request(code).with_body(body.as_bytes().to_vec());
    c.invoke(addr, req, T).await.unwrap()
}

async fn send(c: &RemotingClient, addr: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        a: "pg".into(),
        b: "ConfT".into(),
        c: rmq_common::topic::AUTO_CREATE.into(),
        d: 4,
        ..SendMessageRequestHeaderV2::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(b"m".to_vec());
    c.invoke(addr, req, T).await.unwrap()
}

async fn config_has(c: &RemotingClient, addr: &str, code: RequestCode, line: &str) -> bool {
    let r = call(c, addr, code, "").await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    String::from_utf8_lossy(&r.body).lines().any(|l| l == line)
}

#[test]
fn bad_values_stop_the_start_naming_key_value_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: String::new() };
    for (line, allowed) in [
        ("runtimeWorkerThreads=100000", "0..=256"),
        ("deleteWhen=99", "hours"),
        ("brokerIP1=not.an.ip", "IP address"),
        ("flushDiskType=SOMETIMES", "ASYNC_FLUSH"),
    ] {
        let conf = dir.path().join("bad.conf");
        std::fs::write(&conf, format!("{}{line}\n", broker_conf(&spec, free_port_pair()))).unwrap();
        let out = run_to_exit("mqbroker", &["-c", conf.to_str().unwrap()], dir.path());
        assert_ne!(out.code, Some(0), "{line} was accepted");
        let (key, value) = line.split_once('=').unwrap();
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains(key) && text.contains(value) && text.contains(allowed), "{line}: {text}");
    }
    let conf = dir.path().join("bad-ns.conf");
    std::fs::write(&conf, "listenPort=9876\nscanNotActiveBrokerInterval=-1\n").unwrap();
    let out = run_to_exit("mqnamesrv", &["-c", conf.to_str().unwrap()], dir.path());
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("scanNotActiveBrokerInterval"), "{}", out.stderr);
}

#[tokio::test]
async fn broker_config_updates_apply_at_once_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec { namesrv: None, store: dir.path().join("store"), port: 0, extra: String::new() };
    let port = free_port_pair();
    let conf = dir.path().join("broker.conf");
    std::fs::write(&conf, format!("# operator's notes\n{}", broker_conf(&spec, port))).unwrap();
    let broker = start_broker_file(&conf, dir.path(), port);
    let (c, addr) = (RemotingClient::default(), broker.addr());
    let get = RequestCode::GetBrokerConfig;
    assert!(config_has(&c, &addr, get, "fileReservedTime=72").await);

    let r = call(&c, &addr, RequestCode::UpdateBrokerConfig, "fileReservedTime=48\ndeleteWhen=01;04\n").await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert!(config_has(&c, &addr, get, "fileReservedTime=48").await, "applied at once");
    assert!(config_has(&c, &addr, get, "deleteWhen=01;04").await);
    for (body, key) in [("listenPort=1", "listenPort"), ("deleteWhen=99", "deleteWhen"), ("noSuchKey=1", "noSuchKey")] {
        let r = call(&c, &addr, RequestCode::UpdateBrokerConfig, body).await;
        assert_eq!(r.response_code(), ResponseCode::SystemError, "{body}");
        assert!(r.remark.as_deref().unwrap_or("").contains(key), "{body}: {:?}", r.remark);
    }
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.starts_with("# operator's notes\n") && text.contains("\nfileReservedTime=48\n"), "{text}");

    // brokerPermission=4 (read only): sends are refused at once.
    assert_eq!(send(&c, &addr).await.code, 0);
    let r = call(&c, &addr, RequestCode::UpdateBrokerConfig, "brokerPermission=4").await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert!(config_has(&c, &addr, get, "brokerPermission=4").await);
    assert_eq!(send(&c, &addr).await.response_code(), ResponseCode::NoPermission);

    broker.terminate();
    let broker = start_broker_file(&conf, dir.path(), port);
    let (c, addr) = (RemotingClient::default(), broker.addr());
    assert!(config_has(&c, &addr, get, "fileReservedTime=48").await, "kept across a restart");
    assert!(config_has(&c, &addr, get, "deleteWhen=01;04").await);
    assert!(config_has(&c, &addr, get, "brokerPermission=4").await);
    assert_eq!(send(&c, &addr).await.response_code(), ResponseCode::NoPermission);
    broker.terminate();
}

#[tokio::test]
async fn namesrv_config_updates_apply_at_once_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("namesrv.conf");
    let kv = dir.path().join("kv.json");
    std::fs::write(&conf, format!("# ns\nlistenPort={port}\nbindAddress=127.0.0.1\nkvConfigPath={}\n", kv.display()))
        .unwrap();
    let ns = start_namesrv_file(&conf, dir.path(), port);
    let (c, addr) = (RemotingClient::default(), ns.addr());
    let get = RequestCode::GetNamesrvConfig;
    let r = call(&c, &addr, RequestCode::UpdateNamesrvConfig, "orderMessageEnable=true").await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert!(config_has(&c, &addr, get, "orderMessageEnable=true").await);
    for (body, key) in [("listenPort=1", "listenPort"), ("brokerExpiredMillis=x", "brokerExpiredMillis")] {
        let r = call(&c, &addr, RequestCode::UpdateNamesrvConfig, body).await;
        assert_ne!(r.code, 0, "{body}");
        assert!(r.remark.as_deref().unwrap_or("").contains(key), "{body}: {:?}", r.remark);
    }
    ns.terminate();
    let ns = start_namesrv_file(&conf, dir.path(), port);
    let c = RemotingClient::default();
    assert!(config_has(&c, &ns.addr(), get, "orderMessageEnable=true").await, "kept across a restart");
    ns.terminate();
}
