//! Reading for POP: a pop walks the topic's queues (and the group's POP retry topic), takes up
//! to the asked number of messages from each queue's cursor, checkpoints what it took and
//! answers the records with the official response fields; retried messages are re-encoded under
//! their original topic with their `POP_CK` handle, as the official broker does.

use bytes::Bytes;
use rmq_common::message::{patch_record, MessageExt};
use rmq_common::{property, topic as system};
use rmq_remoting::header::pop_info::{ExtraInfo, PopOffsetInfo, POP_ORDER_REVIVE_QUEUE};
use rmq_store::{GetMessageStatus, ReadFilter, StoreMessage};

use super::journal::Record;
use super::table::{Checkpoint, OrderState, QueueKey};
use super::{Inner, PopService};
use crate::error::BrokerError;
use crate::state::filters::SubscriptionFilter;

/// One POP_MESSAGE as the service sees it.
pub struct PopRequest<'a> {
    /// Consumer group.
    pub group: &'a str,
    /// Topic.
    pub topic: &'a str,
    /// One queue, or -1 for every readable queue.
    pub queue_id: i32,
    /// Max messages.
    pub max: usize,
    /// Invisible time, ms.
    pub invisible_time: i64,
    /// `ConsumeInitMode`: 0 = MIN, else MAX.
    pub init_mode: i32,
    /// Orderly pop.
    pub order: bool,
    /// The subscription's filter (TAG or SQL92), for the topic and its POP retry topic alike.
    pub filter: &'a SubscriptionFilter,
}

/// What a pop took.
#[derive(Debug, Default)]
pub struct PopBatch {
    /// Records to answer, back to back.
    pub messages: Vec<Bytes>,
    /// `startOffsetInfo`, `msgOffsetInfo`, `orderCountInfo`.
    pub info: PopOffsetInfo,
    /// Messages left behind the cursors of the queues read.
    pub rest_num: i64,
    /// Pop time, ms.
    pub pop_time: i64,
    /// Revive queue id.
    pub revive_qid: i32,
}

/// The queue offset written in a stored record.
fn queue_offset_of(record: &[u8]) -> i64 {
    record.get(20..28).and_then(|b| b.try_into().ok()).map_or(-1, i64::from_be_bytes)
}

impl PopService {
    /// The queues of a pop: one, or all readable ones starting at a random one.
    fn queues_of(&self, topic: &str, queue_id: i32) -> Vec<i32> {
        let Some(cfg) = self.handles.topics.get(topic) else { return Vec::new() };
        let n = cfg.read_queue_nums.max(0);
        if queue_id >= 0 {
            return if queue_id < n { vec![queue_id] } else { Vec::new() };
        }
        if n == 0 {
            return Vec::new();
        }
        let first = i32::try_from(rand::random::<u32>() % n.unsigned_abs()).unwrap_or(0);
        (0..n).map(|i| (first + i) % n).collect()
    }

    /// Where a group starts in a queue it never popped: its committed offset, else the min
    /// offset (MIN mode and retry topics), else the last message (as RocketMQ, or 0 while the
    /// queue's first message is still in memory).
    fn initial_cursor(&self, key: &QueueKey, init_mode: i32) -> i64 {
        if let Some(o) = self.handles.offsets.query(&key.group, &key.topic, key.queue_id) {
            return o;
        }
        let store = &self.handles.store;
        let (min, max) = (store.min_offset(&key.topic, key.queue_id), store.max_offset(&key.topic, key.queue_id));
        if init_mode == 0 || system::is_retry(&key.topic) {
            return min.max(0);
        }
        if min <= 0 && max > 0 && !store.is_in_disk(&key.topic, key.queue_id, 0) {
            return 0;
        }
        (max - 1).max(0)
    }

    /// Pops up to `req.max` messages.
    pub fn pop(&self, req: &PopRequest<'_>) -> Result<PopBatch, BrokerError> {
        let now = crate::now_ms();
        let revive_qid = if req.order { POP_ORDER_REVIVE_QUEUE } else { self.next_revive_qid() };
        let mut batch = PopBatch { pop_time: now, revive_qid, ..PopBatch::default() };
        let retry = system::pop_retry_topic(req.group, req.topic);
        let retry_first = !req.order && self.retry_first();
        let mut inner = self.inner.lock();
        if retry_first {
            for q in self.queues_of(&retry, -1) {
                self.pop_queue(&mut inner, req, &retry, q, &mut batch)?;
            }
        }
        for q in self.queues_of(req.topic, req.queue_id) {
            self.pop_queue(&mut inner, req, req.topic, q, &mut batch)?;
        }
        if !retry_first && !req.order && batch.messages.len() < req.max {
            for q in self.queues_of(&retry, -1) {
                self.pop_queue(&mut inner, req, &retry, q, &mut batch)?;
            }
        }
        Ok(batch)
    }

    /// Reads up to `want` messages of the queue from `cursor` that pass the request's filter,
    /// once more from the queue's first offset when the cursor fell off it; returns the result
    /// and the offset it read from.
    fn read_filtered(
        &self,
        req: &PopRequest<'_>,
        topic: &str,
        queue_id: i32,
        cursor: i64,
        want: u32,
    ) -> (rmq_store::GetMessageResult, i64) {
        let store = &self.handles.store;
        let tag_code = |code: i64| req.filter.accepts_tag_code(code);
        let record = |rec: &[u8]| req.filter.accepts_record(rec);
        let filter = ReadFilter { tag_code: &tag_code, record: &record };
        let mut start = cursor;
        let mut got = store.get_messages_filtered(topic, queue_id, start, want, filter);
        if matches!(got.status, GetMessageStatus::OffsetTooSmall | GetMessageStatus::OffsetOverflowBadly) {
            start = got.next_begin_offset;
            got = store.get_messages_filtered(topic, queue_id, start, want, filter);
        }
        (got, start)
    }

    fn pop_queue(
        &self,
        inner: &mut Inner,
        req: &PopRequest<'_>,
        topic: &str,
        queue_id: i32,
        batch: &mut PopBatch,
    ) -> Result<(), BrokerError> {
        let key = QueueKey { group: req.group.to_owned(), topic: topic.to_owned(), queue_id };
        let store = &self.handles.store;
        if req.order {
            match inner.table.order_state(&key, batch.pop_time) {
                OrderState::Blocked => return Ok(()),
                OrderState::Expired(id) => self.record(inner, vec![Record::OrderExpired { id }])?,
                OrderState::Free => {}
            }
        }
        let known = inner.table.cursor(&key);
        let cursor = known.unwrap_or_else(|| self.initial_cursor(&key, req.init_mode));
        let want = req.max.saturating_sub(batch.messages.len());
        if want == 0 {
            batch.rest_num += (store.max_offset(topic, queue_id) - cursor).max(0);
            return Ok(());
        }
        let (got, start) = self.read_filtered(req, topic, queue_id, cursor, u32::try_from(want).unwrap_or(32));
        let next = match got.status {
            GetMessageStatus::Found
            | GetMessageStatus::NoMatchedMessage
            | GetMessageStatus::MessageWasRemoving
            | GetMessageStatus::OffsetFoundNull => got.next_begin_offset.max(start),
            _ => start,
        };
        batch.rest_num += (got.max_offset - next).max(0);
        let offsets: Vec<i64> = got.messages.iter().map(|m| queue_offset_of(m)).collect();
        if offsets.is_empty() {
            if known != Some(next) {
                self.record(inner, vec![Record::Cur { key, next }])?;
            }
            return Ok(());
        }
        let ck = Checkpoint {
            id: inner.table.next_id(),
            key: key.clone(),
            start,
            pop_time: batch.pop_time,
            invisible_time: req.invisible_time,
            revive_qid: batch.revive_qid,
            order: req.order,
            offsets: offsets.clone(),
            acked: std::collections::BTreeSet::new(),
        };
        let mark = super::retry_mark(topic);
        batch.info.add_queue(mark, queue_id, start, &offsets);
        if req.order {
            for off in &offsets {
                batch.info.add_order_count(mark, queue_id, *off, inner.table.order_count(&key, *off));
            }
        }
        self.record(inner, vec![Record::Ck { ck, next: Some(next) }])?;
        self.take_records(req, topic, queue_id, start, got.messages, batch)
    }

    /// Adds popped records to the batch; retried ones re-encoded with their handle.
    fn take_records(
        &self,
        req: &PopRequest<'_>,
        topic: &str,
        queue_id: i32,
        start: i64,
        records: Vec<Bytes>,
        batch: &mut PopBatch,
    ) -> Result<(), BrokerError> {
        if !system::is_retry(topic) {
            batch.messages.extend(records);
            return Ok(());
        }
        for record in records {
            let handle = ExtraInfo {
                ck_queue_offset: start,
                pop_time: batch.pop_time,
                invisible_time: req.invisible_time,
                revive_qid: batch.revive_qid,
                retry: super::retry_mark(topic),
                broker_name: self.settings.broker_name.clone(),
                queue_id,
                queue_offset: Some(queue_offset_of(&record)),
            };
            batch.messages.push(reencode_retried(&record, req.topic, &handle.to_string())?);
        }
        Ok(())
    }

    /// Reads without popping (PEEK_MESSAGE): up to `max` messages from the group's cursors.
    pub fn peek(&self, group: &str, topic: &str, queue_id: i32, max: usize) -> (Vec<Bytes>, i64) {
        let inner = self.inner.lock();
        let (mut out, mut rest) = (Vec::new(), 0);
        for q in self.queues_of(topic, queue_id) {
            let key = QueueKey { group: group.to_owned(), topic: topic.to_owned(), queue_id: q };
            let cursor = inner.table.cursor(&key).unwrap_or_else(|| self.initial_cursor(&key, 0));
            let want = u32::try_from(max.saturating_sub(out.len())).unwrap_or(0);
            if want == 0 {
                rest += (self.handles.store.max_offset(topic, q) - cursor).max(0);
                continue;
            }
            let got = self.handles.store.get_messages(topic, q, cursor, want, &|_| true);
            rest += (got.max_offset - got.next_begin_offset.max(cursor)).max(0);
            out.extend(got.messages);
        }
        (out, rest)
    }

    /// Whether a pop of the group would find a message now (NOTIFICATION).
    #[must_use]
    pub fn has_message(&self, group: &str, topic: &str, queue_id: i32, order: bool) -> bool {
        let now = crate::now_ms();
        let inner = self.inner.lock();
        let retry = system::pop_retry_topic(group, topic);
        let mut queues: Vec<(String, i32)> =
            self.queues_of(topic, queue_id).into_iter().map(|q| (topic.to_owned(), q)).collect();
        if !order {
            queues.extend(self.queues_of(&retry, -1).into_iter().map(|q| (retry.clone(), q)));
        }
        queues.into_iter().any(|(t, q)| {
            let key = QueueKey { group: group.to_owned(), topic: t.clone(), queue_id: q };
            if order && inner.table.order_state(&key, now) == OrderState::Blocked {
                return false;
            }
            let cursor = inner.table.cursor(&key).unwrap_or_else(|| self.initial_cursor(&key, 1));
            self.handles.store.max_offset(&t, q) > cursor
        })
    }
}

/// A retried record as the client must see it: its original topic, and its handle in POP_CK.
fn reencode_retried(record: &[u8], original_topic: &str, handle: &str) -> Result<Bytes, BrokerError> {
    let msg = MessageExt::decode(record).map_err(|e| BrokerError::System(e.to_string()))?;
    let mut props = msg.properties.clone();
    if property::get(&props, property::POP_CK).is_none() {
        property::set(&mut props, property::POP_CK, handle);
    }
    let m = StoreMessage {
        topic: original_topic.to_owned(),
        store_host: msg.store_host,
        properties: props,
        ..StoreMessage::from(&msg)
    };
    let mut bytes = m.encode();
    patch_record(&mut bytes, msg.queue_offset, msg.commit_log_offset, msg.store_timestamp);
    Ok(Bytes::from(bytes))
}
