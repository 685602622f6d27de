//! What a server job answers, with no HTTP in it: a document (`Done`) or a `Failure` of a
//! `Kind`, carrying the stable error code. The HTTP layer (`extract::respond`) turns a kind
//! into its status; the kinds and their statuses are CONTRACT's.

use crate::engine::error::{Code, Error};
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
    /// The route exists, not with this method (405).
    MethodNotAllowed,
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

pub const STATUSES: &[(Kind, u16)] = &[
    (Kind::Malformed, 400),
    (Kind::Unauthenticated, 401),
    (Kind::PaymentRequired, 402),
    (Kind::Forbidden, 403),
    (Kind::NotFound, 404),
    (Kind::MethodNotAllowed, 405),
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

/// The server's own failure codes, beside the engine's (`error::Code`): together they are
/// every `error.code` the API answers (`docs/openapi.json`'s `ErrorCode`, the package's
/// `ServerErrorCode`; `tests/server_codes.rs` holds the three in step). Each has one kind,
/// so one status (`kind`, the only place it is decided).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCode {
    /// An account with this id exists.
    AccountExists,
    /// No such account.
    AccountNotFound,
    /// A refund of credits already spent or expired.
    CreditsSpent,
    /// The write would leave the account past the engine's bounds.
    AmountOutOfRange,
    /// The call has ended.
    CallEnded,
    /// The route needs a dashboard session, not an API key.
    DashboardSessionRequired,
    /// A usage id was recorded before with another event.
    DuplicateUsage,
    /// The request's headers are too large.
    HeadersTooLarge,
    /// The route needs an `Idempotency-Key`.
    IdempotencyKeyRequired,
    /// The key was used with another body.
    IdempotencyKeyReused,
    /// The key lacks the route's scope.
    InsufficientScope,
    /// The body is not the JSON the route reads.
    InvalidBody,
    /// A date is not `YYYY-MM-DD`.
    InvalidDate,
    /// A date range is reversed or too long.
    InvalidDateRange,
    /// The query string is not the one the route reads.
    InvalidQuery,
    /// The request cannot be read.
    InvalidRequest,
    /// A lease's time to live is out of range.
    InvalidTtl,
    /// The webhook URL is not one the server will call.
    InvalidWebhookUrl,
    /// No such invoice.
    InvoiceNotFound,
    /// The route does not take this method.
    MethodNotAllowed,
    /// The payment has no numbered invoice to credit.
    NoInvoice,
    /// The OS gave no randomness.
    NoRandomness,
    /// No such route.
    NotFound,
    /// A plan fee cancelled when the plan changed can no longer settle.
    PaymentCancelled,
    /// The provider declined the card being saved.
    CardDeclined,
    /// Auto-recharge charges this payment method: choose another first, or turn it off.
    PaymentMethodInUse,
    /// No such saved payment method (or card setup) on the account.
    PaymentMethodNotFound,
    /// No such payment.
    PaymentNotFound,
    /// Only a pending payment can fail.
    PaymentNotPending,
    /// Only a settled payment can be refunded.
    PaymentNotSettled,
    /// The request did not arrive in time.
    RequestTimeout,
    /// The store cannot be reached now.
    StoreUnavailable,
    /// The server has no seller VAT details.
    TaxNotConfigured,
    /// Too many failed admin attempts.
    TooManyAttempts,
    /// More items than the route takes.
    TooManyItems,
    /// No valid credential.
    Unauthorized,
    /// No such plan.
    UnknownPlan,
    /// A rate card version in effect cannot be cancelled.
    VersionInEffect,
    /// No such rate card version.
    VersionNotFound,
    /// The body is not JSON.
    UnsupportedMediaType,
}

impl ServerCode {
    pub const ALL: &'static [ServerCode] = &[
        ServerCode::AccountExists,
        ServerCode::AccountNotFound,
        ServerCode::CreditsSpent,
        ServerCode::AmountOutOfRange,
        ServerCode::CallEnded,
        ServerCode::DashboardSessionRequired,
        ServerCode::DuplicateUsage,
        ServerCode::HeadersTooLarge,
        ServerCode::IdempotencyKeyRequired,
        ServerCode::IdempotencyKeyReused,
        ServerCode::InsufficientScope,
        ServerCode::InvalidBody,
        ServerCode::InvalidDate,
        ServerCode::InvalidDateRange,
        ServerCode::InvalidQuery,
        ServerCode::InvalidRequest,
        ServerCode::InvalidTtl,
        ServerCode::InvalidWebhookUrl,
        ServerCode::InvoiceNotFound,
        ServerCode::MethodNotAllowed,
        ServerCode::NoInvoice,
        ServerCode::NoRandomness,
        ServerCode::NotFound,
        ServerCode::PaymentCancelled,
        ServerCode::CardDeclined,
        ServerCode::PaymentMethodInUse,
        ServerCode::PaymentMethodNotFound,
        ServerCode::PaymentNotFound,
        ServerCode::PaymentNotPending,
        ServerCode::PaymentNotSettled,
        ServerCode::RequestTimeout,
        ServerCode::StoreUnavailable,
        ServerCode::TaxNotConfigured,
        ServerCode::TooManyAttempts,
        ServerCode::TooManyItems,
        ServerCode::Unauthorized,
        ServerCode::UnknownPlan,
        ServerCode::UnsupportedMediaType,
        ServerCode::VersionInEffect,
        ServerCode::VersionNotFound,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServerCode::AccountExists => "account_exists",
            ServerCode::AccountNotFound => "account_not_found",
            ServerCode::CreditsSpent => "credits_spent",
            ServerCode::AmountOutOfRange => "amount_out_of_range",
            ServerCode::CallEnded => "call_ended",
            ServerCode::DashboardSessionRequired => "dashboard_session_required",
            ServerCode::DuplicateUsage => "duplicate_usage",
            ServerCode::HeadersTooLarge => "headers_too_large",
            ServerCode::IdempotencyKeyRequired => "idempotency_key_required",
            ServerCode::IdempotencyKeyReused => "idempotency_key_reused",
            ServerCode::InsufficientScope => "insufficient_scope",
            ServerCode::InvalidBody => "invalid_body",
            ServerCode::InvalidDate => "invalid_date",
            ServerCode::InvalidDateRange => "invalid_date_range",
            ServerCode::InvalidQuery => "invalid_query",
            ServerCode::InvalidRequest => "invalid_request",
            ServerCode::InvalidTtl => "invalid_ttl",
            ServerCode::InvalidWebhookUrl => "invalid_webhook_url",
            ServerCode::InvoiceNotFound => "invoice_not_found",
            ServerCode::MethodNotAllowed => "method_not_allowed",
            ServerCode::NoInvoice => "no_invoice",
            ServerCode::NoRandomness => "no_randomness",
            ServerCode::NotFound => "not_found",
            ServerCode::PaymentCancelled => "payment_cancelled",
            ServerCode::CardDeclined => "card_declined",
            ServerCode::PaymentMethodInUse => "payment_method_in_use",
            ServerCode::PaymentMethodNotFound => "payment_method_not_found",
            ServerCode::PaymentNotFound => "payment_not_found",
            ServerCode::PaymentNotPending => "payment_not_pending",
            ServerCode::PaymentNotSettled => "payment_not_settled",
            ServerCode::RequestTimeout => "request_timeout",
            ServerCode::StoreUnavailable => "store_unavailable",
            ServerCode::TaxNotConfigured => "tax_not_configured",
            ServerCode::TooManyAttempts => "too_many_attempts",
            ServerCode::TooManyItems => "too_many_items",
            ServerCode::Unauthorized => "unauthorized",
            ServerCode::UnknownPlan => "unknown_plan",
            ServerCode::UnsupportedMediaType => "unsupported_media_type",
            ServerCode::VersionInEffect => "version_in_effect",
            ServerCode::VersionNotFound => "version_not_found",
        }
    }
    /// Why a request with this code failed, hence its status.
    pub fn kind(self) -> Kind {
        match self {
            ServerCode::AccountExists => Kind::Conflict,
            ServerCode::AccountNotFound => Kind::NotFound,
            ServerCode::CreditsSpent => Kind::Conflict,
            ServerCode::AmountOutOfRange => Kind::Invalid,
            ServerCode::CallEnded => Kind::Conflict,
            ServerCode::DashboardSessionRequired => Kind::Forbidden,
            ServerCode::DuplicateUsage => Kind::Conflict,
            ServerCode::HeadersTooLarge => Kind::HeadersTooLarge,
            ServerCode::IdempotencyKeyRequired => Kind::Malformed,
            ServerCode::IdempotencyKeyReused => Kind::Invalid,
            ServerCode::InsufficientScope => Kind::Forbidden,
            ServerCode::InvalidBody => Kind::Malformed,
            ServerCode::InvalidDate => Kind::Malformed,
            ServerCode::InvalidDateRange => Kind::Malformed,
            ServerCode::InvalidQuery => Kind::Malformed,
            ServerCode::InvalidRequest => Kind::Malformed,
            ServerCode::InvalidTtl => Kind::Invalid,
            ServerCode::InvalidWebhookUrl => Kind::Invalid,
            ServerCode::InvoiceNotFound => Kind::NotFound,
            ServerCode::MethodNotAllowed => Kind::MethodNotAllowed,
            ServerCode::NoInvoice => Kind::Conflict,
            ServerCode::NoRandomness => Kind::Unavailable,
            ServerCode::NotFound => Kind::NotFound,
            ServerCode::PaymentCancelled => Kind::Conflict,
            ServerCode::CardDeclined => Kind::Invalid,
            ServerCode::PaymentMethodInUse => Kind::Conflict,
            ServerCode::PaymentMethodNotFound => Kind::NotFound,
            ServerCode::PaymentNotFound => Kind::NotFound,
            ServerCode::PaymentNotPending => Kind::Conflict,
            ServerCode::PaymentNotSettled => Kind::Conflict,
            ServerCode::RequestTimeout => Kind::Timeout,
            ServerCode::StoreUnavailable => Kind::Unavailable,
            ServerCode::TaxNotConfigured => Kind::Conflict,
            ServerCode::TooManyAttempts => Kind::Throttled,
            ServerCode::TooManyItems => Kind::Invalid,
            ServerCode::Unauthorized => Kind::Unauthenticated,
            ServerCode::UnknownPlan => Kind::Invalid,
            ServerCode::UnsupportedMediaType => Kind::UnsupportedMediaType,
            ServerCode::VersionInEffect => Kind::Conflict,
            ServerCode::VersionNotFound => Kind::NotFound,
        }
    }
}

/// Every engine code a server answer may carry besides `ServerCode`, with the kinds the
/// server gives it: unreadable input is `Malformed`, input the rules refuse is `Invalid`.
pub fn engine_kind(code: Code, reading: bool) -> Kind {
    match code {
        Code::UnknownCall => Kind::NotFound,
        Code::StaleRequest => Kind::Conflict,
        Code::PayloadTooLarge => Kind::TooLarge,
        Code::Internal | Code::ArithmeticOverflow => Kind::Internal,
        _ if reading => Kind::Malformed,
        _ => Kind::Invalid,
    }
}

/// A job's answer: the document CONTRACT describes for the route, as its own type `T`
/// (serialized only where it becomes a response, `http::respond`); `Value` where the answer
/// is one recorded for idempotent replay.
#[derive(Debug, Clone)]
pub struct Done<T = Value> {
    pub body: T,
    /// Something new was made (an account, a credential).
    pub created: bool,
    /// The answer was recorded under the request's idempotency key and is replayed.
    pub replayed: bool,
}

impl<T> Done<T> {
    pub fn ok(body: T) -> Done<T> {
        Done {
            body,
            created: false,
            replayed: false,
        }
    }
    pub fn created(body: T) -> Done<T> {
        Done {
            created: true,
            ..Done::ok(body)
        }
    }
}

impl Done {
    /// A typed answer as the document it is recorded as.
    pub fn json<T: serde::Serialize>(t: &T) -> R<Value> {
        serde_json::to_value(t).map_err(|e| Failure::internal(e.to_string()))
    }
}

/// A failed request: its kind and its document, made into JSON only where it becomes a
/// response (`http::respond`).
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: Kind,
    pub doc: FailureDoc,
    /// Seconds a client should wait before trying again (on `Throttled`, `Unavailable`).
    pub retry_after: Option<u64>,
    pub replayed: bool,
}

/// What a failure answers: the stable `{"error": {code, message, field}}`, or a document of
/// its own (a validation report, a refused grant with its authorization, an answer recorded
/// before failures were told apart).
#[derive(Debug, Clone)]
pub enum FailureDoc {
    Error(ErrorDoc),
    Own(Value),
}

/// The `error` of a failure's document: the stable code, the field it concerns, the words.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ErrorDoc {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl serde::Serialize for FailureDoc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Wrapped<'a> {
            error: &'a ErrorDoc,
        }
        match self {
            FailureDoc::Error(error) => Wrapped { error }.serialize(s),
            FailureDoc::Own(v) => v.serialize(s),
        }
    }
}

pub type R<T> = std::result::Result<T, Failure>;

/// What a job answers the worker that ran it, whatever its own answer type (`http::jobs`
/// unboxes it); a failure rolls the job's writes back.
pub type Answer = R<Box<dyn std::any::Any + Send>>;

impl Failure {
    /// A failure with one of the server's own codes, at the status its kind gives it.
    pub fn new(code: ServerCode, field: Option<&str>, message: impl Into<String>) -> Failure {
        Failure::coded(code.kind(), code.as_str(), field, message.into())
    }
    /// A failure with one of the engine's codes, of the kind the request's phase gives it.
    pub fn engine(
        kind: Kind,
        code: Code,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Failure {
        Failure::coded(kind, code.as_str(), field, message.into())
    }
    pub fn from_error(kind: Kind, e: &Error) -> Failure {
        Failure::coded(kind, e.code.as_str(), e.field.as_deref(), e.message.clone())
    }
    fn coded(kind: Kind, code: &str, field: Option<&str>, message: String) -> Failure {
        let error = ErrorDoc {
            code: code.to_string(),
            message,
            field: field.map(str::to_string),
        };
        Failure {
            kind,
            doc: FailureDoc::Error(error),
            retry_after: None,
            replayed: false,
        }
    }
    /// A failure whose document is its own (see `FailureDoc::Own`).
    pub fn with_body(kind: Kind, body: Value) -> Failure {
        Failure {
            kind,
            doc: FailureDoc::Own(body),
            retry_after: None,
            replayed: false,
        }
    }
    /// A bug: something the server made could not be handled (its message says what).
    pub fn internal(message: impl Into<String>) -> Failure {
        Failure::engine(Kind::Internal, Code::Internal, None, message)
    }
    /// A core error: the input was understood but is not acceptable.
    pub fn invalid(e: Error) -> Failure {
        Failure::from_error(Kind::Invalid, &e)
    }
    /// The store failed; the client may retry in a second.
    pub fn unavailable(message: impl Into<String>) -> Failure {
        Failure::new(ServerCode::StoreUnavailable, None, message).retry_after(1)
    }
    /// The failure of one part of a request: its field gains the part's path in front.
    pub fn within(mut self, prefix: &str) -> Failure {
        if let FailureDoc::Error(e) = &mut self.doc {
            e.field = Some(match &e.field {
                Some(f) => format!("{prefix}.{f}"),
                None => prefix.to_string(),
            });
        }
        self
    }
    pub fn retry_after(mut self, seconds: u64) -> Failure {
        self.retry_after = Some(seconds);
        self
    }
    /// What went wrong, in words (the error's message, or its document).
    pub fn message(&self) -> String {
        match &self.doc {
            FailureDoc::Error(e) => e.message.clone(),
            FailureDoc::Own(v) => v.to_string(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match &self.doc {
            FailureDoc::Error(e) => write!(f, "{}: {}", e.code, e.message),
            FailureDoc::Own(v) => write!(f, "{v}"),
        }
    }
}

/// The error document CONTRACT gives every failure: `{"error":{"code","message","field"}}`
/// (`field` left out when there is none), for the few answers made before a job runs.
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
