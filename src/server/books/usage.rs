//! Usage (`POST /usage`, SEMANTICS 10 and 14): the window its events must fall in, the ids
//! already recorded, each event drawn down through the engine and booked as a charge
//! (`charges`); and the pre-call check's body.

use super::accounts::load;
use super::accounts::save;
use super::accounts::Acct;
use super::charges::{self, Charge};
use super::expiries::book_due;
use super::expiries::drawn_from;
use super::idempotency::remember;
use super::idempotency::replay;
use super::provider::PaymentProvider;
use crate::engine::amount::Plain;
use crate::engine::calendar::Instant;
/// The live skew when none is set (SEMANTICS 11).
pub use crate::engine::call_body::DEFAULT_LIVE_SKEW_SECONDS;
/// The longest usage id (bytes) the server stores.
pub use crate::engine::call_body::MAX_ID;
use crate::engine::drawdown::{AlertEvent, Item};
use crate::engine::drawdown::{Preview, PreviewInput, Usage};
use crate::engine::error::Code;
use crate::engine::reload::ReloadEvent;
use crate::server::outcome::ServerCode;
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
            return Err(Failure::engine(
                Kind::Invalid,
                Code::AtOutOfWindow,
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
            return Err(Failure::engine(
                Kind::Malformed,
                Code::InvalidId,
                Some(&field),
                format!("usage ids are 1 to {MAX_ID} characters without control characters"),
            ));
        }
        if !ids.insert(&*u.id) {
            return Err(Failure::engine(
                Kind::Invalid,
                Code::DuplicateId,
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
                ServerCode::DuplicateUsage,
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
    let first = events.iter().map(|u| u.at).min();
    let last = events.iter().map(|u| u.at).max();
    Ok(Needs {
        key: Some(key.to_string()),
        usage_ids: events.iter().map(|u| u.id.to_string()).collect(),
        days: first.zip(last).map(|(f, l)| Needs::dates_around(f, l, 1)),
        ..Needs::default()
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
    // SEMANTICS 15: an event dated before a step or renewal the books already took re-draws
    // the account in time order (`late`).
    if super::steps::is_late(db, &a, events[0].at)? {
        let before = super::accounts::balance(&a, events[0].at);
        if let Some(late) = super::late::record(db, &mut a, &events, provider, &expired, now)? {
            save(db, &a)?;
            return answer_late(&a, (before, late), &events);
        }
    }
    let mut out = Recorded::default();
    for u in events {
        super::steps::due_checkpoint(db, &a, u.at, Instant(now.0 - window.behind))?;
        let (p, payments) = charge_event(
            db,
            &mut a,
            &u,
            provider,
            &expired,
            (&mut days, &mut touched),
            now,
        )?;
        out.add(p, payments);
    }
    if !db.memo().change_days(account, &days, touched.iter()) {
        rollup::write(db, account, &days, touched.iter())?;
    }
    save(db, &a)?;
    out.answer(&a)
}

/// One usage event drawn down through the engine and booked (`charges::book`).
fn charge_event(
    db: &mut dyn Db,
    a: &mut Acct,
    u: &Usage,
    provider: &dyn PaymentProvider,
    expired: &BTreeSet<String>,
    days: (&mut rollup::Days, &mut BTreeSet<rollup::Key>),
    now: Instant,
) -> R<(Preview, Vec<Value>)> {
    let input = PreviewInput {
        rate_card: a.card.clone(),
        rate_card_versions: a.versions.clone(),
        account: a.snap.clone(),
        usage: vec![u.clone()],
        as_of: None,
        detail: Default::default(),
    };
    let applied = crate::engine::ledger::apply(&input, provider.settles_at_once())
        .map_err(|e| Failure::invalid(e.within("events")))?;
    let p = applied.preview;
    let drawn_after_expiry = drawn_from(&a.snap.grants, &applied.account.grants, expired);
    let booked_before = super::accounts::booked(&a.snap);
    a.snap = applied.account;
    super::late::count_inbound(a, std::slice::from_ref(u), now)?;
    let charge = Charge {
        id: &u.id,
        agent: u.agent_id.as_deref(),
        at: u.at,
        items: &p.items,
        booked_before,
        owed: p.owed,
        reloads: &p.reloads,
        alerts: &p.alerts,
        drawn_after_expiry: &drawn_after_expiry,
        call: false,
    };
    let payments = charges::book(db, a, &charge, provider, days, now)?;
    let drawn = super::late::Drawn::of(&p.items).to_json();
    let step = crate::engine::redraw::Step::Usage(u.clone());
    super::steps::append(db, a, u.at, &step, Some(&drawn))?;
    Ok((p, payments))
}

/// `POST /usage`'s answer when its events re-drew the account (SEMANTICS 15).
fn answer_late(
    a: &Acct,
    (before, late): (Decimal, super::late::Late),
    events: &[Usage],
) -> R<Done> {
    let last = events.iter().map(|u| u.at).max().unwrap_or(events[0].at);
    let spent: std::collections::BTreeMap<&String, String> = a
        .snap
        .agents
        .iter()
        .map(|(k, p)| {
            (
                k,
                Plain(&p.spent_this_cycle.unwrap_or_default()).to_string(),
            )
        })
        .collect();
    let grants: Vec<Value> = a
        .snap
        .grants
        .iter()
        .map(|g| json!({ "id": g.id, "remaining": g.remaining.to_string() }))
        .collect();
    Ok(Done::ok(json!({
        "items": late.items,
        "reloads": late.reloads,
        "alerts": late.alerts,
        "balanceBefore": before.to_string(),
        "balanceAfter": super::accounts::balance(a, last).to_string(),
        "owed": a.snap.owed.unwrap_or_default().to_string(),
        "includedSecondsRemaining": a.snap.included_seconds(),
        "grants": grants,
        "agentSpend": spent,
        "pendingReload": a.snap.pending_reload,
        "payments": late.payments,
        "redrawn": { "adjustedEvents": late.adjusted },
    })))
}

/// What `POST /usage` answers, gathered over its events in time order.
#[derive(Default)]
struct Recorded {
    items: Vec<Item>,
    reloads: Vec<ReloadEvent>,
    alerts: Vec<AlertEvent>,
    payments: Vec<Value>,
    first: Option<Decimal>,
    last: Option<Preview>,
}

impl Recorded {
    fn add(&mut self, p: Preview, payments: Vec<Value>) {
        self.first.get_or_insert(p.balance_before);
        self.items.extend(p.items.iter().cloned());
        self.reloads.extend(p.reloads.iter().cloned());
        self.alerts.extend(p.alerts.iter().cloned());
        self.payments.extend(payments);
        self.last = Some(p);
    }

    fn answer(self, a: &Acct) -> R<Done> {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return Err(Failure::engine(
                Kind::Malformed,
                Code::MissingField,
                Some("events"),
                "send at least one usage event",
            ));
        };
        let agent_spend: std::collections::BTreeMap<&String, String> = last
            .agent_spend
            .iter()
            .map(|(agent, spent)| (agent, Plain(spent).to_string()))
            .collect();
        Ok(Done::ok(json!({
            "items": self.items,
            "reloads": self.reloads,
            "alerts": self.alerts,
            "balanceBefore": first.to_string(),
            "balanceAfter": last.balance_after.to_string(),
            "owed": last.owed.to_string(),
            "includedSecondsRemaining": last.included_seconds_remaining,
            "grants": last.grants,
            "agentSpend": agent_spend,
            "pendingReload": a.snap.pending_reload,
            "payments": self.payments,
        })))
    }
}
