//! The listening side: accepts connections and feeds their requests to a [`Dispatcher`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::budget::{ByteBudget, ChannelLimits};
use super::stream::Conn;
use super::tls::ServerTls;
use super::{Channel, Dispatcher};
use crate::{RemotingCodec, DEFAULT_MAX_FRAME_SIZE};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted frame (default 16 MiB).
    pub max_frame_size: usize,
    /// How long shutdown waits for requests in flight before closing connections (default 5 s).
    pub shutdown_grace: Duration,
    /// Bytes of answers queued for one connection above which the server stops reading its
    /// requests until they drain (default 4 MiB; 0: no limit).
    pub write_budget: usize,
    /// Bytes of answers queued for all connections above which every connection that has
    /// answers waiting stops being read (default 256 MiB; 0: no limit).
    pub total_write_budget: usize,
    /// Close a connection when no frame arrives for this long, or when its answers cannot be
    /// written for this long (default 120 s; `None`: never).
    pub idle_timeout: Option<Duration>,
    /// Open connections beyond which new ones are closed at once (default 10,000; 0: no limit).
    pub max_connections: usize,
    /// TLS on this port (`None`: plaintext only, `tls.server.mode=disabled`).
    pub tls: Option<ServerTls>,
}

/// Default per-connection write budget: 4 MiB.
pub const DEFAULT_WRITE_BUDGET: usize = 4 * 1024 * 1024;
/// Default total write budget of a server: 256 MiB.
pub const DEFAULT_TOTAL_WRITE_BUDGET: usize = 256 * 1024 * 1024;
/// Default idle timeout: 120 s, as RocketMQ's `serverChannelMaxIdleTimeSeconds`.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// Default connection limit of a server.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            shutdown_grace: Duration::from_secs(5),
            write_budget: DEFAULT_WRITE_BUDGET,
            total_write_budget: DEFAULT_TOTAL_WRITE_BUDGET,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls: None,
        }
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
        let acceptor = Acceptor {
            codec: RemotingCodec::new(config.max_frame_size),
            limits: ChannelLimits {
                write_budget: config.write_budget,
                idle_timeout: config.idle_timeout,
                shared: Some(Arc::new(ByteBudget::new(config.total_write_budget))),
            },
            max_connections: config.max_connections,
            tls: config.tls.clone(),
            dispatcher: Arc::clone(&dispatcher),
            channels: Arc::clone(&channels),
            stop: stop.clone(),
            refused: 0,
        };
        tokio::spawn(acceptor.run(listener));
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

/// The accept loop and what it gives each connection.
struct Acceptor {
    codec: RemotingCodec,
    limits: ChannelLimits,
    max_connections: usize,
    tls: Option<ServerTls>,
    dispatcher: Arc<Dispatcher>,
    channels: Arc<Mutex<Vec<Channel>>>,
    stop: CancellationToken,
    /// Connections refused over the limit since the last log line.
    refused: u64,
}

impl Acceptor {
    async fn run(mut self, listener: TcpListener) {
        let mut backoff = Duration::from_millis(5);
        loop {
            let accepted = tokio::select! {
                r = listener.accept() => r,
                () = self.stop.cancelled() => break,
            };
            match accepted {
                Ok((stream, peer)) => {
                    backoff = Duration::from_millis(5);
                    self.accept(stream, peer);
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(cause = %e, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    fn accept(&mut self, stream: tokio::net::TcpStream, peer: SocketAddr) {
        let mut list = self.channels.lock();
        list.retain(|c| !c.is_closed());
        if self.max_connections > 0 && list.len() >= self.max_connections {
            drop(list);
            self.refuse(stream, peer);
            return;
        }
        if self.refused > 0 {
            tracing::warn!(refused = self.refused, "connections were refused over the connection limit");
            self.refused = 0;
        }
        drop(list);
        match self.tls.clone() {
            None => match Conn::plain(stream) {
                Ok(conn) => self.start(conn),
                Err(e) => tracing::debug!(cause = %e, "accepted connection failed"),
            },
            Some(tls) => self.open_tls(stream, peer, tls),
        }
    }

    /// Tells TLS from plaintext on its own task (a slow client does not hold up accepting),
    /// then starts the channel.
    fn open_tls(&self, stream: tokio::net::TcpStream, peer: SocketAddr, tls: ServerTls) {
        let starter = self.starter();
        let wait = self.limits.idle_timeout;
        tokio::spawn(async move {
            if let Some(conn) = super::tls::open(stream, peer, &tls, wait).await {
                starter.start(conn);
            }
        });
    }

    fn start(&self, conn: Conn) {
        self.starter().start(conn);
    }

    fn starter(&self) -> Starter {
        Starter {
            codec: self.codec,
            limits: self.limits.clone(),
            dispatcher: Arc::clone(&self.dispatcher),
            channels: Arc::clone(&self.channels),
            stop: self.stop.clone(),
        }
    }

    /// Closes a connection over the limit: one log line for the first, then a count.
    fn refuse(&mut self, stream: tokio::net::TcpStream, peer: SocketAddr) {
        if self.refused == 0 {
            tracing::warn!(%peer, max = self.max_connections,
                "connection refused: the server has its maximum of open connections (serverMaxConnections)");
        }
        self.refused += 1;
        drop(stream);
    }
}

/// What starting a channel on an accepted connection needs.
struct Starter {
    codec: RemotingCodec,
    limits: ChannelLimits,
    dispatcher: Arc<Dispatcher>,
    channels: Arc<Mutex<Vec<Channel>>>,
    stop: CancellationToken,
}

impl Starter {
    fn start(self, conn: Conn) {
        let ch = Channel::spawn(conn, self.codec, self.dispatcher, self.stop, self.limits);
        self.channels.lock().push(ch);
    }
}
