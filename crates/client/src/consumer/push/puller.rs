//! The pull loop of one assigned queue: long polls while the queue's cache is under its
//! thresholds (and, orderly, while the queue is locked), hands what it finds to the consume
//! service, follows the broker's slave suggestion, and backs off after errors.

use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::body::MessageQueue;
use tokio_util::sync::CancellationToken;

use super::config::ConsumerConfig;
use super::consume::ConsumeService;
use crate::consumer::offset_store::OffsetStore;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::pull_api::{pull, PullRequest, PullResult, PullStatus};
use crate::consumer::subscription::Subscription;
use crate::consumer::types::MessageModel;
use crate::instance::ClientInstance;

const LONG_POLL: Duration = Duration::from_secs(15);
const PULL_ERROR_DELAY: Duration = Duration::from_secs(3);
const FLOW_CONTROL_PAUSE: Duration = Duration::from_millis(50);

/// Runs the pull loops of a push consumer.
pub(crate) struct Puller {
    config: Arc<ConsumerConfig>,
    instance: Arc<ClientInstance>,
    offsets: Arc<OffsetStore>,
    consume: Arc<ConsumeService>,
    stop: CancellationToken,
}

/// Where one queue's loop stands.
struct Cursor {
    mq: MessageQueue,
    pq: Arc<ProcessQueue>,
    offset: i64,
    broker_id: i64,
}

impl Puller {
    /// Loops of `config`'s group feed `consume`; all end when `stop` is cancelled.
    pub fn new(
        config: Arc<ConsumerConfig>,
        instance: Arc<ClientInstance>,
        offsets: Arc<OffsetStore>,
        consume: Arc<ConsumeService>,
        stop: CancellationToken,
    ) -> Self {
        Self { config, instance, offsets, consume, stop }
    }

    /// Whether the listener is orderly.
    pub fn orderly(&self) -> bool {
        self.consume.orderly()
    }

    /// Pulls `mq` from `start` until its process queue is dropped or the consumer stops.
    pub async fn run(self: Arc<Self>, mq: MessageQueue, pq: Arc<ProcessQueue>, sub: Subscription, start: i64) {
        let mut c = Cursor { mq, pq, offset: start, broker_id: 0 };
        loop {
            if c.pq.is_dropped() || self.stop.is_cancelled() {
                return;
            }
            if self.must_wait(&c.pq) {
                if !pause(&c.pq, FLOW_CONTROL_PAUSE).await {
                    return;
                }
                continue;
            }
            let commit = match self.config.model {
                MessageModel::Clustering => self.offsets.get(&c.mq),
                MessageModel::Broadcasting => None,
            };
            let req = PullRequest {
                group: &self.config.group,
                queue: &c.mq,
                subscription: &sub,
                offset: c.offset,
                max_msgs: self.config.pull.batch_size,
                suspend: LONG_POLL,
                commit_offset: commit,
                broker_id: c.broker_id,
            };
            let result = tokio::select! {
                r = pull(&self.instance, &req) => r,
                () = c.pq.dropped.cancelled() => return,
            };
            let going = match result {
                Ok(r) => self.on_result(&mut c, r).await,
                Err(e) => self.on_error(&mut c, &e).await,
            };
            if !going {
                return;
            }
        }
    }

    /// Flow control: the cache is over a threshold, or an orderly queue is not locked yet.
    fn must_wait(&self, pq: &ProcessQueue) -> bool {
        let (count, bytes) = pq.load();
        count > self.config.pull.threshold_for_queue
            || bytes > self.config.pull.threshold_size_for_queue
            || (self.orderly() && !pq.is_locked())
    }

    async fn on_result(&self, c: &mut Cursor, r: PullResult) -> bool {
        let suggested = r.suggest_which_broker_id;
        c.broker_id = if self.instance.broker_addr(&c.mq.broker_name, suggested).is_some() { suggested } else { 0 };
        match r.status {
            PullStatus::Found => {
                c.offset = r.next_begin_offset;
                c.pq.put(&r.messages);
                self.consume.dispatch(&c.mq, &c.pq, &r.messages);
            }
            PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {
                c.offset = r.next_begin_offset;
                if c.pq.load().0 == 0 {
                    self.offsets.update(&c.mq, c.offset, true);
                }
            }
            PullStatus::OffsetIllegal => {
                tracing::warn!(queue = ?c.mq, offset = c.offset, next = r.next_begin_offset, "offset illegal; moving on");
                c.offset = r.next_begin_offset;
                c.pq.clear();
                self.offsets.update(&c.mq, c.offset, false);
                self.offsets.persist(std::slice::from_ref(&c.mq)).await;
            }
        }
        true
    }

    async fn on_error(&self, c: &mut Cursor, e: &crate::error::ClientError) -> bool {
        tracing::debug!(queue = ?c.mq, cause = %e, "pull failed");
        c.broker_id = 0;
        // The broker may be gone: a fresh route points at a slave if the master died.
        let _ = self.instance.update_route(&c.mq.topic).await;
        pause(&c.pq, PULL_ERROR_DELAY).await
    }
}

/// Sleeps `d`; false when the queue was dropped meanwhile.
async fn pause(pq: &ProcessQueue, d: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => true,
        () = pq.dropped.cancelled() => false,
    }
}
