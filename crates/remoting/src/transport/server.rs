//! The listening side: accepts connections and feeds their requests to a [`Dispatcher`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{Channel, Dispatcher};
use crate::{RemotingCodec, DEFAULT_MAX_FRAME_SIZE};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted frame (default 16 MiB).
    pub max_frame_size: usize,
    /// How long shutdown waits for requests in flight before closing connections (default 5 s).
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self { max_frame_size: DEFAULT_MAX_FRAME_SIZE, shutdown_grace: Duration::from_secs(5) }
    }
}

/// A running server. Dropping it does not stop it; call [`RemotingServer::shutdown`].
pub struct RemotingServer {
    local_addr: SocketAddr,
    stop: CancellationToken,
    dispatcher: Arc<Dispatcher>,
    channels: Arc<Mutex<Vec<Channel>>>,
    config: ServerConfig,
}

impl std::fmt::Debug for RemotingServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotingServer").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl RemotingServer {
    /// Binds `addr` (e.g. `0.0.0.0:9876`, or port 0 for an ephemeral port) and starts accepting.
    pub async fn bind(addr: &str, dispatcher: Dispatcher, config: ServerConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self::serve(listener, dispatcher, config))
    }

    /// Starts serving on an already bound listener.
    pub fn serve(listener: TcpListener, dispatcher: Dispatcher, config: ServerConfig) -> Self {
        let local_addr = listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let stop = CancellationToken::new();
        let dispatcher = Arc::new(dispatcher);
        let channels = Arc::new(Mutex::new(Vec::<Channel>::new()));
        let codec = RemotingCodec::new(config.max_frame_size);
        {
            let stop = stop.clone();
            let dispatcher = Arc::clone(&dispatcher);
            let channels = Arc::clone(&channels);
            tokio::spawn(async move {
                let mut backoff = Duration::from_millis(5);
                loop {
                    let accepted = tokio::select! {
                        r = listener.accept() => r,
                        () = stop.cancelled() => break,
                    };
                    match accepted {
                        Ok((stream, _)) => {
                            backoff = Duration::from_millis(5);
                            match Channel::spawn(stream, codec, Arc::clone(&dispatcher), stop.clone()) {
                                Ok(ch) => {
                                    let mut list = channels.lock();
                                    list.retain(|c| !c.is_closed());
                                    list.push(ch);
                                }
                                Err(e) => tracing::debug!(cause = %e, "accepted connection failed"),
                            }
                        }
                        Err(e) => {
                            // Out of file descriptors and the like: back off, keep serving.
                            tracing::warn!(cause = %e, "accept failed");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(1));
                        }
                    }
                }
            });
        }
        Self { local_addr, stop, dispatcher, channels, config }
    }

    /// The bound address (useful with port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Open connections.
    #[must_use]
    pub fn channels(&self) -> Vec<Channel> {
        self.channels.lock().iter().filter(|c| !c.is_closed()).cloned().collect()
    }

    /// Graceful shutdown: stop accepting and reading, let requests in flight answer (up to the
    /// grace period), then close every connection.
    pub async fn shutdown(&self) {
        self.stop.cancel();
        self.dispatcher.tracker.close();
        let _ = tokio::time::timeout(self.config.shutdown_grace, self.dispatcher.tracker.wait()).await;
        // Give writers a moment to flush the last answers.
        tokio::time::sleep(Duration::from_millis(20)).await;
        for ch in self.channels.lock().drain(..) {
            ch.close();
        }
    }
}
