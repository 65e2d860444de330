//! A connected stream, plaintext or TLS, split into the halves a [`super::Channel`]'s reader and
//! writer tasks own. Plaintext keeps tokio's lock-free owned halves; TLS goes through
//! `tokio::io::split` (one rustls session shared by both halves). Also the byte stream of
//! protocols beside remoting that share the TLS setup (the broker's HA link): [`super::dial`] and
//! [`super::ServerTls::accept`].

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::TlsStream;

type TlsRead = tokio::io::ReadHalf<TlsStream<TcpStream>>;
type TlsWrite = tokio::io::WriteHalf<TlsStream<TcpStream>>;

/// A connection ready for a channel: its addresses and its two halves.
pub struct Conn {
    /// The peer's address.
    pub peer: SocketAddr,
    /// Our end's address.
    pub local: SocketAddr,
    /// What the peer sends.
    pub read: ReadHalf,
    /// What we send. Over TLS, bytes may wait in the session until a flush.
    pub write: WriteHalf,
    /// Whether the bytes on the wire are TLS records.
    pub tls: bool,
}

impl Conn {
    /// A plaintext TCP connection (Nagle off).
    pub fn plain(stream: TcpStream) -> io::Result<Self> {
        let (peer, local) = addrs(&stream)?;
        let (r, w) = stream.into_split();
        Ok(Self { peer, local, read: ReadHalf::Plain(r), write: WriteHalf::Plain(w), tls: false })
    }

    /// A connection whose TLS handshake is done.
    pub(crate) fn tls(stream: TlsStream<TcpStream>) -> io::Result<Self> {
        let (peer, local) = addrs(stream.get_ref().0)?;
        let (r, w) = tokio::io::split(stream);
        Ok(Self { peer, local, read: ReadHalf::Tls(r), write: WriteHalf::Tls(w), tls: true })
    }
}

/// The peer and local addresses of a connected stream; also turns Nagle off.
pub(crate) fn addrs(stream: &TcpStream) -> io::Result<(SocketAddr, SocketAddr)> {
    stream.set_nodelay(true)?;
    Ok((stream.peer_addr()?, stream.local_addr()?))
}

/// The reading half of a [`Conn`].
pub enum ReadHalf {
    /// Plaintext TCP.
    Plain(OwnedReadHalf),
    /// TLS records.
    Tls(TlsRead),
}

/// The writing half of a [`Conn`].
pub enum WriteHalf {
    /// Plaintext TCP.
    Plain(OwnedWriteHalf),
    /// TLS records.
    Tls(TlsWrite),
}

impl AsyncRead for ReadHalf {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(r) => Pin::new(r).poll_read(cx, buf),
            Self::Tls(r) => Pin::new(r).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(w) => Pin::new(w).poll_write(cx, buf),
            Self::Tls(w) => Pin::new(w).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(w) => Pin::new(w).poll_write_vectored(cx, bufs),
            Self::Tls(w) => Pin::new(w).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(w) => w.is_write_vectored(),
            Self::Tls(w) => w.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(w) => Pin::new(w).poll_flush(cx),
            Self::Tls(w) => Pin::new(w).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(w) => Pin::new(w).poll_shutdown(cx),
            Self::Tls(w) => Pin::new(w).poll_shutdown(cx),
        }
    }
}
