//! Periodic chores: consumer offsets handed to the metadata writer every 5 s, silent clients dropped every 10 s.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::state::clients::{ClientRegistry, CHANNEL_EXPIRED};
use crate::state::offsets::ConsumerOffsets;

/// The chores and what they touch.
#[derive(Debug, Clone)]
pub struct Housekeeping {
    /// Persisted every 5 s.
    pub offsets: Arc<ConsumerOffsets>,
    /// Expired every 10 s.
    pub clients: Arc<ClientRegistry>,
    /// Cancelled at shutdown.
    pub stop: CancellationToken,
}

impl Housekeeping {
    /// Starts both chores.
    pub fn spawn(&self) {
        let this = self.clone();
        tokio::spawn(async move { this.persist_offsets_every(Duration::from_secs(5)).await });
        let this = self.clone();
        tokio::spawn(async move { this.expire_clients_every(Duration::from_secs(10)).await });
    }

    async fn persist_offsets_every(self, period: Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.stop.cancelled() => break,
            }
            // The metadata writer does the file I/O, off the request workers.
            self.offsets.schedule_save();
        }
    }

    async fn expire_clients_every(self, period: Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.stop.cancelled() => break,
            }
            for group in self.clients.expire(CHANNEL_EXPIRED) {
                self.clients.notify_consumer_ids_changed(&group);
            }
        }
    }
}
