//! `rmq-capture`: a transparent TCP proxy that records every remoting frame carrying a body.
//!
//! Used to capture the JSON bodies real clients send, for the codec vectors under
//! `crates/remoting/tests/vectors/bodies/`. Bytes are forwarded unchanged in both directions;
//! frames are decoded from a copy. Each frame with a body becomes `<seq>-<dir>-<NAME>.body` (the
//! raw body) and `<seq>-<dir>-<NAME>.json` (code, opaque, flag, language, version, ext fields),
//! where `dir` is `c2s` or `s2c` and `NAME` the request code's variant name (`HeartBeat`), or
//! `<Request>-response` for the answer to a request seen in the other direction.
//!
//! ```text
//! rmq-capture --map 127.0.0.1:9876=127.0.0.2:9876 --map 127.0.0.1:10911=127.0.0.2:10911 --out DIR
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use bytes::BytesMut;
use parking_lot::Mutex;
use rmq_remoting::code::RequestCode;
use rmq_remoting::{RemotingCodec, RemotingCommand};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Decoder;

/// Requests seen on one connection, by (direction of the request, opaque).
type Pending = Arc<Mutex<HashMap<(bool, i32), RequestCode>>>;

struct Recorder {
    out: PathBuf,
    seq: AtomicU64,
}

impl Recorder {
    fn record(&self, cmd: &RemotingCommand, c2s: bool, pending: &Pending) -> Result<()> {
        let name = if cmd.is_response() {
            let req = pending.lock().remove(&(!c2s, cmd.opaque));
            match req {
                Some(code) => format!("{code:?}-response"),
                None => format!("Unmatched{}-response", cmd.opaque),
            }
        } else {
            let code = RequestCode::from_value(cmd.code);
            if !cmd.is_oneway() {
                pending.lock().insert((c2s, cmd.opaque), code);
            }
            format!("{code:?}").replace(['(', ')'], "")
        };
        if cmd.body.is_empty() {
            return Ok(());
        }
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let stem = format!("{seq:06}-{}-{name}", if c2s { "c2s" } else { "s2c" });
        let ext: serde_json::Map<String, serde_json::Value> =
            cmd.ext_fields.iter().map(|(k, v)| (k.to_owned(), v.into())).collect();
        let meta = serde_json::json!({
            "code": cmd.code, "opaque": cmd.opaque, "flag": cmd.flag,
            "language": format!("{:?}", cmd.language), "version": cmd.version,
            "remark": cmd.remark, "extFields": ext,
        });
        std::fs::write(self.out.join(format!("{stem}.body")), &cmd.body)?;
        std::fs::write(self.out.join(format!("{stem}.json")), serde_json::to_vec_pretty(&meta)?)?;
        Ok(())
    }
}

async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    c2s: bool,
    rec: Arc<Recorder>,
    pending: Pending,
) -> Result<()> {
    let mut codec = RemotingCodec::default();
    let mut copy = BytesMut::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            to.shutdown().await.ok();
            return Ok(());
        }
        // Record before forwarding: a request must be pending before its answer can come back.
        copy.extend_from_slice(&buf[..n]);
        while let Some(cmd) = codec.decode(&mut copy)? {
            if let Err(e) = rec.record(&cmd, c2s, &pending) {
                eprintln!("rmq-capture: cannot record: {e}");
            }
        }
        to.write_all(&buf[..n]).await?;
    }
}

async fn serve(listen: String, upstream: String, rec: Arc<Recorder>) -> Result<()> {
    let listener = TcpListener::bind(&listen).await.with_context(|| format!("bind {listen}"))?;
    eprintln!("rmq-capture: {listen} -> {upstream}");
    loop {
        let (client, _) = listener.accept().await?;
        let upstream = upstream.clone();
        let rec = Arc::clone(&rec);
        tokio::spawn(async move {
            let server = match TcpStream::connect(&upstream).await {
                Ok(s) => s,
                Err(e) => return eprintln!("rmq-capture: connect {upstream}: {e}"),
            };
            let pending = Pending::default();
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            let up = tokio::spawn(pump(cr, sw, true, Arc::clone(&rec), Arc::clone(&pending)));
            let down = pump(sr, cw, false, rec, pending).await;
            if let Err(e) = down.and(up.await.unwrap_or(Ok(()))) {
                eprintln!("rmq-capture: connection ended: {e}");
            }
        });
    }
}

fn parse_args() -> Result<(Vec<(String, String)>, PathBuf)> {
    let mut maps = Vec::new();
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--map" => {
                let m = args.next().context("--map needs LISTEN=UPSTREAM")?;
                let (l, u) = m.split_once('=').context("--map needs LISTEN=UPSTREAM")?;
                maps.push((l.to_owned(), u.to_owned()));
            }
            "--out" => out = Some(PathBuf::from(args.next().context("--out needs a directory")?)),
            other => bail!("unknown argument {other}; usage: rmq-capture --map LISTEN=UPSTREAM... --out DIR"),
        }
    }
    let out = out.context("--out DIR is required")?;
    if maps.is_empty() {
        bail!("at least one --map LISTEN=UPSTREAM is required");
    }
    Ok((maps, out))
}

#[tokio::main]
async fn main() -> Result<()> {
    let (maps, out) = parse_args()?;
    std::fs::create_dir_all(Path::new(&out))?;
    let rec = Arc::new(Recorder { out, seq: AtomicU64::new(0) });
    let mut tasks = Vec::new();
    for (listen, upstream) in maps {
        tasks.push(tokio::spawn(serve(listen, upstream, Arc::clone(&rec))));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}
