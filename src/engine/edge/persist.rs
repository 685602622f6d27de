//! The persisted state read back. Written with serde (`state_json`), read here by hand from
//! the `Value`: every typed part goes through a type the engine already reads (an account,
//! a hold, an end's body, a lease's usage), so the .wasm gains no deserializer per
//! persisted type (derived ones cost 60 KB of code, BENCHMARKS.md).

use super::*;

fn bad(field: &str, what: &str) -> Error {
    Error::at(
        Code::InvalidType,
        field,
        format!("the persisted state's `{field}` is not {what}"),
    )
}

fn int(v: &Value, field: &str) -> Result<i64> {
    match &v[field] {
        Value::Null => Ok(0),
        x => x.as_i64().ok_or_else(|| bad(field, "an integer")),
    }
}

fn opt<T: serde::de::DeserializeOwned>(v: &Value, field: &str) -> Result<Option<T>> {
    match &v[field] {
        Value::Null => Ok(None),
        x => crate::engine::pathde::parse(x)
            .map(Some)
            .map_err(|e| e.within(field)),
    }
}

fn strings(v: &Value, field: &str) -> Result<Vec<String>> {
    let items = v.as_array().map_or(&[][..], Vec::as_slice);
    items
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| bad(field, "a list of ids"))
        })
        .collect()
}

/// An ended call as persisted: an end's body (the fields an edge's report has are all an
/// end's) with its id.
fn ended_call(v: &Value, field: &str) -> Result<EndedCall> {
    let mut body = v.clone();
    let id = body
        .as_object_mut()
        .and_then(|m| m.remove("id"))
        .and_then(|id| id.as_str().map(str::to_string))
        .ok_or_else(|| bad(field, "an ended call"))?;
    let b: EndBody = crate::engine::pathde::parse(&body).map_err(|e| e.within(field))?;
    let (Some(direction), Some(started_at), Some(lease_usage)) =
        (b.direction, b.started_at, b.lease_usage)
    else {
        return Err(bad(field, "an ended call"));
    };
    Ok(EndedCall {
        id,
        connected_seconds: b.connected_seconds,
        transfer: b.transfer,
        carrier_pass_through: b.carrier_pass_through,
        direction,
        toll_free: b.toll_free.unwrap_or(false),
        agent_id: b.agent_id,
        number_id: b.number_id,
        started_at,
        lease_usage,
    })
}

fn ask(v: &Value) -> Result<Ask> {
    Ok(Ask {
        seq: int(v, "seq")? as u64,
        sent_at: int(v, "sentAt")?,
        sizes: opt(v, "sizes")?.unwrap_or_default(),
        ended: strings(&v["ended"], "asks.ended")?,
        release: v["release"].as_bool().unwrap_or(false),
        refused: v["refused"].as_u64().unwrap_or(0) as usize,
    })
}

impl EdgeState {
    /// The state `state_json` wrote.
    pub fn from_value(v: &Value) -> Result<EdgeState> {
        let list = |f: &str| v[f].as_array().cloned().unwrap_or_default();
        let mut stats = [0u64; 6];
        for (i, n) in list("stats").iter().take(6).enumerate() {
            stats[i] = n.as_u64().unwrap_or(0);
        }
        // Inserted one by one: `collect` into a map links a stable sort (wasm size).
        let mut starts = BTreeMap::new();
        for (k, x) in v["starts"].as_object().into_iter().flatten() {
            starts.insert(k.clone(), x.clone());
        }
        Ok(EdgeState {
            lease: opt(v, "lease")?,
            card: Some(v["card"].clone()).filter(|c| !c.is_null()),
            base: opt(v, "base")?,
            version: v["version"].as_u64(),
            copy: opt(v, "copy")?,
            holds: opt(v, "holds")?.unwrap_or_default(),
            starts,
            pending: list("pending")
                .iter()
                .map(|p| ended_call(p, "pending"))
                .collect::<Result<_>>()?,
            pending_since: int(v, "pendingSince")?,
            ended_next: int(v, "endedNext")? as u64,
            dead: list("dead"),
            refused: list("refused"),
            asks: list("asks").iter().map(ask).collect::<Result<_>>()?,
            sequence: int(v, "sequence")? as u64,
            failures: int(v, "failures")? as u32,
            retry_at: int(v, "retryAt")?,
            short_until: int(v, "shortUntil")?,
            last_activity: int(v, "lastActivity")?,
            stats,
        })
    }
}

impl EdgeSettings {
    /// Settings from `{ leaseId, credits, includedSeconds, planCredits, ttlSeconds,
    /// idleSeconds, liveSkewSeconds }` (amounts as decimal strings).
    pub fn from_value(v: &Value) -> Result<EdgeSettings> {
        let text = |f: &str| {
            v[f].as_str()
                .ok_or_else(|| Error::at(Code::InvalidType, f, "a string"))
        };
        let amount = |f: &str| {
            crate::engine::amount::parse_decimal(text(f)?)
                .ok()
                .filter(|d| !d.is_sign_negative())
                .ok_or_else(|| {
                    Error::at(
                        Code::InvalidDecimal,
                        f,
                        "a decimal string of credits, 0 or more",
                    )
                })
        };
        let seconds = |f: &str, low: u64, high: u64| {
            v[f].as_u64()
                .filter(|s| (low..=high).contains(s))
                .map(Seconds)
                .ok_or_else(|| {
                    Error::at(
                        Code::InvalidDuration,
                        f,
                        format!("whole seconds, {low} to {high}"),
                    )
                })
        };
        let lease_id = text("leaseId")?.to_string();
        call_body::check_id(&lease_id, "leaseId")?;
        Ok(EdgeSettings {
            lease_id,
            credits: amount("credits")?,
            included_seconds: seconds(
                "includedSeconds",
                0,
                crate::engine::authorize::MAX_CALL_SECONDS * 1000,
            )?,
            plan_credits: amount("planCredits")?,
            ttl_seconds: seconds("ttlSeconds", 1, crate::engine::lease::MAX_LEASE_SECONDS)?,
            idle_seconds: seconds("idleSeconds", 1, 86_400 * 30)?,
            live_skew_seconds: seconds("liveSkewSeconds", 0, 300)?,
        })
    }
}
