//! ACL 1.0 as a process: a name server and a broker with `aclEnable=true` and one plain_acl.yml.
//! Every request code sent without a credential is refused (NO_PERMISSION) by the broker, and
//! every admin code by the name server, and nothing changes; the right key sends, a wrong
//! secret, an unknown key or a missing permission are refused and store nothing; the global
//! whitelist and the file reload; a broken file refuses everything.

use std::path::Path;
use std::time::{Duration, Instant};

use rmq_admin::cluster::Cluster as Brokers;
use rmq_admin::topic::{TopicSpec, Topics};
use rmq_admin::{no_progress, Admin, Target};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::{Credentials, Message};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use rmq_tests::{start_broker, start_namesrv_with, BrokerSpec, Process};

const T: Duration = Duration::from_secs(5);
const TOPIC: &str = "TopicAcl";

fn acl_file(white: &str) -> String {
    format!(
        "globalWhiteRemoteAddresses: [{white}]
accounts:
  - accessKey: rocketmq2
    secretKey: 12345678
    admin: true
  - accessKey: RocketMQ
    secretKey: 87654321
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - {TOPIC}=PUB|SUB
"
    )
}

pub(crate) fn admin_creds() -> Credentials {
    Credentials::new("rocketmq2", "12345678")
}

pub(crate) struct Cluster {
    _ns: Process,
    pub(crate) broker: Process,
    pub(crate) ns_addr: String,
    pub(crate) file: std::path::PathBuf,
}

pub(crate) fn start(dir: &Path) -> Cluster {
    let file = dir.join("plain_acl.yml");
    std::fs::write(&file, acl_file("10.9.9.*")).unwrap();
    let acl = format!("aclEnable=true\nrocketmq.acl.plain.file={}\n", file.display());
    let ns = start_namesrv_with(dir, &acl);
    let extra = format!(
        "{acl}innerClientAuthenticationCredentials={{\"accessKey\":\"rocketmq2\",\"secretKey\":\"12345678\"}}\n"
    );
    let spec = BrokerSpec { namesrv: Some(ns.addr()), store: dir.join("store"), port: 0, extra };
    let broker = start_broker(&spec, dir);
    Cluster { ns_addr: ns.addr(), _ns: ns, broker, file }
}

pub(crate) async fn admin(ns: &str, creds: Option<Credentials>) -> Admin {
    Admin::connect_signed(Some(ns), T, creds).await.unwrap()
}

/// Waits until the broker's signed registration put it in the cluster info.
pub(crate) async fn wait_registered(ns: &str) {
    let admin = admin(ns, None).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if Brokers::new(&admin).cluster_list(None, &no_progress).await.is_ok_and(|b| !b.is_empty()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the broker never registered with its signed REGISTER_BROKER");
}

/// Messages stored in TOPIC, once the name server routes it (the broker registers it).
pub(crate) async fn stored(admin: &Admin) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        match Topics::new(admin).topic_status(TOPIC, &no_progress).await {
            Ok(rows) => return rows.iter().map(|q| q.max_offset - q.min_offset).sum(),
            Err(e) => assert!(Instant::now() < deadline, "{TOPIC} never routed: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn unsigned(code: RequestCode) -> RemotingCommand {
    RemotingCommand::request(code)
        .with_ext("topic", TOPIC)
        .with_ext("brokerName", "broker-a")
        .with_ext("clusterName", "DefaultCluster")
        .with_ext("consumerGroup", "g1")
        .with_ext("namespace", "ORDER_TOPIC_CONFIG")
        .with_ext("key", "k")
        .with_ext("value", "v")
}

#[tokio::test]
async fn every_unsigned_request_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(dir.path());
    wait_registered(&c.ns_addr).await;
    let admin = admin(&c.ns_addr, Some(admin_creds())).await;
    Topics::new(&admin).create_topic(&Target::Broker(c.broker.addr()), &TopicSpec::new(TOPIC)).await.unwrap();
    let raw = RemotingClient::default();
    for code in RequestCode::ALL.iter().copied().filter(|c| c.value() > 0) {
        let resp = raw.invoke(&c.broker.addr(), unsigned(code), T).await.unwrap();
        assert_eq!(
            resp.response_code(),
            ResponseCode::NoPermission,
            "broker answered {code} unsigned: {:?}",
            resp.remark
        );
        if rmq_acl::resource::is_admin(code) {
            let resp = raw.invoke(&c.ns_addr, unsigned(code), T).await.unwrap();
            assert_eq!(
                resp.response_code(),
                ResponseCode::NoPermission,
                "name server answered {code}: {:?}",
                resp.remark
            );
        }
    }
    // Nothing changed: the broker is still registered, the topic still routed and served.
    assert_eq!(Brokers::new(&admin).cluster_list(None, &no_progress).await.unwrap().len(), 1);
    assert_eq!(stored(&admin).await, 0);
    // mqadmin: refused without a key, works with the admin key.
    let (ns, b) = (c.ns_addr.as_str(), c.broker.addr());
    let out = rmq_tests::mqadmin(&["-n", ns, "updateTopic", "-b", &b, "-t", "ViaCli"]);
    assert_ne!(out.code, Some(0), "unsigned mqadmin updateTopic succeeded: {}", out.stdout);
    let signed =
        ["-n", ns, "--accessKey", "rocketmq2", "--secretKey", "12345678", "updateTopic", "-b", &b, "-t", "ViaCli"];
    let out = rmq_tests::mqadmin(&signed);
    assert_eq!(out.code, Some(0), "signed mqadmin updateTopic failed: {}", out.stderr);
    // A plain account cannot use admin codes either.
    let user = admin_of(&c.ns_addr, "RocketMQ", "87654321").await;
    let err = Topics::new(&user).create_topic(&Target::Broker(c.broker.addr()), &TopicSpec::new("Other")).await;
    assert!(err.is_err(), "a non-admin account created a topic");
}

async fn admin_of(ns: &str, ak: &str, sk: &str) -> Admin {
    admin(ns, Some(Credentials::new(ak, sk))).await
}

pub(crate) async fn producer(ns: &str, creds: Credentials) -> Producer {
    let mut cfg = ProducerConfig::new(format!("pg_{}", creds.access_key), ns);
    cfg.client.instance_name = format!("acl_{}_{}", creds.access_key, creds.secret_key());
    cfg.client.credentials = Some(creds);
    cfg.retry_times_when_send_failed = 0;
    Producer::start(cfg).await.unwrap()
}

#[tokio::test]
async fn keys_secrets_permissions_whitelist_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(dir.path());
    wait_registered(&c.ns_addr).await;
    let admin = admin(&c.ns_addr, Some(admin_creds())).await;
    Topics::new(&admin).create_topic(&Target::Broker(c.broker.addr()), &TopicSpec::new(TOPIC)).await.unwrap();
    Topics::new(&admin).create_topic(&Target::Broker(c.broker.addr()), &TopicSpec::new("Denied")).await.unwrap();

    let right = producer(&c.ns_addr, Credentials::new("RocketMQ", "87654321")).await;
    right.send(Message::new(TOPIC, "ok")).await.unwrap();
    assert!(right.send(Message::new("Denied", "no")).await.is_err(), "DENY topic accepted a send");
    let wrong = producer(&c.ns_addr, Credentials::new("RocketMQ", "wrong-secret")).await;
    assert!(wrong.send(Message::new(TOPIC, "no")).await.is_err(), "wrong secret accepted");
    let unknown = producer(&c.ns_addr, Credentials::new("nobody", "87654321")).await;
    assert!(unknown.send(Message::new(TOPIC, "no")).await.is_err(), "unknown key accepted");
    assert_eq!(stored(&admin).await, 1, "only the signed send with permission is stored");

    // 127.0.0.1 is not whitelisted: unsigned is refused; whitelisted after the file changes.
    let raw = RemotingClient::default();
    let probe = || RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo);
    let refused = raw.invoke(&c.broker.addr(), probe(), T).await.unwrap();
    assert_eq!(refused.response_code(), ResponseCode::NoPermission);
    std::fs::write(&c.file, acl_file("10.9.9.*, 127.0.0.1")).unwrap();
    wait_code(&raw, &c.broker.addr(), ResponseCode::Success).await;
    // A broken file refuses everything, the admin account included.
    std::fs::write(&c.file, "accounts: [").unwrap();
    wait_code(&raw, &c.broker.addr(), ResponseCode::NoPermission).await;
    assert!(
        Brokers::new(&admin).broker_runtime(&c.broker.addr()).await.is_err(),
        "a broken ACL file let a request through"
    );
}

async fn wait_code(raw: &RemotingClient, addr: &str, want: ResponseCode) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let resp = raw.invoke(addr, RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo), T).await.unwrap();
        if resp.response_code() == want {
            return;
        }
        assert!(Instant::now() < deadline, "still {:?} after the file changed", resp.remark);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
