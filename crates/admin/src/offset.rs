//! Offset calls: queue min/max and search by time, reset a group's offsets by time (with or
//! without consumers online), skip the backlog, clone a group's offsets.

use rmq_remoting::body::{ResetOffsetBody, TopicRouteData};
use rmq_remoting::header::{
    OffsetResponseHeader, QueryConsumerOffsetRequestHeader, ResetOffsetRequestHeader, SearchOffsetRequestHeader,
    TopicQueueRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use serde::Serialize;

use crate::group::Groups;
use crate::{route_addr, Admin, AdminError, Result};

/// A queue's offset (the new one after a reset or clone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueOffset {
    /// Broker set name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Offset.
    pub offset: i64,
}

/// The admin calls on queue offsets, a group's offsets, resets (`Offsets::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Offsets<'a> {
    pub(crate) admin: &'a Admin,
}

impl<'a> Offsets<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    async fn offset_call(&self, addr: &str, req: RemotingCommand) -> Result<i64> {
        let resp = self.admin.broker_ok(addr, req).await?;
        let h: OffsetResponseHeader =
            resp.header().map_err(|e| AdminError::BadAnswer { addr: addr.to_owned(), reason: e.to_string() })?;
        Ok(h.offset)
    }

    /// Max (next to be written) offset of a queue.
    pub async fn max_offset(&self, addr: &str, topic: &str, queue_id: i32) -> Result<i64> {
        let h = TopicQueueRequestHeader { topic: topic.to_owned(), queue_id, committed: None };
        self.offset_call(addr, RemotingCommand::request_with_header(RequestCode::GetMaxOffset, &h)).await
    }

    /// Min (oldest kept) offset of a queue.
    pub async fn min_offset(&self, addr: &str, topic: &str, queue_id: i32) -> Result<i64> {
        let h = TopicQueueRequestHeader { topic: topic.to_owned(), queue_id, committed: None };
        self.offset_call(addr, RemotingCommand::request_with_header(RequestCode::GetMinOffset, &h)).await
    }

    /// Offset of the first message stored at or after `timestamp` (ms).
    pub async fn search_offset(&self, addr: &str, topic: &str, queue_id: i32, timestamp: i64) -> Result<i64> {
        let h = SearchOffsetRequestHeader { topic: topic.to_owned(), queue_id, timestamp, boundary_type: None };
        self.offset_call(addr, RemotingCommand::request_with_header(RequestCode::SearchOffsetByTimestamp, &h)).await
    }

    /// The group's committed offset of a queue, `None` when it has none.
    pub async fn consumer_offset(&self, addr: &str, group: &str, topic: &str, queue_id: i32) -> Result<Option<i64>> {
        let h = QueryConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id,
            set_zero_if_not_found: None,
        };
        let resp = self
            .admin
            .broker_call(addr, RemotingCommand::request_with_header(RequestCode::QueryConsumerOffset, &h))
            .await?;
        if resp.response_code() == ResponseCode::QueryNotFound {
            return Ok(None);
        }
        let resp = rmq_client::expect_ok(addr, resp)?;
        let h: OffsetResponseHeader =
            resp.header().map_err(|e| AdminError::BadAnswer { addr: addr.to_owned(), reason: e.to_string() })?;
        Ok(Some(h.offset))
    }

    /// Commits `offset` for the group on a queue.
    pub async fn update_consumer_offset(
        &self,
        addr: &str,
        group: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
    ) -> Result<()> {
        let h = UpdateConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id,
            commit_offset: offset,
        };
        self.admin.broker_ok(addr, RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &h)).await?;
        Ok(())
    }

    /// Moves the group's offsets on `topic` to the first message stored at or after
    /// `timestamp` (ms; negative = the end of each queue). Online consumers are told by the
    /// broker and restart from there; with none online the offsets are simply stored. Without
    /// `force`, offsets only move backwards.
    pub async fn reset_offset_by_time(
        &self,
        group: &str,
        topic: &str,
        timestamp: i64,
        force: bool,
    ) -> Result<Vec<QueueOffset>> {
        let route = self.admin.route(topic).await?;
        let mut out = Vec::new();
        for b in &route.broker_datas {
            let Some(addr) = route_addr(&route, &b.broker_name, true) else { continue };
            let h = ResetOffsetRequestHeader {
                topic: topic.to_owned(),
                group: group.to_owned(),
                timestamp,
                is_force: force,
            };
            let req = RemotingCommand::request_with_header(RequestCode::InvokeBrokerToResetOffset, &h);
            let resp = self.admin.broker_call(&addr, req).await?;
            if resp.response_code() == ResponseCode::ConsumerNotOnline {
                // An official broker with no consumer online: store the offsets ourselves.
                out.extend(self.reset_offline(&route, &b.broker_name, &addr, group, topic, timestamp, force).await?);
                continue;
            }
            let resp = rmq_client::expect_ok(&addr, resp)?;
            let body = ResetOffsetBody::parse(&resp.body)
                .map_err(|e| AdminError::BadAnswer { addr: addr.clone(), reason: e.to_string() })?;
            out.extend(body.offset_table.into_iter().map(|(mq, offset)| QueueOffset {
                broker_name: mq.broker_name,
                queue_id: mq.queue_id,
                offset,
            }));
        }
        out.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    async fn reset_offline(
        &self,
        route: &TopicRouteData,
        broker_name: &str,
        addr: &str,
        group: &str,
        topic: &str,
        timestamp: i64,
        force: bool,
    ) -> Result<Vec<QueueOffset>> {
        let queues = route.queue_datas.iter().find(|q| q.broker_name == broker_name).map_or(0, |q| q.read_queue_nums);
        let mut out = Vec::new();
        for queue_id in 0..queues {
            let target = if timestamp < 0 {
                self.max_offset(addr, topic, queue_id).await?
            } else {
                self.search_offset(addr, topic, queue_id, timestamp).await?
            };
            let current = self.consumer_offset(addr, group, topic, queue_id).await?;
            let offset = match current {
                Some(c) if !force && target >= c => c,
                _ => {
                    self.update_consumer_offset(addr, group, topic, queue_id, target).await?;
                    target
                }
            };
            out.push(QueueOffset { broker_name: broker_name.to_owned(), queue_id, offset });
        }
        Ok(out)
    }

    /// Moves the group's offsets on `topic` to the end of each queue.
    pub async fn skip_accumulated(&self, group: &str, topic: &str) -> Result<Vec<QueueOffset>> {
        self.reset_offset_by_time(group, topic, -1, true).await
    }

    /// Copies `src`'s committed offsets on `topic` to `dest`.
    pub async fn clone_group_offset(&self, src: &str, dest: &str, topic: &str) -> Result<Vec<QueueOffset>> {
        let route = self.admin.route(topic).await?;
        let progress = Groups::new(self.admin).consumer_progress(src, Some(topic), &crate::no_progress).await?;
        let mut out = Vec::new();
        for q in progress.queues.iter().filter(|q| q.topic == topic && q.consumer_offset >= 0) {
            let addr = route_addr(&route, &q.broker_name, true)
                .ok_or_else(|| AdminError::BrokerNotFound(format!("{} (no master in the route)", q.broker_name)))?;
            self.update_consumer_offset(&addr, dest, topic, q.queue_id, q.consumer_offset).await?;
            out.push(QueueOffset {
                broker_name: q.broker_name.clone(),
                queue_id: q.queue_id,
                offset: q.consumer_offset,
            });
        }
        if out.is_empty() {
            return Err(AdminError::GroupNotFound(format!("{src} (no offsets on topic {topic})")));
        }
        Ok(out)
    }
}
