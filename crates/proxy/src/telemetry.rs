//! Telemetry: the bidirectional stream each SDK opens at start. The client sends its settings;
//! the proxy answers with the settings it will apply, as the official proxy does (the Java SDK
//! waits for that answer before it starts).

use std::sync::Arc;

use rmq_client::ClientInstance;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tonic::Streaming;

use crate::pb::{settings::PubSub, telemetry_command::Command, Settings, TelemetryCommand};
use crate::status;

/// Largest message body the proxy accepts (4 MiB, the broker's default maxMessageSize).
pub const MAX_BODY_SIZE: i32 = 4 * 1024 * 1024;

/// Answers to a stream's commands; bounded, so a client that stops reading holds little memory.
pub type Outbox = mpsc::Sender<Result<TelemetryCommand, tonic::Status>>;

/// Reads `inbound` until the client closes it, answering each settings command (a consumer's
/// with its group's settings from the cluster).
pub async fn serve(mut inbound: Streaming<TelemetryCommand>, out: Outbox, cluster: Arc<ClientInstance>) {
    while let Some(item) = inbound.next().await {
        let Ok(cmd) = item else { break };
        let Some(mut answer) = answer(cmd) else { continue };
        if let Some(Command::Settings(s)) = answer.command.take() {
            answer.command = Some(Command::Settings(crate::group::fill_subscription(&cluster, s).await));
        }
        if out.send(Ok(answer)).await.is_err() {
            break;
        }
    }
}

/// The answer to one command: settings get settings back; other commands need none.
#[must_use]
pub fn answer(cmd: TelemetryCommand) -> Option<TelemetryCommand> {
    match cmd.command {
        Some(Command::Settings(s)) => {
            Some(TelemetryCommand { status: Some(status::ok()), command: Some(Command::Settings(applied(s))) })
        }
        _ => None,
    }
}

/// The client's settings with the proxy's limits filled in.
fn applied(mut s: Settings) -> Settings {
    if let Some(PubSub::Publishing(p)) = s.pub_sub.as_mut() {
        p.max_body_size = MAX_BODY_SIZE;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::Publishing;

    #[test]
    fn settings_are_answered_with_limits() {
        let s = Settings { pub_sub: Some(PubSub::Publishing(Publishing::default())), ..Default::default() };
        let cmd = TelemetryCommand { status: None, command: Some(Command::Settings(s)) };
        let a = answer(cmd).unwrap();
        assert_eq!(a.status.unwrap().code, crate::pb::Code::Ok as i32);
        let Some(Command::Settings(s)) = a.command else { panic!("no settings") };
        let Some(PubSub::Publishing(p)) = s.pub_sub else { panic!("no publishing") };
        assert_eq!(p.max_body_size, MAX_BODY_SIZE);
        assert!(answer(TelemetryCommand::default()).is_none());
    }
}
