//! Messages made ready for the wire: checked, given their unique id (UNIQ_KEY), compressed
//! over the threshold, batches encoded; and the send request that carries them.

use bytes::Bytes;
use rmq_common::message::{encode_batch, BatchItem};
use rmq_common::{msgid, property, sysflag};
use rmq_remoting::body::MessageQueue;
use rmq_remoting::header::{SendMessageRequestHeader, SendMessageRequestHeaderV2};
use rmq_remoting::{RemotingCommand, RequestCode};

use super::config::ProducerConfig;
use crate::error::{ClientError, Result};
use crate::message::{compress, Message};

/// Topic whose route stands in for a topic the broker will create on first send.
pub(crate) use rmq_common::topic::AUTO_CREATE as DEFAULT_TOPIC;

/// A message (or a batch) ready for the wire.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// Topic.
    pub topic: String,
    /// The body as sent (compressed, or the encoded batch).
    pub body: Bytes,
    /// Properties with UNIQ_KEY (empty for a batch: each item carries its own).
    pub props: Vec<(String, String)>,
    /// Message sys flag (compression, transaction type).
    pub sys_flag: i32,
    /// The message's own flag.
    pub flag: i32,
    /// The unique id (comma-joined for a batch).
    pub id: String,
    /// Whether this is a batch.
    pub batch: bool,
}

/// Checks a message's topic name and body size.
pub(crate) fn validate(m: &Message, max_size: usize) -> Result<()> {
    if m.topic.is_empty() || m.topic.len() > 127 {
        return Err(ClientError::Invalid(format!("bad topic name {:?}", m.topic)));
    }
    if m.body.is_empty() {
        return Err(ClientError::Invalid("the message body must not be empty".into()));
    }
    if m.body.len() > max_size {
        return Err(ClientError::Invalid(format!(
            "the message body size {} is over the limit {max_size}",
            m.body.len()
        )));
    }
    Ok(())
}

impl Prepared {
    /// One message: validated, UNIQ_KEY added (unless set), body compressed over the threshold.
    pub fn single(m: &Message, sys_flag: i32, ids: &msgid::UniqueIdGenerator, config: &ProducerConfig) -> Result<Self> {
        validate(m, config.max_message_size)?;
        let mut props = m.properties.clone();
        let id = match property::get(&props, property::UNIQ_KEY) {
            Some(id) => id.to_owned(),
            None => {
                let id = ids.next(rmq_common::time::now_ms());
                props.push((property::UNIQ_KEY.to_owned(), id.clone()));
                id
            }
        };
        let mut flag = sys_flag;
        let mut body = m.body.clone();
        if body.len() > config.compress_over {
            let z = compress(&body).map_err(|cause| ClientError::Io { context: "compressing".into(), cause })?;
            if z.len() < body.len() {
                body = Bytes::from(z);
                flag |= sysflag::COMPRESSED;
            }
        }
        Ok(Self { topic: m.topic.clone(), body, props, sys_flag: flag, flag: m.flag, id, batch: false })
    }

    /// Messages of one topic (no delay levels) encoded as one batch body.
    pub fn batch(msgs: &[Message], ids: &msgid::UniqueIdGenerator, config: &ProducerConfig) -> Result<Self> {
        let Some(first) = msgs.first() else {
            return Err(ClientError::Invalid("empty batch".into()));
        };
        let mut items = Vec::with_capacity(msgs.len());
        let mut all_ids = Vec::with_capacity(msgs.len());
        for m in msgs {
            validate(m, config.max_message_size)?;
            if m.topic != first.topic {
                return Err(ClientError::Invalid("all messages of a batch must have the same topic".into()));
            }
            if m.property(property::DELAY).is_some() {
                return Err(ClientError::Invalid("a batch does not support delayed messages".into()));
            }
            let mut props = m.properties.clone();
            let id = ids.next(rmq_common::time::now_ms());
            property::set(&mut props, property::UNIQ_KEY, &id);
            all_ids.push(id);
            items.push(BatchItem { flag: m.flag, body: m.body.clone(), properties: props });
        }
        let body = Bytes::from(encode_batch(&items));
        if body.len() > config.max_message_size {
            return Err(ClientError::Invalid(format!("the batch is {} bytes, over the limit", body.len())));
        }
        let topic = first.topic.clone();
        Ok(Self { topic, body, props: Vec::new(), sys_flag: 0, flag: 0, id: all_ids.join(","), batch: true })
    }

    /// The SEND_MESSAGE_V2 (SEND_BATCH_MESSAGE, SEND_REPLY_MESSAGE_V2) request for queue `mq`.
    pub fn command(&self, mq: &MessageQueue, config: &ProducerConfig) -> RemotingCommand {
        let h = SendMessageRequestHeader {
            producer_group: config.group.clone(),
            topic: mq.topic.clone(),
            default_topic: DEFAULT_TOPIC.to_owned(),
            default_topic_queue_nums: config.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag: self.sys_flag,
            born_timestamp: rmq_common::time::now_ms(),
            flag: self.flag,
            properties: Some(property::encode(&self.props)),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            max_reconsume_times: None,
            batch: Some(self.batch),
            broker_name: Some(mq.broker_name.clone()),
        };
        let code = if self.batch {
            RequestCode::SendBatchMessage
        } else if property::get(&self.props, property::MESSAGE_TYPE) == Some(property::REPLY_MESSAGE_FLAG) {
            // A reply (built by `reply::create_reply_message`): the broker pushes it to the
            // requester.
            RequestCode::SendReplyMessageV2
        } else {
            RequestCode::SendMessageV2
        };
        RemotingCommand::request_with_header(code, &SendMessageRequestHeaderV2::from(h)).with_body(self.body.to_vec())
    }
}
