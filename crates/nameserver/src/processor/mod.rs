//! Request handling: the edge decodes each request into a typed [`Request`] (code and header),
//! one exhaustive match sends it to its handler, and [`NamesrvError`] is turned into the
//! response code and remark in one place.

mod admin;
mod kv;
mod registration;
mod request;
mod route;

use std::sync::Arc;

use rmq_remoting::transport::{ProcessorFuture, RequestContext, RequestProcessor};
use rmq_remoting::RemotingCommand;

use crate::error::{HandlerResult, NamesrvError};
use crate::NameServer;
use request::Request;

/// The name server's request processor.
pub struct Processor {
    /// Shared state.
    pub ns: Arc<NameServer>,
}

impl RequestProcessor for Processor {
    fn process(&self, ctx: RequestContext, request: RemotingCommand) -> ProcessorFuture {
        let ns = Arc::clone(&self.ns);
        Box::pin(async move {
            let started = ns.meters.started();
            let answer = Request::decode(&request).and_then(|typed| handle(&ns, &ctx, typed, &request));
            let answer = answer.unwrap_or_else(|e: NamesrvError| e.to_response());
            ns.meters.rpc(started, request.code, Some(answer.code));
            Some(answer)
        })
    }
}

/// One arm per request the name server serves.
fn handle(ns: &NameServer, ctx: &RequestContext, typed: Request, req: &RemotingCommand) -> HandlerResult {
    match typed {
        Request::RegisterBroker(h) => registration::register(ns, ctx, h, &req.body),
        Request::UnregisterBroker(h) => Ok(registration::unregister(ns, &h)),
        Request::QueryDataVersion(h) => Ok(registration::query_data_version(ns, &h, &req.body)),
        Request::RouteByTopic(h) => route::by_topic(ns, &h, req.version),
        Request::ClusterInfo => Ok(route::cluster_info(ns)),
        Request::AllTopics => Ok(route::all_topics(ns)),
        Request::TopicsByCluster(h) => Ok(route::topics_of_cluster(ns, &h)),
        Request::SystemTopics => Ok(route::system_topics(ns)),
        Request::UnitTopics => Ok(route::unit_topics()),
        Request::DeleteTopic(h) => Ok(route::delete_topic(ns, &h)),
        Request::RegisterTopic(h) => Ok(route::register_topic(ns, &h, &req.body)),
        Request::PutKv(h) => Ok(kv::put(ns, &h)),
        Request::GetKv(h) => kv::get(ns, &h),
        Request::DeleteKv(h) => Ok(kv::delete(ns, &h)),
        Request::KvList(h) => kv::list(ns, &h),
        Request::WritePerm { header, wipe } => Ok(admin::write_perm(ns, &header, wipe)),
        Request::GetConfig => Ok(admin::get_config(ns)),
        Request::UpdateConfig => admin::update_config(ns, &req.body),
    }
}
