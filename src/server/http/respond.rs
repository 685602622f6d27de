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
        match serde_json::to_string(&self.doc) {
            Ok(text) => respond_text(status, text, self.replayed, self.retry_after),
            // Nothing in a failure's document can fail to serialize; say so if it ever does.
            Err(e) => respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                &crate::server::outcome::error_body("internal", None, &e.to_string()),
                false,
                None,
            ),
        }
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
