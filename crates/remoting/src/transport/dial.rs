//! Opening a connection for protocols beside remoting that share its TLS setup (the broker's
//! HA link) and for the remoting client itself: TCP, then the TLS handshake when asked.

use std::io;

use tokio::net::TcpStream;
use tokio_rustls::TlsStream;

use super::stream::{addrs, Conn};
use super::tls::ClientTls;

/// Connects to `addr` (`host:port`), with the TLS handshake when `tls` is given (Nagle off).
/// No timeout: callers bound it.
pub async fn dial(addr: &str, tls: Option<&ClientTls>) -> io::Result<Conn> {
    let stream = TcpStream::connect(addr).await?;
    let Some(tls) = tls else {
        return Conn::plain(stream);
    };
    addrs(&stream)?;
    let s =
        tls.connect(addr, stream).await.map_err(|e| io::Error::new(e.kind(), format!("TLS handshake failed: {e}")))?;
    Conn::tls(TlsStream::Client(s))
}
