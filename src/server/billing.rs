//! The authoritative side of billing: every write the server makes, as jobs that run on the
//! store's writer thread inside one transaction each. All credit arithmetic is the core's
//! (`ledger::apply`, `ledger::land`, `authorize_call`, `validate_auto_reload`), so what the
//! server deducts is what the dashboard previews (SEMANTICS 10).

use super::invoices;
use super::memo::{self, Known};
use super::rollup;
use super::store::{AccountRow, Needs, Row, Sql, Val};
use crate::calendar::Instant;
use crate::drawdown::{Preview, PreviewInput, Usage};
use crate::model::{Account, Grant, GrantType, RateCard};
use crate::pools::spendable;
use crate::tax::TopUpQuote;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub use super::outcome::{store, Done, Failure, Kind, R};

/// The payment-provider interface (seed 000: Stripe checkout). A payment either settles
/// when it is started, and its credits land in the same transaction, or it stays pending
/// until the provider confirms it through `POST /payments/{id}/settle` (where a real
/// provider's webhook lands); a pending auto-reload blocks the next one meanwhile.
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &'static str;
    /// Whether a payment started now is settled at once.
    fn settles_at_once(&self) -> bool;
    /// The secret a checkout UI confirms the payment with.
    fn client_secret(&self, payment_id: &str) -> R<String> {
        Ok(format!("{payment_id}_secret_{}", super::auth::token("")?))
    }
    /// Whose invoices settled payments get, and whose VAT is charged (`invoices::Invoicing`).
    fn seller(&self) -> Option<&super::invoices::Seller> {
        None
    }
}

/// The built-in test provider: every payment settles at once.
#[derive(Debug)]
pub struct TestProvider;

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }
    fn settles_at_once(&self) -> bool {
        true
    }
}

/// Payments wait for `POST /payments/{id}/settle`, as they would for a card provider.
#[derive(Debug)]
pub struct ManualProvider;

impl PaymentProvider for ManualProvider {
    fn name(&self) -> &'static str {
        "manual"
    }
    fn settles_at_once(&self) -> bool {
        false
    }
}

pub type Provider = std::sync::Arc<dyn PaymentProvider>;

/// An account row: its rate card, its snapshot (the core's `Account`), and the sequence
/// number of its last ledger entry.
pub struct Acct {
    pub id: String,
    pub card: RateCard,
    pub snap: Account,
    pub seq: i64,
}

/// The account, locked for the job (`FOR UPDATE` on PostgreSQL) when `lock`. Within the
/// writer's group it is read once and then kept (`store::Memo`).
pub fn load(db: &mut dyn Sql, id: &str, lock: bool) -> R<Acct> {
    let row = match db.memo().get(id) {
        Some(row) => row,
        None => {
            let sql = format!(
                "SELECT rate_card, snapshot, seq FROM accounts WHERE id = $1{}",
                if lock { db.for_update() } else { "" }
            );
            let rows = store(db.query(&sql, &[id.into()]))?;
            let Some(r) = rows.first() else {
                return Err(Failure::new(
                    Kind::NotFound,
                    "account_not_found",
                    None,
                    "no such account",
                ));
            };
            let row = AccountRow {
                rate_card: r[0].text().unwrap_or("").to_string(),
                snapshot: r[1].text().unwrap_or("").to_string(),
                seq: r[2].int().unwrap_or(0),
            };
            db.memo().remember(id, row.clone());
            row
        }
    };
    let card = crate::ops::parse_text::<RateCard>(&row.rate_card)
        .map_err(|e| Failure::from_error(Kind::Internal, &e))?;
    let snap = crate::ops::parse_text::<Account>(&row.snapshot)
        .map_err(|e| Failure::from_error(Kind::Internal, &e))?;
    Ok(Acct {
        id: id.to_string(),
        card,
        snap,
        seq: row.seq,
    })
}

/// Keep the job's account: written to the table once, before the group commits.
pub fn save(db: &mut dyn Sql, a: &Acct) -> R<()> {
    let snap = serde_json::to_string(&a.snap).unwrap_or_default();
    // SEMANTICS 14: nothing is stored that the engine could not read back. A snapshot the
    // parser refuses (a grant or a debt past 10^15) rolls the whole job back instead.
    if let Err(e) = crate::ops::parse_text::<Account>(&snap) {
        return Err(Failure::new(
            Kind::Invalid,
            "amount_out_of_range",
            e.field
                .as_deref()
                .map(|f| format!("account.{f}"))
                .as_deref(),
            format!(
                "this would leave the account past the engine's bounds (|x| <= 10^15): {}",
                e.message
            ),
        ));
    }
    match db.memo().get(&a.id) {
        Some(r) => {
            let row = AccountRow {
                rate_card: r.rate_card,
                snapshot: snap,
                seq: a.seq,
            };
            db.memo().change(&a.id, row);
        }
        None => {
            store(db.exec(
                "UPDATE accounts SET snapshot = $1, seq = $2 WHERE id = $3",
                &[snap.into(), a.seq.into(), a.id.as_str().into()],
            ))?;
        }
    }
    Ok(())
}

pub fn balance(a: &Acct, t: Instant) -> Decimal {
    spendable(&a.snap.grants, a.snap.owed.unwrap_or_default(), Some(t))
}

/// One ledger entry, numbered in the account's sequence (SEMANTICS 10).
pub struct Entry<'a> {
    pub at: Instant,
    pub kind: &'a str,
    pub reference: Option<&'a str>,
    pub grant_id: Option<&'a str>,
    pub credits: Decimal,
    pub before: Decimal,
    pub after: Decimal,
    pub detail: Value,
}

pub fn entry(db: &mut dyn Sql, a: &mut Acct, now: Instant, e: Entry) -> R<i64> {
    a.seq += 1;
    store(db.exec(
        "INSERT INTO ledger (account_id, seq, at, recorded_at, kind, reference, grant_id, credits, \
         balance_before, balance_after, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            a.id.as_str().into(),
            a.seq.into(),
            e.at.to_string().into(),
            now.to_string().into(),
            e.kind.into(),
            e.reference.into(),
            e.grant_id.into(),
            e.credits.to_string().into(),
            e.before.to_string().into(),
            e.after.to_string().into(),
            (!e.detail.is_null()).then(|| e.detail.to_string()).into(),
        ],
    ))?;
    Ok(a.seq)
}

/// The stored answer for an idempotency key: `Some(reply)` to replay it, an error when the
/// key was used for a different request, `None` when the key is new.
pub fn idempotent(db: &mut dyn Sql, account: &str, key: &str, hash: &str) -> R<Option<Done>> {
    if let Some(row) = db.memo().key(account, key) {
        return replay(row.as_ref(), hash);
    }
    let rows = store(db.query(IDEMPOTENCY, &[account.into(), key.into()]))?;
    replay(rows.first(), hash)
}

const IDEMPOTENCY: &str =
    "SELECT request_hash, status, response FROM idempotency WHERE account_id = $1 AND key = $2";

/// The recorded answer of an idempotency row, if the request is the same.
fn replay(row: Option<&Row>, hash: &str) -> R<Option<Done>> {
    let Some(row) = row else {
        return Ok(None);
    };
    if row[0].text() != Some(hash) {
        return Err(Failure::new(
            Kind::Invalid,
            "idempotency_key_reused",
            Some("Idempotency-Key"),
            "this idempotency key was used for a different request",
        ));
    }
    let status = row[1].int().unwrap_or(200);
    let body = serde_json::from_str(row[2].text().unwrap_or("null")).unwrap_or(Value::Null);
    match status {
        200 | 201 => Ok(Some(Done {
            body,
            created: status == 201,
            replayed: true,
        })),
        // Answers recorded before jobs told failures apart kept their status.
        _ => Err(Failure {
            replayed: true,
            ..Failure::with_body(Kind::from_status(status as u16), body)
        }),
    }
}

/// Record a job's answer under its idempotency key (failures are not recorded: nothing of
/// them was kept, so the request may be tried again).
pub fn remember(db: &mut dyn Sql, account: &str, key: &str, hash: &str, r: &Done) -> R<()> {
    let status: i64 = if r.created { 201 } else { 200 };
    let row: Row = vec![hash.into(), status.into(), r.body.to_string().into()];
    let params = [vec![account.into(), key.into()], row.clone()].concat();
    store(db.exec(
        "INSERT INTO idempotency (account_id, key, request_hash, status, response) VALUES ($1, $2, $3, $4, $5)",
        &params,
    ))?;
    db.memo().remember_key(account, key, row);
    Ok(())
}

/// Run a write once per idempotency key: replay the first answer, refuse a reused key.
pub fn once(
    db: &mut dyn Sql,
    account: &str,
    key: &str,
    hash: &str,
    f: impl FnOnce(&mut dyn Sql) -> R<Done>,
) -> R<Done> {
    if let Some(r) = idempotent(db, account, key, hash)? {
        return Ok(r);
    }
    let r = f(db)?;
    remember(db, account, key, hash, &r)?;
    Ok(r)
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

/// The live skew when none is set (SEMANTICS 11).
pub use crate::call_body::DEFAULT_LIVE_SKEW_SECONDS;

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
        crate::call_body::live_at(at, now, self.live_skew.num_seconds(), field)
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

/// The longest usage id (bytes) the server stores.
pub use crate::call_body::MAX_ID;

/// Usage ids are 1 to `MAX_ID` bytes without control characters (a NUL cannot be stored),
/// each once in a body: checked before anything is read.
fn check_ids(events: &[Usage]) -> R<()> {
    let mut ids = BTreeSet::new();
    for (i, u) in events.iter().enumerate() {
        let field = format!("events[{i}].id");
        if !crate::call_body::valid_id(&u.id) {
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
fn check_window(events: &[Usage], w: Window, now: Instant) -> R<()> {
    for (i, u) in events.iter().enumerate() {
        w.check(u.at, now, &format!("events[{i}].at"))?;
        if let Some(t) = u.through {
            w.check(t, now, &format!("events[{i}].through"))?;
        }
    }
    Ok(())
}

/// Events recorded before are `409 duplicate_usage`.
fn check_unseen(events: &[Usage], seen: &BTreeSet<String>) -> R<()> {
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
    db: &mut dyn Sql,
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
fn record_usage(
    db: &mut dyn Sql,
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
        let applied = crate::ledger::apply(&input, provider.settles_at_once())
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
    db: &mut dyn Sql,
    account: &str,
    (usage_id, agent, n): (&str, Option<&str>, &mut i64),
    item: &crate::drawdown::Item,
    tz: crate::calendar::Zone,
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
    db: &mut dyn Sql,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    reloads: &[crate::reload::ReloadEvent],
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

/// Grants past their expiry at the server's clock with credits left get one `expiry` entry
/// each. Booked against `now`, never an event's instant: a far-future event must not expire
/// grants (SEMANTICS 14), and the wallet (the balance at `now`) then equals the ledger's sum.
pub fn book_expiries(db: &mut dyn Sql, a: &mut Acct, now: Instant) -> R<Vec<String>> {
    if due(a, now).is_empty() {
        return Ok(vec![]);
    }
    let booked = booked_expiries(db, &a.id)?;
    book_due(db, a, now, &booked)
}

/// Grants past their expiry at `now` with credits left.
fn due(a: &Acct, now: Instant) -> Vec<Grant> {
    a.snap
        .grants
        .iter()
        .filter(|g| g.kind != GrantType::Plan && g.remaining > Decimal::ZERO)
        .filter(|g| g.expires_at.is_some_and(|x| x <= now))
        .cloned()
        .collect()
}

/// Book the due expiries not in `booked` (the account's booked expiries, already read);
/// answers the grants it booked.
fn book_due(
    db: &mut dyn Sql,
    a: &mut Acct,
    now: Instant,
    booked: &BTreeSet<String>,
) -> R<Vec<String>> {
    let mut now_booked = vec![];
    for g in due(a, now).into_iter().filter(|g| !booked.contains(&g.id)) {
        let x = g.expires_at.unwrap_or(now);
        let after = balance(a, now);
        entry(
            db,
            a,
            now,
            Entry {
                at: x,
                kind: "expiry",
                reference: None,
                grant_id: Some(&g.id),
                credits: -g.remaining,
                before: after + g.remaining,
                after,
                detail: Value::Null,
            },
        )?;
        store(db.exec(
            "INSERT INTO grant_expiries (account_id, grant_id) VALUES ($1, $2)",
            &[a.id.as_str().into(), g.id.as_str().into()],
        ))?;
        db.memo().book_expiry(&a.id, &g.id);
        now_booked.push(g.id);
    }
    Ok(now_booked)
}

/// The grants of an account whose expiry the ledger has booked.
fn booked_expiries(db: &mut dyn Sql, account: &str) -> R<BTreeSet<String>> {
    if let Some(set) = db.memo().expired(account) {
        return Ok(set);
    }
    let rows = store(db.query(
        "SELECT grant_id FROM grant_expiries WHERE account_id = $1",
        &[account.into()],
    ))?;
    Ok(rows
        .iter()
        .filter_map(|r| r[0].text().map(str::to_string))
        .collect())
}

/// What usage took from grants whose expiry is already booked: late usage, dated while the
/// grant was still active, rightly draws it (SEMANTICS 5), so the booked expiry was too large.
fn drawn_from(
    before: &[Grant],
    after: &[Grant],
    expired: &BTreeSet<String>,
) -> Vec<(String, Decimal)> {
    before
        .iter()
        .filter(|g| expired.contains(&g.id))
        .filter_map(|g| {
            let now = after.iter().find(|h| h.id == g.id)?.remaining;
            (now < g.remaining).then(|| (g.id.clone(), g.remaining - now))
        })
        .collect()
}

/// An `expiry_reversal` entry gives back what late usage drew from an expired grant: the
/// usage entry counted it, the expiry had already written it off, and the wallet (which no
/// longer counts the grant) did not move, so the ledger's credits still sum to the wallet.
fn reverse_expiry(
    db: &mut dyn Sql,
    a: &mut Acct,
    grant: &str,
    credits: Decimal,
    u: &Usage,
    now: Instant,
) -> R<()> {
    let bal = balance(a, now);
    entry(
        db,
        a,
        now,
        Entry {
            at: u.at,
            kind: "expiry_reversal",
            reference: Some(&u.id),
            grant_id: Some(grant),
            credits,
            before: bal,
            after: bal,
            detail: json!({ "reason": "usage dated before the grant expired" }),
        },
    )?;
    Ok(())
}

/// A payment row for `amount` net, charged gross of the VAT its quote adds (SEMANTICS 13),
/// and its invoice once settled. Returns the payment id and the quote.
#[allow(clippy::too_many_arguments)]
pub fn payment(
    db: &mut dyn Sql,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    purpose: &str,
    amount: Decimal,
    credits: Decimal,
    grant_id: &str,
    status: &str,
    now: Instant,
) -> R<(String, Option<TopUpQuote>)> {
    // One read of the billing profile serves the quote and the invoice.
    let profile = super::profile::load(db, &a.id)?;
    let quote = provider
        .seller()
        .map(|s| invoices::quote_for(s, &profile, a, amount, now))
        .transpose()?;
    a.seq += 1;
    let id = format!("pay_{}_{}", a.id, a.seq);
    let secret = provider.client_secret(&id)?;
    let gross = quote.as_ref().map_or(amount, |q| q.gross);
    let quote_json = quote
        .as_ref()
        .map(|q| serde_json::to_string(q).unwrap_or_default());
    store(db.exec(
        "INSERT INTO payments (id, account_id, purpose, amount, currency, credits, status, grant_id, client_secret, created_at, settled_at, gross, quote) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            id.as_str().into(),
            a.id.as_str().into(),
            purpose.into(),
            amount.to_string().into(),
            a.card.currency.code.as_str().into(),
            credits.to_string().into(),
            status.into(),
            grant_id.into(),
            secret.into(),
            now.to_string().into(),
            (status == "settled").then(|| now.to_string()).into(),
            gross.to_string().into(),
            quote_json.into(),
        ],
    ))?;
    if status == "settled" {
        invoices::issue(
            db,
            provider.seller(),
            &profile,
            a,
            &id,
            amount,
            credits,
            quote.as_ref(),
            now,
        )?;
    }
    Ok((id, quote))
}

/// Queue a webhook in the same transaction as the change it reports.
pub fn enqueue(
    db: &mut dyn Sql,
    a: &mut Acct,
    event: &str,
    payload: &Value,
    now: Instant,
) -> R<()> {
    a.seq += 1;
    let id = format!("evt_{}_{}", a.id, a.seq);
    let mut payload = payload.clone();
    payload["id"] = json!(id);
    store(db.exec(
        "INSERT INTO outbox (id, account_id, event, payload, attempts, next_attempt_ms, status) VALUES ($1, $2, $3, $4, 0, $5, 'pending')",
        &[
            id.as_str().into(),
            a.id.as_str().into(),
            event.into(),
            payload.to_string().into(),
            now.0.timestamp_millis().into(),
        ],
    ))?;
    Ok(())
}

/// Credits landing in the wallet (manual credit, settled top-up or reload): they pay what
/// is owed first (SEMANTICS 5.3). One ledger entry.
pub fn land(
    db: &mut dyn Sql,
    a: &mut Acct,
    grant: Grant,
    kind: &str,
    reference: Option<&str>,
    now: Instant,
) -> R<Value> {
    let t = grant.effective_at.unwrap_or(now);
    let before = balance(a, t);
    let credits = grant.remaining;
    check_bounds(a, credits)?;
    let id = grant.id.clone();
    let settled = crate::ledger::land(&mut a.snap, grant).map_err(Failure::invalid)?;
    let after = balance(a, t);
    entry(
        db,
        a,
        now,
        Entry {
            at: t,
            kind,
            reference,
            grant_id: Some(&id),
            credits,
            before,
            after,
            detail: json!({ "settledOwed": settled.to_string() }),
        },
    )?;
    Ok(
        json!({ "grantId": id, "credits": credits.to_string(), "settledOwed": settled.to_string(),
               "balanceBefore": before.to_string(), "balanceAfter": after.to_string() }),
    )
}

/// SEMANTICS 14: credits that would take a grant or the account's credits past the input
/// bounds (10^15) are refused, so nothing is stored that the engine could not read back.
pub fn check_bounds(a: &Acct, credits: Decimal) -> R<()> {
    let max = Decimal::from(crate::amount::MAX_AMOUNT);
    let held: Decimal = a.snap.grants.iter().map(|g| g.remaining).sum();
    if credits > max || held + credits > max {
        return Err(Failure::new(
            Kind::Invalid,
            "amount_out_of_range",
            Some("amount"),
            format!(
                "the account would hold {} credits; the bound is 10^15",
                held + credits
            ),
        ));
    }
    Ok(())
}

/// The `columns` of payment `id`, or `payment_not_found`.
fn payment_row(db: &mut dyn Sql, id: &str, columns: &str) -> R<Row> {
    let sql = format!("SELECT {columns} FROM payments WHERE id = $1");
    let rows = store(db.query(&sql, &[id.into()]))?;
    rows.into_iter()
        .next()
        .ok_or_else(|| Failure::new(Kind::NotFound, "payment_not_found", None, "no such payment"))
}

/// Settle a pending payment (the provider confirmed it): its credits land.
pub fn settle_payment(
    db: &mut dyn Sql,
    provider: &dyn PaymentProvider,
    id: &str,
    now: Instant,
) -> R<Done> {
    let row = &payment_row(
        db,
        id,
        "account_id, purpose, amount, credits, status, grant_id, quote",
    )?;
    let account = row[0].text().unwrap_or("").to_string();
    let dec = |v: &Val| {
        v.text()
            .and_then(|s| s.parse::<Decimal>().ok())
            .unwrap_or_default()
    };
    let (amount, credits) = (dec(&row[2]), dec(&row[3]));
    if row[4].text() == Some("settled") {
        return Ok(Done::ok(json!({ "id": id, "status": "settled" })));
    }
    let mut a = load(db, &account, true)?;
    book_expiries(db, &mut a, now)?;
    let landed = if row[1].text() == Some("reload") {
        let before = balance(&a, now);
        let (g, settled) = crate::ledger::settle_reload(&mut a.snap).map_err(Failure::invalid)?;
        let after = balance(&a, now);
        entry(
            db,
            &mut a,
            now,
            Entry {
                at: now,
                kind: "reload",
                reference: Some(id),
                grant_id: Some(&g.id),
                credits,
                before,
                after,
                detail: json!({ "settledOwed": settled.to_string() }),
            },
        )?;
        json!({ "grantId": g.id, "balanceAfter": after.to_string() })
    } else {
        let grant = Grant::prepaid(row[5].text().unwrap_or("").to_string(), credits, now);
        land(db, &mut a, grant, "topup", Some(id), now)?
    };
    store(db.exec(
        "UPDATE payments SET status = 'settled', settled_at = $1 WHERE id = $2",
        &[now.to_string().into(), id.into()],
    ))?;
    let quote: Option<TopUpQuote> = row[6].text().and_then(|q| serde_json::from_str(q).ok());
    let profile = super::profile::load(db, &a.id)?;
    invoices::issue(
        db,
        provider.seller(),
        &profile,
        &a,
        id,
        amount,
        credits,
        quote.as_ref(),
        now,
    )?;
    save(db, &a)?;
    Ok(Done::ok(
        json!({ "id": id, "status": "settled", "landed": landed }),
    ))
}

/// Refund a settled payment whose credits are all still unspent: the credits leave the wallet
/// (one `refund` entry) and a credit note that refers to the invoice is issued. A repeated
/// refund answers the same credit note.
pub fn refund_payment(db: &mut dyn Sql, id: &str, now: Instant) -> R<Done> {
    let row = &payment_row(db, id, "account_id, credits, status, grant_id, refunded_at")?;
    let conflict =
        |code: &str, msg: &str| Err(Failure::new(Kind::Conflict, code, None, msg.to_string()));
    if let (Some(_), Some(note)) = (row[4].text(), invoices::of_payment(db, id, "credit_note")?) {
        return Ok(Done::ok(
            json!({ "id": id, "status": "refunded", "creditNote": note }),
        ));
    }
    if row[2].text() != Some("settled") {
        return conflict(
            "payment_not_settled",
            "only a settled payment can be refunded",
        );
    }
    let Some(invoice) = invoices::of_payment(db, id, "invoice")? else {
        return conflict(
            "no_invoice",
            "this payment was settled before invoices were numbered; refund it by hand",
        );
    };
    let credits: Decimal = row[1]
        .text()
        .and_then(|c| c.parse().ok())
        .unwrap_or_default();
    let grant_id = row[3].text().unwrap_or_default().to_string();
    let mut a = load(db, row[0].text().unwrap_or_default(), true)?;
    book_expiries(db, &mut a, now)?;
    let unspent = a
        .snap
        .grants
        .iter()
        .any(|g| g.id == grant_id && g.remaining == credits);
    if !unspent {
        return conflict("credits_spent", "some of the payment's credits are spent or expired; only an unspent top-up is refunded");
    }
    let before = balance(&a, now);
    a.snap.grants.retain(|g| g.id != grant_id);
    let after = balance(&a, now);
    let e = Entry {
        at: now,
        kind: "refund",
        reference: Some(id),
        grant_id: Some(&grant_id),
        credits: -credits,
        before,
        after,
        detail: json!({ "invoice": invoice.number }),
    };
    entry(db, &mut a, now, e)?;
    let note = invoices::credit_note(db, &a, &invoice, now)?;
    store(db.exec(
        "UPDATE payments SET refunded_at = $1 WHERE id = $2",
        &[now.to_string().into(), id.into()],
    ))?;
    save(db, &a)?;
    Ok(Done::ok(
        json!({ "id": id, "status": "refunded", "creditNote": note, "balanceAfter": after.to_string() }),
    ))
}
