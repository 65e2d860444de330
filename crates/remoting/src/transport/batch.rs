//! The frames a connection's writer sends in one go: headers and small bodies copied into one
//! buffer, big body pieces (pull responses' slices of mapped files) kept as they are and
//! written in place with vectored writes, so they are never copied in user space.

use std::io::{self, IoSlice};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::FrameError;
use crate::RemotingCommand;

/// Body pieces at least this long are written from their own buffer, not copied.
const SHARE_FROM: usize = 512;
/// Buffers given to one writev call at most (Linux allows 1024).
const MAX_SLICES: usize = 64;

/// A range of the batch: bytes of the staging buffer, or a shared buffer.
enum Piece {
    Staged { from: usize, to: usize },
    Shared(Bytes),
}

/// Frames waiting for one (vectored) write.
#[derive(Default)]
pub(crate) struct Batch {
    staged: BytesMut,
    pieces: Vec<Piece>,
    /// End of `staged` already covered by a piece.
    sealed: usize,
    len: usize,
}

impl Batch {
    /// Adds one frame: its header (and small body pieces) copied, big body pieces shared.
    pub(crate) fn push(&mut self, cmd: &RemotingCommand) -> Result<(), FrameError> {
        let before = self.staged.len();
        cmd.encode_head_into(&mut self.staged)?;
        self.len += self.staged.len() - before;
        self.add_body(&cmd.body);
        for part in &cmd.body_parts {
            self.add_body(part);
        }
        Ok(())
    }

    fn add_body(&mut self, part: &Bytes) {
        self.len += part.len();
        if part.len() < SHARE_FROM {
            self.staged.extend_from_slice(part);
        } else {
            self.seal();
            self.pieces.push(Piece::Shared(part.clone()));
        }
    }

    /// Covers the staged bytes not yet in a piece with one.
    fn seal(&mut self) {
        let to = self.staged.len();
        if to > self.sealed {
            self.pieces.push(Piece::Staged { from: self.sealed, to });
            self.sealed = to;
        }
    }

    /// Bytes in the batch.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Writes the whole batch to `w` (as few vectored writes as the socket takes) and empties
    /// it; shared pieces are dropped once written.
    pub(crate) async fn write_to<W: AsyncWrite + Unpin>(&mut self, w: &mut W) -> io::Result<()> {
        self.seal();
        let (mut idx, mut off) = (0, 0);
        while idx < self.pieces.len() {
            let slices = self.slices(idx, off);
            let n = w.write_vectored(&slices).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            (idx, off) = self.advance(idx, off, n);
        }
        self.clear();
        Ok(())
    }

    fn bytes_of<'a>(&'a self, piece: &'a Piece) -> &'a [u8] {
        match piece {
            Piece::Staged { from, to } => &self.staged[*from..*to],
            Piece::Shared(b) => b,
        }
    }

    /// Up to `MAX_SLICES` buffers from piece `idx`, byte `off` on.
    fn slices(&self, idx: usize, off: usize) -> Vec<IoSlice<'_>> {
        let mut out = Vec::with_capacity(MAX_SLICES.min(self.pieces.len() - idx));
        for (i, piece) in self.pieces[idx..].iter().take(MAX_SLICES).enumerate() {
            let bytes = self.bytes_of(piece);
            out.push(IoSlice::new(if i == 0 { &bytes[off..] } else { bytes }));
        }
        out
    }

    /// The position `n` bytes after piece `idx`, byte `off`.
    fn advance(&self, mut idx: usize, mut off: usize, mut n: usize) -> (usize, usize) {
        while n > 0 && idx < self.pieces.len() {
            let left = self.bytes_of(&self.pieces[idx]).len() - off;
            if n < left {
                return (idx, off + n);
            }
            n -= left;
            idx += 1;
            off = 0;
        }
        (idx, off)
    }

    /// Empties the batch (keeping the staging buffer's memory).
    pub(crate) fn clear(&mut self) {
        self.staged.clear();
        self.pieces.clear();
        self.sealed = 0;
        self.len = 0;
    }

    /// Gives the staging buffer's memory back.
    pub(crate) fn shrink(&mut self) {
        self.staged = BytesMut::new();
    }

    /// Capacity of the staging buffer.
    pub(crate) fn capacity(&self) -> usize {
        self.staged.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `step` bytes per call, whatever it is given.
    struct Trickle {
        out: Vec<u8>,
        step: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            let n = buf.len().min(self.step);
            self.out.extend_from_slice(&buf[..n]);
            std::task::Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> std::task::Poll<io::Result<usize>> {
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(self.step - n);
                self.out.extend_from_slice(&b[..take]);
                n += take;
                if n == self.step {
                    break;
                }
            }
            std::task::Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    fn commands() -> Vec<RemotingCommand> {
        let big: Vec<Bytes> =
            (0..150u32).map(|i| Bytes::from(vec![u8::try_from(i % 251).unwrap(); 700 + i as usize])).collect();
        vec![
            RemotingCommand::success().with_body(&b"small"[..]),
            RemotingCommand::success().with_body_parts(big),
            RemotingCommand::success(),
            RemotingCommand::success().with_body_parts(vec![Bytes::from_static(b"ab"), Bytes::from(vec![9u8; 5000])]),
        ]
    }

    #[tokio::test]
    async fn vectored_batches_write_the_same_bytes_as_encoding_whatever_the_socket_takes() {
        let mut want = BytesMut::new();
        for c in commands() {
            c.encode_into(&mut want).unwrap();
        }
        for step in [1, 7, 511, 4096, 1 << 20] {
            let mut batch = Batch::default();
            for c in commands() {
                batch.push(&c).unwrap();
            }
            assert_eq!(batch.len(), want.len());
            let mut w = Trickle { out: Vec::new(), step };
            batch.write_to(&mut w).await.unwrap();
            assert_eq!(w.out, want, "step {step}");
            assert_eq!(batch.len(), 0);
        }
    }

    #[test]
    fn a_frame_with_parts_decodes_to_the_whole_body() {
        let cmd =
            RemotingCommand::success().with_body_parts(vec![Bytes::from_static(b"one"), Bytes::from_static(b"two")]);
        let back = RemotingCommand::decode_frame(&cmd.encode_frame().unwrap()).unwrap();
        assert_eq!(&back.body[..], b"onetwo");
        assert_eq!(cmd.full_body(), back.body);
    }
}
