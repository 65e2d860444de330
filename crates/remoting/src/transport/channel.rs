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
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use super::batch::Batch;
use super::budget::{frame_cost, ByteBudget, ChannelLimits};
use super::stream::{Conn, ReadHalf, WriteHalf};
use super::Dispatcher;
use crate::{RemotingCodec, RemotingCommand, RemotingError};

/// Stop coalescing frames into one write once this many bytes are buffered.
const WRITE_BATCH_BYTES: usize = 256 * 1024;
/// Initial read buffer of a connection: small, so idle connections cost little; it grows to
/// the frame being read (the codec reserves a frame's announced length, up to the limit).
const READ_BUFFER_INITIAL: usize = 4 * 1024;
/// Buffers larger than this are given back once the connection has nothing more to move.
const BUFFER_KEEP: usize = 16 * 1024;

/// How long a one-way call waits for a connection over its write budget to drain.
pub const ONEWAY_WAIT: Duration = Duration::from_secs(3);

/// A frame waiting for the writer, with the bytes it is counted for.
type Queued = (RemotingCommand, usize);

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
    tx: mpsc::UnboundedSender<Queued>,
    /// Bytes queued for writing on this connection, against its budget.
    queued: ByteBudget,
    /// The server-wide budget this connection also counts against.
    shared: Option<Arc<ByteBudget>>,
    idle_timeout: Option<Duration>,
    pending: Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>,
    closed: CancellationToken,
    /// Requests from the peer being processed (their answers are still to come).
    in_flight: AtomicUsize,
    /// Whether a bad request from this peer has been logged (log once per connection).
    bad_request_logged: AtomicBool,
    /// Whether the connection is TLS.
    tls: bool,
}

/// Removes a call's pending entry when the call ends in any way (answered, failed, timed out or
/// dropped); after a reply the entry is already gone and this is a no-op.
struct PendingEntry<'a> {
    channel: &'a Inner,
    opaque: i32,
}

impl Drop for PendingEntry<'_> {
    fn drop(&mut self) {
        self.channel.pending.lock().remove(&self.opaque);
    }
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
    /// Starts the reader and writer tasks of a connected stream (plaintext or TLS).
    ///
    /// `stop` ends reading (server shutdown); the writer runs until the channel closes.
    pub(crate) fn spawn(
        conn: Conn,
        codec: RemotingCodec,
        dispatcher: Arc<Dispatcher>,
        stop: CancellationToken,
        limits: ChannelLimits,
    ) -> Self {
        let Conn { peer, local, read: read_half, write: write_half, tls } = conn;
        let (tx, rx) = mpsc::unbounded_channel::<Queued>();
        let channel = Self {
            inner: Arc::new(Inner {
                id: NEXT_CHANNEL_ID.fetch_add(1, Ordering::Relaxed),
                peer,
                local,
                tx,
                queued: ByteBudget::new(limits.write_budget),
                shared: limits.shared,
                idle_timeout: limits.idle_timeout,
                pending: Mutex::new(HashMap::new()),
                closed: CancellationToken::new(),
                in_flight: AtomicUsize::new(0),
                bad_request_logged: AtomicBool::new(false),
                tls,
            }),
        };
        dispatcher.on_connect(&channel);

        tokio::spawn(channel.clone().write_loop(rx, write_half));
        tokio::spawn(channel.clone().read_loop(
            FramedRead::with_capacity(read_half, codec, READ_BUFFER_INITIAL),
            dispatcher,
            stop,
        ));
        channel
    }

    /// Writer: takes everything queued and writes it in one go (one vectored write when the
    /// socket takes it all; big body pieces are written in place, not copied).
    async fn write_loop(self, mut rx: mpsc::UnboundedReceiver<Queued>, mut write_half: WriteHalf) {
        let mut batch = Batch::default();
        loop {
            let first = tokio::select! {
                cmd = rx.recv() => cmd,
                () = self.inner.closed.cancelled() => None,
            };
            let Some(first) = first else { break };
            let mut cost = self.encode_frame(first, &mut batch);
            cost += self.drain_into(&mut rx, &mut batch);
            if self.inner.in_flight.load(Ordering::Acquire) > 0 && batch.len() < WRITE_BATCH_BYTES {
                // More answers on this connection are being worked on: give those tasks a
                // turn first and send what they produce in the same write (under load one
                // syscall instead of several). With nothing in flight the answer goes at once.
                tokio::task::yield_now().await;
                cost += self.drain_into(&mut rx, &mut batch);
            }
            // A TLS session may hold the last record until flushed (a no-op on plain TCP).
            let written = match batch.write_to(&mut write_half).await {
                Ok(()) => write_half.flush().await,
                Err(e) => Err(e),
            };
            self.release(cost);
            if let Err(e) = written {
                tracing::debug!(peer = %self.inner.peer, cause = %e, "write failed");
                break;
            }
            batch.clear();
            if batch.capacity() > BUFFER_KEEP && rx.is_empty() {
                batch.shrink();
            }
        }
        let _ = write_half.shutdown().await;
        self.close();
        // Frames that will never be written give their bytes back to the budgets.
        rx.close();
        while let Ok((_, cost)) = rx.try_recv() {
            self.release(cost);
        }
    }

    /// Reader: responses complete pending calls, requests go to the dispatcher. Before each
    /// frame it waits while the connection is over its write budget (back-pressure); it closes
    /// the connection when nothing arrives, or nothing drains, for the idle timeout.
    async fn read_loop(
        self,
        mut frames: FramedRead<ReadHalf, RemotingCodec>,
        dispatcher: Arc<Dispatcher>,
        stop: CancellationToken,
    ) {
        loop {
            let next = tokio::select! {
                next = self.next_frame(&mut frames) => next,
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
            let read_buf = frames.read_buffer_mut();
            if read_buf.is_empty() && read_buf.capacity() > BUFFER_KEEP {
                *read_buf = BytesMut::new();
            }
        }
        if !stop.is_cancelled() {
            self.close();
        }
        dispatcher.on_close(&self);
    }

    /// The next frame once there is room to answer it; `None` at EOF or idle timeout.
    async fn next_frame(
        &self,
        frames: &mut FramedRead<ReadHalf, RemotingCodec>,
    ) -> Option<Result<RemotingCommand, RemotingError>> {
        let Some(idle) = self.inner.idle_timeout else {
            self.wait_for_room().await;
            return frames.next().await;
        };
        if tokio::time::timeout(idle, self.wait_for_room()).await.is_err() {
            tracing::info!(peer = %self.inner.peer, idle_secs = idle.as_secs(), queued = self.inner.queued.used(),
                "closing connection: its answers were not read for the idle time");
            return None;
        }
        match tokio::time::timeout(idle, frames.next()).await {
            Ok(next) => next,
            Err(_) => {
                tracing::info!(peer = %self.inner.peer, idle_secs = idle.as_secs(), "closing idle connection");
                None
            }
        }
    }

    /// Whether the reader should pause: this connection is over its budget, or the server is
    /// over its total and this connection has answers of its own waiting.
    fn over_budget(&self) -> bool {
        self.inner.queued.over() || self.inner.shared.as_ref().is_some_and(|s| s.over() && self.inner.queued.used() > 0)
    }

    /// Resolves when the connection is within its budgets.
    async fn wait_for_room(&self) {
        loop {
            let own = self.inner.queued.drained().notified();
            let shared = self.inner.shared.as_ref().map(|s| s.drained().notified());
            tokio::pin!(own);
            own.as_mut().enable();
            let mut shared = shared.map(Box::pin);
            if let Some(s) = shared.as_mut() {
                s.as_mut().enable();
            }
            if !self.over_budget() {
                return;
            }
            match shared {
                Some(s) => tokio::select! { () = own => {}, () = s => {} },
                None => own.await,
            }
        }
    }

    /// Counts a frame against the budgets and queues it; false if the connection is closed.
    fn enqueue(&self, cmd: RemotingCommand) -> bool {
        let cost = frame_cost(&cmd);
        self.inner.queued.add(cost);
        if let Some(s) = &self.inner.shared {
            s.add(cost);
        }
        if self.inner.tx.send((cmd, cost)).is_err() {
            self.release(cost);
            return false;
        }
        true
    }

    fn release(&self, cost: usize) {
        self.inner.queued.release(cost);
        if let Some(s) = &self.inner.shared {
            s.release(cost);
        }
    }

    /// Adds a queued frame to `batch`; returns the bytes it was counted for.
    fn encode_frame(&self, (cmd, cost): Queued, batch: &mut Batch) -> usize {
        if let Err(e) = batch.push(&cmd) {
            tracing::warn!(peer = %self.inner.peer, cause = %e, "dropping unencodable frame");
        }
        cost
    }

    /// Adds queued frames to `batch` until the queue is empty or the batch is full; returns
    /// the bytes they were counted for.
    fn drain_into(&self, rx: &mut mpsc::UnboundedReceiver<Queued>, batch: &mut Batch) -> usize {
        let mut cost = 0;
        while batch.len() < WRITE_BATCH_BYTES {
            let Ok(queued) = rx.try_recv() else { break };
            cost += self.encode_frame(queued, batch);
        }
        cost
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

    /// Whether the connection is encrypted (TLS).
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.inner.tls
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
    ///
    /// Cancellation-safe: dropping the future (a caller's own timeout, `select!`) removes the
    /// call's pending entry at once; a reply arriving later is discarded. The request may or may
    /// not have been sent by then.
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
        let _entry = PendingEntry { channel: &self.inner, opaque };
        if self.is_closed() {
            return Err(self.closed_error());
        }
        let outcome = tokio::time::timeout(timeout, async {
            // A peer that does not read its answers gets no further calls until it drains.
            self.wait_for_room().await;
            if !self.enqueue(request) {
                return Err(self.closed_error());
            }
            rx.await.map_err(|_| self.closed_error())
        })
        .await;
        outcome.unwrap_or_else(|_| Err(RemotingError::Timeout { addr: self.inner.peer.to_string(), timeout }))
    }

    /// Calls waiting for their response on this connection.
    #[must_use]
    pub fn pending_calls(&self) -> usize {
        self.inner.pending.lock().len()
    }

    /// Sends a one-way request (no response expected). While the connection is over its write
    /// budget it waits, at most [`ONEWAY_WAIT`], then fails with [`RemotingError::Busy`]: a
    /// caller (a notification, a transaction check) never waits long on a peer that does not read.
    pub async fn invoke_oneway(&self, request: RemotingCommand) -> Result<(), RemotingError> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        if tokio::time::timeout(ONEWAY_WAIT, self.wait_for_room()).await.is_err() {
            return Err(RemotingError::Busy { addr: self.inner.peer.to_string() });
        }
        if self.enqueue(request.oneway()) {
            Ok(())
        } else {
            Err(self.closed_error())
        }
    }

    /// Queues a response without waiting. The queue is unbounded, but the reader stops taking
    /// requests while the connection is over its budget, so answers cannot pile up.
    pub(crate) fn send_response_nowait(&self, response: RemotingCommand) {
        if !self.enqueue(response) {
            tracing::debug!(peer = %self.inner.peer, "response dropped: connection closed");
        }
    }

    /// Bytes queued for writing on this connection.
    #[must_use]
    pub fn queued_bytes(&self) -> usize {
        self.inner.queued.used()
    }
}
