//! Request-reply: the reply a responder builds from a received request
//! ([`create_reply_message`], as the Java client's `MessageUtil.createReplyMessage`), and the
//! requester's side of PUSH_REPLY_MESSAGE_TO_CLIENT (the broker pushing a reply to the client
//! that sent the request), matched to the waiting request by its CORRELATION_ID.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::Bytes;
use dashmap::DashMap;
use rmq_common::message::MessageExt;
use rmq_common::property;
use rmq_remoting::header::ReplyMessageRequestHeader;
use rmq_remoting::{RemotingCommand, ResponseCode};
use tokio::sync::oneshot;

use crate::error::{ClientError, Result};
use crate::message::{decode_body, Message};

/// The reply to `request` with `body`: to the reply topic of the request's cluster
/// (`<CLUSTER>_REPLY_TOPIC`), carrying the request's CORRELATION_ID, REPLY_TO_CLIENT and TTL,
/// and MSG_TYPE=reply (so it is sent with SEND_REPLY_MESSAGE_V2). Fails when the request has
/// no CLUSTER property (it was not stored by a broker, or is not a request).
pub fn create_reply_message(request: &MessageExt, body: impl Into<Bytes>) -> Result<Message> {
    let get = |k: &str| property::get(&request.properties, k);
    let cluster = get(property::CLUSTER).ok_or_else(|| {
        ClientError::Invalid(format!(
            "create reply message fail, requestMessage error, property[{}] is null.",
            property::CLUSTER
        ))
    })?;
    let mut reply = Message::new(rmq_common::topic::reply_topic(cluster), body);
    property::set(&mut reply.properties, property::MESSAGE_TYPE, property::REPLY_MESSAGE_FLAG);
    for key in [property::CORRELATION_ID, property::REPLY_TO_CLIENT, property::MESSAGE_TTL] {
        if let Some(v) = get(key) {
            property::set(&mut reply.properties, key, v);
        }
    }
    Ok(reply)
}

/// The client id a request's reply goes to (its REPLY_TO_CLIENT property).
#[must_use]
pub fn reply_to_client(msg: &MessageExt) -> Option<&str> {
    property::get(&msg.properties, property::REPLY_TO_CLIENT)
}

/// A random correlation id, formatted as a UUID (what the Java client uses).
pub(crate) fn new_correlation_id() -> String {
    let b: [u8; 16] = rand::random();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// A request's registration; dropping it forgets the request.
#[derive(Debug)]
pub(crate) struct Waiting<'a> {
    replies: &'a PendingReplies,
    id: String,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.replies.forget(&self.id);
    }
}

/// Requests waiting for their reply, by correlation id.
#[derive(Debug, Default)]
pub(crate) struct PendingReplies {
    waiting: DashMap<String, oneshot::Sender<MessageExt>>,
}

impl PendingReplies {
    /// Registers a request; its reply arrives on the receiver.
    pub fn expect(&self, correlation_id: &str) -> oneshot::Receiver<MessageExt> {
        let (tx, rx) = oneshot::channel();
        self.waiting.insert(correlation_id.to_owned(), tx);
        rx
    }

    /// Drops a request that failed or timed out.
    pub fn forget(&self, correlation_id: &str) {
        self.waiting.remove(correlation_id);
    }

    /// Registers a request until the returned guard drops (answered, failed, timed out or the
    /// caller's future dropped): no entry outlives its request.
    pub fn wait_for<'a>(&'a self, correlation_id: &str) -> (oneshot::Receiver<MessageExt>, Waiting<'a>) {
        let rx = self.expect(correlation_id);
        (rx, Waiting { replies: self, id: correlation_id.to_owned() })
    }

    /// Requests still waiting.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Handles PUSH_REPLY_MESSAGE_TO_CLIENT: hands the reply to its request (a reply nobody
    /// waits for, late or unknown, is logged and dropped) and answers SUCCESS, or SYSTEM_ERROR
    /// when the push cannot be read (as the Java client).
    pub fn on_push(&self, req: &RemotingCommand) -> RemotingCommand {
        match decode_push(req) {
            Ok(msg) => {
                let id = property::get(&msg.properties, property::CORRELATION_ID).unwrap_or_default().to_owned();
                match self.waiting.remove(&id) {
                    Some((_, tx)) => {
                        let _ = tx.send(msg);
                    }
                    None => tracing::warn!(
                        correlation_id = %id, from = %msg.born_host,
                        "receive reply message, but not matched any request"
                    ),
                }
                RemotingCommand::success()
            }
            Err(e) => {
                tracing::warn!(cause = %e, "unreadable reply message");
                RemotingCommand::error(ResponseCode::SystemError, "process reply message fail")
            }
        }
    }
}

fn host(text: &str) -> SocketAddr {
    text.parse().unwrap_or_else(|_| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0))
}

/// The reply a push carries, body inflated, with ARRIVE_TIME set.
fn decode_push(req: &RemotingCommand) -> Result<MessageExt> {
    let h: ReplyMessageRequestHeader = req.header().map_err(|e| ClientError::Invalid(e.to_string()))?;
    let mut properties = property::decode(h.properties.as_deref().unwrap_or_default());
    property::set(&mut properties, property::REPLY_MESSAGE_ARRIVE_TIME, &rmq_common::time::now_ms().to_string());
    let mut msg = MessageExt {
        topic: h.topic,
        queue_id: h.queue_id,
        flag: h.flag,
        queue_offset: 0,
        commit_log_offset: 0,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: host(&h.born_host),
        store_timestamp: h.store_timestamp,
        store_host: host(&h.store_host),
        reconsume_times: h.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
        body_crc: 0,
        body: req.body.clone(),
        msg_id: property::get(&properties, property::UNIQ_KEY).unwrap_or_default().to_owned(),
        properties,
        store_size: 0,
    };
    decode_body(&mut msg);
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(props: &[(&str, &str)]) -> MessageExt {
        let addr = host("127.0.0.1:1");
        MessageExt {
            topic: "T".into(),
            queue_id: 0,
            flag: 0,
            queue_offset: 0,
            commit_log_offset: 0,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: addr,
            store_timestamp: 0,
            store_host: addr,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: 0,
            body: Bytes::from_static(b"req"),
            properties: props.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            msg_id: String::new(),
            store_size: 0,
        }
    }

    #[test]
    fn reply_carries_the_request_identity() {
        let req =
            request(&[("CLUSTER", "C1"), ("CORRELATION_ID", "c-1"), ("REPLY_TO_CLIENT", "1.2.3.4@x"), ("TTL", "3000")]);
        let r = create_reply_message(&req, "ok").unwrap();
        assert_eq!(r.topic, "C1_REPLY_TOPIC");
        assert_eq!(&r.body[..], b"ok");
        let want: Vec<(String, String)> =
            [("MSG_TYPE", "reply"), ("CORRELATION_ID", "c-1"), ("REPLY_TO_CLIENT", "1.2.3.4@x"), ("TTL", "3000")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
        assert_eq!(r.properties, want);
        let err = create_reply_message(&request(&[("CORRELATION_ID", "c-1")]), "ok").unwrap_err();
        assert_eq!(err.to_string(), "create reply message fail, requestMessage error, property[CLUSTER] is null.");
    }

    #[tokio::test]
    async fn a_push_completes_its_request_only() {
        let pending = PendingReplies::default();
        let rx = pending.expect("c-9");
        let push = |id: &str| {
            let h = ReplyMessageRequestHeader {
                producer_group: "pg".into(),
                topic: "C1_REPLY_TOPIC".into(),
                queue_id: 0,
                born_timestamp: 7,
                properties: Some(property::encode(&[("CORRELATION_ID".to_owned(), id.to_owned())])),
                born_host: "127.0.0.1:5000".into(),
                store_host: "127.0.0.1:10911".into(),
                store_timestamp: 8,
                ..ReplyMessageRequestHeader::default()
            };
            RemotingCommand::request_with_header(rmq_remoting::RequestCode::PushReplyMessageToClient, &h)
                .with_body(b"answer".to_vec())
        };
        let stray = pending.on_push(&push("other"));
        assert_eq!(stray.response_code(), ResponseCode::Success);
        assert_eq!(pending.len(), 1, "a reply nobody waits for leaves the waiting request alone");
        let ok = pending.on_push(&push("c-9"));
        assert_eq!(ok.response_code(), ResponseCode::Success);
        let got = rx.await.unwrap();
        assert_eq!(&got.body[..], b"answer");
        assert_eq!(got.topic, "C1_REPLY_TOPIC");
        assert_eq!(got.born_host.to_string(), "127.0.0.1:5000");
        assert_eq!((got.born_timestamp, got.store_timestamp), (7, 8));
        assert!(property::get(&got.properties, "ARRIVE_TIME").is_some());
        assert_eq!(pending.len(), 0);
        let bad = RemotingCommand::request(rmq_remoting::RequestCode::PushReplyMessageToClient);
        assert_eq!(pending.on_push(&bad).response_code(), ResponseCode::SystemError);
    }

    #[tokio::test]
    async fn a_dropped_request_forgets_its_entry() {
        let pending = PendingReplies::default();
        let waiting = async {
            let (rx, _guard) = pending.wait_for("c-1");
            rx.await
        };
        let cut = tokio::time::timeout(std::time::Duration::from_millis(20), waiting).await;
        assert!(cut.is_err(), "nobody answered");
        assert_eq!(pending.len(), 0, "the dropped request left nothing behind");
    }

    #[test]
    fn correlation_ids_look_like_uuids_and_differ() {
        let (a, b) = (new_correlation_id(), new_correlation_id());
        assert_ne!(a, b);
        let lens: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(lens, vec![8, 4, 4, 4, 12]);
    }
}
