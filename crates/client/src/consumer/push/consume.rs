//! Running the listener: concurrent batches on a bounded worker pool (failures sent back, or
//! retried locally when that fails), or one orderly batch at a time per locked queue.

use std::sync::Arc;
use std::time::Duration;

use rmq_common::message::MessageExt;
use rmq_remoting::body::MessageQueue;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use super::config::ConsumerConfig;
use super::listener::{ConsumeContext, Listener};
use super::send_back::{restore_retry_topic, SendBack};
use super::trace_hook::ConsumeTracer;
use crate::consumer::offset_store::OffsetStore;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::types::{ConsumeStatus, MessageModel, OrderlyStatus};

/// Pause before a batch whose send-back failed is consumed again here.
const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Consumes what the pull loops fetched.
pub(crate) struct ConsumeService {
    config: Arc<ConsumerConfig>,
    listener: Listener,
    workers: Arc<Semaphore>,
    tasks: TaskTracker,
    offsets: Arc<OffsetStore>,
    send_back: SendBack,
    tracer: Option<ConsumeTracer>,
}

impl ConsumeService {
    /// A service running `listener` on `config.consume.threads` workers; its tasks join `tasks`.
    pub fn new(
        config: Arc<ConsumerConfig>,
        listener: Listener,
        tasks: TaskTracker,
        offsets: Arc<OffsetStore>,
        send_back: SendBack,
        tracer: Option<ConsumeTracer>,
    ) -> Self {
        let workers = Arc::new(Semaphore::new(config.consume.threads.max(1)));
        Self { config, listener, workers, tasks, offsets, send_back, tracer }
    }

    /// Whether the listener is orderly.
    pub fn orderly(&self) -> bool {
        self.listener.is_orderly()
    }

    /// Hands newly pulled `msgs` of `mq` (already in `pq`) to the listener.
    pub fn dispatch(self: &Arc<Self>, mq: &MessageQueue, pq: &Arc<ProcessQueue>, msgs: &[MessageExt]) {
        if self.listener.is_orderly() {
            let (me, mq, pq) = (Arc::clone(self), mq.clone(), Arc::clone(pq));
            self.tasks.spawn(async move { me.consume_orderly(mq, pq).await });
        } else {
            for batch in msgs.chunks(self.config.consume.batch_size.max(1)) {
                self.spawn_concurrent(mq.clone(), Arc::clone(pq), batch.to_vec(), Duration::ZERO);
            }
        }
    }

    fn spawn_concurrent(
        self: &Arc<Self>,
        mq: MessageQueue,
        pq: Arc<ProcessQueue>,
        batch: Vec<MessageExt>,
        delay: Duration,
    ) {
        let me = Arc::clone(self);
        self.tasks.spawn(async move {
            if !delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = pq.dropped.cancelled() => return,
                }
            }
            let Some(status) = me.call_concurrent(&mq, &pq, &batch).await else { return };
            if pq.is_dropped() {
                return; // the queue moved: the new owner consumes from the committed offset
            }
            let mut done: Vec<i64> = batch.iter().map(|m| m.queue_offset).collect();
            if status == ConsumeStatus::ReconsumeLater && me.config.model == MessageModel::Clustering {
                let failed = me.send_back_all(&batch).await;
                done.retain(|o| !failed.iter().any(|m| m.queue_offset == *o));
                if !failed.is_empty() {
                    me.spawn_concurrent(mq.clone(), Arc::clone(&pq), failed, LOCAL_RETRY_DELAY);
                }
            }
            let commit = pq.remove(&done);
            me.offsets.update(&mq, commit, true);
        });
    }

    /// One concurrent listener call on a worker; None when the queue was dropped or the pool closed.
    async fn call_concurrent(
        &self,
        mq: &MessageQueue,
        pq: &ProcessQueue,
        batch: &[MessageExt],
    ) -> Option<ConsumeStatus> {
        let _permit = Arc::clone(&self.workers).acquire_owned().await.ok()?;
        if pq.is_dropped() {
            return None;
        }
        let msgs: Vec<MessageExt> = batch.iter().map(|m| restore_retry_topic(m.clone())).collect();
        let ctx = ConsumeContext { queue: mq.clone() };
        let traced = self.tracer.as_ref().map(|t| t.before(batch));
        let started = std::time::Instant::now();
        let status = self.listener.call_concurrent(msgs, ctx).await;
        let ok = status == ConsumeStatus::Success;
        crate::telemetry::record_consume(&self.config.group, &mq.topic, started.elapsed(), ok);
        if let (Some(t), Some(call)) = (&self.tracer, traced) {
            t.after(batch, call, status == ConsumeStatus::Success);
        }
        Some(status)
    }

    /// Sends `batch` back; returns the messages that could not be sent.
    async fn send_back_all(&self, batch: &[MessageExt]) -> Vec<MessageExt> {
        let mut failed = Vec::new();
        for m in batch {
            if let Err(e) = self.send_back.send(m).await {
                tracing::warn!(msg_id = %m.msg_id, cause = %e, "send-back failed; retrying locally");
                failed.push(m.clone());
            }
        }
        failed
    }

    async fn consume_orderly(self: Arc<Self>, mq: MessageQueue, pq: Arc<ProcessQueue>) {
        let _one_at_a_time = pq.consume_lock.lock().await;
        loop {
            if pq.is_dropped() || !pq.is_locked() {
                return;
            }
            let batch = pq.take(self.config.consume.batch_size.max(1));
            if batch.is_empty() {
                return;
            }
            let Some(status) = self.call_orderly(&mq, &batch).await else { return };
            let moved_on = match status {
                OrderlyStatus::Success => true,
                OrderlyStatus::SuspendCurrentQueueAMoment => self.dead_letter_exhausted(&batch).await,
            };
            if moved_on {
                let commit = pq.commit();
                self.offsets.update(&mq, commit, false);
                continue;
            }
            let again: Vec<MessageExt> = batch
                .into_iter()
                .map(|mut m| {
                    m.reconsume_times += 1;
                    m
                })
                .collect();
            pq.restore(&again);
            tokio::select! {
                () = tokio::time::sleep(self.config.consume.suspend_current_queue_time) => {}
                () = pq.dropped.cancelled() => return,
            }
        }
    }

    /// One orderly listener call on a worker; None when the pool closed.
    async fn call_orderly(&self, mq: &MessageQueue, batch: &[MessageExt]) -> Option<OrderlyStatus> {
        let _permit = Arc::clone(&self.workers).acquire_owned().await.ok()?;
        let msgs: Vec<MessageExt> = batch.iter().map(|m| restore_retry_topic(m.clone())).collect();
        let ctx = ConsumeContext { queue: mq.clone() };
        let traced = self.tracer.as_ref().map(|t| t.before(batch));
        let started = std::time::Instant::now();
        let status = self.listener.call_orderly(msgs, ctx).await;
        let ok = status == OrderlyStatus::Success;
        crate::telemetry::record_consume(&self.config.group, &mq.topic, started.elapsed(), ok);
        if let (Some(t), Some(call)) = (&self.tracer, traced) {
            t.after(batch, call, status == OrderlyStatus::Success);
        }
        Some(status)
    }

    /// Past maxReconsumeTimes an orderly batch goes to the DLQ (via send-back) and the queue
    /// moves on; true when every message of it was sent. Otherwise the batch is retried.
    async fn dead_letter_exhausted(&self, batch: &[MessageExt]) -> bool {
        let exhausted = batch.iter().all(|m| m.reconsume_times >= self.config.consume.max_reconsume_times);
        if !exhausted || self.config.model != MessageModel::Clustering {
            return false;
        }
        let mut all_sent = true;
        for m in batch {
            all_sent &= self.send_back.send(m).await.is_ok();
        }
        all_sent
    }
}
