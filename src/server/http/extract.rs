//! What a handler needs from a request, as axum extractors: the caller (`Caller`), the
//! admin token (`Admin`), the `Idempotency-Key` and the JSON body (`JsonBody`), each
//! refusing with the coded error document (`respond`).

use super::listen;
use super::state::Shared;
use crate::engine::error::Code;
use crate::server::books::auth::{self, Caller};
use crate::server::clock::now;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{Failure, Kind, R};
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// Largest request body accepted (a batch of 1,000 usage events fits comfortably).
pub const MAX_BODY: usize = crate::engine::call_body::MAX_BODY;
/// How much of an oversized body is read (and dropped) before answering 413.
const MAX_DRAIN: usize = 16 << 20;
/// The longest idempotency key (bytes).
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

impl FromRequestParts<Shared> for Caller {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> R<Caller> {
        caller(st, &parts.headers).await
    }
}

/// The admin token was presented (and the caller's address is not throttled).
pub struct Admin;

impl FromRequestParts<Shared> for Admin {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> R<Admin> {
        let from = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |c| c.0.ip());
        admin(st, &parts.headers, from)?;
        Ok(Admin)
    }
}

/// The request's `Idempotency-Key` (1 to 255 bytes), required on deductions and credits.
pub struct IdempotencyKey(pub String);

impl FromRequestParts<Shared> for IdempotencyKey {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, _: &Shared) -> R<IdempotencyKey> {
        idempotency_key(&parts.headers).map(IdempotencyKey)
    }
}

/// A JSON body parsed into the contract's types, and the SHA-256 of its text (what an
/// idempotency key is bound to).
pub struct JsonBody<T>(pub T, pub String);

impl<T: serde::de::DeserializeOwned> FromRequest<Shared> for JsonBody<T> {
    type Rejection = Failure;
    async fn from_request(req: Request, _: &Shared) -> R<JsonBody<T>> {
        let (parts, b) = req.into_parts();
        let (v, hash) = body(&parts.headers, b).await?;
        Ok(JsonBody(v, hash))
    }
}

/// A credential as presented: the `Authorization` scheme must match its kind (`Bearer` API
/// keys and the admin token, `Session` dashboard sessions); the `dd_session` cookie is a
/// session.
#[derive(Debug, Clone, PartialEq)]
enum Presented {
    Bearer(String),
    Session(String),
}

fn presented(headers: &HeaderMap) -> R<Presented> {
    let unauthorized = |m: &str| Failure::new(ServerCode::Unauthorized, None, m);
    if let Some(h) = headers.get(header::AUTHORIZATION) {
        let h = h
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not text"))?;
        let (scheme, token) = h.split_once(' ').unwrap_or((h, ""));
        let token = token.trim().to_string();
        return match scheme {
            _ if token.is_empty() => {
                Err(unauthorized("the Authorization header has no credential"))
            }
            "Bearer" => Ok(Presented::Bearer(token)),
            "Session" => Ok(Presented::Session(token)),
            _ => Err(unauthorized(
                "use `Authorization: Bearer <API key>` or `Authorization: Session <token>`",
            )),
        };
    }
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.split(';')
                .filter_map(|c| c.trim().split_once('='))
                .find(|(k, _)| *k == "dd_session")
                .map(|(_, v)| v.to_string())
        });
    cookie.map(Presented::Session).ok_or_else(|| {
        unauthorized("send `Authorization: Bearer <API key>` or a dashboard session")
    })
}

async fn caller(st: &Shared, headers: &HeaderMap) -> R<Caller> {
    let p = presented(headers)?;
    let (Presented::Bearer(token) | Presented::Session(token)) = &p;
    let unknown = || Failure::new(ServerCode::Unauthorized, None, "unknown API key or session");
    if token.len() > 200 {
        return Err(unknown());
    }
    let h = auth::hash(token);
    let cached = st.callers.read().ok().and_then(|m| m.get(&h).cloned());
    let c = match cached {
        Some(c) => c,
        None => {
            let c = lookup(st, token.clone()).await?;
            if let Ok(mut m) = st.callers.write() {
                m.insert(h, c.clone());
            }
            c
        }
    };
    match (&p, c.session) {
        (Presented::Bearer(_), true) => Err(Failure::new(
            ServerCode::Unauthorized,
            None,
            "a dashboard session goes under `Authorization: Session <token>`, not `Bearer`",
        )),
        (Presented::Session(_), false) => Err(Failure::new(
            ServerCode::Unauthorized,
            None,
            "an API key goes under `Authorization: Bearer <key>`, not `Session`",
        )),
        _ => Ok(c),
    }
}

async fn lookup(st: &Shared, token: String) -> R<Caller> {
    super::jobs::read(st, move |db| auth::lookup(db, &token)).await
}

/// The admin token, as `Authorization: Bearer`. Failed attempts are throttled per client
/// address (`auth::Throttle`), so the token cannot be guessed at network speed.
fn admin(st: &Shared, headers: &HeaderMap, from: std::net::IpAddr) -> R<()> {
    st.admin_throttle.check(from, now())?;
    match (&st.config.admin_token, presented(headers)) {
        (Some(want), Ok(Presented::Bearer(got))) if auth::hash(want) == auth::hash(&got) => Ok(()),
        _ => {
            st.admin_throttle.failed(from, now());
            Err(Failure::new(
                ServerCode::Unauthorized,
                None,
                "this route needs the admin token",
            ))
        }
    }
}

/// Read a JSON body: size-limited, JSON only, parsed into the contract's types with the
/// core's coded errors (`invalid_json`, `unknown_field`, `invalid_decimal`, ...).
async fn body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, b: Body) -> R<(T, String)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Read up to MAX_BODY; past it, keep draining (up to MAX_DRAIN) so the client, still
    // sending, gets the coded 413 rather than a reset connection. A body refused for its
    // media type is read too: a request whose body is left unread ends its connection, and a
    // client that already reused that connection for its next request would see it cut.
    use futures_util::StreamExt;
    let mut stream = b.into_data_stream();
    let (mut bytes, mut total) = (Vec::new(), 0usize);
    let read = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| {
                Failure::new(ServerCode::InvalidBody, None, "the body could not be read")
            })?;
            total += chunk.len();
            if total <= MAX_BODY {
                bytes.extend_from_slice(&chunk);
            } else if total > MAX_DRAIN {
                break;
            }
        }
        Ok(())
    };
    tokio::time::timeout(listen::BODY_READ_TIMEOUT, read)
        .await
        .map_err(|_| {
            Failure::new(
                ServerCode::RequestTimeout,
                None,
                "the body did not arrive in time",
            )
        })??;
    if !is_json(ct) {
        return Err(Failure::new(
            ServerCode::UnsupportedMediaType,
            None,
            "send the body as application/json",
        ));
    }
    if total > MAX_BODY {
        return Err(Failure::engine(
            Kind::TooLarge,
            Code::PayloadTooLarge,
            None,
            format!("the body is over {MAX_BODY} bytes"),
        ));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Failure::engine(
            Kind::Malformed,
            Code::InvalidJson,
            None,
            "the body is not UTF-8",
        )
    })?;
    // The reader the edge runs too (`call_body::read`): the same refusals, codes and fields.
    let v = crate::engine::call_body::read::<T>(text)
        .map_err(|e| Failure::from_error(Kind::Malformed, &e))?;
    Ok((v, auth::hash(text)))
}

/// `application/json`, optionally with parameters (`; charset=utf-8`), and nothing else
/// (not `application/jsonp`).
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

fn idempotency_key(headers: &HeaderMap) -> R<String> {
    let k = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if k.is_empty() || k.len() > MAX_IDEMPOTENCY_KEY {
        return Err(Failure::new(
            ServerCode::IdempotencyKeyRequired,
            Some("Idempotency-Key"),
            "deductions and credits need an Idempotency-Key header (1 to 255 characters)",
        ));
    }
    Ok(k.to_string())
}

/// A query string parsed into `T`, or the coded 400 `invalid_query`.
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Query(q.0))
            .map_err(|e| {
                Failure::new(ServerCode::InvalidQuery, None, e.body_text()).into_response()
            })
    }
}
