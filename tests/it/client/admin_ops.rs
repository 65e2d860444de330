//! Our `mqadmin`'s operators' commands against a live name server and broker: write permission,
//! KV and order conf, statsAll, brokerConsumeStats, haStatus, cleanExpiredCQ, queryCq,
//! getConsumerConfig, exports, and times read and printed in local time.

use rmq_tests::mqadmin_env;

use super::admin_cli::{Cluster, CLUSTER};

fn perm(c: &Cluster, topic: &str) -> i64 {
    c.json(&["topicRoute", "-t", topic])["queueDatas"][0]["perm"].as_i64().unwrap()
}

#[test]
fn write_perm_kv_and_order_conf() {
    let c = Cluster::start();
    c.topic("OpsPerm");
    let wiped = c.ok(&["wipeWritePerm", "-b", "broker-a"]).stdout;
    let prefix = format!("wipe write perm of broker[broker-a] in name server[{}] OK, ", c.ns);
    let count: i64 = wiped.trim().strip_prefix(&prefix).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(count >= 1, "{wiped}");
    assert_eq!(perm(&c, "OpsPerm"), 4);
    let added = c.json(&["addWritePerm", "-b", "broker-a"]);
    assert!(added[0]["topicCount"].as_i64().unwrap() >= 1, "{added}");
    assert_eq!(perm(&c, "OpsPerm"), 6);

    c.ok(&["updateKvConfig", "-s", "OPS_NS", "-k", "k1", "-v", "v1"]);
    assert_eq!(c.json(&["getKvConfig", "-s", "OPS_NS", "-k", "k1"])["value"], "v1");
    c.ok(&["deleteKvConfig", "-s", "OPS_NS", "-k", "k1"]);
    assert!(c.json(&["getKvConfig", "-s", "OPS_NS", "-k", "k1"])["value"].is_null());

    let put = c.ok(&["updateOrderConf", "-t", "OpsPerm", "-m", "put", "-v", "broker-a:4"]).stdout;
    assert_eq!(put.trim(), "update orderConf success. topic=[OpsPerm], orderConf=[broker-a:4]");
    let got = c.ok(&["updateOrderConf", "-t", "OpsPerm", "-m", "get"]).stdout;
    assert!(got.contains("orderConf=[broker-a:4]"), "{got}");
    c.ok(&["updateOrderConf", "-t", "OpsPerm", "-m", "delete"]);
    assert!(c.json(&["updateOrderConf", "-t", "OpsPerm", "-m", "get"])["orderConf"].is_null());
}

#[test]
fn stats_consume_stats_ha_cq_and_exports() {
    let c = Cluster::start();
    let addr = c.broker_addr();
    c.topic("OpsStats");
    let sent: Vec<_> = (0..3).map(|i| c.send("OpsStats", &format!("m{i}"), &format!("k{i}"), "t")).collect();
    let stats = c.json(&["statsAll", "-t", "OpsStats"]);
    assert_eq!(stats[0]["inMsg24Hour"], 3, "{stats}");
    assert!(stats[0]["group"].is_null(), "{stats}");
    assert!(c.ok(&["statsAll", "-t", "OpsStats"]).stdout.contains("NO_CONSUMER"));

    let q = sent[0]["queueId"].as_i64().unwrap().to_string();
    let cq = c.json(&["queryCq", "-t", "OpsStats", "-q", &q, "-i", "0", "-c", "1"]);
    assert!(cq["queueData"][0]["physicSize"].as_i64().unwrap() > 0, "{cq}");
    assert!(c
        .ok(&["queryCq", "-t", "OpsStats", "-q", &q, "-i", "0"])
        .stdout
        .contains("idx: 0\nConsumeQueueData{physicOffset="));

    let ha = c.json(&["haStatus", "-b", &addr]);
    assert_eq!(ha[0]["status"]["master"], true, "{ha}");
    assert!(c.ok(&["haStatus", "-b", &addr]).stdout.contains(&format!("#MasterAddr\t{addr}")));
    assert_eq!(c.ok(&["cleanExpiredCQ", "-b", &addr]).stdout, "success\n");

    // A group with offsets (reset to the start): brokerConsumeStats names it in its column.
    c.ok(&["updateSubGroup", "-c", CLUSTER, "-g", "OpsG"]);
    c.ok(&["resetOffsetByTime", "-g", "OpsG", "-t", "OpsStats", "-s", "0"]);
    let bcs = c.json(&["brokerConsumeStats", "-b", &addr]);
    let rows = bcs["queues"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["group"] == "OpsG" && r["topic"] == "OpsStats"), "{bcs}");
    assert_eq!(bcs["totalDiff"], 3, "{bcs}");
    let text = c.ok(&["brokerConsumeStats", "-b", &addr]).stdout;
    assert!(text.lines().any(|l| l.split_whitespace().take(2).eq(["OpsStats", "OpsG"])), "{text}");

    let config = c.json(&["getConsumerConfig", "-g", "OpsG"]);
    assert_eq!(config[0]["config"]["groupName"], "OpsG", "{config}");
    assert!(c
        .ok(&["getConsumerConfig", "-g", "OpsG"])
        .stdout
        .contains(&format!("============================={CLUSTER}:broker-a")));

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    c.ok(&["exportConfigs", "-c", CLUSTER, "-f", d]);
    let configs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("configs.json")).unwrap()).unwrap();
    assert_eq!(configs["brokerConfigs"]["broker-a"]["brokerName"], "broker-a", "{configs}");
    assert_eq!(configs["clusterScale"]["masterBrokerSize"], 1);
    c.ok(&["exportMetadata", "-c", CLUSTER, "-f", d]);
    let meta = std::fs::read_to_string(dir.path().join("metadata.json")).unwrap();
    assert!(meta.contains("\"OpsStats\"") && meta.contains("\"OpsG\""), "{meta}");
}

#[test]
fn times_are_local_unless_an_offset_is_given() {
    let c = Cluster::start();
    c.topic("OpsTime");
    c.ok(&["updateSubGroup", "-c", CLUSTER, "-g", "OpsTimeG"]);
    let reset = |when: &str| {
        let args = ["resetOffsetByTime", "-g", "OpsTimeG", "-t", "OpsTime", "-s", when, "-n", &c.ns];
        let out = mqadmin_env(&args, &[("TZ", "Asia/Shanghai")]);
        assert_eq!(out.code, Some(0), "{out:?}");
        out.stdout
    };
    // 2000-01-01 08:00 in Shanghai (UTC+8) is midnight UTC, 946684800000.
    let local = reset("2000-01-01#08:00:00:000");
    assert!(local.contains("to 2000-01-01 08:00:00,000 (946684800000)"), "{local}");
    let explicit = reset("2000-01-01#00:00:00:000Z");
    assert!(explicit.contains("to 2000-01-01 08:00:00,000 (946684800000)"), "{explicit}");
    let iso = reset("2000-01-01T03:00:00+03:00");
    assert!(iso.contains("(946684800000)"), "{iso}");
}
