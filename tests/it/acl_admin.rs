//! The ACL 1.0 admin codes through `mqadmin` against a broker with `aclEnable=true`: an admin
//! account creates an account that can send at once, the version counts the changes, the whole
//! file reads back, an unsigned or non-admin caller and a bad permission are refused without
//! touching the file, a deleted account is refused at once, the global whitelist applies at once.

use rmq_client::{Credentials, Message};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::acl::{admin, admin_creds, producer, start, stored, wait_registered, Cluster};

const ADMIN: [&str; 4] = ["--accessKey", "rocketmq2", "--secretKey", "12345678"];

fn cli(c: &Cluster, signer: &[&str], args: &[&str]) -> rmq_tests::CommandOutput {
    let mut all = vec!["-n", c.ns_addr.as_str()];
    all.extend_from_slice(signer);
    all.extend_from_slice(args);
    rmq_tests::mqadmin(&all)
}

fn ok(out: &rmq_tests::CommandOutput) -> &str {
    assert_eq!(out.code, Some(0), "mqadmin failed: {} {}", out.stdout, out.stderr);
    &out.stdout
}

fn version(c: &Cluster) -> i64 {
    let b = c.broker.addr();
    let out = cli(c, &ADMIN, &["--json", "clusterAclConfigVersion", "-b", &b]);
    let v: serde_json::Value = serde_json::from_str(ok(&out)).unwrap();
    let files = v[0]["files"].as_object().unwrap();
    assert_eq!(files.len(), 1, "{v}");
    files.values().next().unwrap()["counter"].as_i64().unwrap()
}

#[tokio::test]
async fn accounts_and_whitelist_managed_through_the_admin_codes() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(dir.path());
    wait_registered(&c.ns_addr).await;
    let b = c.broker.addr();
    let admin = admin(&c.ns_addr, Some(admin_creds())).await;
    let spec = rmq_admin::topic::TopicSpec::new("TopicAcl");
    rmq_admin::topic::Topics::new(&admin).create_topic(&rmq_admin::Target::Broker(b.clone()), &spec).await.unwrap();
    assert_eq!(version(&c), 0);

    let create = ["updateAclConfig", "-b", &b, "-a", "newuser1", "-s", "newsecret1", "-t", "TopicAcl=PUB"];
    let text = ok(&cli(&c, &ADMIN, &create)).to_owned();
    assert!(text.contains(&format!("create or update plain access config to {b} success.")), "{text}");
    let fresh = producer(&c.ns_addr, Credentials::new("newuser1", "newsecret1")).await;
    fresh.send(Message::new("TopicAcl", "by the new account")).await.unwrap();
    assert_eq!(version(&c), 1);
    let config: serde_json::Value =
        serde_json::from_str(ok(&cli(&c, &ADMIN, &["--json", "getAclConfig", "-b", &b]))).unwrap();
    let keys: Vec<_> =
        config[0]["config"]["plainAccessConfigs"].as_array().unwrap().iter().map(|a| a["accessKey"].clone()).collect();
    assert_eq!(keys, ["rocketmq2", "RocketMQ", "newuser1"]);

    // Refused: unsigned, a plain account, a bad permission; the file is untouched.
    let before = std::fs::read_to_string(&c.file).unwrap();
    let sneaky = ["updateAclConfig", "-b", &b, "-a", "sneaky1", "-s", "sneaky123", "-m", "true"];
    assert_ne!(cli(&c, &[], &sneaky).code, Some(0), "unsigned updateAclConfig succeeded");
    let plain = ["--accessKey", "RocketMQ", "--secretKey", "87654321"];
    assert_ne!(cli(&c, &plain, &sneaky).code, Some(0), "a plain account changed the ACL");
    let bad = ["updateAclConfig", "-b", &b, "-a", "newuser1", "-t", "TopicAcl=RW"];
    let out = cli(&c, &ADMIN, &bad);
    assert_ne!(out.code, Some(0), "a bad permission was written");
    assert!(out.stderr.contains("209") || out.stderr.contains("RW"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&c.file).unwrap(), before);

    // Delete: the account is refused at once; a second delete fails.
    let delete = ["deleteAclConfig", "-b", &b, "-a", "newuser1"];
    assert!(ok(&cli(&c, &ADMIN, &delete)).contains("account's accesskey is:newuser1"));
    assert!(fresh.send(Message::new("TopicAcl", "deleted")).await.is_err(), "a deleted account sent");
    assert_ne!(cli(&c, &ADMIN, &delete).code, Some(0), "deleting a missing account succeeded");
    assert_eq!(stored(&admin).await, 1);

    // The global whitelist: unsigned requests from 127.0.0.1 pass once it is listed.
    let raw = RemotingClient::default();
    let probe = || RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo);
    let t = std::time::Duration::from_secs(5);
    assert_eq!(raw.invoke(&b, probe(), t).await.unwrap().response_code(), ResponseCode::NoPermission);
    ok(&cli(&c, &ADMIN, &["updateGlobalWhiteAddr", "-b", &b, "-g", "10.9.9.*,127.0.0.1"]));
    assert_eq!(raw.invoke(&b, probe(), t).await.unwrap().response_code(), ResponseCode::Success);
    assert_eq!(version(&c), 3);
    let wrong_file = ["updateGlobalWhiteAddr", "-b", &b, "-g", "*", "-p", "/etc/other.yml"];
    assert_ne!(cli(&c, &ADMIN, &wrong_file).code, Some(0), "another file was accepted");
}
