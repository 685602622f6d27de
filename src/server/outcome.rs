//! What a server job answers, with no HTTP in it: a document (`Done`) or a `Failure` of a
//! `Kind`, carrying the stable error code. The HTTP layer (`extract::respond`) turns a kind
//! into its status; the kinds and their statuses are CONTRACT's.

use crate::engine::error::Error;
use serde_json::{json, Value};

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request cannot be read: malformed JSON, a field of the wrong shape (400).
    Malformed,
    /// No valid credential (401).
    Unauthenticated,
    /// Nothing left to spend on an outbound call (402, seed 001).
    PaymentRequired,
    /// The credential lacks the scope or kind the route needs (403).
    Forbidden,
    /// No such account, payment or route (404).
    NotFound,
    /// The body did not arrive in time (408).
    Timeout,
    /// It exists already (409).
    Conflict,
    /// The body is too large (413).
    TooLarge,
    /// The body is not JSON (415).
    UnsupportedMediaType,
    /// Understood but not acceptable: the rules refuse it (422).
    Invalid,
    /// Too many failed attempts; wait (429).
    Throttled,
    /// The request's headers are too large (431).
    HeadersTooLarge,
    /// A bug: the job failed inside the server (500).
    Internal,
    /// The store cannot be reached now; retry (503).
    Unavailable,
}

const STATUSES: &[(Kind, u16)] = &[
    (Kind::Malformed, 400),
    (Kind::Unauthenticated, 401),
    (Kind::PaymentRequired, 402),
    (Kind::Forbidden, 403),
    (Kind::NotFound, 404),
    (Kind::Timeout, 408),
    (Kind::Conflict, 409),
    (Kind::TooLarge, 413),
    (Kind::UnsupportedMediaType, 415),
    (Kind::Invalid, 422),
    (Kind::Throttled, 429),
    (Kind::HeadersTooLarge, 431),
    (Kind::Internal, 500),
    (Kind::Unavailable, 503),
];

impl Kind {
    /// The status CONTRACT gives this kind (also how an idempotent answer is recorded).
    pub fn status(self) -> u16 {
        STATUSES
            .iter()
            .find(|(k, _)| *k == self)
            .map_or(500, |(_, s)| *s)
    }
    /// The kind a recorded status stands for.
    pub fn from_status(status: u16) -> Kind {
        STATUSES
            .iter()
            .find(|(_, s)| *s == status)
            .map_or(Kind::Internal, |(k, _)| *k)
    }
}

/// A job's answer: the document CONTRACT describes for the route.
#[derive(Debug, Clone)]
pub struct Done {
    pub body: Value,
    /// Something new was made (an account, a credential).
    pub created: bool,
    /// The answer was recorded under the request's idempotency key and is replayed.
    pub replayed: bool,
}

impl Done {
    pub fn ok(body: Value) -> Done {
        Done {
            body,
            created: false,
            replayed: false,
        }
    }
    /// A typed answer as the document it is sent as.
    pub fn json<T: serde::Serialize>(t: &T) -> R<Value> {
        serde_json::to_value(t)
            .map_err(|e| Failure::new(Kind::Internal, "internal", None, e.to_string()))
    }
    pub fn created(body: Value) -> Done {
        Done {
            created: true,
            ..Done::ok(body)
        }
    }
}

/// A failed request: its kind and its document (`{"error": ...}` with the stable code and
/// field, or a document of its own such as a validation report).
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: Kind,
    pub body: Value,
    /// Seconds a client should wait before trying again (on `Throttled`, `Unavailable`).
    pub retry_after: Option<u64>,
    pub replayed: bool,
}

pub type R<T> = std::result::Result<T, Failure>;

/// What a job answers the worker that ran it, whatever its own answer type (`http::jobs`
/// unboxes it); a failure rolls the job's writes back.
pub type Answer = R<Box<dyn std::any::Any + Send>>;

impl Failure {
    /// A failure with one of the server's own codes (`account_not_found`, `unauthorized`,
    /// ...); the engine's errors come through `from_error` with theirs.
    pub fn new(kind: Kind, code: &str, field: Option<&str>, message: impl Into<String>) -> Failure {
        Failure::with_body(kind, error_body(code, field, &message.into()))
    }
    pub fn from_error(kind: Kind, e: &Error) -> Failure {
        Failure::with_body(kind, json!({ "error": e }))
    }
    pub fn with_body(kind: Kind, body: Value) -> Failure {
        Failure {
            kind,
            body,
            retry_after: None,
            replayed: false,
        }
    }
    /// A core error: the input was understood but is not acceptable.
    pub fn invalid(e: Error) -> Failure {
        Failure::from_error(Kind::Invalid, &e)
    }
    /// The store failed; the client may retry in a second.
    pub fn unavailable(message: impl Into<String>) -> Failure {
        Failure::new(Kind::Unavailable, "store_unavailable", None, message).retry_after(1)
    }
    /// The failure of one part of a request: its field gains the part's path in front.
    pub fn within(mut self, prefix: &str) -> Failure {
        if let Some(e) = self.body.get_mut("error") {
            let field = match e.get("field").and_then(Value::as_str) {
                Some(f) => format!("{prefix}.{f}"),
                None => prefix.to_string(),
            };
            e["field"] = json!(field);
        }
        self
    }
    pub fn retry_after(mut self, seconds: u64) -> Failure {
        self.retry_after = Some(seconds);
        self
    }
}

/// The error document CONTRACT gives every failure: `{"error":{"code","message","field"}}`
/// (`field` left out when there is none), as `crate::engine::error::Error` serializes.
pub fn error_body(code: &str, field: Option<&str>, message: &str) -> Value {
    let mut e = json!({ "code": code, "message": message });
    if let Some(f) = field {
        e["field"] = json!(f);
    }
    json!({ "error": e })
}

/// A storage error as the job's failure.
pub fn store<T>(r: Result<T, String>) -> R<T> {
    r.map_err(|e| Failure::unavailable(format!("the store failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_status_and_back() {
        for (k, s) in STATUSES {
            assert_eq!((k.status(), Kind::from_status(*s)), (*s, *k));
        }
        assert_eq!(Kind::from_status(418), Kind::Internal);
    }
}
