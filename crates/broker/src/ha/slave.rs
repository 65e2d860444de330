//! The slave side: follows the master's HA port and appends its commit log at the same offsets.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::HEARTBEAT;
use crate::Broker;

/// Runs until the broker stops, reconnecting whenever the link drops.
pub async fn run(broker: Arc<Broker>) {
    loop {
        if broker.stop.is_cancelled() {
            return;
        }
        let addr = broker.config.ha_master_address.clone().or_else(|| broker.ha_master_addr.read().clone());
        let Some(addr) = addr else {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                () = broker.stop.cancelled() => return,
            }
        };
        match tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(&addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                tracing::info!(master = %addr, "connected to the master's HA port");
                broker.ha.connected.store(true, Ordering::Release);
                if let Err(e) = follow(&broker, stream).await {
                    tracing::warn!(master = %addr, cause = %e, "replication link dropped");
                }
                broker.ha.connected.store(false, Ordering::Release);
            }
            Ok(Err(e)) => tracing::debug!(master = %addr, cause = %e, "cannot reach the master's HA port"),
            Err(_) => tracing::debug!(master = %addr, "connecting to the master's HA port timed out"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            () = broker.stop.cancelled() => return,
        }
    }
}

async fn report(wr: &mut tokio::net::tcp::OwnedWriteHalf, offset: u64) -> std::io::Result<()> {
    wr.write_all(&i64::try_from(offset).unwrap_or(i64::MAX).to_be_bytes()).await
}

async fn follow(broker: &Arc<Broker>, stream: TcpStream) -> std::io::Result<()> {
    let (mut rd, mut wr) = stream.into_split();
    let store = &broker.store;
    report(&mut wr, store.commit_log_max_offset()).await?;
    let mut last_report = tokio::time::Instant::now();
    loop {
        let mut head = [0u8; 12];
        let read = tokio::select! {
            r = tokio::time::timeout(HEARTBEAT * 4, rd.read_exact(&mut head)) => r,
            () = tokio::time::sleep_until(last_report + HEARTBEAT) => {
                report(&mut wr, store.commit_log_max_offset()).await?;
                last_report = tokio::time::Instant::now();
                continue;
            }
            () = broker.stop.cancelled() => return Ok(()),
        };
        match read {
            Ok(r) => {
                r?;
            }
            Err(_) => return Err(std::io::Error::other("no data or heartbeat from the master for 20 s")),
        }
        let offset =
            u64::try_from(i64::from_be_bytes([head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7]]))
                .map_err(|_| std::io::Error::other("negative offset in header"))?;
        let len = usize::try_from(i32::from_be_bytes([head[8], head[9], head[10], head[11]]))
            .map_err(|_| std::io::Error::other("negative length in header"))?;
        if len > 64 * 1024 * 1024 {
            return Err(std::io::Error::other(format!("implausible batch of {len} bytes")));
        }
        let own = store.commit_log_max_offset();
        broker.ha.master_offset.store(offset + len as u64, Ordering::Release);
        if len == 0 {
            if offset < own && store.truncate_commit_log(offset) {
                report(&mut wr, store.commit_log_max_offset()).await?;
                last_report = tokio::time::Instant::now();
            }
            continue;
        }
        let mut data = vec![0u8; len];
        rd.read_exact(&mut data).await?;
        if own != 0 && offset != own {
            return Err(std::io::Error::other(format!("master sent data at {offset}, our log ends at {own}")));
        }
        store.append_replicated(offset, &data).map_err(std::io::Error::other)?;
        report(&mut wr, store.commit_log_max_offset()).await?;
        last_report = tokio::time::Instant::now();
    }
}
