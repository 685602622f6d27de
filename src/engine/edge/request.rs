//! A platform request read as the server reads it (`call_body`): the same refusals with the
//! same codes, fields and statuses, so an end the edge accepted is one the server accepts.

use super::*;

/// The status of an error the reader gives: 413 for a body over the limit, 422 for an `at`
/// off the clock, 400 for everything else a reader refuses (the server's `Malformed`).
pub fn error_status(code: Code) -> u16 {
    match code {
        Code::PayloadTooLarge => 413,
        Code::AtOutOfWindow => 422,
        _ => 400,
    }
}

type Refusal = (u16, Error);

fn refuse(e: Error) -> Refusal {
    (error_status(e.code), e)
}

/// The route and body of `req`, read; `now` is the edge's clock, `skew` the live skew.
pub(super) fn read(
    req: &PlatformRequest,
    skew: u64,
    now: Instant,
) -> std::result::Result<Op, Refusal> {
    let skew = i64::try_from(skew).unwrap_or(i64::MAX);
    let live = |at: Option<Instant>| call_body::live_at(at, now, skew, "at").map_err(refuse);
    let path = req.path.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let not_found = || {
        (
            404,
            Error::new(Code::UnknownOp, None, format!("no route {path}")),
        )
    };
    let op = match (req.method.as_str(), parts.as_slice()) {
        ("GET", ["edge", "state"]) => Op::State,
        ("POST", ["edge", "release"]) => Op::Release,
        ("POST", ["calls", "authorize"]) => {
            let c = authorize_body(&req.body, now)?;
            live(Some(c.at))?;
            Op::Authorize(CallRequest { at: now, ..c })
        }
        ("POST", ["calls"]) => {
            let b: StartBody = call_body::read(body_text(&req.body)).map_err(refuse)?;
            call_body::check_id(&b.id, "id").map_err(refuse)?;
            live(b.at)?;
            Op::Start(b)
        }
        ("POST", ["calls", id, "extend"]) => {
            let id = path_id(id)?;
            let b: ExtendBody = call_body::read(body_text(&req.body)).map_err(refuse)?;
            live(b.at)?;
            Op::Extend(id, b)
        }
        ("POST", ["calls", id, "end"]) => {
            let id = path_id(id)?;
            let b: EndBody = call_body::read(body_text(&req.body)).map_err(refuse)?;
            live(b.at)?;
            Op::End(id, b)
        }
        _ => return Err(not_found()),
    };
    Ok(op)
}

/// An empty body reads as `{}` (the server's extractor insists on JSON; the edge's shell
/// passes what came).
fn body_text(body: &str) -> &str {
    if body.trim().is_empty() {
        "{}"
    } else {
        body
    }
}

/// The pre-call check's call, read as the server reads it: `{ "call": {...} }` or the call
/// itself, a call without `at` being about a call starting now.
fn authorize_body(text: &str, now: Instant) -> std::result::Result<CallRequest, Refusal> {
    let mut v: Value = call_body::read(body_text(text)).map_err(refuse)?;
    let wrapped = v
        .as_object()
        .is_some_and(|m| m.len() == 1 && m.contains_key("call"));
    let (mut call, field) = if wrapped {
        (v["call"].take(), Some("call"))
    } else {
        (v, None)
    };
    if let Some(m) = call.as_object_mut() {
        m.entry("at").or_insert_with(|| json!(now));
    }
    crate::engine::pathde::parse(&call)
        .map_err(|e| refuse(field.map_or(e.clone(), |f| e.within(f))))
}

/// A call id from the path: percent-decoded UTF-8, then the id rules.
fn path_id(raw: &str) -> std::result::Result<String, Refusal> {
    let bad = || {
        refuse(Error::at(
            Code::InvalidId,
            "id",
            "the call id in the path is not percent-encoded UTF-8",
        ))
    };
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let id = String::from_utf8(out).map_err(|_| bad())?;
    call_body::check_id(&id, "id").map_err(refuse)?;
    Ok(id)
}

/// A path segment percent-encoded (RFC 3986 unreserved characters kept).
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
