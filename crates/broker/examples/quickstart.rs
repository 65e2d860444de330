//! Sends ten messages through a running name server + broker and reads them back, speaking the
//! protocol directly (what scripts/quickstart.sh runs). Env: NAMESRV_ADDR.

use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_remoting::body::{fastjson, ClusterInfo};
use rmq_remoting::header::{
    PullMessageRequestHeader, PullMessageResponseHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rmq_remoting::transport::RemotingClient;
use rmq_remoting::{RemotingCommand, RequestCode};

const TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let client = RemotingClient::default();
    let info = client
        .invoke(&namesrv, RemotingCommand::request(RequestCode::GetBrokerClusterInfo), TIMEOUT)
        .await?
        .into_success()?;
    let info: ClusterInfo = serde_json::from_str(&fastjson::normalize(&String::from_utf8_lossy(&info.body)))?;
    let broker = info
        .broker_addr_table
        .values()
        .find_map(|b| b.master_addr().map(str::to_owned))
        .ok_or("no broker registered")?;
    println!("broker {broker} found through name server {namesrv}");

    let topic = "QuickstartTopic";
    for i in 0..10 {
        let header = SendMessageRequestHeaderV2 {
            a: "quickstart_producer".into(),
            b: topic.into(),
            c: rmq_common::topic::AUTO_CREATE.into(),
            d: 4,
            e: 0,
            i: Some("TAGS\u{1}TagA".into()),
            g: i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis())?,
            ..SendMessageRequestHeaderV2::default()
        };
        let req = RemotingCommand::request_with_header(RequestCode::SendMessageV2, &header)
            .with_body(format!("Hello RocketMQ {i}").into_bytes());
        let resp = client.invoke(&broker, req, TIMEOUT).await?.into_success()?;
        let h: SendMessageResponseHeader = resp.header()?;
        println!("SEND_OK msgId={} queue={} offset={}", h.msg_id, h.queue_id, h.queue_offset);
    }

    let pull = PullMessageRequestHeader {
        consumer_group: "quickstart_consumer".into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: rmq_common::pullflag::SUBSCRIPTION,
        subscription: Some("*".into()),
        expression_type: Some("TAG".into()),
        ..PullMessageRequestHeader::default()
    };
    let resp = client
        .invoke(&broker, RemotingCommand::request_with_header(RequestCode::PullMessage, &pull), TIMEOUT)
        .await?
        .into_success()?;
    let h: PullMessageResponseHeader = resp.header()?;
    for m in MessageExt::decode_all(&resp.body)? {
        println!(
            "CONSUMED offset={} tag={} body={:?}",
            m.queue_offset,
            m.tags().unwrap_or(""),
            String::from_utf8_lossy(&m.body)
        );
    }
    println!("queue 0 now holds offsets {}..{}", h.min_offset, h.max_offset);
    client.shutdown();
    Ok(())
}
