//! Handing incoming requests to the one processor a server or client installs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};

use tokio_util::task::TaskTracker;

use super::Channel;
use crate::{RemotingCommand, ResponseCode};

/// The future a processor returns: the response, or `None` for no answer.
pub type ProcessorFuture = Pin<Box<dyn Future<Output = Option<RemotingCommand>> + Send + 'static>>;

/// What a processor knows about the request besides the command itself.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The connection the request came on; use it to call the peer back.
    pub channel: Channel,
}

/// Handles every request of a connection end: a server's or a client's single processor,
/// which matches the request code itself.
///
/// The returned response is sent with the request's opaque and serialization; the server
/// drops it for one-way requests. Processors map their own errors to response codes.
pub trait RequestProcessor: Send + Sync + 'static {
    /// Handles one request.
    fn process(&self, ctx: RequestContext, request: RemotingCommand) -> ProcessorFuture;
}

impl<F, Fut> RequestProcessor for F
where
    F: Fn(RequestContext, RemotingCommand) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<RemotingCommand>> + Send + 'static,
{
    fn process(&self, ctx: RequestContext, request: RemotingCommand) -> ProcessorFuture {
        Box::pin(self(ctx, request))
    }
}

/// Told when connections open and close (name servers drop brokers, brokers drop clients).
pub trait ChannelEventListener: Send + Sync + 'static {
    /// A connection was established.
    fn on_connect(&self, _channel: &Channel) {}
    /// A connection closed (EOF, error, bad frame, or shutdown).
    fn on_close(&self, _channel: &Channel) {}
}

/// The processor for incoming requests (none: every request is answered
/// REQUEST_CODE_NOT_SUPPORTED) and the connection event listener.
#[derive(Clone, Default)]
pub struct Dispatcher {
    processor: Option<Arc<dyn RequestProcessor>>,
    listener: Option<Arc<dyn ChannelEventListener>>,
    pub(crate) tracker: TaskTracker,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("processor", &self.processor.is_some())
            .field("listener", &self.listener.is_some())
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// No processor: every request is answered REQUEST_CODE_NOT_SUPPORTED.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs the processor every request goes to.
    #[must_use]
    pub fn processor(mut self, processor: Arc<dyn RequestProcessor>) -> Self {
        self.processor = Some(processor);
        self
    }

    /// Sets the connection event listener.
    #[must_use]
    pub fn listener(mut self, listener: Arc<dyn ChannelEventListener>) -> Self {
        self.listener = Some(listener);
        self
    }

    pub(crate) fn on_connect(&self, channel: &Channel) {
        if let Some(l) = &self.listener {
            l.on_connect(channel);
        }
    }

    pub(crate) fn on_close(&self, channel: &Channel) {
        if let Some(l) = &self.listener {
            l.on_close(channel);
        }
    }

    /// Runs the processor on `request` and sends the answer on `channel`: inline until the
    /// processor first waits, then in a task of its own.
    pub(crate) fn dispatch(&self, channel: &Channel, request: RemotingCommand) {
        let Some(processor) = self.processor.clone() else {
            not_supported(channel, &request);
            return;
        };
        let oneway = request.is_oneway();
        let opaque = request.opaque;
        let serialize_type = request.serialize_type;
        let channel = channel.clone();
        let in_flight = channel.request_started();
        let mut task = Box::pin(async move {
            let ctx = RequestContext { channel: channel.clone() };
            if let Some(mut response) = processor.process(ctx, request).await {
                if !oneway {
                    response.opaque = opaque;
                    response.serialize_type = serialize_type;
                    response.flag |= crate::FLAG_RESPONSE;
                    channel.send_response_nowait(response);
                }
            }
            drop(in_flight);
        });
        // Most requests (sends, offset commits, pulls that find messages) complete without
        // waiting: run them right here and spare a task spawn and a wake-up. One that has to wait
        // (long polling, a sync flush) becomes a task; its first poll there registers the real
        // waker (tokio's primitives re-register on every poll).
        let mut cx = Context::from_waker(Waker::noop());
        if task.as_mut().poll(&mut cx).is_pending() {
            self.tracker.spawn(task);
        }
    }
}

/// Answers a request no processor takes (unless it is one-way).
fn not_supported(channel: &Channel, request: &RemotingCommand) {
    if request.is_oneway() {
        return;
    }
    let answer = RemotingCommand::error(
        ResponseCode::RequestCodeNotSupported,
        format!(" request type {} not supported", request.code),
    );
    // Generic errors go out as JSON, as the official server does.
    let mut answer = answer.answering(request);
    answer.serialize_type = crate::SerializeType::Json;
    channel.send_response_nowait(answer);
}
