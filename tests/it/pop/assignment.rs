//! Server-side load balancing against a name server and a broker: QUERY_ASSIGNMENT by mode
//! (PULL spread AVG over the members, POP with popShareQueueNum, the retry topic always PULL),
//! `mqadmin setConsumeMode` and its refusals, and the mode table surviving a restart.

use rmq_remoting::body::{
    ConsumerData, HeartbeatData, MessageModel, MessageRequestMode, MessageRequestModeSerializeWrapper,
    QueryAssignmentRequestBody, QueryAssignmentResponseBody, SubscriptionData,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};
use rmq_tests::{mqadmin, start_broker, start_namesrv, BrokerSpec};

use super::kit::T;

const TOPIC: &str = "AssignT";
const GROUP: &str = "assign_g";

async fn heartbeat(c: &RemotingClient, addr: &str, client_id: &str) {
    let sub = SubscriptionData { topic: TOPIC.into(), sub_string: "*".into(), ..SubscriptionData::default() };
    let data = ConsumerData {
        group_name: GROUP.into(),
        message_model: MessageModel::Clustering,
        subscription_data_set: vec![sub],
        ..ConsumerData::default()
    };
    let hb = HeartbeatData { client_id: client_id.into(), producer_data_set: vec![], consumer_data_set: vec![data] };
    let req = RemotingCommand::request(RequestCode::HeartBeat).with_body(serde_json::to_vec(&hb).unwrap());
    assert_eq!(c.invoke(addr, req, T).await.unwrap().code, 0);
}

/// The client's assignments as (queue id, mode), `None` when the broker sent no list.
async fn assignment(
    c: &RemotingClient,
    addr: &str,
    topic: &str,
    client_id: &str,
    strategy: &str,
) -> Option<Vec<(i32, MessageRequestMode)>> {
    let q = QueryAssignmentRequestBody {
        topic: topic.into(),
        consumer_group: GROUP.into(),
        client_id: client_id.into(),
        strategy_name: strategy.into(),
        message_model: MessageModel::Clustering,
    };
    let req = RemotingCommand::request(RequestCode::QueryAssignment).with_body(serde_json::to_vec(&q).unwrap());
    let r = c.invoke(addr, req, T).await.unwrap();
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let body: QueryAssignmentResponseBody = rmq_remoting::body::decode(&r.body).unwrap();
    let mut got: Vec<_> =
        body.message_queue_assignments?.into_iter().map(|a| (a.message_queue.queue_id, a.mode)).collect();
    got.sort_by_key(|(q, _)| *q);
    Some(got)
}

fn set_mode(ns: &str, broker: &str, mode: &str, share: &str) -> rmq_tests::CommandOutput {
    mqadmin(&["-n", ns, "setConsumeMode", "-b", broker, "-t", TOPIC, "-g", GROUP, "-m", mode, "-q", share])
}

#[tokio::test]
async fn query_assignment_follows_the_mode_set_by_mqadmin() {
    use MessageRequestMode::{Pop, Pull};
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let spec = BrokerSpec { namesrv: Some(ns.addr()), store: dir.path().join("store"), port: 0, extra: String::new() };
    let broker = start_broker(&spec, dir.path());
    let (nsa, addr) = (ns.addr(), broker.addr());
    assert_eq!(mqadmin(&["-n", &nsa, "updateTopic", "-b", &addr, "-t", TOPIC, "-r", "4", "-w", "4"]).code, Some(0));
    let (c1, c2) = (RemotingClient::default(), RemotingClient::default());
    heartbeat(&c1, &addr, "127.0.0.1@a").await;
    heartbeat(&c2, &addr, "127.0.0.1@b").await;

    // Refusals: an unknown group (the members' group was made by their heartbeats), a retry
    // topic, a mode that is none.
    let out = mqadmin(&["-n", &nsa, "setConsumeMode", "-b", &addr, "-t", TOPIC, "-g", "no_such_group", "-m", "POP"]);
    assert_ne!(out.code, Some(0), "{}", out.stdout);
    assert!(out.stderr.contains("subscription group does not exist"), "{}", out.stderr);
    assert_ne!(set_mode(&nsa, &addr, "PUSH", "0").code, Some(0));
    assert_eq!(mqadmin(&["-n", &nsa, "updateSubGroup", "-b", &addr, "-g", GROUP]).code, Some(0));
    let retry = format!("%RETRY%{GROUP}");
    let out = mqadmin(&["-n", &nsa, "setConsumeMode", "-b", &addr, "-t", &retry, "-g", GROUP, "-m", "POP"]);
    assert!(out.stderr.contains("retry topic is not allowed to set mode"), "{}", out.stderr);

    // Default PULL: AVG spreads the 4 queues over the 2 members.
    assert_eq!(assignment(&c1, &addr, TOPIC, "127.0.0.1@a", "AVG").await.unwrap(), [(0, Pull), (1, Pull)]);
    assert_eq!(assignment(&c2, &addr, TOPIC, "127.0.0.1@b", "AVG_BY_CIRCLE").await.unwrap(), [(1, Pull), (3, Pull)]);
    assert_eq!(assignment(&c1, &addr, TOPIC, "127.0.0.1@a", "NO_SUCH").await, None);
    assert_eq!(assignment(&c1, &addr, "NoSuchTopic", "127.0.0.1@a", "AVG").await, None);

    // POP sharing every queue: the broker's whole topic in one assignment.
    let out = set_mode(&nsa, &addr, "POP", "0");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains(&format!("set consume mode to {addr} success.")), "{}", out.stdout);
    assert_eq!(assignment(&c1, &addr, TOPIC, "127.0.0.1@a", "AVG").await.unwrap(), [(-1, Pop)]);
    // The group's retry topic is read by PULL whatever the group's mode.
    let on_retry = assignment(&c1, &addr, &retry, "127.0.0.1@a", "AVG").await.unwrap_or_default();
    assert!(on_retry.iter().all(|(_, m)| *m == Pull), "{on_retry:?}");

    // POP with popShareQueueNum 1 among 2 members is every queue too (1 >= members - 1).
    assert_eq!(set_mode(&nsa, &addr, "POP", "1").code, Some(0));
    assert_eq!(assignment(&c2, &addr, TOPIC, "127.0.0.1@b", "AVG").await.unwrap(), [(-1, Pop)]);

    // The table is the broker's (GET_ALL_MESSAGE_REQUEST_MODE) and survives a restart.
    broker.terminate();
    let broker = start_broker(&BrokerSpec { port: spec_port(&addr), ..spec }, dir.path());
    let c = RemotingClient::default();
    let r = c.invoke(&broker.addr(), RemotingCommand::request(RequestCode::GetAllMessageRequestMode), T).await.unwrap();
    let table: MessageRequestModeSerializeWrapper = rmq_remoting::body::decode(&r.body).unwrap();
    let m = &table.message_request_mode_map[TOPIC][GROUP];
    assert_eq!((m.mode, m.pop_share_queue_num), (Pop, 1));
    assert_eq!(set_mode(&nsa, &broker.addr(), "PULL", "0").code, Some(0));
    heartbeat(&c, &broker.addr(), "127.0.0.1@a").await;
    let got = assignment(&c, &broker.addr(), TOPIC, "127.0.0.1@a", "AVG").await.unwrap();
    assert_eq!(got, [(0, Pull), (1, Pull), (2, Pull), (3, Pull)]);
}

fn spec_port(addr: &str) -> u16 {
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

async fn modes_of(c: &RemotingClient, addr: &str) -> MessageRequestModeSerializeWrapper {
    let r = c.invoke(addr, RemotingCommand::request(RequestCode::GetAllMessageRequestMode), T).await.unwrap();
    assert_eq!(r.code, 0, "{:?}", r.remark);
    rmq_remoting::body::decode(&r.body).unwrap()
}

#[tokio::test]
async fn a_slave_copies_the_masters_modes() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    for d in ["m", "s"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let spec = |d: &str, extra: &str| BrokerSpec {
        namesrv: Some(ns.addr()),
        store: dir.path().join(d).join("store"),
        port: 0,
        extra: extra.into(),
    };
    let master = start_broker(&spec("m", ""), &dir.path().join("m"));
    let slave = start_broker(&spec("s", "brokerId=1\nbrokerRole=SLAVE\n"), &dir.path().join("s"));
    let (nsa, addr) = (ns.addr(), master.addr());
    assert_eq!(mqadmin(&["-n", &nsa, "updateTopic", "-b", &addr, "-t", TOPIC, "-r", "4", "-w", "4"]).code, Some(0));
    assert_eq!(mqadmin(&["-n", &nsa, "updateSubGroup", "-b", &addr, "-g", GROUP]).code, Some(0));
    let c = RemotingClient::default();
    assert!(modes_of(&c, &slave.addr()).await.message_request_mode_map.is_empty());
    assert_eq!(set_mode(&nsa, &addr, "POP", "2").code, Some(0));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let table = modes_of(&c, &slave.addr()).await;
        if let Some(m) = table.message_request_mode_map.get(TOPIC).and_then(|g| g.get(GROUP)) {
            assert_eq!((m.mode, m.pop_share_queue_num), (MessageRequestMode::Pop, 2));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the slave never copied the mode");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
