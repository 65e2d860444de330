//! Transport over loopback: request/response, timeouts, one-way, correlation by opaque,
//! connection drops, unknown codes, bad frames, server-to-client calls, graceful shutdown.
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_remoting::transport::{ClientConfig, Dispatcher, RemotingClient, RemotingServer, RequestContext, ServerConfig};
use rmq_remoting::{RemotingCommand, RemotingError, RequestCode, ResponseCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T: Duration = Duration::from_secs(5);

/// Echoes the body; sleeps for `sleep` ms if that ext field is set; counts one-way requests.
async fn server(oneways: Arc<AtomicUsize>) -> RemotingServer {
    let echo = Arc::new(move |_ctx: RequestContext, req: RemotingCommand| {
        let oneways = Arc::clone(&oneways);
        async move {
            if req.is_oneway() {
                oneways.fetch_add(1, Ordering::SeqCst);
            }
            if let Some(ms) = req.ext_fields.get("sleep").and_then(|s| s.parse::<u64>().ok()) {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            Some(RemotingCommand::success().with_body(req.body.clone()))
        }
    });
    let dispatcher = Dispatcher::new().processor(echo);
    RemotingServer::bind("127.0.0.1:0", dispatcher, ServerConfig::default()).await.unwrap()
}

fn req(body: &str) -> RemotingCommand {
    RemotingCommand::request(RequestCode::SendMessage).with_body(body.as_bytes().to_vec())
}

#[tokio::test]
async fn request_response_and_oneway() {
    let oneways = Arc::new(AtomicUsize::new(0));
    let s = server(Arc::clone(&oneways)).await;
    let addr = s.local_addr().to_string();
    let c = RemotingClient::default();
    let resp = c.invoke(&addr, req("ping"), T).await.unwrap();
    assert!(resp.is_response());
    assert_eq!(&resp.body[..], b"ping");
    c.invoke_oneway(&addr, req("fire")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(oneways.load(Ordering::SeqCst), 1);
    // The processor takes every code.
    let resp = c.invoke(&addr, RemotingCommand::request(RequestCode::PullMessage).with_body(&b"any"[..]), T).await;
    assert_eq!(&resp.unwrap().body[..], b"any");
    // Async with a callback.
    let (tx, rx) = tokio::sync::oneshot::channel();
    c.invoke_async(&addr, req("cb"), T, move |r| {
        let _ = tx.send(r.map(|r| r.body));
    });
    assert_eq!(&rx.await.unwrap().unwrap()[..], b"cb");
    s.shutdown().await;
}

#[tokio::test]
async fn concurrent_calls_are_correlated_by_opaque() {
    let s = server(Arc::new(AtomicUsize::new(0))).await;
    let addr = s.local_addr().to_string();
    let c = RemotingClient::default();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let c = c.clone();
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = req(&format!("body-{i}"));
            // Vary the service time so answers come back out of order.
            r.ext_fields.insert("sleep".into(), (i % 7).to_string());
            let resp = c.invoke(&addr, r, T).await.unwrap();
            assert_eq!(String::from_utf8_lossy(&resp.body), format!("body-{i}"));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    s.shutdown().await;
}

#[tokio::test]
async fn timeouts_and_connection_drops_fail_calls_promptly() {
    let s = server(Arc::new(AtomicUsize::new(0))).await;
    let addr = s.local_addr().to_string();
    let c = RemotingClient::default();
    let mut slow = req("slow");
    slow.ext_fields.insert("sleep".into(), "2000".into());
    let started = Instant::now();
    let err = c.invoke(&addr, slow, Duration::from_millis(200)).await.unwrap_err();
    assert!(matches!(err, RemotingError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // A raw server that accepts and then closes while a call waits.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let raw = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let _ = sock.read(&mut buf).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(sock);
    });
    let started = Instant::now();
    let err = c.invoke(&raw, req("lost"), Duration::from_secs(10)).await.unwrap_err();
    assert!(matches!(err, RemotingError::ConnectionClosed { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2), "failed after {:?}", started.elapsed());

    // Nothing listening.
    let err = RemotingClient::new(
        ClientConfig { connect_timeout: Duration::from_millis(500), ..ClientConfig::default() },
        Dispatcher::new(),
    )
    .invoke("127.0.0.1:1", req("x"), T)
    .await
    .unwrap_err();
    assert!(matches!(err, RemotingError::Connect { .. }), "{err}");
    s.shutdown().await;
}

#[tokio::test]
async fn bad_frame_closes_only_that_connection() {
    let s = server(Arc::new(AtomicUsize::new(0))).await;
    let addr = s.local_addr().to_string();
    let c = RemotingClient::default();
    c.invoke(&addr, req("before"), T).await.unwrap();
    let mut bad = tokio::net::TcpStream::connect(&addr).await.unwrap();
    bad.write_all(&[0, 0, 0, 12, 9, 0, 0, 4, b'{', b'}', b'{', b'}', 0, 0, 0, 0]).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(T, bad.read(&mut buf)).await.unwrap().unwrap();
    assert_eq!(n, 0, "the server closed the bad connection");
    assert_eq!(&c.invoke(&addr, req("after"), T).await.unwrap().body[..], b"after");
    s.shutdown().await;
}

#[tokio::test]
async fn reconnects_after_a_server_restart_on_the_same_port() {
    let s = server(Arc::new(AtomicUsize::new(0))).await;
    let port = s.local_addr().port();
    let addr = s.local_addr().to_string();
    let c = RemotingClient::default();
    c.invoke(&addr, req("one"), T).await.unwrap();
    s.shutdown().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let dispatcher = Dispatcher::new().processor(Arc::new(|_c: RequestContext, r: RemotingCommand| async move {
        Some(RemotingCommand::success().with_body(r.body))
    }));
    let s2 = RemotingServer::bind(&format!("127.0.0.1:{port}"), dispatcher, ServerConfig::default()).await.unwrap();
    let mut ok = false;
    for _ in 0..20 {
        if c.invoke(&addr, req("two"), T).await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the client reconnected");
    s2.shutdown().await;
}

#[tokio::test]
async fn server_calls_the_client_back_on_the_same_connection() {
    let back = Arc::new(|ctx: RequestContext, _r: RemotingCommand| async move {
        let answer = ctx.channel.invoke(RemotingCommand::request(RequestCode::GetConsumerRunningInfo), T).await.ok()?;
        Some(RemotingCommand::success().with_body(answer.body))
    });
    let s =
        RemotingServer::bind("127.0.0.1:0", Dispatcher::new().processor(back), ServerConfig::default()).await.unwrap();
    let client_side = Arc::new(|_c: RequestContext, _r: RemotingCommand| async move {
        Some(RemotingCommand::success().with_body(&b"running"[..]))
    });
    let c = RemotingClient::new(ClientConfig::default(), Dispatcher::new().processor(client_side));
    let resp =
        c.invoke(&s.local_addr().to_string(), RemotingCommand::request(RequestCode::HeartBeat), T).await.unwrap();
    assert_eq!(&resp.body[..], b"running");
    s.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_answers_requests_in_flight() {
    let s = server(Arc::new(AtomicUsize::new(0))).await;
    let addr = s.local_addr().to_string();
    let c = RemotingClient::default();
    let mut slow = req("in-flight");
    slow.ext_fields.insert("sleep".into(), "300".into());
    let call = tokio::spawn({
        let c = c.clone();
        let addr = addr.clone();
        async move { c.invoke(&addr, slow, T).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.shutdown().await;
    let resp = call.await.unwrap().unwrap();
    assert_eq!(&resp.body[..], b"in-flight");
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err(), "no longer accepting");
}

#[tokio::test]
async fn without_a_processor_every_code_is_not_supported() {
    let s = RemotingServer::bind("127.0.0.1:0", Dispatcher::new(), ServerConfig::default()).await.unwrap();
    let addr = s.local_addr().to_string();
    let c = RemotingClient::default();
    // A one-way request gets no answer and does not disturb the connection.
    c.invoke_oneway(&addr, req("fire")).await.unwrap();
    for (code, value) in
        [(RequestCode::PullMessage, 11), (RequestCode::SendMessage, 10), (RequestCode::Unknown(7777), 7777)]
    {
        let resp = c.invoke(&addr, RemotingCommand::request(code), T).await.unwrap();
        assert_eq!(resp.response_code(), ResponseCode::RequestCodeNotSupported);
        assert_eq!(resp.remark_str(), format!(" request type {value} not supported"));
        assert_eq!(resp.serialize_type, rmq_remoting::SerializeType::Json);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn a_dropped_or_timed_out_call_leaves_no_pending_entry() {
    let s = server(Arc::new(AtomicUsize::new(0))).await;
    let addr = s.local_addr().to_string();
    let c = RemotingClient::default();
    let ch = c.channel(&addr).await.unwrap();
    let slow = || {
        let mut r = req("slow");
        r.ext_fields.insert("sleep".into(), "1500".into());
        r
    };
    // The caller gives up first: the future is dropped mid-call.
    let dropped = tokio::time::timeout(Duration::from_millis(100), ch.invoke(slow(), T)).await;
    assert!(dropped.is_err(), "the outer timeout fired");
    assert_eq!(ch.pending_calls(), 0, "dropping the call removed its entry");
    // The call's own timeout.
    let timed_out = ch.invoke(slow(), Duration::from_millis(100)).await;
    assert!(matches!(timed_out, Err(RemotingError::Timeout { .. })), "{timed_out:?}");
    assert_eq!(ch.pending_calls(), 0);
    // While in flight, the entry is there; after the answer it is gone.
    let call = tokio::spawn({
        let ch = ch.clone();
        async move { ch.invoke(slow(), T).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(ch.pending_calls(), 1, "a call in flight has its entry");
    call.await.unwrap().unwrap();
    assert_eq!(ch.pending_calls(), 0);
    // The late replies of the dropped calls are discarded; the connection still works.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(&ch.invoke(req("after"), T).await.unwrap().body[..], b"after");
    s.shutdown().await;
}
