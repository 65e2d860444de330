//! The server side of a connection on a TLS port: tell TLS from plaintext by the first byte,
//! then hand back a ready [`Conn`] or refuse.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsStream;

use super::{ServerTls, TlsMode, HANDSHAKE_RECORD};
use crate::transport::stream::Conn;

/// How long a client has to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits for the client's first byte (at most `first_byte_wait`), then runs the TLS handshake
/// when it starts one, or takes the connection as plaintext unless the mode is enforcing.
/// `None`: the connection was closed or refused (logged here).
pub(crate) async fn open(
    stream: TcpStream,
    peer: SocketAddr,
    tls: &ServerTls,
    first_byte_wait: Option<Duration>,
) -> Option<Conn> {
    let first = first_byte(&stream, peer, first_byte_wait).await?;
    if first != HANDSHAKE_RECORD {
        if tls.mode == TlsMode::Enforcing {
            tracing::warn!(%peer, "connection refused: a plaintext client on a TLS-only port (tls.server.mode=enforcing)");
            return None;
        }
        return ready(Conn::plain(stream), peer);
    }
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.acceptor.accept(stream)).await {
        Ok(Ok(s)) => ready(Conn::tls(TlsStream::Server(s)), peer),
        Ok(Err(e)) => {
            tracing::warn!(%peer, cause = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::warn!(%peer, secs = HANDSHAKE_TIMEOUT.as_secs(), "TLS handshake timed out");
            None
        }
    }
}

async fn first_byte(stream: &TcpStream, peer: SocketAddr, wait: Option<Duration>) -> Option<u8> {
    let mut first = [0_u8; 1];
    let peeked = match wait {
        Some(wait) => tokio::time::timeout(wait, stream.peek(&mut first)).await.ok()?,
        None => stream.peek(&mut first).await,
    };
    match peeked {
        Ok(1) => Some(first[0]),
        Ok(_) => None,
        Err(e) => {
            tracing::debug!(%peer, cause = %e, "connection failed before its first byte");
            None
        }
    }
}

fn ready(conn: std::io::Result<Conn>, peer: SocketAddr) -> Option<Conn> {
    conn.map_err(|e| tracing::debug!(%peer, cause = %e, "accepted connection failed")).ok()
}
