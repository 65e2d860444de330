//! ACL 2.0 as a process: brokers with `authenticationEnabled` and `authorizationEnabled`, users
//! and policies managed with our mqadmin (createUser, createAcl, listUser, listAcl,
//! updateUser, deleteUser), a client with the right and wrong credentials, Pub allowed and Sub
//! denied by a policy, a disabled user refused, the metadata kept across a restart, and the
//! slave holding the same users as its master after `-c` changes.

use std::path::Path;
use std::time::{Duration, Instant};

use rmq_admin::cluster::Cluster as Brokers;
use rmq_admin::topic::{TopicSpec, Topics};
use rmq_admin::{no_progress, Admin, Target};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::{Credentials, Message};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{mqadmin, start_broker, start_namesrv, BrokerSpec, CommandOutput, Process};

const T: Duration = Duration::from_secs(5);
const TOPIC: &str = "TopicAuth";
const ROOT: [&str; 4] = ["--accessKey", "rocketmq", "--secretKey", "12345678"];

/// The ACL 2.0 keys every broker of these tests carries.
const AUTH_KEYS: &str = "authenticationEnabled=true\nauthorizationEnabled=true\n\
initAuthenticationUser={\"username\":\"rocketmq\",\"password\":\"12345678\"}\n\
innerClientAuthenticationCredentials={\"accessKey\":\"inner\",\"secretKey\":\"inner-secret\"}\n";

fn spec(ns: &str, store: &Path, extra: &str) -> BrokerSpec {
    BrokerSpec { namesrv: Some(ns.to_owned()), store: store.to_owned(), port: 0, extra: format!("{AUTH_KEYS}{extra}") }
}

/// mqadmin signed as the initial super user.
fn root(ns: &str, args: &[&str]) -> CommandOutput {
    let mut all = vec!["-n", ns];
    all.extend(ROOT);
    all.extend(args);
    let out = mqadmin(&all);
    assert_eq!(out.code, Some(0), "mqadmin {args:?} failed: {} {}", out.stdout, out.stderr);
    out
}

async fn wait_registered(ns: &str, brokers: usize) {
    let admin = Admin::connect(Some(ns), T).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if Brokers::new(&admin).cluster_list(None, &no_progress).await.is_ok_and(|b| b.len() >= brokers) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{brokers} broker(s) never registered");
}

async fn producer(ns: &str, ak: &str, sk: &str) -> Producer {
    let mut cfg = ProducerConfig::new(format!("pg_{ak}"), ns);
    cfg.client.instance_name = format!("auth_{ak}_{sk}");
    cfg.client.credentials = Some(Credentials::new(ak, sk));
    cfg.retry_times_when_send_failed = 0;
    Producer::start(cfg).await.unwrap()
}

/// A signed PULL_MESSAGE (Sub on the topic and the group), answered before any header check.
fn signed_pull(ak: &str, sk: &str) -> RemotingCommand {
    let mut req = RemotingCommand::request(RequestCode::PullMessage)
        .with_ext("topic", TOPIC)
        .with_ext("consumerGroup", "gAuth")
        .with_ext("queueId", "0")
        .with_ext("queueOffset", "0");
    Credentials::new(ak, sk).sign(&mut req);
    req
}

async fn send_ok(p: &Producer, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match p.send(Message::new(TOPIC, what.to_owned())).await {
            Ok(_) => return,
            Err(e) => assert!(Instant::now() < deadline, "the allowed user cannot send: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn users_policies_credentials_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let ns_addr = ns.addr();
    let bs = spec(&ns_addr, &dir.path().join("store"), "");
    let broker = start_broker(&bs, dir.path());
    let b = broker.addr();
    wait_registered(&ns_addr, 1).await;

    // Unsigned administration is refused; the super user creates a user and its policy.
    let out = mqadmin(&["-n", &ns_addr, "createUser", "-b", &b, "-u", "app", "-p", "app-secret"]);
    assert_ne!(out.code, Some(0), "unsigned createUser succeeded: {}", out.stdout);
    let out = root(&ns_addr, &["createUser", "-b", &b, "-u", "app", "-p", "app-secret"]);
    assert!(out.stdout.contains(&format!("create user to {b} success.")), "{}", out.stdout);
    let acl = ["createAcl", "-b", &b, "-s", "User:app", "-r", &format!("Topic:{TOPIC}"), "-a", "Pub", "-d", "Allow"];
    root(&ns_addr, &acl);
    let users = root(&ns_addr, &["listUser", "-b", &b]).stdout;
    assert!(users.contains("#UserName") && users.contains("app-secret") && users.contains("Normal"), "{users}");
    assert!(users.contains("rocketmq") && users.contains("Super"), "the init user is a super user: {users}");
    let acls = root(&ns_addr, &["listAcl", "-b", &b]).stdout;
    assert!(acls.contains("User:app") && acls.contains(&format!("Topic:{TOPIC}")) && acls.contains("[Pub]"), "{acls}");

    let admin = Admin::connect_signed(Some(&ns_addr), T, Some(Credentials::new("rocketmq", "12345678"))).await.unwrap();
    Topics::new(&admin).create_topic(&Target::Broker(b.clone()), &TopicSpec::new(TOPIC)).await.unwrap();

    // Right credentials send; a wrong secret and an unknown user are refused.
    let app = producer(&ns_addr, "app", "app-secret").await;
    send_ok(&app, "allowed").await;
    let wrong = producer(&ns_addr, "app", "not-the-secret").await;
    assert!(wrong.send(Message::new(TOPIC, "no")).await.is_err(), "a wrong secret was accepted");
    let ghost = producer(&ns_addr, "ghost", "app-secret").await;
    assert!(ghost.send(Message::new(TOPIC, "no")).await.is_err(), "an unknown user was accepted");

    // Pub is allowed, Sub is not: the official broker's code and remark.
    let raw = RemotingClient::default();
    let resp = raw.invoke(&b, signed_pull("app", "app-secret"), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::NoPermission);
    let remark = resp.remark.unwrap_or_default();
    assert!(
        remark.contains("User:app has no permission to access") && remark.contains("no matched policies"),
        "{remark}"
    );
    let resp = raw.invoke(&b, signed_pull("app", "not-the-secret"), T).await.unwrap();
    assert_eq!(resp.remark.as_deref(), Some("check signature failed."));

    // A disabled user is refused; the metadata survives a restart.
    root(&ns_addr, &["updateUser", "-b", &b, "-u", "app", "-s", "disable"]);
    assert!(app.send(Message::new(TOPIC, "no")).await.is_err(), "a disabled user sent");
    drop(app);
    broker.terminate();
    let broker = start_broker(&BrokerSpec { port: 0, ..bs }, dir.path());
    let b = broker.addr();
    let users = root(&ns_addr, &["getUser", "-b", &b, "-u", "app"]).stdout;
    assert!(users.contains("app") && users.contains("disable"), "{users}");
    let acl = root(&ns_addr, &["getAcl", "-b", &b, "-s", "User:app"]).stdout;
    assert!(acl.contains(&format!("Topic:{TOPIC}")), "{acl}");
    root(&ns_addr, &["deleteUser", "-b", &b, "-u", "app"]);
    assert!(!root(&ns_addr, &["listUser", "-b", &b]).stdout.contains("app-secret"));
    drop((broker, ns));
}

#[tokio::test]
async fn cluster_changes_reach_the_slave() {
    let dir = tempfile::tempdir().unwrap();
    for d in ["m", "s"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let ns: Process = start_namesrv(dir.path());
    let ns_addr = ns.addr();
    let master = start_broker(&spec(&ns_addr, &dir.path().join("m/store"), ""), &dir.path().join("m"));
    let slave_extra = "brokerId=1\nbrokerRole=SLAVE\n";
    let slave = start_broker(&spec(&ns_addr, &dir.path().join("s/store"), slave_extra), &dir.path().join("s"));
    wait_registered(&ns_addr, 2).await;

    let out = root(&ns_addr, &["createUser", "-c", "DefaultCluster", "-u", "both", "-p", "both-secret"]);
    assert!(out.stdout.contains(&master.addr()) && out.stdout.contains(&slave.addr()), "{}", out.stdout);
    let acl = [
        "createAcl",
        "-c",
        "DefaultCluster",
        "-s",
        "User:both",
        "-r",
        "Topic:T*,Group:G",
        "-a",
        "Pub,Sub",
        "-d",
        "Allow",
    ];
    root(&ns_addr, &acl);
    let on_slave = root(&ns_addr, &["getUser", "-b", &slave.addr(), "-u", "both"]).stdout;
    assert!(on_slave.contains("both-secret"), "the slave lacks the user: {on_slave}");
    let acl_on_slave = root(&ns_addr, &["getAcl", "-b", &slave.addr(), "-s", "User:both"]).stdout;
    assert!(acl_on_slave.contains("Topic:T*") && acl_on_slave.contains("Group:G"), "{acl_on_slave}");
    // The slave authenticates with its own copy.
    let raw = RemotingClient::default();
    let mut probe =
        RemotingCommand::request(RequestCode::GetMaxOffset).with_ext("topic", "T1").with_ext("queueId", "0");
    Credentials::new("both", "wrong").sign(&mut probe);
    let resp = raw.invoke(&slave.addr(), probe, T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::NoPermission);
    drop((master, slave, ns));
}
