//! The SDK clients connected by a Telemetry stream: where the proxy sends the commands the
//! brokers ask for (transaction check-backs, thread stacks, message verification), and which
//! topics each publishes (the proxy heartbeats as their producer group, named after the topic as
//! the official proxy does).

use std::sync::Arc;

use dashmap::DashMap;
use parking_lot::RwLock;

use crate::pb::TelemetryCommand;

/// Answers to a Telemetry stream's commands; bounded, so a client that stops reading holds little
/// memory.
pub type Outbox = tokio::sync::mpsc::Sender<Result<TelemetryCommand, tonic::Status>>;

/// One connected client.
#[derive(Debug)]
pub struct ClientStream {
    /// Where its Telemetry commands go.
    pub outbox: Outbox,
    /// Topics it publishes (from its settings).
    pub topics: RwLock<Vec<String>>,
    /// The consumer group it named, if any.
    pub group: RwLock<Option<String>>,
}

/// Connected clients by client id (the `x-mq-client-id` header).
#[derive(Debug, Default)]
pub struct Clients {
    by_id: DashMap<String, Arc<ClientStream>>,
}

impl Clients {
    /// Registers `id`'s stream (a reconnect replaces the old one).
    pub fn connect(&self, id: &str, outbox: Outbox) -> Arc<ClientStream> {
        let c = Arc::new(ClientStream { outbox, topics: RwLock::new(Vec::new()), group: RwLock::new(None) });
        self.by_id.insert(id.to_owned(), Arc::clone(&c));
        c
    }

    /// Forgets `id` if `stream` is still its current stream.
    pub fn disconnect(&self, id: &str, stream: &Arc<ClientStream>) {
        self.by_id.remove_if(id, |_, v| Arc::ptr_eq(v, stream));
    }

    /// Number of connected clients.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none is connected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every topic some client publishes.
    #[must_use]
    pub fn published_topics(&self) -> Vec<String> {
        let mut all: Vec<String> = self.by_id.iter().flat_map(|e| e.value().topics.read().clone()).collect();
        all.sort();
        all.dedup();
        all
    }

    /// Sends `cmd` to one client publishing `topic`; false when none took it (none connected, or
    /// every such stream is full: a slow client is skipped, never waited for).
    pub fn send_to_publisher(&self, topic: &str, cmd: &TelemetryCommand) -> bool {
        self.by_id
            .iter()
            .filter(|e| e.value().topics.read().iter().any(|t| t == topic))
            .any(|e| e.value().outbox.try_send(Ok(cmd.clone())).is_ok())
    }

    /// Sends `cmd` to client `id`; false when it is not connected or its stream is full.
    pub fn send_to(&self, id: &str, cmd: TelemetryCommand) -> bool {
        self.by_id.get(id).is_some_and(|c| c.outbox.try_send(Ok(cmd)).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_reach_a_publisher_of_the_topic() {
        let clients = Clients::default();
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let c = clients.connect("c1", tx);
        assert!(!clients.send_to_publisher("T", &TelemetryCommand::default()), "publishes nothing yet");
        c.topics.write().push("T".into());
        assert_eq!(clients.published_topics(), vec!["T".to_owned()]);
        assert!(clients.send_to_publisher("T", &TelemetryCommand::default()));
        assert!(!clients.send_to_publisher("T", &TelemetryCommand::default()), "a full stream is skipped");
        assert!(rx.recv().await.is_some());
        clients.disconnect("c1", &c);
        assert!(clients.is_empty());
        assert!(!clients.send_to("c1", TelemetryCommand::default()));
    }
}
