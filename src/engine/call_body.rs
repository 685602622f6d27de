//! The live-call routes' request bodies (CONTRACT: `POST /calls`, `/calls/{id}/extend`,
//! `/calls/{id}/end`) and the one reader both runtimes that grant use on them: the server's
//! handlers and the edge's state machine (`edge.rs`). SEMANTICS 12: an end the edge accepted
//! is one the server accepts, so both refuse the same inputs with the same codes and fields.

use crate::engine::amount::Seconds;
use crate::engine::calendar::Instant;
use crate::engine::error::{Code, Error, Result};
use crate::engine::lease::LeaseUsage;
use crate::engine::model::{CallDirection, PassThrough, Transfer};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The largest request body either runtime reads (a batch of 1,000 usage events fits).
pub const MAX_BODY: usize = 1 << 20;
/// Ids (of calls, usage, leases) are 1 to this many bytes without control characters.
pub const MAX_ID: usize = 255;
/// How far a live-call request's `at` may differ from the runtime's clock when no setting
/// says otherwise (SEMANTICS 11 "Whose clock").
pub const DEFAULT_LIVE_SKEW_SECONDS: i64 = 5;

/// `POST /calls`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartBody {
    pub id: String,
    pub direction: CallDirection,
    #[serde(default)]
    pub toll_free: bool,
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The toll-free number an inbound call rings (SEMANTICS 18).
    #[serde(default)]
    pub number_id: Option<String>,
    #[serde(default)]
    pub at: Option<Instant>,
    #[serde(default)]
    pub quota_seconds: Option<Seconds>,
    #[serde(default)]
    pub requested_max_seconds: Option<Seconds>,
}

/// `POST /calls/{id}/extend`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtendBody {
    #[serde(default)]
    pub at: Option<Instant>,
    #[serde(default)]
    pub quota_seconds: Option<Seconds>,
}

/// `POST /calls/{id}/end`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndBody {
    #[serde(default)]
    pub at: Option<Instant>,
    pub connected_seconds: Seconds,
    #[serde(default)]
    pub transfer: Option<Transfer>,
    #[serde(default)]
    pub carrier_pass_through: Vec<PassThrough>,
    /// For a call the runtime never saw start: what it was.
    #[serde(default)]
    pub direction: Option<CallDirection>,
    #[serde(default)]
    pub toll_free: Option<bool>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub number_id: Option<String>,
    #[serde(default)]
    pub started_at: Option<Instant>,
    /// The lease the call was granted under at an edge (SEMANTICS 12), and what the edge's
    /// own bill took from it (`leaseUsage`, required with `leaseId`): the lease gives that up.
    #[serde(default)]
    pub lease_id: Option<String>,
    #[serde(default)]
    pub lease_usage: Option<LeaseUsage>,
}

/// An ended call as an edge reports it (`PUT /leases/{id}`'s `ended`): everything the
/// server needs to bill a call it never saw start, and what the edge's own bill of it took
/// from the lease, pool by pool.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndedCall {
    pub id: String,
    pub connected_seconds: Seconds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carrier_pass_through: Vec<PassThrough>,
    pub direction: CallDirection,
    #[serde(default)]
    pub toll_free: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The toll-free number an inbound call rang (SEMANTICS 18's per-number limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_id: Option<String>,
    pub started_at: Instant,
    pub lease_usage: LeaseUsage,
}

/// A request body as both runtimes read it: at most `MAX_BODY` bytes of JSON, the
/// contract's type (`invalid_json`, `unknown_field`, `invalid_decimal`, ... with the field),
/// and no text a store cannot hold (`invalid_text`, or `invalid_id` for an id).
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T> {
    if text.len() > MAX_BODY {
        return Err(Error::new(
            Code::PayloadTooLarge,
            None,
            format!("the body is over {MAX_BODY} bytes"),
        ));
    }
    let v = crate::engine::pathde::parse_text::<T>(text)?;
    // Every body is an object (`null` would read as a struct of defaults).
    if !text.trim_start().starts_with('{') {
        return Err(Error::new(
            Code::InvalidType,
            None,
            "the body is a JSON object",
        ));
    }
    if let Some(field) = unstorable_text(text) {
        // An id keeps the code every id check answers (`invalid_id`: no control characters).
        let code = if field == "id" || field.ends_with(".id") {
            Code::InvalidId
        } else {
            Code::InvalidText
        };
        return Err(Error::at(
            code,
            &field,
            "text may not contain U+0000 (NUL): the store cannot hold it",
        ));
    }
    Ok(v)
}

/// The id rule every stored id follows (calls, usage, leases): 1 to `MAX_ID` bytes, no
/// control characters (a NUL cannot be stored).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && !id.chars().any(char::is_control)
}

/// A call's id (in the path or a body): 1 to `MAX_ID` bytes without control characters.
pub fn check_id(id: &str, field: &str) -> Result<()> {
    if !valid_id(id) {
        return Err(Error::at(
            Code::InvalidId,
            field,
            format!("call ids are 1 to {MAX_ID} characters without control characters"),
        ));
    }
    Ok(())
}

/// The instant a live-call request is judged at: the runtime's `now` (SEMANTICS 11 "Whose
/// clock": a start dated in the past must not find the pools as they were then, one dated
/// ahead must not hide the holds taken now). A request's `at` is information; one further
/// from `now` than `skew_seconds` is `at_out_of_window`.
pub fn live_at(
    at: Option<Instant>,
    now: Instant,
    skew_seconds: i64,
    field: &str,
) -> Result<Instant> {
    let Some(t) = at else { return Ok(now) };
    if (t.0 - now.0).abs() > chrono::Duration::seconds(skew_seconds) {
        return Err(Error::at(
            Code::AtOutOfWindow,
            field,
            format!(
                "{t} differs from the runtime's clock {now} by more than the live skew \
                 ({skew_seconds} s); live calls are judged at the clock of the runtime that grants"
            ),
        ));
    }
    Ok(now)
}

/// Where a JSON body holds text no store keeps: PostgreSQL's `text` and `jsonb` refuse
/// U+0000, which JSON can carry only as the escape `\u0000` (a raw control character is
/// not JSON). SQLite would keep it, so the answer would depend on the store: refused
/// everywhere (issue 24: a NUL agent id was granted, then every end of the call answered
/// 503 forever). Answers the field's path (`a.b[2]`, or the key's own path).
pub fn unstorable_text(text: &str) -> Option<String> {
    // Cheap first: the escape's bytes; only then find where it lies.
    if !text.contains("\\u0000") {
        return None;
    }
    let v: Value = serde_json::from_str(text).ok()?;
    nul_at(&v, String::new())
}

fn nul_at(v: &Value, path: String) -> Option<String> {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::String(s) if s.contains('\0') => Some(path),
        Value::Array(xs) => xs
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_at(x, format!("{path}[{i}]"))),
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            if k.contains('\0') {
                Some(join(k))
            } else {
                nul_at(x, join(k))
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_refused_at_its_field_and_an_id_keeps_its_code() {
        let e = read::<StartBody>(r#"{"id":"a\u0000","direction":"outbound"}"#).unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (Code::InvalidId, Some("id")));
        let e = read::<StartBody>(r#"{"id":"a","direction":"outbound","agentId":"\u0000"}"#)
            .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (Code::InvalidText, Some("agentId"))
        );
    }

    #[test]
    fn bodies_that_are_not_the_contracts_are_refused_with_its_codes() {
        for (text, code) in [
            ("null", Code::InvalidType),
            ("[]", Code::InvalidType),
            ("\"x\"", Code::InvalidType),
            ("{", Code::InvalidJson),
            (r#"{"quotaSeconds":"abc"}"#, Code::InvalidDuration),
            (r#"{"at":3}"#, Code::InvalidType),
        ] {
            let e = read::<ExtendBody>(text).unwrap_err();
            assert_eq!(e.code, code, "{text}: {e}");
        }
    }

    #[test]
    fn an_at_past_the_skew_is_refused_and_any_other_is_judged_at_now() {
        let now = Instant::parse("2026-01-01T00:00:00Z").unwrap();
        let near = Instant::parse("2026-01-01T00:00:05Z");
        assert_eq!(live_at(near, now, 5, "at").unwrap(), now);
        let far = Instant::parse("2026-01-01T00:00:06Z");
        assert_eq!(
            live_at(far, now, 5, "at").unwrap_err().code,
            Code::AtOutOfWindow
        );
    }
}
