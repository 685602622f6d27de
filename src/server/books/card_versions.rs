//! The versions of an account's rate card as the account row keeps them (issue 28; the
//! rules are in `prices`): read with the account, so a job prices by them without another
//! query.

use crate::engine::calendar::Instant;
use crate::engine::model::RateCard;
use crate::server::outcome::{Failure, Kind, R};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A version as kept and as `GET /billing/rate-cards` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub version: u64,
    /// `None`: version 1, in force from the start.
    pub effective_from: Option<Instant>,
    pub rate_card: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Instant>,
}

/// The later versions kept in the account row (`None`: none), and those in force, parsed
/// for the engine in order of `effectiveFrom`.
pub fn parse(stored: Option<&str>) -> R<(Vec<Version>, Vec<RateCard>)> {
    let Some(text) = stored else {
        return Ok((vec![], vec![]));
    };
    let kept: Vec<Version> = serde_json::from_str(text).map_err(|e| {
        Failure::internal(format!("stored rate card versions do not read back: {e}"))
    })?;
    let mut cards = vec![];
    for v in kept.iter().filter(|v| v.cancelled_at.is_none()) {
        let mut card: RateCard =
            crate::ops::parse(&v.rate_card).map_err(|e| Failure::from_error(Kind::Internal, &e))?;
        card.effective_from = v.effective_from;
        card.version = Some(crate::engine::amount::Count(v.version));
        cards.push(card);
    }
    cards.sort_by_key(|c| c.effective_from);
    Ok((kept, cards))
}

/// The latest later version in force at `t` (`None`: version 1 is).
pub fn in_force(kept: &[Version], t: Instant) -> Option<&Version> {
    kept.iter()
        .filter(|v| v.cancelled_at.is_none() && v.effective_from.is_some_and(|f| f <= t))
        .max_by_key(|v| v.effective_from)
}

/// The later versions in force as the engine takes them (`rateCardVersions`): each card as
/// stored, with its `version` and `effectiveFrom`, in order.
pub fn for_engine(stored: Option<&str>) -> R<Vec<Value>> {
    let (kept, _) = parse(stored)?;
    let mut live: Vec<&Version> = kept.iter().filter(|v| v.cancelled_at.is_none()).collect();
    live.sort_by_key(|v| v.effective_from);
    Ok(live
        .into_iter()
        .map(|v| {
            let mut card = v.rate_card.clone();
            if let Some(o) = card.as_object_mut() {
                o.insert("version".into(), v.version.into());
                o.insert("effectiveFrom".into(), serde_json::json!(v.effective_from));
            }
            card
        })
        .collect())
}
