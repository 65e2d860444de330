//! Name server as a process: two broker sets (master + slave each) registered with hand-built
//! requests; routes and cluster info read back; a closed broker connection leaves the route.

use std::time::Duration;

use rmq_remoting::body::{ClusterInfo, RegisterBrokerBody, TopicConfig, TopicRouteData};
use rmq_remoting::header::{GetRouteInfoRequestHeader, RegisterBrokerRequestHeader, RegisterBrokerResponseHeader};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{body::fastjson, RemotingCommand, RequestCode, ResponseCode};

const T: Duration = Duration::from_secs(5);

fn register(name: &str, id: i64, port: u16, topics: &[&str]) -> RemotingCommand {
    let mut body = RegisterBrokerBody::default();
    for t in topics {
        body.topic_config_serialize_wrapper.topic_config_table.insert(
            (*t).into(),
            TopicConfig { topic_name: (*t).into(), read_queue_nums: 4, write_queue_nums: 4, ..TopicConfig::default() },
        );
    }
    body.topic_config_serialize_wrapper.data_version.counter = 1;
    let h = RegisterBrokerRequestHeader {
        broker_name: name.into(),
        broker_addr: format!("127.0.0.1:{port}"),
        cluster_name: "C1".into(),
        ha_server_addr: format!("127.0.0.1:{}", port + 1),
        broker_id: id,
        ..RegisterBrokerRequestHeader::default()
    };
    RemotingCommand::request_with_header(RequestCode::RegisterBroker, &h).with_body(serde_json::to_vec(&body).unwrap())
}

async fn route(c: &RemotingClient, ns: &str, topic: &str) -> Option<TopicRouteData> {
    let h = GetRouteInfoRequestHeader { topic: topic.into(), accept_standard_json_only: None };
    let resp =
        c.invoke(ns, RemotingCommand::request_with_header(RequestCode::GetRouteinfoByTopic, &h), T).await.unwrap();
    if resp.response_code() == ResponseCode::TopicNotExist {
        return None;
    }
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    Some(serde_json::from_slice(&resp.body).unwrap())
}

#[tokio::test]
async fn routes_and_cluster_info_follow_broker_connections() {
    let dir = tempfile::tempdir().unwrap();
    let ns = rmq_tests::start_namesrv(dir.path());
    let addr = ns.addr();
    // One connection per broker, so closing one drops only that broker.
    let brokers: Vec<(RemotingClient, &str, i64, u16)> =
        vec![("a", 0, 10911), ("a", 1, 10921), ("b", 0, 11011), ("b", 1, 11021)]
            .into_iter()
            .map(|(n, i, p)| (RemotingClient::default(), n, i, p))
            .collect();
    for (c, name, id, port) in &brokers {
        let resp = c.invoke(&addr, register(name, *id, *port, &["T1", "T2"]), T).await.unwrap();
        assert_eq!(resp.code, 0);
        let h: RegisterBrokerResponseHeader = resp.header().unwrap();
        if *id > 0 {
            assert_eq!(
                h.master_addr.as_deref(),
                Some(format!("127.0.0.1:{}", port - 10).as_str()),
                "a slave learns its master"
            );
            assert_eq!(h.ha_server_addr.as_deref(), Some(format!("127.0.0.1:{}", port - 9).as_str()));
        } else {
            assert_eq!(h.master_addr, None);
        }
    }
    let probe = RemotingClient::default();
    let r = route(&probe, &addr, "T1").await.expect("route of T1");
    assert_eq!(r.queue_datas.len(), 2);
    assert_eq!(r.broker_datas.len(), 2);
    for b in &r.broker_datas {
        assert_eq!(b.broker_addrs.len(), 2, "master and slave of {}", b.broker_name);
    }
    assert!(route(&probe, &addr, "NoSuchTopic").await.is_none());

    let resp = probe.invoke(&addr, RemotingCommand::request(RequestCode::GetBrokerClusterInfo), T).await.unwrap();
    let text = String::from_utf8_lossy(&resp.body).into_owned();
    assert!(text.contains("\"brokerAddrs\":{0:"), "fastjson's bare numeric keys: {text}");
    let info: ClusterInfo = serde_json::from_str(&fastjson::normalize(&text)).unwrap();
    assert_eq!(info.cluster_addr_table["C1"].len(), 2);

    // The slave of b goes away: only its address leaves.
    brokers[3].0.shutdown();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = route(&probe, &addr, "T1").await.unwrap();
    let b = r.broker_datas.iter().find(|b| b.broker_name == "b").unwrap();
    assert_eq!(b.broker_addrs.len(), 1);
    // The master of b goes away: b leaves the route entirely.
    brokers[2].0.shutdown();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = route(&probe, &addr, "T1").await.unwrap();
    assert_eq!(r.broker_datas.len(), 1);
    assert_eq!(r.queue_datas.len(), 1);
    assert_eq!(r.queue_datas[0].broker_name, "a");
    ns.terminate();
}

#[tokio::test]
async fn kv_config_round_trip_and_unknown_code() {
    use rmq_remoting::header::{GetKvConfigResponseHeader, KvConfigKeyRequestHeader, PutKvConfigRequestHeader};
    let dir = tempfile::tempdir().unwrap();
    let ns = rmq_tests::start_namesrv(dir.path());
    let c = RemotingClient::default();
    let put = PutKvConfigRequestHeader {
        namespace: rmq_common::topic::ORDER_TOPIC_CONFIG.into(),
        key: "T".into(),
        value: "broker-a:4".into(),
    };
    assert_eq!(
        c.invoke(&ns.addr(), RemotingCommand::request_with_header(RequestCode::PutKvConfig, &put), T)
            .await
            .unwrap()
            .code,
        0
    );
    let get = KvConfigKeyRequestHeader { namespace: rmq_common::topic::ORDER_TOPIC_CONFIG.into(), key: "T".into() };
    let resp =
        c.invoke(&ns.addr(), RemotingCommand::request_with_header(RequestCode::GetKvConfig, &get), T).await.unwrap();
    assert_eq!(resp.header::<GetKvConfigResponseHeader>().unwrap().value.as_deref(), Some("broker-a:4"));
    let resp = c.invoke(&ns.addr(), RemotingCommand::request(RequestCode::Unknown(7777)), T).await.unwrap();
    assert_eq!(resp.response_code(), ResponseCode::RequestCodeNotSupported);
    ns.terminate();
    // The KV config survives a restart.
    let ns = rmq_tests::start_namesrv(dir.path());
    let resp =
        c.invoke(&ns.addr(), RemotingCommand::request_with_header(RequestCode::GetKvConfig, &get), T).await.unwrap();
    assert_eq!(resp.code, 0);
}

/// Each failure maps to the code and remark the official name server answers.
#[tokio::test]
async fn errors_map_to_codes_and_remarks() {
    use rmq_remoting::header::GetKvListByNamespaceRequestHeader;
    let dir = tempfile::tempdir().unwrap();
    let ns = rmq_tests::start_namesrv(dir.path());
    let c = RemotingClient::default();
    let call = |req: RemotingCommand| {
        let (c, addr) = (c.clone(), ns.addr());
        async move {
            let r = c.invoke(&addr, req, T).await.unwrap();
            (r.response_code(), r.remark_str().to_owned())
        }
    };
    let h = GetRouteInfoRequestHeader { topic: "Nope".into(), accept_standard_json_only: None };
    assert_eq!(
        call(RemotingCommand::request_with_header(RequestCode::GetRouteinfoByTopic, &h)).await,
        (ResponseCode::TopicNotExist, "No topic route info in name server for the topic: Nope".to_owned())
    );
    assert_eq!(
        call(RemotingCommand::request(RequestCode::GetRouteinfoByTopic)).await,
        (ResponseCode::SystemError, "the custom field <topic> is null".to_owned())
    );
    let list = GetKvListByNamespaceRequestHeader { namespace: "none".into() };
    assert_eq!(
        call(RemotingCommand::request_with_header(RequestCode::GetKvlistByNamespace, &list)).await,
        (ResponseCode::QueryNotFound, "No config item, Namespace: none".to_owned())
    );
    let (code, _) = call(RemotingCommand::request(RequestCode::UpdateNamesrvConfig)).await;
    assert_eq!(code, ResponseCode::Success, "an empty update changes nothing");
    assert_eq!(
        call(RemotingCommand::request(RequestCode::SendMessage)).await,
        (ResponseCode::RequestCodeNotSupported, " request type 10 not supported".to_owned())
    );
    // A registration whose body does not match its CRC is refused and changes no route.
    let mut bad = register("a", 0, 30_911, &["CrcT"]);
    bad.ext_fields.insert("bodyCrc32".into(), "12345".into());
    assert_eq!(call(bad).await, (ResponseCode::SystemError, "crc32 not match".to_owned()));
    assert!(route(&c, &ns.addr(), "CrcT").await.is_none());
    let mut good = register("a", 0, 30_911, &["CrcT"]);
    let crc = rmq_common::message::body_crc(&good.body);
    good.ext_fields.insert("bodyCrc32".into(), crc.to_string());
    assert_eq!(call(good).await.0, ResponseCode::Success);
    assert_eq!(route(&c, &ns.addr(), "CrcT").await.unwrap().queue_datas[0].broker_name, "a");
    ns.terminate();
}
