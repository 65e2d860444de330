//! ACL 2.0 on the gRPC port, over an in-process name server and a broker with authentication
//! and authorization on: calls signed as the 5.x SDKs sign them (right credentials send and
//! receive; a wrong secret, an unknown user, no credentials and a missing PUB are refused with
//! UNAUTHORIZED and nothing is stored), a Telemetry stream with a wrong secret refused, and the
//! proxy's own requests signed with `innerClientAuthenticationCredentials` (without them the
//! ACL-enabled broker refuses the proxy), and a disabled user refused once the proxy's cached
//! copy is refreshed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{res, start_cluster_with, start_proxy};

use std::collections::HashMap;
use std::time::Duration;

use rmq_admin::{Admin, Target};
use rmq_proxy::pb::messaging_service_client::MessagingServiceClient;
use rmq_proxy::pb::receive_message_response::Content;
use rmq_proxy::pb::{self, Code};
use rmq_remoting::body::UserInfo;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Adds the `authorization` and `x-mq-date-time` headers of a 5.x SDK to each call.
#[derive(Clone)]
struct Sdk(Option<(&'static str, &'static str)>);

impl tonic::service::Interceptor for Sdk {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some((ak, sk)) = self.0 {
            let now = "20261203T173000Z";
            let sig = rmq_acl::sign::hex_signature(now.as_bytes(), sk);
            let auth =
                format!("MQv2-HMAC-SHA1 Credential={ak}//Rocketmq, SignedHeaders=x-mq-date-time, Signature={sig}");
            req.metadata_mut().insert("x-mq-date-time", now.parse().unwrap());
            req.metadata_mut().insert("authorization", auth.parse().unwrap());
        }
        Ok(req)
    }
}

type Client = MessagingServiceClient<InterceptedService<Channel, Sdk>>;

const ADMIN: &str = r#"{"accessKey":"admin","secretKey":"admin-pw"}"#;

async fn client(addr: std::net::SocketAddr, who: Option<(&'static str, &'static str)>) -> Client {
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    MessagingServiceClient::with_interceptor(channel, Sdk(who))
}

/// The ACL-enabled cluster with topics `T` and `U`, user `app` (PUB and SUB on `T`, SUB on
/// group `G`) and super user `admin`; the name server and the admin connection.
async fn cluster(dir: &std::path::Path) -> (String, Admin, String) {
    let keys = [
        ("authenticationEnabled", "true"),
        ("authorizationEnabled", "true"),
        ("initAuthenticationUser", r#"{"username":"admin","password":"admin-pw"}"#),
    ];
    let namesrv = start_cluster_with(dir, &keys).await;
    let creds = rmq_acl::Credentials::new("admin", "admin-pw");
    let admin = Admin::connect_signed(Some(&namesrv), Duration::from_secs(3), Some(creds)).await.unwrap();
    let cluster = Target::Cluster("DefaultCluster".into());
    let mut broker = None;
    for _ in 0..100 {
        if let Ok(b) = admin.resolve(&cluster, false).await {
            broker = Some(b[0].addr.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let broker = broker.expect("the broker registers");
    let topics = rmq_admin::topic::Topics::new(&admin);
    for t in ["T", "U"] {
        let mut spec = rmq_admin::topic::TopicSpec::new(t);
        (spec.read_queue_nums, spec.write_queue_nums) = (1, 1);
        topics.create_topic(&cluster, &spec).await.unwrap();
    }
    let auth = rmq_admin::auth::Auth::new(&admin);
    let app = UserInfo { username: Some("app".into()), password: Some("app-pw".into()), ..Default::default() };
    auth.create_user(&broker, &app).await.unwrap();
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let acl = rmq_admin::auth::acl_info("User:app", &s(&["Topic:T", "Group:G"]), &s(&["Pub", "Sub"]), &[], "Allow");
    auth.put_acl(&broker, &acl, false).await.unwrap();
    (namesrv, admin, broker)
}

fn message(topic: &str, id: &str) -> pb::Message {
    pb::Message {
        topic: res(topic),
        user_properties: HashMap::new(),
        system_properties: Some(pb::SystemProperties { message_id: id.into(), ..Default::default() }),
        body: id.as_bytes().to_vec(),
    }
}

async fn send(c: &mut Client, topic: &str, id: &str) -> pb::Status {
    let req = pb::SendMessageRequest { messages: vec![message(topic, id)] };
    c.send_message(req).await.unwrap().into_inner().status.unwrap()
}

/// One receive of `topic` by group `G`: the status code and the message ids.
async fn receive(c: &mut Client, topic: &str) -> (i32, Vec<String>) {
    let req = pb::ReceiveMessageRequest {
        group: res("G"),
        message_queue: common::any_queue(topic),
        filter_expression: Some(pb::FilterExpression { r#type: pb::FilterType::Tag as i32, expression: "*".into() }),
        batch_size: 32,
        invisible_duration: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
        long_polling_timeout: Some(prost_types::Duration { seconds: 2, nanos: 0 }),
        ..Default::default()
    };
    let mut stream = c.receive_message(req).await.unwrap().into_inner();
    let (mut code, mut ids) = (-1, Vec::new());
    while let Some(item) = stream.message().await.unwrap() {
        match item.content.unwrap() {
            Content::Status(s) => code = s.code,
            Content::Message(m) => ids.push(m.system_properties.unwrap().message_id),
            Content::DeliveryTimestamp(_) => {}
        }
    }
    (code, ids)
}

fn refused(s: &pb::Status, reason: &str) {
    assert_eq!(s.code, Code::Unauthorized as i32, "{s:?}");
    assert!(s.message.contains(reason), "{s:?} does not say {reason}");
}

#[tokio::test]
async fn signed_calls_pass_and_bad_credentials_or_permissions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (namesrv, admin, broker) = cluster(dir.path()).await;
    let keys = [
        ("authenticationEnabled", "true"),
        ("authorizationEnabled", "true"),
        ("innerClientAuthenticationCredentials", ADMIN),
        ("minInvisibleTimeMillsForRecv", "1000"),
    ];
    let addr = start_proxy(&namesrv, &keys).await;
    let mut app = client(addr, Some(("app", "app-pw"))).await;
    let route = app.query_route(pb::QueryRouteRequest { topic: res("T"), endpoints: None }).await.unwrap();
    assert_eq!(route.into_inner().status.unwrap().code, Code::Ok as i32);
    assert_eq!(send(&mut app, "T", "ID-OK").await.code, Code::Ok as i32);

    let mut wrong = client(addr, Some(("app", "not-the-secret"))).await;
    refused(&send(&mut wrong, "T", "ID-WRONG").await, "check signature failed.");
    let mut ghost = client(addr, Some(("ghost", "x"))).await;
    refused(&send(&mut ghost, "T", "ID-GHOST").await, "User:ghost is not found.");
    let mut anonymous = client(addr, None).await;
    refused(&send(&mut anonymous, "T", "ID-ANON").await, "username cannot be null.");
    refused(&send(&mut app, "U", "ID-NOPUB").await, "User:app has no permission to access Topic:U");
    assert_eq!(receive(&mut wrong, "T").await, (Code::Unauthorized as i32, Vec::new()));
    assert_eq!(receive(&mut app, "U").await.0, Code::Unauthorized as i32, "no SUB on U");

    let (code, ids) = receive(&mut app, "T").await;
    assert_eq!((code, ids), (Code::Ok as i32, vec!["ID-OK".to_owned()]), "only the admitted message is stored");
    let offsets = rmq_admin::offset::Offsets::new(&admin);
    assert_eq!(offsets.max_offset(&broker, "T", 0).await.unwrap(), 1);
    assert_eq!(offsets.max_offset(&broker, "U", 0).await.unwrap(), 0, "nothing stored on refusal");
}

#[tokio::test]
async fn telemetry_with_a_wrong_secret_is_refused_and_settings_are_authorized() {
    let dir = tempfile::tempdir().unwrap();
    let (namesrv, _admin, _broker) = cluster(dir.path()).await;
    let keys = [
        ("authenticationEnabled", "true"),
        ("authorizationEnabled", "true"),
        ("innerClientAuthenticationCredentials", ADMIN),
    ];
    let addr = start_proxy(&namesrv, &keys).await;
    let settings = |topic: &str| {
        let publishing = pb::Publishing { topics: vec![res(topic).unwrap()], ..Default::default() };
        let s = pb::Settings {
            client_type: Some(pb::ClientType::Producer as i32),
            pub_sub: Some(pb::settings::PubSub::Publishing(publishing)),
            ..Default::default()
        };
        pb::TelemetryCommand { status: None, command: Some(pb::telemetry_command::Command::Settings(s)) }
    };
    let first_answer = |who, topic: &'static str| async move {
        let mut c = client(addr, who).await;
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tx.send(settings(topic)).await.unwrap();
        let mut answers = c.telemetry(tokio_stream::wrappers::ReceiverStream::new(rx)).await.unwrap().into_inner();
        answers.message().await.unwrap().unwrap().status.unwrap()
    };
    refused(&first_answer(Some(("app", "bad")), "T").await, "check signature failed.");
    refused(&first_answer(Some(("app", "app-pw")), "U").await, "Topic:U");
    assert_eq!(first_answer(Some(("app", "app-pw")), "T").await.code, Code::Ok as i32);
}

#[tokio::test]
async fn the_proxy_signs_its_own_requests_to_an_acl_enabled_broker() {
    let dir = tempfile::tempdir().unwrap();
    let (namesrv, _admin, _broker) = cluster(dir.path()).await;
    let unsigned = start_proxy(&namesrv, &[]).await;
    let s = send(&mut client(unsigned, None).await, "T", "ID-UNSIGNED").await;
    assert_ne!(s.code, Code::Ok as i32, "the broker refuses a proxy without credentials: {s:?}");
    let signed = start_proxy(&namesrv, &[("innerClientAuthenticationCredentials", ADMIN)]).await;
    assert_eq!(send(&mut client(signed, None).await, "T", "ID-SIGNED").await.code, Code::Ok as i32);
}

#[tokio::test]
async fn user_changes_reach_the_proxy_after_its_cache_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let (namesrv, admin, broker) = cluster(dir.path()).await;
    let base = [("authenticationEnabled", "true"), ("innerClientAuthenticationCredentials", ADMIN)];
    let fresh = start_proxy(&namesrv, &[base[0], base[1], ("userCacheRefreshSecond", "0")]).await;
    let cached = start_proxy(&namesrv, &base).await;
    let (mut fresh, mut cached) =
        (client(fresh, Some(("app", "app-pw"))).await, client(cached, Some(("app", "app-pw"))).await);
    assert_eq!(send(&mut fresh, "T", "ID-1").await.code, Code::Ok as i32);
    assert_eq!(send(&mut cached, "T", "ID-2").await.code, Code::Ok as i32);
    let disable = UserInfo { username: Some("app".into()), user_status: Some("disable".into()), ..Default::default() };
    rmq_admin::auth::Auth::new(&admin).update_user(&broker, &disable).await.unwrap();
    refused(&send(&mut fresh, "T", "ID-3").await, "User:app is disabled.");
    let s = send(&mut cached, "T", "ID-4").await;
    assert_eq!(s.code, Code::Ok as i32, "within userCacheRefreshSecond (60 s) the cached user serves: {s:?}");
}
