//! The HTTP side: routes, binding the port, serving, and the start of the sampler.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::history::run_sampler;
use crate::state::Console;
use crate::{actions, html, pages, ConsoleConfig, ConsoleError};

/// The routes.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(pages::cluster::page))
        .route("/topics", get(pages::topics::list))
        .route("/topic", get(pages::topics::detail))
        .route("/topic/create", post(actions::create_topic))
        .route("/topic/delete", post(actions::delete_topic))
        .route("/groups", get(pages::groups::list))
        .route("/group", get(pages::groups::detail))
        .route("/group/reset", post(actions::reset_offset))
        .route("/messages", get(pages::messages::query))
        .route("/message", get(pages::messages::detail))
        .route("/message/resend", post(actions::resend))
        .route("/trace", get(pages::messages::trace))
        .route("/charts", get(pages::charts::page))
        .route("/static/app.css", get(|| async { asset("text/css", html::CSS) }))
        .route("/static/app.js", get(|| async { asset("text/javascript", html::JS) }))
        .route("/healthz", get(|| async { "ok" }))
        .layer(from_fn(same_origin))
        .with_state(console)
}

/// Refuses a POST that a browser sent from another site's page (its `Origin` names another
/// host than the one it asks), so a page elsewhere cannot drive an admin console.
async fn same_origin(req: Request, next: Next) -> Response {
    if req.method() == Method::POST && !origin_matches(req.headers()) {
        return (StatusCode::FORBIDDEN, "Refused: a form from another site").into_response();
    }
    next.run(req).await
}

/// No `Origin` (not a browser) or one whose `host:port` is the request's `Host`.
fn origin_matches(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    match text(header::ORIGIN) {
        None => true,
        Some(origin) => origin.split_once("://").map(|(_, host)| host) == text(header::HOST),
    }
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "max-age=3600")], body).into_response()
}

/// Binds the console's port (`listenAddress:listenPort`).
pub async fn bind(config: &ConsoleConfig) -> Result<TcpListener, ConsoleError> {
    let addr = format!("{}:{}", config.listen_address, config.listen_port);
    TcpListener::bind(&addr).await.map_err(|source| ConsoleError::Bind { addr, source })
}

/// Serves the console on `listener` until the process ends; samples the charts meanwhile.
pub async fn serve(console: Console, listener: TcpListener) -> Result<(), ConsoleError> {
    let console = Arc::new(console);
    let sampler = tokio::spawn(run_sampler(
        Arc::clone(&console.admin),
        Arc::clone(&console.history),
        console.config.sample_interval,
    ));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, admin = console.config.admin, "console listening");
    }
    let served = axum::serve(listener, router(console)).await.map_err(ConsoleError::Serve);
    sampler.abort();
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.clone(), header::HeaderValue::from_str(v).unwrap())).collect()
    }

    #[test]
    fn forms_from_other_sites_are_refused() {
        assert!(origin_matches(&headers(&[(header::HOST, "127.0.0.1:8080")])));
        let same = [(header::HOST, "127.0.0.1:8080"), (header::ORIGIN, "http://127.0.0.1:8080")];
        assert!(origin_matches(&headers(&same)));
        let other = [(header::HOST, "127.0.0.1:8080"), (header::ORIGIN, "https://evil.example")];
        assert!(!origin_matches(&headers(&other)));
        assert!(!origin_matches(&headers(&[(header::HOST, "127.0.0.1:8080"), (header::ORIGIN, "null")])));
    }
}
