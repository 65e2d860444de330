//! The hook in a server's dispatch: a processor that checks each request before handing it to
//! the server's own processor, and answers a refused one NO_PERMISSION with the reason.

use std::sync::Arc;

use rmq_remoting::transport::{ProcessorFuture, RequestContext, RequestProcessor};
use rmq_remoting::{RemotingCommand, ResponseCode};

use crate::validator::AclValidator;

/// Checks every request against the validator, then runs the inner processor.
pub struct AclGuard {
    inner: Arc<dyn RequestProcessor>,
    validator: Arc<AclValidator>,
}

impl AclGuard {
    /// Guards `inner` with `validator`.
    #[must_use]
    pub fn new(inner: Arc<dyn RequestProcessor>, validator: Arc<AclValidator>) -> Self {
        Self { inner, validator }
    }
}

impl RequestProcessor for AclGuard {
    fn process(&self, ctx: RequestContext, request: RemotingCommand) -> ProcessorFuture {
        let peer = ctx.channel.peer_addr();
        match self.validator.check(&request, peer.ip().to_canonical()) {
            Ok(()) => self.inner.process(ctx, request),
            Err(denial) => {
                let code = request.request_code();
                let account = denial.account().unwrap_or("-");
                tracing::warn!(%peer, account, %code, reason = %denial, "request refused by ACL");
                let answer = RemotingCommand::error(ResponseCode::NoPermission, denial.to_string());
                Box::pin(std::future::ready(Some(answer)))
            }
        }
    }
}
