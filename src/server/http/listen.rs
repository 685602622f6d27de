//! Accepting connections: hyper's HTTP/1 server with the limits a public billing API needs
//! (axum's `serve` sets no read timeout), and the middleware that gives every error answer,
//! including the ones axum and hyper produce themselves, the coded JSON body.

use super::respond::respond;
use crate::engine::error::Code;
use crate::server::outcome::Failure;
use crate::server::outcome::ServerCode;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use std::time::Duration;
use tower::ServiceExt;

/// A client has this long to send its request head (slowloris).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// ... and this long to send its body (`extract::body`).
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Request heads larger than this, or with more headers, get a coded 431.
pub const MAX_HEADER_BYTES: usize = 16 << 10;
pub const MAX_HEADERS: usize = 64;
/// hyper's own limits sit above ours, so that our coded 431 answers first.
const HYPER_MAX_HEADERS: usize = 512;
/// In-flight requests get this long to finish after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serve `app` on `listener` until Ctrl-C, then let in-flight requests finish.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> Result<(), String> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_headers(HYPER_MAX_HEADERS);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let (io, from) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            _ = &mut stop => break,
        };
        let app = app.clone();
        let svc =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(from));
                app.clone().oneshot(req.map(Body::new))
            });
        let conn = builder.serve_connection(TokioIo::new(io), svc).into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// Refuse oversized request heads with the coded 431 before any handler runs.
pub async fn limit_headers(req: Request, next: Next) -> Response {
    let h = req.headers();
    let bytes: usize = h.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if bytes > MAX_HEADER_BYTES || h.len() > MAX_HEADERS {
        return Failure::new(
            ServerCode::HeadersTooLarge,
            None,
            format!("send at most {MAX_HEADERS} headers and {MAX_HEADER_BYTES} bytes of them"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Every error answer is `{ "error": { code, message, field? } }`: what axum answers by
/// itself (an unknown method, a rejected extractor) is rewritten here with a stable code.
pub async fn coded_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || json {
        return res;
    }
    let code = match status {
        StatusCode::NOT_FOUND => ServerCode::NotFound.as_str(),
        StatusCode::METHOD_NOT_ALLOWED => ServerCode::MethodNotAllowed.as_str(),
        StatusCode::REQUEST_TIMEOUT => ServerCode::RequestTimeout.as_str(),
        StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge.as_str(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ServerCode::UnsupportedMediaType.as_str(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ServerCode::HeadersTooLarge.as_str(),
        s if s.is_server_error() => Code::Internal.as_str(),
        _ => ServerCode::InvalidRequest.as_str(),
    };
    let text = axum::body::to_bytes(res.into_body(), 4096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    respond(
        status,
        &crate::server::outcome::error_body(code, None, &text),
        false,
        None,
    )
}
