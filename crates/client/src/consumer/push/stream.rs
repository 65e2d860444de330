//! The push consumer as a [`Stream`] of [`Delivery`]s, each acknowledged (or not) by the user.
//!
//! An async handler hands each message to a bounded channel and waits for its ack; at most
//! `buffer` handler calls run at once, so at most `buffer` messages are handed out and not yet
//! acknowledged, whatever the reader's speed. Orderly streams hand a queue's next message over
//! only after the previous one was acked, so each queue's order holds.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use rmq_common::message::MessageExt;
use rmq_remoting::body::MessageQueue;
use std::future::Future;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::config::ConsumerConfig;
use super::listener::{ConsumeContext, Listener};
use crate::consumer::types::{ConsumeStatus, OrderlyStatus};

/// How a stream consumer hands messages out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamOptions {
    /// Messages handed out and not yet acknowledged, at most (32). Pulling also pauses per
    /// queue at this many buffered messages (pullThresholdForQueue).
    pub buffer: usize,
    /// Per-queue order: a queue's next message comes after the previous one's ack (false).
    pub orderly: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self { buffer: 32, orderly: false }
    }
}

impl StreamOptions {
    /// Concurrent delivery with at most `buffer` messages unacknowledged.
    #[must_use]
    pub fn buffer(buffer: usize) -> Self {
        Self { buffer: buffer.max(1), ..Self::default() }
    }

    /// Orderly delivery (per queue, under the broker's queue lock).
    #[must_use]
    pub fn orderly(mut self) -> Self {
        self.orderly = true;
        self
    }

    /// Fits `config` to these options: one message per handler call, `buffer` calls at once,
    /// pulls paused at `buffer` messages per queue.
    pub(crate) fn apply(&self, config: &mut ConsumerConfig) {
        let buffer = self.buffer.max(1);
        config.consume.threads = buffer;
        config.consume.batch_size = 1;
        config.pull.threshold_for_queue = config.pull.threshold_for_queue.min(buffer);
        config.pull.batch_size = config.pull.batch_size.min(i32::try_from(buffer).unwrap_or(i32::MAX));
    }

    /// The handler feeding `tx`, and the receiving end.
    /// Once `stop` is cancelled, handler calls waiting for an ack give up (the message is not
    /// committed) and the stream ends.
    pub(crate) fn channel(&self, stop: &CancellationToken) -> (Listener, MessageStream) {
        let (tx, rx) = mpsc::channel(self.buffer.max(1));
        let stream = MessageStream { rx, stopped: Box::pin(stop.clone().cancelled_owned()) };
        let stop = stop.clone();
        let listener = if self.orderly {
            Listener::orderly_async(move |m, ctx| {
                let (tx, stop) = (tx.clone(), stop.clone());
                async move {
                    if hand_off(&tx, m, ctx, &stop).await {
                        OrderlyStatus::Success
                    } else {
                        OrderlyStatus::SuspendCurrentQueueAMoment
                    }
                }
            })
        } else {
            Listener::concurrent_async(move |m, ctx| {
                let (tx, stop) = (tx.clone(), stop.clone());
                async move {
                    if hand_off(&tx, m, ctx, &stop).await {
                        ConsumeStatus::Success
                    } else {
                        ConsumeStatus::ReconsumeLater
                    }
                }
            })
        };
        (listener, stream)
    }
}

/// Sends one delivery and waits for its verdict; false when nacked, dropped, or the stream is
/// gone or the consumer stopping.
async fn hand_off(
    tx: &mpsc::Sender<Delivery>,
    message: MessageExt,
    ctx: ConsumeContext,
    stop: &CancellationToken,
) -> bool {
    let (reply, verdict) = oneshot::channel();
    let delivery = Delivery { message, queue: ctx.queue, reply: Some(reply) };
    tokio::select! {
        sent = tx.send(delivery) => if sent.is_err() { return false },
        () = stop.cancelled() => return false,
    }
    tokio::select! {
        v = verdict => v.unwrap_or(false),
        () = stop.cancelled() => false,
    }
}

/// One message from a stream consumer. [`Delivery::ack`] marks it consumed;
/// [`Delivery::nack`], or dropping it unacknowledged, has it delivered again later (through
/// the group's retry topic; orderly: the same message again after a pause).
#[derive(Debug)]
pub struct Delivery {
    message: MessageExt,
    queue: MessageQueue,
    reply: Option<oneshot::Sender<bool>>,
}

impl Delivery {
    /// The message.
    #[must_use]
    pub fn message(&self) -> &MessageExt {
        &self.message
    }

    /// The queue it came from.
    #[must_use]
    pub fn queue(&self) -> &MessageQueue {
        &self.queue
    }

    /// Consumed: its offset may be committed.
    pub fn ack(mut self) {
        self.answer(true);
    }

    /// Not consumed: deliver it again later.
    pub fn nack(mut self) {
        self.answer(false);
    }

    fn answer(&mut self, ok: bool) {
        if let Some(r) = self.reply.take() {
            let _ = r.send(ok);
        }
    }
}

impl std::ops::Deref for Delivery {
    type Target = MessageExt;

    fn deref(&self) -> &MessageExt {
        &self.message
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.answer(false);
    }
}

/// The messages of a stream consumer ([`crate::consumer::PushConsumer::messages`]). It ends
/// when the consumer shuts down. Cancellation-safe: dropping a pending `next()` loses nothing.
pub struct MessageStream {
    rx: mpsc::Receiver<Delivery>,
    stopped: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl std::fmt::Debug for MessageStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStream").field("waiting", &self.rx.len()).finish()
    }
}

impl MessageStream {
    /// The next delivery; `None` once the consumer has shut down.
    pub async fn recv(&mut self) -> Option<Delivery> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for MessageStream {
    type Item = Delivery;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        if self.stopped.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        self.rx.poll_recv(cx)
    }
}
