//! Message lookups: by offset message id, by key, by unique key; and [`MessageView`], a stored
//! message as the admin tools show it.

use std::collections::BTreeMap;

use rmq_common::message::MessageExt;
use rmq_common::{msgid, property};
use rmq_remoting::header::{QueryMessageRequestHeader, ViewMessageRequestHeader};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use serde::Serialize;

use crate::{route_addr, Admin, AdminError, Result};
use rmq_client::ClientError;

/// Most messages a unique-key query returns (the official limit).
const UNIQUE_KEY_MAX: i32 = 32;

/// A stored message, body inflated and shown as UTF-8 (lossy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// The id users see: the client's unique id, else the offset id.
    pub msg_id: String,
    /// The broker's offset message id (store host + commit-log offset).
    pub offset_msg_id: String,
    /// Topic.
    pub topic: String,
    /// Tag.
    pub tags: Option<String>,
    /// Keys, space-separated.
    pub keys: Option<String>,
    /// Queue id.
    pub queue_id: i32,
    /// Consume-queue offset.
    pub queue_offset: i64,
    /// Commit-log offset.
    pub commit_log_offset: i64,
    /// Sys flag.
    pub sys_flag: i32,
    /// User flag.
    pub flag: i32,
    /// Born time, ms.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: String,
    /// Store time, ms.
    pub store_timestamp: i64,
    /// Broker address.
    pub store_host: String,
    /// Times consumed again.
    pub reconsume_times: i32,
    /// Body CRC as stored.
    pub body_crc: i32,
    /// Whole record size, bytes.
    pub store_size: usize,
    /// Properties.
    pub properties: BTreeMap<String, String>,
    /// Body length, bytes (after inflating).
    pub body_length: usize,
    /// Body as UTF-8 (invalid bytes replaced).
    pub body: String,
}

impl From<MessageExt> for MessageView {
    fn from(mut m: MessageExt) -> Self {
        rmq_client::decode_body(&mut m);
        Self {
            msg_id: m.unique_id().to_owned(),
            tags: property::get(&m.properties, property::TAGS).map(str::to_owned),
            keys: property::get(&m.properties, property::KEYS).map(str::to_owned),
            properties: m.properties.iter().cloned().collect(),
            body_length: m.body.len(),
            body: String::from_utf8_lossy(&m.body).into_owned(),
            offset_msg_id: m.msg_id,
            topic: m.topic,
            queue_id: m.queue_id,
            queue_offset: m.queue_offset,
            commit_log_offset: m.commit_log_offset,
            sys_flag: m.sys_flag,
            flag: m.flag,
            born_timestamp: m.born_timestamp,
            born_host: m.born_host.to_string(),
            store_timestamp: m.store_timestamp,
            store_host: m.store_host.to_string(),
            reconsume_times: m.reconsume_times,
            body_crc: m.body_crc,
            store_size: m.store_size,
        }
    }
}

/// Decodes back-to-back stored records.
pub(crate) fn decode_records(addr: &str, body: &[u8]) -> Result<Vec<MessageView>> {
    let all = MessageExt::decode_all(body)
        .map_err(|e| AdminError::BadAnswer { addr: addr.to_owned(), reason: format!("bad message records: {e}") })?;
    Ok(all.into_iter().map(MessageView::from).collect())
}

/// The admin calls on message lookups by id, key and unique key (`Messages::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Messages<'a> {
    pub(crate) admin: &'a Admin,
}

impl<'a> Messages<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// The message with this offset message id (it names the broker and commit-log offset).
    pub async fn view_message(&self, offset_msg_id: &str) -> Result<MessageView> {
        let (host, offset) = msgid::decode_offset_msg_id(offset_msg_id)
            .ok_or_else(|| AdminError::Invalid(format!("{offset_msg_id} is not an offset message id")))?;
        let addr = host.to_string();
        let req =
            RemotingCommand::request_with_header(RequestCode::ViewMessageById, &ViewMessageRequestHeader { offset });
        let resp = match self.admin.broker_ok(&addr, req).await {
            Ok(r) => r,
            Err(AdminError::Client(ClientError::Broker { .. })) => {
                return Err(AdminError::MessageNotFound(offset_msg_id.to_owned()))
            }
            Err(e) => return Err(e),
        };
        decode_records(&addr, &resp.body)?
            .into_iter()
            .next()
            .ok_or_else(|| AdminError::MessageNotFound(offset_msg_id.to_owned()))
    }

    /// `queryMsgById`: an offset message id is read from its broker; any other id (or an offset
    /// id whose broker does not have it) is looked up as a unique key of `topic`.
    pub async fn query_msg_by_id(&self, id: &str, topic: Option<&str>) -> Result<Vec<MessageView>> {
        if msgid::decode_offset_msg_id(id).is_some() {
            match self.view_message(id).await {
                Ok(m) => return Ok(vec![m]),
                Err(e) if topic.is_none() => return Err(e),
                Err(_) => {}
            }
        }
        match topic {
            Some(t) => self.query_by_unique_key(t, id).await,
            None => Err(AdminError::Invalid(format!(
                "{id} is not an offset message id; give the topic (-t) to look it up as a unique key"
            ))),
        }
    }

    async fn query_index(&self, h: &QueryMessageRequestHeader) -> Result<Vec<MessageView>> {
        let route = self.admin.route(&h.topic).await?;
        let mut out = Vec::new();
        for b in &route.broker_datas {
            let Some(addr) = route_addr(&route, &b.broker_name, false) else { continue };
            let resp = self
                .admin
                .broker_call(&addr, RemotingCommand::request_with_header(RequestCode::QueryMessage, h))
                .await?;
            if resp.response_code() == ResponseCode::QueryNotFound {
                continue;
            }
            let resp = rmq_client::expect_ok(&addr, resp)?;
            out.extend(decode_records(&addr, &resp.body)?);
        }
        out.sort_by_key(|m| (m.store_timestamp, m.commit_log_offset));
        Ok(out)
    }

    /// Messages of `topic` whose keys include `key`, stored within `[begin, end]` ms (at most
    /// `max` per broker).
    pub async fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        max: i32,
        begin: i64,
        end: i64,
    ) -> Result<Vec<MessageView>> {
        let h = QueryMessageRequestHeader {
            topic: topic.to_owned(),
            key: key.to_owned(),
            max_num: max,
            begin_timestamp: begin,
            end_timestamp: end,
            unique_key_query: None,
        };
        let found = self.query_index(&h).await?;
        Ok(found.into_iter().filter(|m| m.keys.as_deref().is_some_and(|k| k.split(' ').any(|x| x == key))).collect())
    }

    /// Messages of `topic` with this client unique id (a retried message has several).
    pub async fn query_by_unique_key(&self, topic: &str, id: &str) -> Result<Vec<MessageView>> {
        let h = QueryMessageRequestHeader {
            topic: topic.to_owned(),
            key: id.to_owned(),
            max_num: UNIQUE_KEY_MAX,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            unique_key_query: Some(true),
        };
        let found: Vec<MessageView> = self.query_index(&h).await?.into_iter().filter(|m| m.msg_id == id).collect();
        if found.is_empty() {
            return Err(AdminError::MessageNotFound(format!("{id} in topic {topic}")));
        }
        Ok(found)
    }
}
