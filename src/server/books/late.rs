//! Late usage (SEMANTICS 15): the account re-drawn from its last checkpoint before the
//! late events through every step since, in time order (`engine::redraw`), and what moved
//! booked as `adjustment` entries, per item and source, so the ledger stays append-only.
//! Payments keep what they paid; reloads the re-draw calls for beyond them are charged now.

use super::accounts::{enqueue, entry, Acct, Entry};
use super::charges::{self, book_items, record_id};
use super::expiries::{drawn_from, reverse_expiry};
use super::provider::PaymentProvider;
use super::steps::{self, Kept};
use crate::engine::calendar::Instant;
use crate::engine::drawdown::{Item, Usage};
use crate::engine::model::Account;
use crate::engine::redraw::{redraw, Redrawn, Step, Timed};
use crate::server::outcome::{store, Failure, R};
use crate::server::storage::memo::{self, Db, Needs};
use crate::server::storage::rollup;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What one usage step drew, by source: each grant's credits (plan credits apart), what
/// went owed, the included seconds, and in all the credits charged and the wallet's move.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drawn {
    pub grants: BTreeMap<String, Decimal>,
    pub plan: BTreeMap<String, Decimal>,
    pub owed: Decimal,
    pub included: u64,
}

impl Drawn {
    pub fn of(items: &[Item]) -> Drawn {
        let mut d = Drawn::default();
        for l in items.iter().flat_map(|i| &i.lines) {
            d.owed += l.uncovered;
            for al in &l.allocations {
                let c = al.credits.unwrap_or_default();
                match (&al.grant_id, al.seconds) {
                    (_, Some(s)) => d.included += s,
                    (Some(g), _) => *d.plan.entry(g.clone()).or_default() += c,
                    (None, _) => *d.grants.entry(al.source.clone()).or_default() += c,
                }
            }
        }
        d
    }
    /// Credits charged: every source's.
    pub fn charged(&self) -> Decimal {
        self.grants
            .values()
            .chain(self.plan.values())
            .sum::<Decimal>()
            + self.owed
    }
    /// How far it moved the wallet (plan credits never counted there).
    pub fn moved(&self) -> Decimal {
        -(self.grants.values().sum::<Decimal>() + self.owed)
    }
    pub fn to_json(&self) -> Value {
        let m = |x: &BTreeMap<String, Decimal>| -> BTreeMap<String, String> {
            x.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
        };
        json!({ "grants": m(&self.grants), "plan": m(&self.plan),
                "owed": self.owed.to_string(), "included": self.included })
    }
    pub fn from_json(v: &Value) -> Drawn {
        let m = |x: &Value| -> BTreeMap<String, Decimal> {
            let obj = x.as_object().cloned().unwrap_or_default();
            obj.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().unwrap_or("0").parse().unwrap_or_default(),
                    )
                })
                .collect()
        };
        Drawn {
            grants: m(&v["grants"]),
            plan: m(&v["plan"]),
            owed: v["owed"]
                .as_str()
                .unwrap_or("0")
                .parse()
                .unwrap_or_default(),
            included: v["included"].as_u64().unwrap_or(0),
        }
    }
}

/// The checkpoint made ready to fold: what is the account's now (its settings, live holds,
/// inbound hours, a reload waiting) is taken from `now`, what the steps draw from `cp`.
fn fold_from(mut cp: Account, now: &Account, settle_at_once: bool) -> Account {
    cp.holds.clear();
    cp.auto_reload = now.auto_reload.clone().filter(|_| settle_at_once);
    cp.limits = now.limits.clone();
    cp.inbound_limits = now.inbound_limits.clone();
    let state = cp.alerts.as_ref().and_then(|a| a.state);
    cp.alerts = now.alerts.clone().map(|mut a| {
        a.state = state.or(a.state);
        a
    });
    for (id, p) in &now.agents {
        let spent = cp.agents.get(id).and_then(|a| a.spent_this_cycle);
        let mut p = p.clone();
        p.spent_this_cycle = spent;
        cp.agents.insert(id.clone(), p);
    }
    cp.pending_reload = None;
    cp
}

/// The folded account with what the fold does not decide put back from `now`.
fn merged(mut folded: Account, now: &Account) -> Account {
    folded.holds = now.holds.clone();
    folded.inbound_usage = now.inbound_usage.clone();
    folded.pending_reload = now.pending_reload.clone();
    folded.auto_reload = now.auto_reload.clone();
    folded
}

/// What recording late events answers: their items, the reloads charged, the payments, and
/// how many events drawn before were adjusted.
pub struct Late {
    pub items: Vec<Item>,
    pub reloads: Vec<crate::engine::reload::ReloadEvent>,
    pub payments: Vec<Value>,
    pub adjusted: usize,
    /// The alert crossings the re-drawn books make from the late events' instant on.
    pub alerts: Vec<crate::engine::drawdown::AlertEvent>,
}

/// Record `events` (some late) by re-drawing the account; `None` when it has no checkpoint
/// (its first steps), and the caller draws them as they come.
pub fn record(
    db: &mut dyn Db,
    a: &mut Acct,
    events: &[Usage],
    provider: &dyn PaymentProvider,
    expired: &BTreeSet<String>,
    now: Instant,
) -> R<Option<Late>> {
    let t = events.iter().map(|u| u.at).min().unwrap_or(now);
    let Some((cp, mut kept)) = steps::since(db, &a.id, t)? else {
        return Ok(None);
    };
    let first_new = kept.len();
    for u in events {
        let step = Step::Usage(u.clone());
        let n = steps::append(db, a, u.at, &step, None)?;
        let timed = Timed { at: u.at, step };
        kept.push(Kept {
            n,
            timed,
            drawn: None,
        });
    }
    let fresh: BTreeSet<i64> = kept[first_new..].iter().map(|k| k.n).collect();
    kept.sort_by_key(|k| (k.timed.at, k.n));
    let timed: Vec<Timed> = kept.iter().map(|k| k.timed.clone()).collect();
    let at_once = provider.settles_at_once();
    let input = fold_from(cp, &a.snap, at_once);
    let cuts = day_cuts(&kept);
    let r = redraw(&a.card, &a.versions, &input, (&timed, &cuts), at_once)
        .map_err(|e| Failure::invalid(e.within("events")))?;
    let (payments, adjusted) = book(db, a, (&kept, &fresh), &r, provider, expired, now)?;
    // After the reloads it charged were kept as steps (each drops checkpoints after it).
    for (k, snap) in &r.checkpoints {
        steps::redrawn(db, &a.id, (kept[*k].timed.at, kept[*k].n), snap)?;
    }
    count_inbound(a, events, now)?;
    let items = kept
        .iter()
        .zip(r.items)
        .filter(|(k, _)| fresh.contains(&k.n))
        .flat_map(|(_, items)| items)
        .collect();
    let alerts = r.alerts.into_iter().filter(|al| al.at >= t).collect();
    Ok(Some(Late {
        items,
        reloads: r.reloads,
        payments,
        adjusted,
        alerts,
    }))
}

/// SEMANTICS 18: reported inbound toll-free calls count toward the limits as ended ones,
/// as `POST /usage` counts them in time order.
pub(crate) fn count_inbound(a: &mut Acct, events: &[Usage], now: Instant) -> R<()> {
    use crate::engine::model::CallDirection::Inbound;
    for u in events {
        let Some(c) = u
            .call
            .as_ref()
            .filter(|c| c.toll_free && c.direction == Inbound)
        else {
            continue;
        };
        crate::engine::inbound::record(&mut a.snap, None, u.at, c.connected_seconds.0, now)
            .map_err(|e| Failure::invalid(e.within("events")))?;
    }
    Ok(())
}

/// Where the re-drawn steps cross into a new day of step time: the books' next checkpoints,
/// so the next late event re-draws at most a day's steps besides its own span.
fn day_cuts(kept: &[Kept]) -> Vec<usize> {
    let every = chrono::Duration::seconds(steps::CHECKPOINT_EVERY_SECONDS);
    let mut cuts = vec![];
    let mut last = kept.first().map(|k| k.timed.at);
    for (i, k) in kept.iter().enumerate().skip(1) {
        if last.is_some_and(|l| k.timed.at.0 >= l.0 + every) {
            cuts.push(i);
            last = Some(k.timed.at);
        }
    }
    cuts
}

/// Book what the re-draw `r` moved: new events as usage, old ones' changes as adjustments,
/// expiries written off by a different amount, reloads beyond those paid, the alert state.
fn book(
    db: &mut dyn Db,
    a: &mut Acct,
    (kept, fresh): (&[Kept], &BTreeSet<i64>),
    r: &Redrawn,
    provider: &dyn PaymentProvider,
    expired: &BTreeSet<String>,
    now: Instant,
) -> R<(Vec<Value>, usize)> {
    let next = merged(r.account.clone(), &a.snap);
    let old = std::mem::replace(&mut a.snap, next);
    let mut days = days_of(db, a, kept)?;
    let mut touched = BTreeSet::new();
    let mut late_id = None;
    let mut adjusted = 0;
    for (k, items) in kept.iter().zip(&r.items) {
        let Step::Usage(u) = &k.timed.step else {
            continue;
        };
        let new = Drawn::of(items);
        let d = (&mut days, &mut touched);
        if fresh.contains(&k.n) {
            late_id.get_or_insert((u.id.to_string(), u.at));
            first_booking(db, a, (k.n, u), items, &new, d, now)?;
        } else {
            // The same text is the same draw; another text is read before deciding.
            let text = new.to_json().to_string();
            if k.drawn.as_deref() == Some(text.as_str()) {
                continue;
            }
            let was: Option<Value> = k
                .drawn
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| {
                    Failure::internal(format!("a recorded step cannot be read back: {e}"))
                })?;
            let was = was.as_ref().map(Drawn::from_json).unwrap_or_default();
            if was != new {
                adjusted += 1;
                adjust(db, a, (k.n, u, &text), items, (&was, &new), d, now)?;
            }
        }
    }
    if !db.memo().change_days(&a.id, &days, touched.iter()) {
        rollup::write(db, &a.id, &days, touched.iter())?;
    }
    let (id, at) = late_id.unwrap_or_else(|| (String::new(), now));
    for (grant, credits) in drawn_from(&old.grants, &a.snap.grants, expired) {
        reverse_expiry(db, a, &grant, credits, (&id, at), now)?;
    }
    let payments = charges::book_reloads(db, provider, a, &r.reloads, now)?;
    super::fees::charge_due(db, provider, a, now)?;
    alert_moved(db, a, &old, now)?;
    Ok((payments, adjusted))
}

/// A late event's own entry, lines and id, as `charges::book` writes them.
fn first_booking(
    db: &mut dyn Db,
    a: &mut Acct,
    (n, u): (i64, &Usage),
    items: &[Item],
    new: &Drawn,
    (days, touched): (&mut rollup::Days, &mut BTreeSet<rollup::Key>),
    now: Instant,
) -> R<()> {
    let e = Entry {
        at: u.at,
        kind: "usage",
        reference: Some(&u.id),
        grant_id: None,
        credits: -new.charged(),
        moved: new.moved(),
        detail: json!({ "items": items, "owed": a.snap.owed.unwrap_or_default().to_string(),
                        "redrawn": true }),
    };
    let (seq, _, _) = entry(db, a, now, e)?;
    record_id(db, a, &u.id, seq)?;
    keep_draw(
        db,
        a,
        (n, u, &new.to_json().to_string()),
        items,
        (days, touched),
    )
}

/// What moved for an event drawn before: an `adjustment` entry per source whose credits
/// changed (and one for included seconds alone), its lines and day totals replaced.
fn adjust(
    db: &mut dyn Db,
    a: &mut Acct,
    (n, u, text): (i64, &Usage, &str),
    items: &[Item],
    (was, new): (&Drawn, &Drawn),
    (days, touched): (&mut rollup::Days, &mut BTreeSet<rollup::Key>),
    now: Instant,
) -> R<()> {
    let mut moves: Vec<(Option<String>, Decimal, bool)> = vec![];
    for (plan, map_was, map_new) in [
        (false, &was.grants, &new.grants),
        (true, &was.plan, &new.plan),
    ] {
        let keys: BTreeSet<&String> = map_was.keys().chain(map_new.keys()).collect();
        for k in keys {
            let delta = map_new.get(k).copied().unwrap_or_default()
                - map_was.get(k).copied().unwrap_or_default();
            if !delta.is_zero() {
                moves.push((Some(k.clone()), delta, plan));
            }
        }
    }
    if new.owed != was.owed {
        moves.push((None, new.owed - was.owed, false));
    }
    let seconds = new.included as i64 - was.included as i64;
    if moves.is_empty() && seconds != 0 {
        moves.push((None, Decimal::ZERO, true));
    }
    for (i, (grant, delta, plan)) in moves.iter().enumerate() {
        let source = match (grant, plan) {
            (Some(_), true) => "plan_credits",
            (Some(_), false) => "grant",
            (None, false) => "owed",
            (None, true) => "included_minutes",
        };
        let mut detail =
            json!({ "source": source, "reason": "re-drawn in time order after late usage" });
        if i == 0 && seconds != 0 {
            detail["includedSeconds"] = json!(seconds);
        }
        let e = Entry {
            at: u.at,
            kind: "adjustment",
            reference: Some(&u.id),
            grant_id: grant.as_deref(),
            credits: -*delta,
            moved: if *plan { Decimal::ZERO } else { -*delta },
            detail,
        };
        entry(db, a, now, e)?;
    }
    unbook_lines(db, a, u, days, touched)?;
    keep_draw(db, a, (n, u, text), items, (days, touched))
}

/// An event's lines taken out of `usage_lines` and its day totals.
fn unbook_lines(
    db: &mut dyn Db,
    a: &Acct,
    u: &Usage,
    days: &mut rollup::Days,
    touched: &mut BTreeSet<rollup::Key>,
) -> R<()> {
    let rows = store(db.query(
        "SELECT day, channel, code, unit, quantity, credits FROM usage_lines WHERE account_id = $1 AND usage_id = $2",
        &[a.id.as_str().into(), (&*u.id).into()],
    ))?;
    for r in rows {
        let text = |i: usize| r[i].text().unwrap_or_default().to_string();
        let key = (text(0), text(1), text(2), text(3));
        let t = days.entry(key.clone()).or_default();
        t.quantity -= r[4].decimal("usage line quantity")?;
        t.credits -= r[5].decimal("usage line credits")?;
        t.lines -= 1;
        touched.insert(key);
    }
    store(db.exec(
        "DELETE FROM usage_lines WHERE account_id = $1 AND usage_id = $2",
        &[a.id.as_str().into(), (&*u.id).into()],
    ))?;
    Ok(())
}

/// Step `n`'s lines and day totals, and what it drew as the steps keep it
/// (`Drawn::to_json`'s text).
fn keep_draw(
    db: &mut dyn Db,
    a: &Acct,
    (n, u, text): (i64, &Usage, &str),
    items: &[Item],
    days: (&mut rollup::Days, &mut BTreeSet<rollup::Key>),
) -> R<()> {
    book_items(db, a, (&u.id, u.agent_id.as_deref()), items, days)?;
    store(db.exec(
        "UPDATE redraw_steps SET drawn = $1 WHERE account_id = $2 AND n = $3",
        &[text.into(), a.id.as_str().into(), n.into()],
    ))?;
    Ok(())
}

/// The day totals around every re-drawn step, in time order (local dates lie within a day
/// of UTC's).
fn days_of(db: &mut dyn Db, a: &Acct, kept: &[Kept]) -> R<rollup::Days> {
    let (Some(first), Some(last)) = (kept.first(), kept.last()) else {
        return Ok(rollup::Days::default());
    };
    let needs = Needs {
        days: Some(Needs::dates_around(first.timed.at, last.timed.at, 1)),
        ..Needs::default()
    };
    Ok(store(memo::read_known(db, &a.id, &needs))?.days)
}

/// One `balance.alert` when the re-drawn books left the alert state elsewhere.
fn alert_moved(db: &mut dyn Db, a: &mut Acct, old: &Account, now: Instant) -> R<()> {
    let from = old.alerts.as_ref().and_then(|x| x.state);
    let to = a.snap.alerts.as_ref().and_then(|x| x.state);
    if let (Some(from), Some(to)) = (from, to) {
        if from != to {
            let balance = super::accounts::balance(a, now);
            let payload = json!({ "type": "balance.alert", "accountId": a.id, "at": now,
                "from": from, "to": to, "balance": balance.to_string() });
            enqueue(db, a, "balance.alert", &payload, now)?;
        }
    }
    Ok(())
}
