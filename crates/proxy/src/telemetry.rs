//! Telemetry: the bidirectional stream each SDK opens at start. The client sends its settings;
//! the proxy answers with the settings it will apply, as the official proxy does (the Java SDK
//! waits for that answer before it starts).

use std::sync::Arc;

use rmq_client::ClientInstance;
use tokio_stream::StreamExt;
use tonic::Streaming;

use crate::auth::StreamGuard;
use crate::checkback::CheckBack;
use crate::clients::{ClientStream, Clients};
use crate::pb::{settings::PubSub, telemetry_command::Command, Settings, TelemetryCommand};
use crate::relay::Relay;
use crate::status;

/// The header naming the SDK client on every call.
pub const CLIENT_ID_HEADER: &str = "x-mq-client-id";

/// Where a Telemetry stream registers its client.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Connected clients.
    pub clients: Arc<Clients>,
    /// The producer groups joined for them.
    pub checkback: Arc<CheckBack>,
    /// The consumers among them present on the brokers, and the calls relayed to them.
    pub relay: Arc<Relay>,
}

/// Serves `id`'s stream with its client registered (to receive the brokers' commands) until it
/// closes.
pub async fn serve_registered(
    id: String,
    inbound: Streaming<TelemetryCommand>,
    out: Outbox,
    reg: Registry,
    cluster: Arc<ClientInstance>,
    guard: Option<StreamGuard>,
) {
    let me = reg.clients.connect(&id, out.clone());
    let joining = parking_lot::Mutex::new(Vec::new());
    serve_with(inbound, out.clone(), cluster, guard, |cmd| {
        remember(&me, &reg, cmd);
        if let Some(Command::Settings(s)) = &cmd.command {
            let (relay, id, s, out) = (Arc::clone(&reg.relay), id.clone(), s.clone(), out.clone());
            joining.lock().push(tokio::spawn(async move { relay.join(&id, &s, out).await }));
        }
    })
    .await;
    for join in joining.into_inner() {
        let _ = join.await;
    }
    reg.relay.leave(&id);
    reg.clients.disconnect(&id, &me);
    reg.checkback.sync();
}

/// Notes what a client's settings say it publishes or consumes.
fn remember(me: &ClientStream, reg: &Registry, cmd: &TelemetryCommand) {
    if reg.relay.answered(cmd) {
        return;
    }
    let Some(Command::Settings(s)) = &cmd.command else {
        if let Some(c) = &cmd.command {
            tracing::debug!(command = ?std::mem::discriminant(c), "telemetry answer from a client");
        }
        return;
    };
    match &s.pub_sub {
        Some(PubSub::Publishing(p)) => {
            *me.topics.write() = p.topics.iter().map(|t| t.name.clone()).collect();
            reg.checkback.sync();
        }
        Some(PubSub::Subscription(sub)) => *me.group.write() = sub.group.as_ref().map(|g| g.name.clone()),
        None => {}
    }
}

/// Largest message body the proxy accepts (4 MiB, the broker's default maxMessageSize).
pub const MAX_BODY_SIZE: i32 = 4 * 1024 * 1024;

pub use crate::clients::Outbox;

/// Reads `inbound` until the client closes it, answering each settings command (a consumer's
/// with its group's settings from the cluster).
pub async fn serve(
    inbound: Streaming<TelemetryCommand>,
    out: Outbox,
    cluster: Arc<ClientInstance>,
    guard: Option<StreamGuard>,
) {
    serve_with(inbound, out, cluster, guard, |_| {}).await;
}

/// Reads `inbound`, showing each command `guard` admits to `seen` before answering it (one it
/// refuses is answered with the refusal's status); a command that does not decode ends the
/// stream with its gRPC status.
async fn serve_with(
    mut inbound: Streaming<TelemetryCommand>,
    out: Outbox,
    cluster: Arc<ClientInstance>,
    guard: Option<StreamGuard>,
    seen: impl Fn(&TelemetryCommand),
) {
    while let Some(item) = inbound.next().await {
        let cmd = match item {
            Ok(cmd) => cmd,
            Err(e) => {
                // A malformed or oversized command (or a broken stream) ends the stream with
                // that status, so the client learns why.
                tracing::debug!(status = %e, "telemetry stream ends on bad input");
                let _ = out.try_send(Err(e));
                break;
            }
        };
        if let Some(Err(s)) = match &guard {
            Some(g) => Some(g.admit(&cmd).await),
            None => None,
        } {
            if out.send(Ok(TelemetryCommand { status: Some(s), command: None })).await.is_err() {
                break;
            }
            continue;
        }
        seen(&cmd);
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
