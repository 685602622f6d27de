//! The one place an answer becomes an HTTP response: a job's `Done` and `Failure`
//! (`outcome`) implement `IntoResponse` here, where a typed answer becomes its JSON and a
//! failure's kind its status, so a handler returns `R<Done<T>>` and `?` does the rest.

use crate::server::outcome::{Done, Failure};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

impl<T: serde::Serialize> IntoResponse for Done<T> {
    fn into_response(self) -> Response {
        let status = if self.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        match serde_json::to_string(&self.body) {
            Ok(text) => respond_text(status, text, self.replayed, None),
            Err(e) => Failure::internal(e.to_string()).into_response(),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        respond(status, &self.body, self.replayed, self.retry_after)
    }
}

pub fn respond(
    status: StatusCode,
    body: &serde_json::Value,
    replayed: bool,
    retry_after: Option<u64>,
) -> Response {
    respond_text(status, body.to_string(), replayed, retry_after)
}

fn respond_text(
    status: StatusCode,
    text: String,
    replayed: bool,
    retry_after: Option<u64>,
) -> Response {
    let mut res = (status, [(header::CONTENT_TYPE, "application/json")], text).into_response();
    if replayed {
        res.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    if let Some(secs) = retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    res
}
