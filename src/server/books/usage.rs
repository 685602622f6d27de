//! `POST /usage` and the pre-call check `POST /calls/authorize`.

use super::accounts::balance;
use super::accounts::enqueue;
use super::accounts::entry;
use super::accounts::load;
use super::accounts::save;
use super::accounts::Acct;
use super::accounts::Entry;
use super::expiries::book_due;
use super::expiries::drawn_from;
use super::expiries::reverse_expiry;
use super::idempotency::remember;
use super::idempotency::replay;
use super::payments::payment;
use super::provider::PaymentProvider;
use crate::engine::calendar::Instant;
/// The live skew when none is set (SEMANTICS 11).
pub use crate::engine::call_body::DEFAULT_LIVE_SKEW_SECONDS;
/// The longest usage id (bytes) the server stores.
pub use crate::engine::call_body::MAX_ID;
use crate::engine::drawdown::{Preview, PreviewInput, Usage};
use crate::server::outcome::{store, Done, Failure, Kind, R};
use crate::server::storage::memo::Needs;
use crate::server::storage::memo::{self, Db, Known};
use crate::server::storage::rollup;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The most usage events one `POST /usage` takes.
pub const MAX_EVENTS: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageBody {
    pub(crate) events: Vec<Usage>,
}

#[derive(Deserialize)]
pub(crate) struct AuthorizeBody {
    pub(crate) call: Value,
}

/// How far from the server's clock a usage event's `at` may lie (SEMANTICS 14: at most 5
/// minutes ahead and 35 days behind by default, Stripe's meter-event bounds).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub behind: chrono::Duration,
    pub ahead: chrono::Duration,
    /// How far a live-call request's `at` may differ from the server's clock (SEMANTICS 11
    /// "Whose clock": the runtime that grants judges at its own clock; default 5 s).
    pub live_skew: chrono::Duration,
}

impl Default for Window {
    fn default() -> Window {
        Window {
            behind: chrono::Duration::days(35),
            ahead: chrono::Duration::minutes(5),
            live_skew: chrono::Duration::seconds(DEFAULT_LIVE_SKEW_SECONDS),
        }
    }
}

impl Window {
    /// A live-call request's `at` is information (SEMANTICS 11): the grant is judged at the
    /// server's `now`, and an `at` further from it than the live skew is refused, so a start
    /// dated in the past cannot find the pools as they were then, nor one dated ahead hide
    /// the holds taken now. Answers the instant to judge at: always `now`.
    pub fn live(&self, at: Option<Instant>, now: Instant, field: &str) -> R<Instant> {
        crate::engine::call_body::live_at(at, now, self.live_skew.num_seconds(), field)
            .map_err(Failure::invalid)
    }

    pub fn check(&self, t: Instant, now: Instant, field: &str) -> R<()> {
        if t.0 < now.0 - self.behind || t.0 > now.0 + self.ahead {
            return Err(Failure::new(
                Kind::Invalid,
                "at_out_of_window",
                Some(field),
                format!(
                    "{t} is outside the accepted window around the server's clock {now} \
                     (at most {} s ahead, {} s behind); nothing was recorded",
                    self.ahead.num_seconds(),
                    self.behind.num_seconds()
                ),
            ));
        }
        Ok(())
    }
}

/// Usage ids are 1 to `MAX_ID` bytes without control characters (a NUL cannot be stored),
/// each once in a body: checked before anything is read.
pub(crate) fn check_ids(events: &[Usage]) -> R<()> {
    let mut ids = BTreeSet::new();
    for (i, u) in events.iter().enumerate() {
        let field = format!("events[{i}].id");
        if !crate::engine::call_body::valid_id(&u.id) {
            return Err(Failure::new(
                Kind::Malformed,
                "invalid_id",
                Some(&field),
                format!("usage ids are 1 to {MAX_ID} characters without control characters"),
            ));
        }
        if !ids.insert(&*u.id) {
            return Err(Failure::new(
                Kind::Invalid,
                "duplicate_id",
                Some(&field),
                format!("usage `{}` appears twice in this body", u.id),
            ));
        }
    }
    Ok(())
}

/// Each `at` (and a rental's `through`) inside the window (SEMANTICS 14).
pub(crate) fn check_window(events: &[Usage], w: Window, now: Instant) -> R<()> {
    for (i, u) in events.iter().enumerate() {
        w.check(u.at, now, &format!("events[{i}].at"))?;
        if let Some(t) = u.through {
            w.check(t, now, &format!("events[{i}].through"))?;
        }
    }
    Ok(())
}

/// Events recorded before are `409 duplicate_usage`.
pub(crate) fn check_unseen(events: &[Usage], seen: &BTreeSet<String>) -> R<()> {
    for (i, u) in events.iter().enumerate() {
        if seen.contains(&*u.id) {
            return Err(Failure::new(
                Kind::Conflict,
                "duplicate_usage",
                Some(&format!("events[{i}].id")),
                format!("usage `{}` is already recorded", u.id),
            ));
        }
    }
    Ok(())
}

/// `POST /usage` under its idempotency key: what the job must know before it decides (the
/// key's recorded answer, which event ids are recorded, which expiries are booked, the day
/// totals) comes from the group's memo (`memo::read_known`); then the events are recorded
/// and the answer remembered.
pub fn record_usage_once(
    db: &mut dyn Db,
    account: &str,
    (key, hash): (&str, &str),
    events: Vec<Usage>,
    provider: &dyn PaymentProvider,
    window: Window,
    now: Instant,
) -> R<Done> {
    let needs = usage_needs(key, &events)?;
    let known = store(memo::read_known(db, account, &needs))?;
    if let Some(r) = replay(known.replay.as_ref(), hash)? {
        return Ok(r);
    }
    let r = record_usage(db, account, events, provider, window, now, known)?;
    remember(db, account, key, hash, &r)?;
    Ok(r)
}

/// What a usage job reads before deciding: its key's recorded answer, which of its event
/// ids are recorded, the booked expiries, and the day totals around its events' dates
/// (local dates lie within a day of the UTC date, whatever the account's zone). The ids are
/// checked first, so nothing unreadable is asked of the database.
pub fn usage_needs(key: &str, events: &[Usage]) -> R<Needs> {
    check_ids(events)?;
    let day = |t: Instant, d: i64| (t.0.date_naive() + chrono::Duration::days(d)).to_string();
    let first = events.iter().map(|u| u.at).min();
    let last = events.iter().map(|u| u.at).max();
    Ok(Needs {
        key: Some(key.to_string()),
        usage_ids: events.iter().map(|u| u.id.to_string()).collect(),
        days: first.zip(last).map(|(f, l)| (day(f, -1), day(l, 1))),
    })
}

/// Record usage events through the core, one event at a time in time order (proven equal
/// to previewing them together), with ledger entries, usage lines and the day-by-day totals,
/// reloads, and alert webhooks queued in the outbox.
pub(crate) fn record_usage(
    db: &mut dyn Db,
    account: &str,
    mut events: Vec<Usage>,
    provider: &dyn PaymentProvider,
    window: Window,
    now: Instant,
    known: Known,
) -> R<Done> {
    let Known {
        seen,
        mut expired,
        mut days,
        ..
    } = known;
    let mut touched = BTreeSet::new();
    let mut a = load(db, account, true)?;
    check_window(&events, window, now)?;
    check_unseen(&events, &seen)?;
    events.sort_by_key(|u| u.at);
    let booked_now = book_due(db, &mut a, now, &expired)?;
    expired.extend(booked_now);
    let (mut items, mut reloads, mut alerts, mut payments) =
        (vec![], vec![], vec![], Vec::<Value>::new());
    let mut first: Option<Decimal> = None;
    let mut last: Option<Preview> = None;
    for u in events {
        let input = PreviewInput {
            rate_card: a.card.clone(),
            account: a.snap.clone(),
            usage: vec![u.clone()],
            as_of: None,
            detail: Default::default(),
        };
        let applied = crate::engine::ledger::apply(&input, provider.settles_at_once())
            .map_err(|e| Failure::invalid(e.within("events")))?;
        let p = applied.preview;
        let drawn_after_expiry = drawn_from(&a.snap.grants, &applied.account.grants, &expired);
        a.snap = applied.account;
        let charged: Decimal = p
            .items
            .iter()
            .flat_map(|i| &i.lines)
            .map(|l| l.line.credits)
            .sum();
        let seq = entry(
            db,
            &mut a,
            now,
            Entry {
                at: u.at,
                kind: "usage",
                reference: Some(&u.id),
                grant_id: None,
                credits: -charged,
                before: p.balance_before,
                after: p.balance_after,
                detail: json!({ "items": p.items, "owed": p.owed.to_string() }),
            },
        )?;
        store(db.exec(
            "INSERT INTO usage_ids (account_id, usage_id, seq) VALUES ($1, $2, $3)",
            &[account.into(), (&*u.id).into(), seq.into()],
        ))?;
        db.memo().record_id(account, &u.id);
        for (grant, credits) in drawn_after_expiry {
            reverse_expiry(db, &mut a, &grant, credits, &u, now)?;
        }
        let mut n = 0i64;
        for item in &p.items {
            book_lines(
                db,
                account,
                (&u.id, u.agent_id.as_deref(), &mut n),
                item,
                a.snap.time_zone,
                (&mut days, &mut touched),
            )?;
        }
        payments.extend(book_reloads(db, provider, &mut a, &p.reloads, now)?);
        for al in &p.alerts {
            let payload = json!({
                "type": "balance.alert", "accountId": account, "at": al.at,
                "from": al.from, "to": al.to, "balance": al.balance.to_string(),
            });
            enqueue(db, &mut a, "balance.alert", &payload, now)?;
        }
        first.get_or_insert(p.balance_before);
        items.extend(p.items.iter().cloned());
        reloads.extend(p.reloads.iter().cloned());
        alerts.extend(p.alerts.iter().cloned());
        last = Some(p);
    }
    if !db.memo().change_days(account, &days, touched.iter()) {
        rollup::write(db, account, &days, touched.iter())?;
    }
    save(db, &a)?;
    let last = last.ok_or_else(|| {
        Failure::new(
            Kind::Malformed,
            "missing_field",
            Some("events"),
            "send at least one usage event",
        )
    })?;
    Ok(Done::ok(json!({
        "items": items,
        "reloads": reloads,
        "alerts": alerts,
        "balanceBefore": first.unwrap_or_default().to_string(),
        "balanceAfter": last.balance_after.to_string(),
        "owed": last.owed.to_string(),
        "includedSecondsRemaining": last.included_seconds_remaining,
        "grants": last.grants,
        "agentSpend": serde_json::to_value(&last).map(|v| v["agentSpend"].clone()).unwrap_or(Value::Null),
        "pendingReload": a.snap.pending_reload,
        "payments": payments,
    })))
}

/// A usage item's lines in `usage_lines` (numbered on from `n`, across the items of one
/// usage event) and the day-by-day totals (`days`, `touched`).
pub fn book_lines(
    db: &mut dyn Db,
    account: &str,
    (usage_id, agent, n): (&str, Option<&str>, &mut i64),
    item: &crate::engine::drawdown::Item,
    tz: crate::engine::calendar::Zone,
    (days, touched): (&mut rollup::Days, &mut BTreeSet<rollup::Key>),
) -> R<()> {
    let day = item.at.local(tz).date().to_string();
    for l in &item.lines {
        *n += 1;
        store(db.exec(
            "INSERT INTO usage_lines (account_id, usage_id, line, at, day, agent_id, channel, code, quantity, unit, credits) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                account.into(),
                usage_id.into(),
                (*n).into(),
                item.at.to_string().into(),
                day.as_str().into(),
                agent.into(),
                l.line.channel.into(),
                l.line.code.into(),
                l.line.quantity.to_string().into(),
                l.line.unit.to_string().into(),
                l.line.credits.to_string().into(),
            ],
        ))?;
        let key = (
            day.clone(),
            l.line.channel.to_string(),
            l.line.code.to_string(),
            l.line.unit.to_string(),
        );
        rollup::add(days, key.clone(), l.line.quantity, l.line.credits);
        touched.insert(key);
    }
    Ok(())
}

/// The payments of auto-reloads a drawdown triggered, and the ledger entry of each that
/// settled at once; answers the payments as `POST /usage` reports them.
pub fn book_reloads(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    reloads: &[crate::engine::reload::ReloadEvent],
    now: Instant,
) -> R<Vec<Value>> {
    let mut payments = vec![];
    for r in reloads {
        let status = if provider.settles_at_once() {
            "settled"
        } else {
            "pending"
        };
        let (pay, quote) = payment(
            db, provider, a, "reload", r.amount, r.credits, &r.id, status, now,
        )?;
        let gross = quote.as_ref().map_or(r.amount, |q| q.gross);
        payments.push(json!({ "id": pay, "grantId": r.id, "status": status,
                              "amount": r.amount.to_string(), "gross": gross.to_string() }));
        if provider.settles_at_once() {
            let after = balance(a, r.at);
            entry(
                db,
                a,
                now,
                Entry {
                    at: r.at,
                    kind: "reload",
                    reference: Some(&pay),
                    grant_id: Some(&r.id),
                    credits: r.credits,
                    before: after - r.credits,
                    after,
                    detail: json!({ "multiple": r.multiple, "settledOwed": r.settled_owed.to_string(), "amount": r.amount.to_string() }),
                },
            )?;
        }
    }
    Ok(payments)
}
