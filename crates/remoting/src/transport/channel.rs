//! One TCP connection: a reader task, a writer task that batches frames into few syscalls, and
//! the table of calls waiting for their response.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use super::Dispatcher;
use crate::{RemotingCodec, RemotingCommand, RemotingError};

/// Frames queued for writing per connection before senders wait.
const WRITE_QUEUE: usize = 8192;
/// Stop coalescing frames into one write once this many bytes are buffered.
const WRITE_BATCH_BYTES: usize = 256 * 1024;

static NEXT_CHANNEL_ID: AtomicU64 = AtomicU64::new(1);

/// A request of the peer being processed; see [`Channel::request_started`].
pub(crate) struct InFlight(Arc<Inner>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection to a peer. Cheap to clone; all clones share the connection.
#[derive(Clone)]
pub struct Channel {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    peer: SocketAddr,
    local: SocketAddr,
    tx: mpsc::Sender<RemotingCommand>,
    pending: Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>,
    closed: CancellationToken,
    /// Requests from the peer being processed (their answers are still to come).
    in_flight: AtomicUsize,
    /// Whether a bad request from this peer has been logged (log once per connection).
    bad_request_logged: AtomicBool,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel").field("id", &self.inner.id).field("peer", &self.inner.peer).finish()
    }
}

impl PartialEq for Channel {
    fn eq(&self, other: &Self) -> bool {
        self.inner.id == other.inner.id
    }
}
impl Eq for Channel {}

impl std::hash::Hash for Channel {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.id.hash(state);
    }
}

impl Channel {
    /// Starts the reader and writer tasks of a connected stream.
    ///
    /// `stop` ends reading (server shutdown); the writer runs until the channel closes.
    pub(crate) fn spawn(
        stream: TcpStream,
        codec: RemotingCodec,
        dispatcher: Arc<Dispatcher>,
        stop: CancellationToken,
    ) -> std::io::Result<Self> {
        let peer = stream.peer_addr()?;
        let local = stream.local_addr()?;
        stream.set_nodelay(true)?;
        let (read_half, write_half) = stream.into_split();
        let (tx, rx) = mpsc::channel::<RemotingCommand>(WRITE_QUEUE);
        let channel = Self {
            inner: Arc::new(Inner {
                id: NEXT_CHANNEL_ID.fetch_add(1, Ordering::Relaxed),
                peer,
                local,
                tx,
                pending: Mutex::new(HashMap::new()),
                closed: CancellationToken::new(),
                in_flight: AtomicUsize::new(0),
                bad_request_logged: AtomicBool::new(false),
            }),
        };
        dispatcher.on_connect(&channel);

        tokio::spawn(channel.clone().write_loop(rx, write_half));
        tokio::spawn(channel.clone().read_loop(
            FramedRead::with_capacity(read_half, codec, 64 * 1024),
            dispatcher,
            stop,
        ));
        Ok(channel)
    }

    /// Writer: takes everything queued, encodes it into one buffer, one write.
    async fn write_loop(self, mut rx: mpsc::Receiver<RemotingCommand>, mut write_half: OwnedWriteHalf) {
        let mut buf = BytesMut::with_capacity(64 * 1024);
        loop {
            let first = tokio::select! {
                cmd = rx.recv() => cmd,
                () = self.inner.closed.cancelled() => None,
            };
            let Some(first) = first else { break };
            self.encode_frame(&first, &mut buf);
            self.drain_into(&mut rx, &mut buf);
            if self.inner.in_flight.load(Ordering::Acquire) > 0 && buf.len() < WRITE_BATCH_BYTES {
                // More answers on this connection are being worked on: give those tasks a
                // turn first and send what they produce in the same write (under load one
                // syscall instead of several). With nothing in flight the answer goes at once.
                tokio::task::yield_now().await;
                self.drain_into(&mut rx, &mut buf);
            }
            if let Err(e) = write_half.write_all(&buf).await {
                tracing::debug!(peer = %self.inner.peer, cause = %e, "write failed");
                break;
            }
            buf.clear();
            if buf.capacity() > 4 * WRITE_BATCH_BYTES {
                buf = BytesMut::with_capacity(64 * 1024);
            }
        }
        let _ = write_half.shutdown().await;
        self.close();
    }

    /// Reader: responses complete pending calls, requests go to the dispatcher.
    async fn read_loop(
        self,
        mut frames: FramedRead<OwnedReadHalf, RemotingCodec>,
        dispatcher: Arc<Dispatcher>,
        stop: CancellationToken,
    ) {
        loop {
            let next = tokio::select! {
                next = frames.next() => next,
                () = self.inner.closed.cancelled() => break,
                () = stop.cancelled() => break,
            };
            match next {
                Some(Ok(cmd)) if cmd.is_response() => self.complete(cmd),
                Some(Ok(cmd)) => dispatcher.dispatch(&self, cmd),
                Some(Err(e)) => {
                    tracing::warn!(peer = %self.inner.peer, cause = %e, "closing connection on bad frame");
                    break;
                }
                None => break,
            }
        }
        if !stop.is_cancelled() {
            self.close();
        }
        dispatcher.on_close(&self);
    }

    fn encode_frame(&self, cmd: &RemotingCommand, buf: &mut BytesMut) {
        if let Err(e) = cmd.encode_into(buf) {
            tracing::warn!(peer = %self.inner.peer, cause = %e, "dropping unencodable frame");
        }
    }

    /// Encodes queued frames into `buf` until the queue is empty or the batch is full.
    fn drain_into(&self, rx: &mut mpsc::Receiver<RemotingCommand>, buf: &mut BytesMut) {
        while buf.len() < WRITE_BATCH_BYTES {
            let Ok(cmd) = rx.try_recv() else { break };
            self.encode_frame(&cmd, buf);
        }
    }

    /// Counts a request from the peer as being processed until the guard drops (after its
    /// answer, if any, was queued).
    pub(crate) fn request_started(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(&self.inner))
    }

    fn complete(&self, response: RemotingCommand) {
        let waiter = self.inner.pending.lock().remove(&response.opaque);
        match waiter {
            Some(tx) => {
                let _ = tx.send(response);
            }
            None => tracing::debug!(peer = %self.inner.peer, opaque = response.opaque, "response for no pending call"),
        }
    }

    /// True the first time it is called on this connection, false after: a server logs a
    /// peer's unreadable requests once per connection, not once per request.
    #[must_use]
    pub fn first_bad_request(&self) -> bool {
        !self.inner.bad_request_logged.swap(true, Ordering::Relaxed)
    }

    /// Unique id of this connection within the process.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The remote address.
    #[must_use]
    pub fn peer_addr(&self) -> SocketAddr {
        self.inner.peer
    }

    /// The local address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    /// Whether the connection is closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.closed.is_cancelled()
    }

    /// Resolves when the connection closes.
    pub async fn closed(&self) {
        self.inner.closed.cancelled().await;
    }

    /// Closes the connection and fails every call in flight on it.
    pub fn close(&self) {
        self.inner.closed.cancel();
        // Dropping the senders wakes every waiter with an error.
        self.inner.pending.lock().clear();
    }

    fn closed_error(&self) -> RemotingError {
        RemotingError::ConnectionClosed { addr: self.inner.peer.to_string() }
    }

    /// Sends a request and waits for its response, at most `timeout`.
    pub async fn invoke(
        &self,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        request.flag &= !crate::FLAG_ONEWAY;
        let opaque = request.opaque;
        let (tx, rx) = oneshot::channel();
        if self.is_closed() {
            return Err(self.closed_error());
        }
        self.inner.pending.lock().insert(opaque, tx);
        if self.is_closed() {
            self.inner.pending.lock().remove(&opaque);
            return Err(self.closed_error());
        }
        let outcome = tokio::time::timeout(timeout, async {
            self.inner.tx.send(request).await.map_err(|_| self.closed_error())?;
            rx.await.map_err(|_| self.closed_error())
        })
        .await;
        match outcome {
            Ok(result) => {
                if result.is_err() {
                    self.inner.pending.lock().remove(&opaque);
                }
                result
            }
            Err(_) => {
                self.inner.pending.lock().remove(&opaque);
                Err(RemotingError::Timeout { addr: self.inner.peer.to_string(), timeout })
            }
        }
    }

    /// Sends a one-way request (no response expected).
    pub async fn invoke_oneway(&self, request: RemotingCommand) -> Result<(), RemotingError> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        self.inner.tx.send(request.oneway()).await.map_err(|_| self.closed_error())
    }

    /// Queues a response without waiting; dropped (with a log line) if the queue is full.
    pub(crate) fn send_response_nowait(&self, response: RemotingCommand) {
        if let Err(e) = self.inner.tx.try_send(response) {
            match e {
                mpsc::error::TrySendError::Full(response) => {
                    // Back-pressure: wait for room in a task rather than dropping an answer.
                    let tx = self.inner.tx.clone();
                    tokio::spawn(async move {
                        let _ = tx.send(response).await;
                    });
                }
                mpsc::error::TrySendError::Closed(_) => {
                    tracing::debug!(peer = %self.inner.peer, "response dropped: connection closed");
                }
            }
        }
    }
}
