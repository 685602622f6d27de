//! An account as the books hold it: its rate card and snapshot, loaded once per job and
//! saved once, its ledger entries and the events it queues for webhooks.

use crate::engine::calendar::Instant;
use crate::engine::model::{Account, RateCard};
use crate::engine::pools::spendable;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Failure, Kind, R};
use crate::server::storage::memo::AccountRow;
use crate::server::storage::memo::Db;
use rust_decimal::Decimal;
use serde_json::{json, Value};

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
pub fn load(db: &mut dyn Db, id: &str, lock: bool) -> R<Acct> {
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
                    ServerCode::AccountNotFound,
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
pub fn save(db: &mut dyn Db, a: &Acct) -> R<()> {
    let snap = serde_json::to_string(&a.snap).map_err(|e| Failure::internal(e.to_string()))?;
    // SEMANTICS 14: nothing is stored that the engine could not read back. A snapshot the
    // parser refuses (a grant or a debt past 10^15) rolls the whole job back instead.
    if let Err(e) = crate::ops::parse_text::<Account>(&snap) {
        return Err(Failure::new(
            ServerCode::AmountOutOfRange,
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

pub fn entry(db: &mut dyn Db, a: &mut Acct, now: Instant, e: Entry) -> R<i64> {
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

/// Queue a webhook in the same transaction as the change it reports.
pub fn enqueue(db: &mut dyn Db, a: &mut Acct, event: &str, payload: &Value, now: Instant) -> R<()> {
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
