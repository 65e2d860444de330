//! The master side: accepts slaves on the HA port and streams its commit log to each.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{HEARTBEAT, TRANSFER_BATCH};
use crate::Broker;

/// Binds the HA port.
pub async fn bind(broker: &Broker) -> std::io::Result<TcpListener> {
    TcpListener::bind((broker.config.bind_address.as_str(), broker.config.ha_port())).await
}

/// Accepts slaves until the broker stops.
pub async fn serve(broker: Arc<Broker>, listener: TcpListener) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = broker.stop.cancelled() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let b = Arc::clone(&broker);
                tokio::spawn(async move {
                    let id = b.ha.add_slave(peer.to_string());
                    tracing::info!(slave = %peer, "slave connected");
                    if let Err(e) = serve_slave(&b, id, stream).await {
                        tracing::info!(slave = %peer, cause = %e, "slave connection closed");
                    }
                    b.ha.remove_slave(id);
                });
            }
            Err(e) => {
                tracing::warn!(cause = %e, "accepting a slave failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

fn header(offset: u64, len: usize) -> [u8; 12] {
    let mut h = [0u8; 12];
    h[0..8].copy_from_slice(&i64::try_from(offset).unwrap_or(i64::MAX).to_be_bytes());
    h[8..12].copy_from_slice(&i32::try_from(len).unwrap_or(i32::MAX).to_be_bytes());
    h
}

async fn serve_slave(broker: &Arc<Broker>, id: u64, stream: TcpStream) -> std::io::Result<()> {
    let (mut rd, mut wr) = stream.into_split();
    let (first_tx, mut first_rx) = tokio::sync::watch::channel::<Option<u64>>(None);
    let ha = Arc::clone(broker);
    // Reports: 8-byte offsets; only the latest complete one matters.
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 8];
        loop {
            let idle = tokio::time::timeout(HEARTBEAT * 4, rd.read_exact(&mut buf)).await;
            match idle {
                Ok(Ok(_)) => {
                    let offset = u64::try_from(i64::from_be_bytes(buf)).unwrap_or(0);
                    ha.ha.ack(id, offset);
                    let _ = first_tx.send(Some(offset));
                }
                Ok(Err(_)) | Err(_) => return,
            }
        }
    });
    let result = async {
        let first = loop {
            if let Some(v) = *first_rx.borrow_and_update() {
                break v;
            }
            if tokio::time::timeout(HEARTBEAT * 4, first_rx.changed()).await.map_or(true, |r| r.is_err()) {
                return Err(std::io::Error::other("slave sent no offset"));
            }
        };
        let store = &broker.store;
        let mut next = if first == 0 { store.commit_log_min_offset() } else { first };
        loop {
            if broker.stop.is_cancelled() || reader.is_finished() {
                return Ok(());
            }
            let end = store.commit_log_max_offset();
            if next > end {
                // The slave has more than we do: tell it where our log ends.
                wr.write_all(&header(end, 0)).await?;
                next = end;
                continue;
            }
            let notified = broker.ha.data.notified();
            if next < end {
                if let Some(data) = store.read_commit_log(next, TRANSFER_BATCH) {
                    let mut frame = Vec::with_capacity(12 + data.len());
                    frame.extend_from_slice(&header(next, data.len()));
                    frame.extend_from_slice(&data);
                    wr.write_all(&frame).await?;
                    next += data.len() as u64;
                    continue;
                }
            }
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep(HEARTBEAT) => wr.write_all(&header(next, 0)).await?,
                () = broker.stop.cancelled() => return Ok(()),
            }
        }
    }
    .await;
    reader.abort();
    result
}
