//! The calling side: connections pooled by address, connected on first use and replaced when
//! they close.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::budget::ChannelLimits;
use super::stream::Conn;
use super::tls::ClientTls;
use super::{Channel, Dispatcher};
use crate::{RemotingCodec, RemotingCommand, RemotingError, DEFAULT_MAX_FRAME_SIZE};

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Connect timeout (default 3 s).
    pub connect_timeout: Duration,
    /// Largest accepted frame (default 16 MiB).
    pub max_frame_size: usize,
    /// Bytes queued for one connection above which calls wait and the peer's requests are not
    /// read until they drain (default 4 MiB; 0: no limit).
    pub write_budget: usize,
    /// Connect with TLS (`tls.enable`); `None`: plaintext.
    pub tls: Option<ClientTls>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            write_budget: super::server::DEFAULT_WRITE_BUDGET,
            tls: None,
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Channel>>>;

/// Called on every request a [`RemotingClient`] sends, just before it is written (RocketMQ's
/// client `RPCHook.doBeforeRequest`): e.g. to sign it with an ACL account.
pub trait RequestHook: Send + Sync + 'static {
    /// Adjusts `request` about to go to `addr`.
    fn before_request(&self, addr: &str, request: &mut RemotingCommand);
}

/// A remoting client. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct RemotingClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    dispatcher: Arc<Dispatcher>,
    slots: Mutex<HashMap<String, Slot>>,
    stop: CancellationToken,
    hook: Option<Arc<dyn RequestHook>>,
}

impl std::fmt::Debug for RemotingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotingClient").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl Default for RemotingClient {
    fn default() -> Self {
        Self::new(ClientConfig::default(), Dispatcher::new())
    }
}

impl RemotingClient {
    /// A client whose connections hand requests from the peer (e.g. broker callbacks) to
    /// `dispatcher`.
    #[must_use]
    pub fn new(config: ClientConfig, dispatcher: Dispatcher) -> Self {
        Self::with_hook(config, dispatcher, None)
    }

    /// Like [`RemotingClient::new`], with a hook run on every request it sends.
    #[must_use]
    pub fn with_hook(config: ClientConfig, dispatcher: Dispatcher, hook: Option<Arc<dyn RequestHook>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                dispatcher: Arc::new(dispatcher),
                slots: Mutex::new(HashMap::new()),
                stop: CancellationToken::new(),
                hook,
            }),
        }
    }

    fn hooked(&self, addr: &str, mut request: RemotingCommand) -> RemotingCommand {
        if let Some(hook) = &self.inner.hook {
            hook.before_request(addr, &mut request);
        }
        request
    }

    /// The open connection to `addr`, connecting (once, even under concurrent callers) if needed.
    pub async fn channel(&self, addr: &str) -> Result<Channel, RemotingError> {
        if self.inner.stop.is_cancelled() {
            return Err(RemotingError::Shutdown);
        }
        let slot = {
            let mut slots = self.inner.slots.lock();
            Arc::clone(slots.entry(addr.to_owned()).or_default())
        };
        let mut guard = slot.lock().await;
        if let Some(ch) = guard.as_ref() {
            if !ch.is_closed() {
                return Ok(ch.clone());
            }
        }
        let conn = self.connect(addr).await?;
        let codec = RemotingCodec::new(self.inner.config.max_frame_size);
        let limits = ChannelLimits { write_budget: self.inner.config.write_budget, ..ChannelLimits::default() };
        let ch = Channel::spawn(conn, codec, Arc::clone(&self.inner.dispatcher), self.inner.stop.clone(), limits);
        *guard = Some(ch.clone());
        Ok(ch)
    }

    /// Connects to `addr`, with the TLS handshake when configured, within the connect timeout.
    async fn connect(&self, addr: &str) -> Result<Conn, RemotingError> {
        let timeout = self.inner.config.connect_timeout;
        let failed = |reason: String| RemotingError::Connect { addr: addr.to_owned(), reason };
        let opened = tokio::time::timeout(timeout, super::dial(addr, self.inner.config.tls.as_ref())).await;
        match opened {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(failed(e.to_string())),
            Err(_) => Err(failed(format!("timed out after {timeout:?}"))),
        }
    }

    /// Sends `request` to `addr` and waits for the response, at most `timeout` (connecting
    /// included).
    pub async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let started = tokio::time::Instant::now();
        let ch = tokio::time::timeout(timeout, self.channel(addr))
            .await
            .map_err(|_| RemotingError::Timeout { addr: addr.to_owned(), timeout })??;
        let left = timeout.saturating_sub(started.elapsed());
        ch.invoke(self.hooked(addr, request), left).await
    }

    /// Sends a one-way request to `addr`.
    pub async fn invoke_oneway(&self, addr: &str, request: RemotingCommand) -> Result<(), RemotingError> {
        self.channel(addr).await?.invoke_oneway(self.hooked(addr, request)).await
    }

    /// Sends `request` in the background and calls `callback` with the outcome.
    pub fn invoke_async<F>(&self, addr: &str, request: RemotingCommand, timeout: Duration, callback: F)
    where
        F: FnOnce(Result<RemotingCommand, RemotingError>) + Send + 'static,
    {
        let client = self.clone();
        let addr = addr.to_owned();
        tokio::spawn(async move {
            callback(client.invoke(&addr, request, timeout).await);
        });
    }

    /// Closes the connection to `addr`, if any (the next call reconnects).
    pub fn close_channel(&self, addr: &str) {
        if let Some(slot) = self.inner.slots.lock().remove(addr) {
            if let Ok(guard) = slot.try_lock() {
                if let Some(ch) = guard.as_ref() {
                    ch.close();
                }
            }
        }
    }

    /// Closes every connection; later calls fail with [`RemotingError::Shutdown`].
    pub fn shutdown(&self) {
        self.inner.stop.cancel();
        let slots: Vec<Slot> = self.inner.slots.lock().drain().map(|(_, s)| s).collect();
        for slot in slots {
            if let Ok(guard) = slot.try_lock() {
                if let Some(ch) = guard.as_ref() {
                    ch.close();
                }
            }
        }
    }
}
