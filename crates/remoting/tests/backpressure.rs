//! Transport limits over loopback: a peer that never reads its answers is paused, not
//! buffered without bound, while other peers are served; idle connections are closed; the
//! connection limit refuses extra connections.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_remoting::transport::{Dispatcher, RemotingClient, RemotingServer, RequestContext, ServerConfig};
use rmq_remoting::{RemotingCommand, RequestCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ANSWER: usize = 64 * 1024;
const BUDGET: usize = 256 * 1024;

/// Answers every request with a 64 KiB body and counts the requests it processed.
async fn server(config: ServerConfig, processed: Arc<AtomicUsize>) -> RemotingServer {
    let big = Arc::new(move |_ctx: RequestContext, _req: RemotingCommand| {
        processed.fetch_add(1, Ordering::SeqCst);
        async move { Some(RemotingCommand::success().with_body(vec![7u8; ANSWER])) }
    });
    RemotingServer::bind("127.0.0.1:0", Dispatcher::new().processor(big), config).await.unwrap()
}

fn frames(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..n {
        let request = RemotingCommand::request(RequestCode::GetRouteinfoByTopic).with_body(vec![1u8; 1024]);
        out.extend_from_slice(&request.encode_frame().unwrap());
    }
    out
}

#[tokio::test]
async fn a_client_that_never_reads_is_paused_and_others_are_served() {
    let processed = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig { write_budget: BUDGET, total_write_budget: 4 * BUDGET, ..ServerConfig::default() };
    let s = server(config, Arc::clone(&processed)).await;
    let addr = s.local_addr().to_string();
    // 20,000 requests (20 MiB) would ask for 1.25 GiB of answers.
    let requests = 20_000;
    let mut hostile = TcpStream::connect(&addr).await.unwrap();
    let writer = tokio::spawn(async move {
        let _ = hostile.write_all(&frames(requests)).await;
        hostile
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let done = processed.load(Ordering::SeqCst);
    // Only what fits in the budget and the kernel's socket buffers was processed.
    assert!(done < requests / 4, "{done} of {requests} requests processed: no back-pressure");
    for ch in s.channels() {
        assert!(ch.queued_bytes() <= BUDGET + ANSWER + 1024, "{} bytes queued", ch.queued_bytes());
    }
    // Another client is answered promptly meanwhile.
    let good = RemotingClient::default();
    let started = Instant::now();
    for _ in 0..20 {
        let r = good.invoke(&addr, RemotingCommand::request(RequestCode::GetRouteinfoByTopic), Duration::from_secs(2));
        assert_eq!(r.await.unwrap().body.len(), ANSWER);
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    // The paused client still gets everything once it reads.
    assert!(!writer.is_finished());
    assert_eq!(processed.load(Ordering::SeqCst) - 20, done, "the paused connection was read meanwhile");
    s.shutdown().await;
}

#[tokio::test]
async fn a_paused_client_resumes_when_it_reads() {
    let processed = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig { write_budget: BUDGET, ..ServerConfig::default() };
    let s = server(config, Arc::clone(&processed)).await;
    let requests = 300; // 19 MiB of answers, far above the budget
    let stream = TcpStream::connect(s.local_addr()).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move { wr.write_all(&frames(requests)).await.map(|()| wr) });
    let mut got = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let want = requests * ANSWER;
    tokio::time::timeout(Duration::from_secs(30), async {
        while got < want {
            let n = rd.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed after {got} bytes");
            got += n;
        }
    })
    .await
    .expect("every answer arrives once the client reads");
    assert_eq!(processed.load(Ordering::SeqCst), requests);
    writer.await.unwrap().unwrap();
    s.shutdown().await;
}

#[tokio::test]
async fn idle_connections_are_closed_and_busy_ones_kept() {
    let config = ServerConfig { idle_timeout: Some(Duration::from_millis(600)), ..ServerConfig::default() };
    let s = server(config, Arc::new(AtomicUsize::new(0))).await;
    let mut idle = TcpStream::connect(s.local_addr()).await.unwrap();
    let busy = RemotingClient::default();
    let addr = s.local_addr().to_string();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        let r = busy.invoke(&addr, RemotingCommand::request(RequestCode::GetRouteinfoByTopic), Duration::from_secs(2));
        r.await.expect("a connection that sends is kept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut b = [0u8; 1];
    let n = tokio::time::timeout(Duration::from_secs(2), idle.read(&mut b)).await.expect("idle closed").unwrap();
    assert_eq!(n, 0, "the idle connection was closed");
    assert_eq!(s.channels().len(), 1);
    s.shutdown().await;
}

#[tokio::test]
async fn connections_over_the_limit_are_refused() {
    let config = ServerConfig { max_connections: 2, ..ServerConfig::default() };
    let s = server(config, Arc::new(AtomicUsize::new(0))).await;
    let c1 = TcpStream::connect(s.local_addr()).await.unwrap();
    let c2 = TcpStream::connect(s.local_addr()).await.unwrap();
    let mut c3 = TcpStream::connect(s.local_addr()).await.unwrap();
    let mut b = [0u8; 1];
    let n = tokio::time::timeout(Duration::from_secs(2), c3.read(&mut b)).await.expect("refused").unwrap();
    assert_eq!(n, 0, "the third connection was closed");
    assert_eq!(s.channels().len(), 2);
    // A slot frees when a connection closes.
    drop(c1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c4 = RemotingClient::default();
    let addr = s.local_addr().to_string();
    let r = c4.invoke(&addr, RemotingCommand::request(RequestCode::GetRouteinfoByTopic), Duration::from_secs(2));
    assert!(r.await.is_ok());
    drop(c2);
    s.shutdown().await;
}

#[tokio::test]
async fn one_way_calls_to_a_peer_that_does_not_read_fail_busy() {
    let config = ServerConfig { write_budget: BUDGET, ..ServerConfig::default() };
    let s = server(config, Arc::new(AtomicUsize::new(0))).await;
    let _silent = TcpStream::connect(s.local_addr()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ch = s.channels().pop().expect("the connection");
    let big = || RemotingCommand::request(RequestCode::NotifyConsumerIdsChanged).with_body(vec![0u8; ANSWER]);
    let mut sent = 0;
    let outcome = loop {
        match ch.invoke_oneway(big()).await {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(sent < 10_000, "the budget never filled");
    };
    assert!(matches!(outcome, rmq_remoting::RemotingError::Busy { .. }), "{outcome}");
    assert!(ch.queued_bytes() <= BUDGET + ANSWER + 1024, "{} bytes queued", ch.queued_bytes());
    s.shutdown().await;
}
