use super::*;

const FILE: &str = "globalWhiteRemoteAddresses:
- 10.10.103.*
accounts:
- accessKey: RocketMQ
  secretKey: '12345678'
  whiteRemoteAddress: ''
  admin: false
  defaultTopicPerm: DENY
  topicPerms:
  - topicA=PUB
";

fn header(ak: &str) -> CreateAccessConfigRequestHeader {
    CreateAccessConfigRequestHeader { access_key: ak.into(), ..Default::default() }
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain_acl.yml");
    std::fs::write(&path, FILE).unwrap();
    (dir, path)
}

#[test]
fn update_merges_the_fields_it_carries_and_bumps_the_version() {
    let (_dir, path) = setup();
    assert_eq!(version(&path).unwrap().counter, 0);
    let h = CreateAccessConfigRequestHeader {
        topic_perms: Some("topicB=SUB, topicC=PUB|SUB".into()),
        ..header("RocketMQ")
    };
    update_account(&path, &h).unwrap();
    let model = AclModel::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let a = &model.accounts["RocketMQ"];
    assert_eq!(a.secret_key, "12345678", "secret kept when absent");
    assert_eq!(a.default_topic, perm::DENY);
    assert_eq!((a.perms.get("topicA"), a.perms["topicC"]), (None, perm::PUB | perm::SUB));
    assert_eq!(version(&path).unwrap().counter, 1);
    let new =
        CreateAccessConfigRequestHeader { secret_key: Some("secret99".into()), admin: Some(true), ..header("admin99") };
    update_account(&path, &new).unwrap();
    let config = acl_config(&path).unwrap();
    assert_eq!(config.global_white_addrs, ["10.10.103.*"]);
    let keys: Vec<_> = config.plain_access_configs.iter().map(|c| (c.access_key.as_str(), c.admin)).collect();
    assert_eq!(keys, [("RocketMQ", false), ("admin99", true)]);
    assert_eq!(version(&path).unwrap().counter, 2);
    assert!(!path.with_file_name(".plain_acl.yml.tmp").exists());
}

#[test]
fn bad_updates_are_refused_and_the_file_is_untouched() {
    let (_dir, path) = setup();
    let no_secret = header("nobody1");
    assert!(update_account(&path, &no_secret).is_err());
    let bad_perm = CreateAccessConfigRequestHeader { topic_perms: Some("t=RW".into()), ..header("RocketMQ") };
    assert!(matches!(update_account(&path, &bad_perm), Err(AclError::Perm(_))));
    let short = CreateAccessConfigRequestHeader { secret_key: Some("123".into()), ..header("RocketMQ") };
    assert!(update_account(&path, &short).is_err());
    assert!(update_global_white(&path, "1.2.x.*").is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE);
}

#[test]
fn delete_and_global_whitelist() {
    let (_dir, path) = setup();
    assert!(!delete_account(&path, "nobody1").unwrap());
    assert!(delete_account(&path, "RocketMQ").unwrap());
    assert!(acl_config(&path).unwrap().plain_access_configs.is_empty());
    update_global_white(&path, "192.168.0.*, 127.0.0.1").unwrap();
    assert_eq!(acl_config(&path).unwrap().global_white_addrs, ["192.168.0.*", "127.0.0.1"]);
    update_global_white(&path, "").unwrap();
    assert!(acl_config(&path).unwrap().global_white_addrs.is_empty());
    let missing = path.with_file_name("new.yml");
    update_global_white(&missing, "127.0.0.1").unwrap();
    assert_eq!(version(&missing).unwrap().counter, 1);
}
