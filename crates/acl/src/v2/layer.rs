//! The ACL 2.0 hook in a broker's dispatch: a processor in front of the broker's own that
//! checks each request when authentication or authorization is on (NO_PERMISSION with
//! RocketMQ's reason otherwise, the denial logged with the user and address), and answers the
//! AUTH_* administration codes from the store itself, whether checks are on or not (users are
//! created before the checks are turned on, as with RocketMQ).

use std::sync::Arc;

use rmq_remoting::transport::{ProcessorFuture, RequestContext, RequestProcessor};
use rmq_remoting::{RemotingCommand, ResponseCode};

use super::admin;
use super::check::AuthChecker;
use super::store::AuthStore;
use crate::sign;

/// Checks, serves AUTH_* codes, passes the rest on.
pub struct AuthLayer {
    inner: Arc<dyn RequestProcessor>,
    checker: Arc<AuthChecker>,
    store: Arc<AuthStore>,
}

impl AuthLayer {
    /// `inner` behind `checker`, with AUTH_* answered from `store`.
    #[must_use]
    pub fn new(inner: Arc<dyn RequestProcessor>, checker: Arc<AuthChecker>, store: Arc<AuthStore>) -> Self {
        Self { inner, checker, store }
    }
}

impl RequestProcessor for AuthLayer {
    fn process(&self, ctx: RequestContext, request: RemotingCommand) -> ProcessorFuture {
        if self.checker.enabled() {
            let peer = ctx.channel.peer_addr();
            let ip = peer.ip().to_canonical().to_string();
            if let Err(reason) = self.checker.check(&request, &ip) {
                let code = request.request_code();
                let user = request.ext_fields.get(sign::ACCESS_KEY).unwrap_or("-");
                tracing::warn!(%peer, user, %code, %reason, "request refused by ACL 2.0");
                let answer = RemotingCommand::error(ResponseCode::NoPermission, reason);
                return Box::pin(std::future::ready(Some(answer)));
            }
        }
        if admin::is_auth_admin(request.request_code()) {
            let answer = admin::handle(&self.store, &request);
            return Box::pin(std::future::ready(Some(answer)));
        }
        self.inner.process(ctx, request)
    }
}
