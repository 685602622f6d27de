//! The steps the books keep for SEMANTICS 15 ("late usage bills as if it had arrived in
//! time order"): every usage event drawn, credits landed and reload paid, numbered in the
//! order they were recorded (`n`, from the account's id counter), and checkpoints of the
//! account at (`at`, `n`), each holding exactly the steps before it in time order (ties by
//! `n`): written before a step drawn in time order, and at day boundaries of a re-draw. A
//! late event is re-drawn from the last checkpoint at or before its instant through every
//! step since (`engine::redraw`). Checkpoints dated after a step that arrives late no longer hold the
//! time order and are dropped; a barrier (a plan switch, a refund, allowances held back for
//! a fee) changes the account in ways no step replays, so no re-draw starts before one.

use super::accounts::Acct;
use crate::engine::calendar::Instant;
use crate::engine::model::Account;
use crate::engine::redraw::{Step, Timed};
use crate::server::outcome::{store, Failure, R};
use crate::server::storage::memo::Db;
use serde_json::{json, Value};

/// How often an account in use gets a checkpoint: a late event re-draws at most this much
/// of its recent traffic besides the span it reaches back (BENCHMARKS.md, issue 26).
pub const CHECKPOINT_EVERY_SECONDS: i64 = 86_400;

/// An instant as the steps' tables order it: nanoseconds since the epoch.
fn ns(t: Instant) -> i64 {
    t.0.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

fn internal(e: impl std::fmt::Display) -> Failure {
    Failure::internal(format!("a recorded step cannot be read back: {e}"))
}

/// Record `step` at `at`, with what it drew (`drawn`, for usage); checkpoints dated after
/// `at` no longer hold the time order. Answers the step's number.
pub fn append(
    db: &mut dyn Db,
    a: &mut Acct,
    at: Instant,
    step: &Step,
    drawn: Option<&Value>,
) -> R<i64> {
    let (kind, body) = match step {
        Step::Usage(u) => ("usage", serde_json::to_string(u)),
        Step::Land(g) => ("land", serde_json::to_string(g)),
        Step::Reload(r) => (
            "reload",
            serde_json::to_string(&json!({
            "id": r.id, "credits": r.credits.to_string(), "amount": r.amount.to_string(),
            "multiple": r.multiple })),
        ),
    };
    let body = body.map_err(internal)?;
    let n = a.next_id();
    store(db.exec(
        "INSERT INTO redraw_steps (account_id, n, at_ns, kind, body, drawn) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            a.id.as_str().into(),
            n.into(),
            ns(at).into(),
            kind.into(),
            body.into(),
            drawn.map(|d| d.to_string()).into(),
        ],
    ))?;
    store(db.exec(
        "DELETE FROM redraw_checkpoints WHERE account_id = $1 AND at_ns > $2 AND barrier = 0",
        &[a.id.as_str().into(), ns(at).into()],
    ))?;
    Ok(n)
}

/// A checkpoint of the account as it is now, at `at`: it holds every step recorded so far.
/// A barrier's instant is the latest step's when that lies ahead (usage may be dated a few
/// minutes ahead of the clock): a checkpoint holds the steps before its instant.
pub fn checkpoint(db: &mut dyn Db, a: &Acct, at: Instant, barrier: bool) -> R<()> {
    let at_ns = match barrier {
        true => last_at(db, &a.id)?.map_or(ns(at), |l| l.max(ns(at))),
        false => ns(at),
    };
    write_checkpoint(db, a, at_ns, barrier)
}

/// A re-draw's checkpoint: `snap`, the account before step `n` at `at`.
pub fn redrawn(db: &mut dyn Db, account: &str, (at, n): (Instant, i64), snap: &Account) -> R<()> {
    put(db, account, (ns(at), n), false, snap)
}

/// The account's opening checkpoint: before every step, so whatever is dated before the
/// first step re-draws from it (written when the account is created, or at the first step
/// of books from before the steps were kept).
pub fn opening(db: &mut dyn Db, a: &Acct) -> R<()> {
    write_checkpoint(db, a, OPENING, false)
}

/// The opening checkpoint's instant: before any.
const OPENING: i64 = i64::MIN;

fn write_checkpoint(db: &mut dyn Db, a: &Acct, at_ns: i64, barrier: bool) -> R<()> {
    put(db, &a.id, (at_ns, a.ids + 1), barrier, &a.snap)
}

/// Checkpoint (`at_ns`, `n`) of `account` written, or written again.
fn put(
    db: &mut dyn Db,
    account: &str,
    (at_ns, n): (i64, i64),
    barrier: bool,
    snap: &Account,
) -> R<()> {
    let snap = serde_json::to_string(snap).map_err(internal)?;
    store(db.exec(
        "DELETE FROM redraw_checkpoints WHERE account_id = $1 AND at_ns = $2 AND n = $3",
        &[account.into(), at_ns.into(), n.into()],
    ))?;
    store(db.exec(
        "INSERT INTO redraw_checkpoints (account_id, n, at_ns, barrier, snapshot) VALUES ($1, $2, $3, $4, $5)",
        &[account.into(), n.into(), at_ns.into(), i64::from(barrier).into(), snap.into()],
    ))?;
    Ok(())
}

/// Before drawing a step at `at` in time order: a checkpoint when the last is a day older
/// (the opening one when there is none), and what lies before the window (`keep_from`) let
/// go, all but the last checkpoint before it.
pub fn due_checkpoint(db: &mut dyn Db, a: &Acct, at: Instant, keep_from: Instant) -> R<()> {
    let rows = store(db.query(
        "SELECT MAX(at_ns) FROM redraw_checkpoints WHERE account_id = $1",
        &[a.id.as_str().into()],
    ))?;
    let last = rows.first().and_then(|r| r[0].int());
    let Some(last) = last else {
        return opening(db, a);
    };
    if last > ns(at) - CHECKPOINT_EVERY_SECONDS * 1_000_000_000 {
        return Ok(());
    }
    checkpoint(db, a, at, false)?;
    let id = a.id.as_str();
    store(db.exec(
        "DELETE FROM redraw_checkpoints WHERE account_id = $1 AND at_ns < \
         (SELECT MAX(at_ns) FROM redraw_checkpoints WHERE account_id = $1 AND at_ns < $2)",
        &[id.into(), ns(keep_from).into()],
    ))?;
    store(db.exec(
        "DELETE FROM redraw_steps WHERE account_id = $1 AND at_ns < \
         (SELECT MIN(at_ns) FROM redraw_checkpoints WHERE account_id = $1)",
        &[id.into()],
    ))?;
    Ok(())
}

/// The instant of the latest step recorded (`None`: none yet).
pub fn last_at(db: &mut dyn Db, account: &str) -> R<Option<i64>> {
    let rows = store(db.query(
        "SELECT MAX(at_ns) FROM redraw_steps WHERE account_id = $1",
        &[account.into()],
    ))?;
    Ok(rows.first().and_then(|r| r[0].int()))
}

/// Whether an event at `t` is late: a step or a renewal already lies after it.
pub fn is_late(db: &mut dyn Db, a: &Acct, t: Instant) -> R<bool> {
    let renewed = a.snap.cycle.as_ref().is_some_and(|c| c.start > t);
    Ok(renewed || last_at(db, &a.id)?.is_some_and(|l| l > ns(t)))
}

/// A step kept, with its number and what it drew.
pub struct Kept {
    pub n: i64,
    pub timed: Timed,
    /// What it drew as the books keep it (JSON text, read only where it may have moved).
    pub drawn: Option<String>,
}

/// Where a re-draw reaching back to `t` starts: the last barrier when it lies after `t`,
/// else the last checkpoint at or before `t` (the earliest kept when none is); its account
/// and the steps it does not hold, in time order. `None`: the account has no checkpoint.
pub fn since(db: &mut dyn Db, account: &str, t: Instant) -> R<Option<(Account, Vec<Kept>)>> {
    let rows = store(db.query(
        "SELECT n, at_ns, barrier, snapshot FROM redraw_checkpoints WHERE account_id = $1 ORDER BY at_ns, n",
        &[account.into()],
    ))?;
    let barrier = rows.iter().rposition(|r| r[2].int() == Some(1));
    let at_or_before = rows
        .iter()
        .rposition(|r| r[1].int().is_some_and(|x| x <= ns(t)));
    let pick = match (barrier, at_or_before) {
        (Some(b), Some(c)) => Some(b.max(c)),
        (b, c) => b.or(c).or((!rows.is_empty()).then_some(0)),
    };
    let Some(row) = pick.map(|i| &rows[i]) else {
        return Ok(None);
    };
    let (n, at) = (
        row[0].int().unwrap_or_default(),
        row[1].int().unwrap_or_default(),
    );
    let cp: Account = serde_json::from_str(row[3].text().unwrap_or_default()).map_err(internal)?;
    let steps = store(db.query(
        "SELECT n, kind, body, drawn, at_ns FROM redraw_steps WHERE account_id = $1 \
         AND (at_ns > $2 OR (at_ns = $2 AND n >= $3)) ORDER BY at_ns, n",
        &[account.into(), at.into(), n.into()],
    ))?;
    let kept = steps.iter().map(|r| kept(r)).collect::<R<Vec<_>>>()?;
    Ok(Some((cp, kept)))
}

fn kept(r: &[crate::server::storage::sql::Val]) -> R<Kept> {
    let body = r[2].text().unwrap_or_default();
    let at = Instant(chrono::DateTime::from_timestamp_nanos(
        r[4].int().unwrap_or_default(),
    ));
    let step = match r[1].text().unwrap_or_default() {
        "usage" => Step::Usage(serde_json::from_str(body).map_err(internal)?),
        "land" => Step::Land(serde_json::from_str(body).map_err(internal)?),
        _ => Step::Reload(paid_reload(body, at)?),
    };
    let at = match &step {
        Step::Usage(u) => u.at,
        _ => at,
    };
    let drawn = r[3].text().map(str::to_string);
    Ok(Kept {
        n: r[0].int().unwrap_or_default(),
        timed: Timed { at, step },
        drawn,
    })
}

/// A paid reload as the steps keep it.
fn paid_reload(body: &str, at: Instant) -> R<crate::engine::reload::ReloadEvent> {
    let v: Value = serde_json::from_str(body).map_err(internal)?;
    let dec = |k: &str| -> R<rust_decimal::Decimal> {
        v[k].as_str().unwrap_or_default().parse().map_err(internal)
    };
    Ok(crate::engine::reload::ReloadEvent {
        amount: dec("amount")?,
        at,
        credits: dec("credits")?,
        id: v["id"].as_str().unwrap_or_default().to_string(),
        multiple: v["multiple"].as_u64().unwrap_or(1),
        settled_owed: rust_decimal::Decimal::ZERO,
        paid: true,
    })
}
