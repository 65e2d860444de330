//! The 5.x pull consumer's offsets: UpdateOffset and GetOffset (the group's committed offset,
//! UPDATE_CONSUMER_OFFSET / QUERY_CONSUMER_OFFSET) and QueryOffset (the queue's first or last
//! offset, or the first at a time: GET_MIN_OFFSET, GET_MAX_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP).

use rmq_client::{ClientError, ClientInstance};
use rmq_remoting::header::{
    OffsetResponseHeader, QueryConsumerOffsetRequestHeader, SearchOffsetRequestHeader, TopicQueueRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::pb::{self, Code, QueryOffsetPolicy};
use crate::pull::{broker_status, group_of, locate, queue_of};
use crate::status;

/// An offset or the status to answer instead.
pub type OffsetResult = Result<i64, pb::Status>;

/// The `offset` of a broker's OffsetResponseHeader answer.
async fn ask_offset(cluster: &ClientInstance, addr: &str, cmd: RemotingCommand) -> OffsetResult {
    let resp = match cluster.invoke_ok(addr, cmd).await {
        Ok(r) => r,
        Err(ClientError::Broker { code: ResponseCode::QueryNotFound, remark, .. }) => {
            return Err(status::status(Code::OffsetNotFound, format!("no offset: {remark}")));
        }
        Err(e) => return Err(broker_status(&e)),
    };
    resp.header::<OffsetResponseHeader>()
        .map(|h| h.offset)
        .map_err(|e| status::status(Code::InternalServerError, format!("bad offset answer: {e}")))
}

/// UpdateOffset: commits the group's offset of the queue.
pub async fn update(cluster: &ClientInstance, req: &pb::UpdateOffsetRequest) -> pb::Status {
    let run = async {
        let group = group_of(req.group.as_ref())?;
        let q = queue_of(req.message_queue.as_ref())?;
        if req.offset < 0 {
            return Err(status::status(Code::IllegalOffset, format!("offset {} is negative", req.offset)));
        }
        let addr = locate(cluster, &q).await?;
        let h = UpdateConsumerOffsetRequestHeader {
            consumer_group: group,
            topic: q.topic,
            queue_id: q.queue_id,
            commit_offset: req.offset,
        };
        let cmd = RemotingCommand::request_with_header(RequestCode::UpdateConsumerOffset, &h);
        cluster.invoke_ok(&addr, cmd).await.map_err(|e| broker_status(&e))
    };
    match run.await {
        Ok(_) => status::ok(),
        Err(s) => s,
    }
}

/// GetOffset: the group's committed offset of the queue (OFFSET_NOT_FOUND when none).
pub async fn get(cluster: &ClientInstance, req: &pb::GetOffsetRequest) -> OffsetResult {
    let group = group_of(req.group.as_ref())?;
    let q = queue_of(req.message_queue.as_ref())?;
    let addr = locate(cluster, &q).await?;
    let h = QueryConsumerOffsetRequestHeader {
        consumer_group: group,
        topic: q.topic,
        queue_id: q.queue_id,
        set_zero_if_not_found: Some(false),
    };
    ask_offset(cluster, &addr, RemotingCommand::request_with_header(RequestCode::QueryConsumerOffset, &h)).await
}

/// The broker request a QueryOffset policy stands for.
fn query_command(q: &rmq_client::MessageQueue, req: &pb::QueryOffsetRequest) -> Result<RemotingCommand, pb::Status> {
    let tq = TopicQueueRequestHeader { topic: q.topic.clone(), queue_id: q.queue_id, committed: None };
    match QueryOffsetPolicy::try_from(req.query_offset_policy) {
        Ok(QueryOffsetPolicy::Beginning) => Ok(RemotingCommand::request_with_header(RequestCode::GetMinOffset, &tq)),
        Ok(QueryOffsetPolicy::End) => Ok(RemotingCommand::request_with_header(RequestCode::GetMaxOffset, &tq)),
        Ok(QueryOffsetPolicy::Timestamp) => {
            let Some(ts) = req.timestamp.as_ref() else {
                return Err(status::status(Code::BadRequest, "the TIMESTAMP policy needs a timestamp"));
            };
            let ms = ts.seconds.saturating_mul(1000).saturating_add(i64::from(ts.nanos / 1_000_000));
            let h = SearchOffsetRequestHeader {
                topic: q.topic.clone(),
                queue_id: q.queue_id,
                timestamp: ms,
                boundary_type: None,
            };
            Ok(RemotingCommand::request_with_header(RequestCode::SearchOffsetByTimestamp, &h))
        }
        Err(_) => Err(status::status(Code::BadRequest, format!("unknown offset policy {}", req.query_offset_policy))),
    }
}

/// QueryOffset: the queue's first or last offset, or the first stored at or after a time.
pub async fn query(cluster: &ClientInstance, req: &pb::QueryOffsetRequest) -> OffsetResult {
    let q = queue_of(req.message_queue.as_ref())?;
    let cmd = query_command(&q, req)?;
    let addr = locate(cluster, &q).await?;
    ask_offset(cluster, &addr, cmd).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_map_to_broker_codes() {
        let q = rmq_client::MessageQueue { topic: "T".into(), broker_name: "b".into(), queue_id: 2 };
        let mut r =
            pb::QueryOffsetRequest { query_offset_policy: QueryOffsetPolicy::Beginning as i32, ..Default::default() };
        assert_eq!(query_command(&q, &r).unwrap().request_code(), RequestCode::GetMinOffset);
        r.query_offset_policy = QueryOffsetPolicy::End as i32;
        assert_eq!(query_command(&q, &r).unwrap().request_code(), RequestCode::GetMaxOffset);
        r.query_offset_policy = QueryOffsetPolicy::Timestamp as i32;
        assert_eq!(query_command(&q, &r).unwrap_err().code, Code::BadRequest as i32);
        r.timestamp = Some(prost_types::Timestamp { seconds: 2, nanos: 5_000_000 });
        let cmd = query_command(&q, &r).unwrap();
        assert_eq!(cmd.request_code(), RequestCode::SearchOffsetByTimestamp);
        assert_eq!(cmd.header::<SearchOffsetRequestHeader>().unwrap().timestamp, 2005);
        r.query_offset_policy = 9;
        assert_eq!(query_command(&q, &r).unwrap_err().code, Code::BadRequest as i32);
    }
}
