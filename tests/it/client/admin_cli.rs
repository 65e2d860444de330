//! `mqadmin` as a process against a live name server and broker: every command's table and
//! `--json` output, and the documented exit codes and one-line messages of failures.

use std::time::{Duration, Instant};

use rmq_tests::{mqadmin, mqadmin_env, start_broker, start_namesrv, BrokerSpec, CommandOutput, Process};
use serde_json::Value;

pub(super) const CLUSTER: &str = "DefaultCluster";

pub(super) struct Cluster {
    _ns: Process,
    broker: Process,
    pub(super) ns: String,
    _dir: tempfile::TempDir,
}

impl Cluster {
    pub(super) fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ns = start_namesrv(dir.path());
        let spec =
            BrokerSpec { namesrv: Some(ns.addr()), store: dir.path().join("store"), port: 0, extra: String::new() };
        let broker = start_broker(&spec, dir.path());
        let c = Self { ns: ns.addr(), _ns: ns, broker, _dir: dir };
        wait_for("broker registration", || {
            c.run(&["clusterList", "--json"]).json().as_array().is_some_and(|a| !a.is_empty())
        });
        c
    }

    /// Runs `mqadmin args -n <ns>`.
    pub(super) fn run(&self, args: &[&str]) -> CommandOutput {
        let mut all = args.to_vec();
        all.extend(["-n", &self.ns]);
        mqadmin(&all)
    }

    /// Runs and requires exit 0.
    pub(super) fn ok(&self, args: &[&str]) -> CommandOutput {
        let out = self.run(args);
        assert_eq!(out.code, Some(0), "mqadmin {args:?} failed: {out:?}");
        out
    }

    /// Runs with `--json`, requires exit 0, parses stdout.
    pub(super) fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        self.ok(&all).json()
    }

    pub(super) fn broker_addr(&self) -> String {
        self.broker.addr()
    }

    /// Creates a topic with 4 queues and waits for its route.
    pub(super) fn topic(&self, topic: &str) {
        self.ok(&["updateTopic", "-c", CLUSTER, "-t", topic, "-r", "4", "-w", "4"]);
        wait_for("topic route", || self.run(&["topicRoute", "-t", topic]).code == Some(0));
    }

    pub(super) fn send(&self, topic: &str, body: &str, key: &str, tag: &str) -> Value {
        self.json(&["sendMessage", "-t", topic, "-p", body, "-k", key, "-c", tag])
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// Asserts a documented failure: exit code and a one-line message containing `text`.
fn fails(out: &CommandOutput, code: i32, text: &str) {
    assert_eq!(out.code, Some(code), "{out:?}");
    let line = out.stderr.trim();
    assert!(!line.contains('\n'), "one line expected: {line}");
    assert!(line.starts_with("mqadmin: error: ") && line.contains(text), "{text:?} expected in {line:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout on failure: {}", out.stdout);
}

#[test]
fn cluster_commands() {
    let c = Cluster::start();
    let addr = c.broker_addr();
    let table = c.ok(&["clusterList"]).stdout;
    assert!(table.starts_with("#Cluster Name"), "{table}");
    assert!(table.contains(&addr) && table.contains("broker-a") && table.contains("ASYNC_MASTER"), "{table}");
    let list = c.json(&["clusterList", "-c", CLUSTER]);
    assert_eq!(list[0]["addr"], addr.as_str());
    assert_eq!(list[0]["brokerId"], 0);
    assert_eq!(list[0]["role"], "ASYNC_MASTER");
    assert!(list[0]["error"].is_null() && list[0]["version"].as_str().is_some_and(|v| !v.is_empty()));
    fails(&c.run(&["clusterList", "-c", "NoSuchCluster"]), 3, "cluster NoSuchCluster not found");

    let status = c.ok(&["brokerStatus", "-b", &addr]).stdout;
    assert!(status.contains("brokerVersionDesc") && status.contains("putTps"), "{status}");
    let status = c.json(&["brokerStatus", "-c", CLUSTER]);
    assert_eq!(status[0]["addr"], addr.as_str());
    assert!(status[0]["stats"]["msgPutTotalTodayNow"].is_string());

    let config = c.ok(&["getBrokerConfig", "-b", &addr]).stdout;
    assert!(config.contains("brokerName") && config.contains("broker-a"), "{config}");
    let config = c.json(&["getBrokerConfig", "-c", CLUSTER]);
    assert_eq!(config[0]["config"]["brokerName"], "broker-a");

    let updated = c.ok(&["updateBrokerConfig", "-b", &addr, "-k", "flushIntervalCommitLog", "-v", "700"]).stdout;
    assert!(updated.contains("update broker config success") && updated.contains(&addr), "{updated}");
    let updated = c.json(&["updateBrokerConfig", "-c", CLUSTER, "-k", "flushIntervalCommitLog", "-v", "600"]);
    assert_eq!(updated["brokers"][0]["addr"], addr.as_str());
    // The broker refuses a malformed value of a key it knows.
    let bad = c.run(&["updateBrokerConfig", "-b", &addr, "-k", "listenPort", "-v", "not-a-port"]);
    assert_eq!(bad.code, Some(1), "{bad:?}");
    // -b or -c is required.
    assert_eq!(c.run(&["brokerStatus"]).code, Some(2));
}

#[test]
fn topic_commands() {
    let c = Cluster::start();
    let addr = c.broker_addr();
    let created = c.ok(&["updateTopic", "-c", CLUSTER, "-t", "TopicA", "-r", "4", "-w", "4"]).stdout;
    assert!(created.contains(&format!("create topic to {addr} success.")), "{created}");
    let created = c.json(&["updateTopic", "-b", &addr, "-t", "TopicB", "-r", "2", "-w", "2", "-o", "true"]);
    assert_eq!((created["topic"].as_str(), created["order"].as_bool()), (Some("TopicB"), Some(true)));
    assert_eq!(created["brokers"][0]["brokerName"], "broker-a");
    wait_for("routes", || {
        c.run(&["topicRoute", "-t", "TopicA"]).code == Some(0) && c.run(&["topicRoute", "-t", "TopicB"]).code == Some(0)
    });

    let list = c.ok(&["topicList"]).stdout;
    assert!(list.lines().any(|l| l == "TopicA") && list.lines().any(|l| l == "TopicB"), "{list}");
    let list = c.json(&["topicList"]);
    assert!(list.as_array().unwrap().iter().any(|t| t == "TopicA"));
    let detailed = c.ok(&["topicList", "-c"]).stdout;
    assert!(detailed.lines().any(|l| l.starts_with(CLUSTER) && l.contains("TopicA")), "{detailed}");
    let detailed = c.json(&["topicList", "-c"]);
    assert!(detailed.as_array().unwrap().iter().any(|t| t["topic"] == "TopicA" && t["cluster"] == CLUSTER));

    let route = c.ok(&["topicRoute", "-t", "TopicA"]).stdout;
    assert!(route.contains(&addr) && route.contains("6 (RW)"), "{route}");
    let route = c.json(&["topicRoute", "-t", "TopicB"]);
    assert_eq!(route["queueDatas"][0]["writeQueueNums"], 2);
    assert_eq!(route["brokerDatas"][0]["brokerAddrs"]["0"], addr.as_str());
    assert_eq!(route["orderTopicConf"], "broker-a:2");

    assert_eq!(c.ok(&["topicClusterList", "-t", "TopicA"]).stdout, format!("{CLUSTER}\n"));
    assert_eq!(c.json(&["topicClusterList", "-t", "TopicA"]), serde_json::json!([CLUSTER]));

    for i in 0..6 {
        let sent = c.send("TopicA", &format!("m{i}"), &format!("k{i}"), "tag");
        assert_eq!(sent["status"], "SEND_OK");
    }
    let status = c.ok(&["topicStatus", "-t", "TopicA"]).stdout;
    assert!(status.starts_with("#Broker Name") && status.lines().count() == 5 && has_time(&status), "{status}");
    let status = c.json(&["topicStatus", "-t", "TopicA"]);
    let rows = status.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows.iter().map(|r| r["maxOffset"].as_i64().unwrap()).sum::<i64>(), 6);
    // A running count of the brokers walked, on stderr, when asked for.
    let walked = mqadmin_env(&["topicStatus", "-t", "TopicA", "-n", &c.ns], &[("MQADMIN_PROGRESS", "1")]);
    assert!(walked.stderr.contains("brokers: 1/1"), "{walked:?}");

    let perm = c.ok(&["updateTopicPerm", "-t", "TopicA", "-b", &addr, "-p", "4"]).stdout;
    assert!(perm.contains(&format!("update topic perm from 6 to 4 in {addr} success.")), "{perm}");
    // The old perm is read from the route (as the official command does): wait until the
    // broker's re-registration has carried the new one to the name server.
    wait_for("perm in the route", || c.json(&["topicRoute", "-t", "TopicA"])["queueDatas"][0]["perm"] == 4);
    let perm = c.json(&["updateTopicPerm", "-t", "TopicA", "-c", CLUSTER, "-p", "4"]);
    assert_eq!((perm[0]["oldPerm"].as_i64(), perm[0]["changed"].as_bool()), (Some(4), Some(false)));
    fails(&c.run(&["updateTopicPerm", "-t", "TopicA", "-c", CLUSTER, "-p", "5"]), 2, "bad perm 5");

    let deleted = c.ok(&["deleteTopic", "-t", "TopicA", "-c", CLUSTER]).stdout;
    assert!(deleted.contains("delete topic [TopicA] from cluster [DefaultCluster] success."), "{deleted}");
    assert_eq!(c.json(&["deleteTopic", "-t", "TopicB", "-c", CLUSTER])["brokers"][0]["addr"], addr.as_str());
    fails(&c.run(&["topicRoute", "-t", "TopicA"]), 3, "topic TopicA not found");
    fails(&c.run(&["topicStatus", "-t", "TopicA", "--json"]), 3, "topic TopicA not found");
    fails(&c.run(&["deleteTopic", "-t", "TopicA", "-c", CLUSTER]), 3, "topic TopicA not found");
}

#[test]
fn message_commands() {
    let c = Cluster::start();
    c.topic("Msgs");
    let first = c.ok(&["sendMessage", "-t", "Msgs", "-p", "hello", "-k", "order-1", "-c", "TagA"]).stdout;
    assert!(first.starts_with("#Broker Name") && first.contains("SEND_OK"), "{first}");
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(c.send("Msgs", &format!("body-{i}"), &format!("key-{i}"), if i % 2 == 0 { "TagA" } else { "TagB" }));
    }
    let to_queue = c.json(&["sendMessage", "-t", "Msgs", "-p", "q2", "-b", "broker-a", "-i", "2"]);
    assert_eq!(to_queue["queueId"], 2);
    fails(&c.run(&["sendMessage", "-t", "Msgs", "-p", "x", "-i", "2"]), 2, "needs the broker name");
    fails(&c.run(&["sendMessage", "-t", "NoSuchTopic", "-p", "x"]), 3, "topic NoSuchTopic not found");

    let by_key = c.ok(&["queryMsgByKey", "-t", "Msgs", "-k", "key-3"]).stdout;
    assert!(by_key.contains(sent[3]["msgId"].as_str().unwrap()), "{by_key}");
    let by_key = c.json(&["queryMsgByKey", "-t", "Msgs", "-k", "key-3"]);
    assert_eq!(by_key.as_array().unwrap().len(), 1);
    assert_eq!(by_key[0]["body"], "body-3");
    assert_eq!(c.json(&["queryMsgByKey", "-t", "Msgs", "-k", "no-such-key"]), serde_json::json!([]));

    let offset_id = sent[1]["offsetMsgId"].as_str().unwrap();
    let unique_id = sent[1]["msgId"].as_str().unwrap();
    let by_id = c.ok(&["queryMsgById", "-i", offset_id]).stdout;
    assert!(by_id.contains("body-1") && by_id.contains("Store Timestamp:") && has_time(&by_id), "{by_id}");
    let by_id = c.json(&["queryMsgById", "-i", unique_id, "-t", "Msgs"]);
    assert_eq!((by_id[0]["offsetMsgId"].as_str(), by_id[0]["keys"].as_str()), (Some(offset_id), Some("key-1")));
    fails(&c.run(&["queryMsgById", "-i", unique_id]), 2, "give the topic (-t)");

    let uniq = c.ok(&["queryMsgByUniqueKey", "-t", "Msgs", "-i", unique_id]).stdout;
    assert!(uniq.contains(&format!("Message ID:         {unique_id}")), "{uniq}");
    assert_eq!(c.json(&["queryMsgByUniqueKey", "-t", "Msgs", "-i", unique_id])[0]["body"], "body-1");
    fails(&c.run(&["queryMsgByUniqueKey", "-t", "Msgs", "-i", "00000000000000000000000000000000"]), 3, "not found");

    let (q, o) =
        (sent[4]["queueId"].as_i64().unwrap().to_string(), sent[4]["queueOffset"].as_i64().unwrap().to_string());
    let at = c.ok(&["queryMsgByOffset", "-t", "Msgs", "-b", "broker-a", "-i", &q, "-o", &o]).stdout;
    assert!(at.contains("body-4"), "{at}");
    assert_eq!(
        c.json(&["queryMsgByOffset", "-t", "Msgs", "-b", "broker-a", "-i", &q, "-o", &o])["msgId"],
        sent[4]["msgId"]
    );
    fails(&c.run(&["queryMsgByOffset", "-t", "Msgs", "-b", "broker-a", "-i", &q, "-o", "999"]), 3, "not found");

    let printed = c.ok(&["printMsg", "-t", "Msgs"]).stdout;
    assert_eq!(printed.matches("minOffset=").count(), 4, "{printed}");
    assert!(printed.contains("body-0") && printed.contains("hello"), "{printed}");
    let printed = c.json(&["printMsg", "-t", "Msgs", "-s", "TagB"]);
    let bodies: Vec<&str> = printed
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["messages"].as_array().unwrap())
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(bodies.iter().all(|b| *b == "body-1" || *b == "body-3"));
    let future = c.json(&["printMsg", "-t", "Msgs", "-b", "now", "-e", "now"]);
    assert!(future.as_array().unwrap().iter().all(|d| d["messages"].as_array().unwrap().is_empty()));

    let consumed = c.ok(&["consumeMessage", "-t", "Msgs", "-c", "3"]).stdout;
    assert_eq!(consumed.lines().count(), 4, "{consumed}");
    assert_eq!(c.json(&["consumeMessage", "-t", "Msgs"]).as_array().unwrap().len(), 7);
    let one_queue = c.json(&["consumeMessage", "-t", "Msgs", "-b", "broker-a", "-i", &q, "-o", &o]);
    assert_eq!(one_queue[0]["body"], "body-4");
    fails(&c.run(&["consumeMessage", "-t", "Msgs", "-o", "1"]), 2, "needs the broker name");

    let rt = c.ok(&["checkMsgSendRT", "-t", "Msgs", "-a", "4", "-s", "16"]).stdout;
    assert!(rt.contains("Avg RT:") && rt.matches("true").count() == 4, "{rt}");
    let rt = c.json(&["checkMsgSendRT", "-t", "Msgs", "-a", "8"]);
    let samples = rt["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 8);
    let queues: std::collections::BTreeSet<i64> = samples.iter().map(|s| s["queueId"].as_i64().unwrap()).collect();
    assert_eq!(queues.len(), 4, "one queue after the other");
    assert!(rt["avgRtMs"].is_number());
}

#[test]
fn errors_and_help() {
    let dead = rmq_tests::free_port();
    let out = mqadmin(&["topicList", "-n", &format!("127.0.0.1:{dead}")]);
    fails(&out, 4, "no name server answered");
    assert!(out.stderr.contains("Connection refused") || out.stderr.contains("connect"), "{out:?}");
    fails(&mqadmin(&["clusterList"]), 2, "no name server: pass -n host:port or set NAMESRV_ADDR");
    // NAMESRV_ADDR works as -n does.
    let env = mqadmin_env(&["topicList"], &[("NAMESRV_ADDR", &format!("127.0.0.1:{dead}"))]);
    fails(&env, 4, &format!("127.0.0.1:{dead}"));

    // A name server that accepts connections and never answers: a timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let out = mqadmin(&["topicList", "-n", &silent_addr, "--timeoutMillis", "500"]);
    fails(&out, 5, "timed out");
    drop(silent);

    let commands = [
        "clusterList",
        "brokerStatus",
        "getBrokerConfig",
        "updateBrokerConfig",
        "updateTopic",
        "deleteTopic",
        "topicList",
        "topicRoute",
        "topicStatus",
        "topicClusterList",
        "updateTopicPerm",
        "updateSubGroup",
        "deleteSubGroup",
        "consumerProgress",
        "consumerConnection",
        "producerConnection",
        "consumerStatus",
        "resetOffsetByTime",
        "cloneGroupOffset",
        "skipAccumulatedMessage",
        "queryMsgById",
        "queryMsgByKey",
        "queryMsgByUniqueKey",
        "queryMsgByOffset",
        "printMsg",
        "sendMessage",
        "consumeMessage",
        "checkMsgSendRT",
    ];
    let top = mqadmin(&["--help"]);
    assert_eq!(top.code, Some(0));
    assert!(top.stdout.contains("Exit codes:"), "{}", top.stdout);
    for cmd in commands {
        assert!(top.stdout.contains(cmd), "{cmd} missing from --help");
        let help = mqadmin(&[cmd, "--help"]);
        assert_eq!(help.code, Some(0), "{cmd} --help: {help:?}");
        assert!(help.stdout.contains(&format!("Usage: mqadmin {cmd}")), "{}", help.stdout);
        assert!(help.stdout.contains("--namesrvAddr") && help.stdout.contains("--json"), "{}", help.stdout);
    }
    assert_eq!(mqadmin(&["noSuchCommand"]).code, Some(2));
}

#[test]
fn offsets_and_groups_without_consumers() {
    let c = Cluster::start();
    let addr = c.broker_addr();
    c.topic("Orders");
    for i in 0..6 {
        c.send("Orders", &format!("o{i}"), &format!("ok{i}"), "t");
    }
    let sum = |v: &Value, key: &str| v.as_array().unwrap().iter().map(|r| r[key].as_i64().unwrap()).sum::<i64>();

    // No consumer online: the offsets are stored all the same.
    let reset = c.ok(&["resetOffsetByTime", "-g", "g_off", "-t", "Orders", "-s", "0"]).stdout;
    assert!(
        reset.contains("reset consumer offset of group[g_off] topic[Orders]") && reset.contains("#Offset"),
        "{reset}"
    );
    let progress = c.ok(&["consumerProgress", "-g", "g_off"]).stdout;
    assert!(
        progress.contains("Consume Diff Total: 6")
            && progress.contains("Consume Inflight Total: 0")
            && progress.lines().filter(|l| l.starts_with("Orders")).count() == 4,
        "{progress}"
    );
    let progress = c.json(&["consumerProgress", "-g", "g_off", "-t", "Orders"]);
    assert_eq!((progress["diffTotal"].as_i64(), progress["queues"].as_array().map(Vec::len)), (Some(6), Some(4)));

    let reset = c.json(&["resetOffsetByTime", "-g", "g_off", "-t", "Orders", "-s", "now"]);
    assert_eq!((sum(&reset["offsets"], "offset"), reset["offsets"].as_array().map(Vec::len)), (6, Some(4)));
    assert_eq!(c.json(&["consumerProgress", "-g", "g_off"])["diffTotal"], 0);
    let reset = c.json(&["resetOffsetByTime", "-g", "g_off", "-t", "Orders", "-s", "2000-01-01#00:00:00:000"]);
    assert_eq!((reset["timestamp"].as_i64(), sum(&reset["offsets"], "offset")), (Some(946_684_800_000), 0));
    fails(&c.run(&["resetOffsetByTime", "-g", "g_off", "-t", "Orders", "-s", "yesterday"]), 2, "bad timestamp");
    fails(&c.run(&["resetOffsetByTime", "-g", "g_off", "-t", "Nope", "-s", "now"]), 3, "topic Nope not found");

    let skipped = c.ok(&["skipAccumulatedMessage", "-g", "g_off", "-t", "Orders"]).stdout;
    assert!(skipped.starts_with("#Broker Name") && skipped.lines().count() == 5, "{skipped}");
    assert_eq!(sum(&c.json(&["skipAccumulatedMessage", "-g", "g_off", "-t", "Orders"])["offsets"], "offset"), 6);

    let cloned = c.ok(&["cloneGroupOffset", "-s", "g_off", "-d", "g_clone", "-t", "Orders"]).stdout;
    assert!(
        cloned.contains("clone group offset success. srcGroup[g_off], destGroup[g_clone], topic[Orders]"),
        "{cloned}"
    );
    let cloned = c.json(&["cloneGroupOffset", "-s", "g_off", "-d", "g_clone2", "-t", "Orders"]);
    assert_eq!(sum(&cloned["offsets"], "offset"), 6);
    let progress = c.json(&["consumerProgress", "-g", "g_clone2"]);
    assert_eq!((progress["diffTotal"].as_i64(), sum(&progress["queues"], "consumerOffset")), (Some(0), 6));
    fails(
        &c.run(&["cloneGroupOffset", "-s", "g_never", "-d", "x", "-t", "Orders"]),
        3,
        "consumer group g_never not found",
    );
    fails(&c.run(&["consumerProgress", "-g", "g_never"]), 3, "consumer group g_never not found");

    let created = c.ok(&["updateSubGroup", "-c", CLUSTER, "-g", "g_sub", "-q", "2", "-r", "5", "-m", "false"]).stdout;
    assert!(
        created.contains(&format!("create subscription group to {addr} success."))
            && created.contains("retryMaxTimes=5")
    );
    let updated = c.json(&["updateSubGroup", "-b", &addr, "-g", "g_sub", "-d", "false"]);
    let cfg = &updated[0]["config"];
    assert_eq!((cfg["retryQueueNums"].as_i64(), cfg["retryMaxTimes"].as_i64()), (Some(2), Some(5)), "kept: {cfg}");
    assert_eq!(
        (cfg["consumeFromMinEnable"].as_bool(), cfg["consumeBroadcastEnable"].as_bool()),
        (Some(false), Some(false))
    );
    let deleted = c.ok(&["deleteSubGroup", "-c", CLUSTER, "-g", "g_sub"]).stdout;
    assert!(deleted.contains(&format!("delete subscription group [g_sub] from broker [{addr}] success.")), "{deleted}");
    fails(&c.run(&["deleteSubGroup", "-b", &addr, "-g", "g_sub"]), 3, "consumer group g_sub not found");
    // A group with offsets and no config: -r true removes the offsets.
    assert_eq!(c.json(&["deleteSubGroup", "-c", CLUSTER, "-g", "g_off", "-r", "true"])["group"], "g_off");
    fails(&c.run(&["consumerProgress", "-g", "g_off"]), 3, "consumer group g_off not found");

    fails(&c.run(&["consumerConnection", "-g", "g_clone"]), 3, "has no online consumer");
    fails(&c.run(&["consumerStatus", "-g", "g_clone"]), 3, "has no online consumer");
    fails(
        &c.run(&["producerConnection", "-g", "pg_none", "-t", "Orders"]),
        3,
        "producer group pg_none has no connection",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn groups_with_live_clients() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};
    use rmq_client::producer::{Producer, ProducerConfig};
    use rmq_client::Message;

    let c = tokio::task::block_in_place(Cluster::start);
    let run = |args: &[&str]| tokio::task::block_in_place(|| c.run(args));
    let json = |args: &[&str]| tokio::task::block_in_place(|| c.json(args));
    let wait = |what: &str, f: &mut dyn FnMut() -> bool| tokio::task::block_in_place(|| wait_for(what, f));
    tokio::task::block_in_place(|| c.topic("Live"));
    let before = rmq_admin::time::parse_timestamp("now").unwrap() - 1000;

    let mut pcfg = ProducerConfig::new("live_pg", c.ns.clone());
    pcfg.client.instance_name = "live_producer".into();
    let producer = Producer::start(pcfg).await.unwrap();
    for i in 0..6 {
        producer.send(Message::new("Live", format!("l{i}"))).await.unwrap();
    }
    let consumed = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&consumed);
    let mut ccfg = ConsumerConfig::new("live_g", c.ns.clone());
    ccfg.client.instance_name = "live_consumer".into();
    ccfg.from_where = ConsumeFromWhere::FirstOffset;
    let listener = Listener::concurrent(move |msgs, _ctx| {
        seen.fetch_add(msgs.len(), Ordering::SeqCst);
        ConsumeStatus::Success
    });
    let consumer = PushConsumer::start(ccfg, &[("Live", "*")], listener).await.unwrap();
    wait("6 consumed", &mut || consumed.load(Ordering::SeqCst) >= 6);

    wait("consumer connection", &mut || run(&["consumerConnection", "-g", "live_g"]).code == Some(0));
    let conn = run(&["consumerConnection", "-g", "live_g"]).stdout;
    assert!(conn.contains("live_consumer") && conn.contains("CLUSTERING") && conn.contains("Live"), "{conn}");
    let conn = json(&["consumerConnection", "-g", "live_g"]);
    let client_id = conn["connectionSet"][0]["clientId"].as_str().unwrap().to_owned();
    assert_eq!(conn["connectionSet"].as_array().map(Vec::len), Some(1));
    assert_eq!(conn["subscriptionTable"]["Live"]["subString"], "*");

    let status = run(&["consumerStatus", "-g", "live_g"]).stdout;
    assert!(status.contains(&format!("#ClientId: {client_id}")) && status.contains("#Queues:"), "{status}");
    let status = json(&["consumerStatus", "-g", "live_g", "-i", &client_id]);
    assert_eq!(status[0]["properties"]["consumerGroup"], "live_g");
    assert_eq!(status[0]["queues"].as_array().unwrap().iter().filter(|q| q["topic"] == "Live").count(), 4);
    let wrong = run(&["consumerStatus", "-g", "live_g", "-i", "nobody@0"]);
    fails(&wrong, 3, "client nobody@0");

    wait("producer connection", &mut || run(&["producerConnection", "-g", "live_pg", "-t", "Live"]).code == Some(0));
    let prod = run(&["producerConnection", "-g", "live_pg", "-t", "Live"]).stdout;
    assert!(prod.starts_with("#Id") && prod.contains("live_producer"), "{prod}");
    assert!(json(&["producerConnection", "-g", "live_pg", "-t", "Live"])["connectionSet"][0]["clientId"]
        .as_str()
        .is_some_and(|id| id.ends_with("@live_producer")));

    wait("group listed", &mut || {
        json(&["consumerProgress"]).as_array().unwrap().iter().any(|g| g["group"] == "live_g" && g["count"] == 1)
    });
    let groups = run(&["consumerProgress"]).stdout;
    assert!(
        groups.lines().any(|l| l.starts_with("live_g") && l.contains("PUSH") && l.contains("CLUSTERING")),
        "{groups}"
    );

    // Reset with the consumer online: the broker tells it, and it consumes everything again.
    let ts = before.to_string();
    let reset = json(&["resetOffsetByTime", "-g", "live_g", "-t", "Live", "-s", &ts]);
    assert_eq!(reset["offsets"].as_array().unwrap().iter().map(|o| o["offset"].as_i64().unwrap()).sum::<i64>(), 0);
    wait("re-consumed after the reset", &mut || consumed.load(Ordering::SeqCst) >= 12);
    wait("offsets committed", &mut || json(&["consumerProgress", "-g", "live_g", "-t", "Live"])["diffTotal"] == 0);

    consumer.shutdown().await;
    producer.shutdown().await;
}

/// Whether `text` holds a time as the official tool prints it: `HH:mm:ss,SSS` (local time).
fn has_time(text: &str) -> bool {
    text.as_bytes().windows(12).any(|w| {
        let d = |i: usize| w[i].is_ascii_digit();
        d(0) && d(1)
            && w[2] == b':'
            && d(3)
            && d(4)
            && w[5] == b':'
            && d(6)
            && d(7)
            && w[8] == b','
            && d(9)
            && d(10)
            && d(11)
    })
}
