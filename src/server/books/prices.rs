//! Price versions (issue 28, SEMANTICS 16): an account's rate card changes on a date without
//! rewriting the past. The card the account was created with is version 1, in force from
//! the start; each later version takes effect at its `effectiveFrom`, scheduled ahead by the
//! platform (`PUT /admin/accounts/{id}/rate-card`) and cancellable until then. Usage, late
//! usage included, is priced by the version in force at its instant: the engine gets the
//! versions (`rateCardVersions`) and picks per item. Every version is kept (the account
//! row's `rate_card_versions`, JSON), cancelled ones marked.

use super::accounts::{load, save, Acct};
use super::card_versions::{parse, Version};
use crate::engine::calendar::Instant;
use crate::engine::error::Code;
use crate::engine::model::RateCard;
use crate::server::outcome::{store, Failure, Kind, ServerCode, R};
use crate::server::storage::memo::Db;
use serde::Deserialize;
use serde_json::Value;

/// `PUT /admin/accounts/{id}/rate-card`'s body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewVersion {
    pub rate_card: Value,
    /// When it takes effect: now or later (default: now). The past is never re-priced.
    #[serde(default)]
    pub effective_from: Option<Instant>,
}

/// Schedule a new version of `account`'s card. Refused: an instant already past, one a
/// version in force or scheduled already takes, or a card the engine refuses as a version
/// (another currency, credit worth or rounding).
pub fn schedule(db: &mut dyn Db, account: &str, n: NewVersion, now: Instant) -> R<Version> {
    let from = n.effective_from.unwrap_or(now);
    if from < now {
        return Err(invalid(
            "effectiveFrom",
            "a price change takes effect now or later; the past is never re-priced",
        ));
    }
    let mut a = load(db, account, true)?;
    let mut card: RateCard = crate::ops::parse(&n.rate_card)
        .map_err(|e| Failure::from_error(Kind::Malformed, &e.within("rateCard")))?;
    card.effective_from = Some(from);
    let mut cards = a.versions.clone();
    if cards.iter().any(|c| c.effective_from == Some(from)) {
        return Err(invalid(
            "effectiveFrom",
            "another version takes effect at this instant; cancel it first",
        ));
    }
    cards.push(card);
    cards.sort_by_key(|c| c.effective_from);
    a.card
        .validate_versions(&cards)
        .map_err(|e| Failure::invalid(renamed(e, &cards, from)))?;
    let version = Version {
        version: a.price_history.iter().map(|v| v.version).max().unwrap_or(1) + 1,
        effective_from: Some(from),
        rate_card: n.rate_card,
        created_at: Some(now),
        cancelled_at: None,
    };
    a.price_history.push(version.clone());
    keep(db, &mut a)?;
    Ok(version)
}

/// An error about the new version names it as `rateCard`, not by its place in the list.
fn renamed(
    e: crate::engine::error::Error,
    cards: &[RateCard],
    from: Instant,
) -> crate::engine::error::Error {
    let i = cards.iter().position(|c| c.effective_from == Some(from));
    let prefix = i.map(|i| format!("rateCardVersions[{i}]"));
    match (e.field.as_deref(), prefix) {
        (Some(f), Some(p)) if f.starts_with(&p) => {
            let rest = &f[p.len()..];
            let field = if rest == ".effectiveFrom" {
                "effectiveFrom".to_string()
            } else {
                format!("rateCard{rest}")
            };
            crate::engine::error::Error {
                field: Some(field),
                ..e
            }
        }
        _ => e,
    }
}

/// Cancel version `n` of `account`'s card before it takes effect.
pub fn cancel(db: &mut dyn Db, account: &str, n: u64, now: Instant) -> R<Version> {
    let mut a = load(db, account, true)?;
    let Some(v) = a.price_history.iter_mut().find(|v| v.version == n) else {
        return Err(Failure::new(
            ServerCode::VersionNotFound,
            Some("version"),
            format!("no version {n} of this account's rate card"),
        ));
    };
    if v.cancelled_at.is_some() {
        return Ok(v.clone());
    }
    if v.effective_from.is_none_or(|f| f <= now) {
        return Err(Failure::new(
            ServerCode::VersionInEffect,
            Some("version"),
            "this version is in effect already; schedule a new one instead",
        ));
    }
    v.cancelled_at = Some(now);
    let out = v.clone();
    keep(db, &mut a)?;
    Ok(out)
}

/// Write the versions to the account row and the job's account.
fn keep(db: &mut dyn Db, a: &mut Acct) -> R<()> {
    let text =
        serde_json::to_string(&a.price_history).map_err(|e| Failure::internal(e.to_string()))?;
    store(db.exec(
        "UPDATE accounts SET rate_card_versions = $1 WHERE id = $2",
        &[text.as_str().into(), a.id.as_str().into()],
    ))?;
    a.versions = parse(Some(&text))?.1;
    save(db, a)
}

/// Every version of the account's card, version 1 first.
pub fn history(db: &mut dyn Db, account: &str) -> R<Vec<Version>> {
    let a = load(db, account, false)?;
    let rows = store(db.query(
        "SELECT rate_card, created_at FROM accounts WHERE id = $1",
        &[account.into()],
    ))?;
    let first = rows
        .first()
        .ok_or_else(|| Failure::new(ServerCode::AccountNotFound, None, "no such account"))?;
    let card: Value = first[0]
        .json("rate card")?
        .ok_or_else(|| Failure::internal("an account without a rate card"))?;
    let mut out = vec![Version {
        version: 1,
        effective_from: None,
        rate_card: card,
        created_at: first[1].text().and_then(Instant::parse),
        cancelled_at: None,
    }];
    out.extend(a.price_history);
    out.sort_by_key(|v| v.version);
    Ok(out)
}

/// The version in force at `t`: the latest later one that has taken effect, else version 1.
pub fn at(db: &mut dyn Db, account: &str, t: Instant) -> R<Version> {
    let all = history(db, account)?;
    let found = super::card_versions::in_force(&all, t).or(all.first());
    found
        .cloned()
        .ok_or_else(|| Failure::internal("no version of the rate card is in force"))
}

fn invalid(field: &str, message: &str) -> Failure {
    Failure::engine(Kind::Invalid, Code::InvalidValue, Some(field), message)
}
