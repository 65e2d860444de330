//! Failed messages go back to the broker (CONSUMER_SEND_MSG_BACK): to the group's retry topic,
//! or to its dead-letter queue past `max_reconsume_times`.

use std::sync::Arc;

use rmq_common::message::MessageExt;
use rmq_common::property;
use rmq_remoting::header::ConsumerSendMsgBackRequestHeader;
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::error::Result;
use crate::instance::ClientInstance;

/// Sends failed messages of one group back to their brokers.
#[derive(Debug, Clone)]
pub(crate) struct SendBack {
    instance: Arc<ClientInstance>,
    group: String,
    max_reconsume_times: i32,
}

impl SendBack {
    /// For `group`, whose messages go to its DLQ after `max_reconsume_times` retries.
    pub fn new(instance: Arc<ClientInstance>, group: &str, max_reconsume_times: i32) -> Self {
        Self { instance, group: group.to_owned(), max_reconsume_times }
    }

    /// Sends `m` back to the broker that stored it.
    pub async fn send(&self, m: &MessageExt) -> Result<()> {
        let addr = m.store_host.to_string();
        let origin = property::get(&m.properties, property::UNIQ_KEY).unwrap_or(&m.msg_id).to_owned();
        let h = ConsumerSendMsgBackRequestHeader {
            offset: m.commit_log_offset,
            group: self.group.clone(),
            delay_level: 0,
            origin_msg_id: Some(origin),
            origin_topic: Some(restore_retry_topic(m.clone()).topic),
            unit_mode: Some(false),
            max_reconsume_times: Some(self.max_reconsume_times),
        };
        let req = RemotingCommand::request_with_header(RequestCode::ConsumerSendMsgBack, &h);
        self.instance.invoke_ok(&addr, req).await.map(|_| ())
    }
}

/// A message from `%RETRY%group` is shown with its original topic.
pub(crate) fn restore_retry_topic(mut m: MessageExt) -> MessageExt {
    if rmq_common::topic::is_retry(&m.topic) {
        if let Some(t) = property::get(&m.properties, property::RETRY_TOPIC) {
            m.topic = t.to_owned();
        }
    }
    m
}
