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
use std::collections::BTreeSet;

/// An account row: its rate card, its snapshot (the core's `Account`), the number of its
/// last ledger entry, the counter its webhook and payment ids are numbered from, and its
/// ledger's running balance.
pub struct Acct {
    pub id: String,
    pub card: RateCard,
    pub snap: Account,
    pub seq: i64,
    pub ids: i64,
    /// The last ledger entry's `balanceAfter`: where the next entry's `balanceBefore` starts
    /// (SEMANTICS 15 "The ledger chains").
    pub balance: Decimal,
    /// The next instant time alone changes the account, as last saved, and how far the
    /// scheduler has been (ms since the epoch; `schedule`).
    pub due_ms: Option<i64>,
    pub through_ms: Option<i64>,
    /// Days ahead of an expiry that `grant.expiring` goes out.
    pub expiring_days: Vec<u32>,
    /// The cycle start whose plan fee is dealt with (`fees`; `None`: the current one is
    /// taken as paid when first seen).
    pub fee_cycle: Option<Instant>,
    /// `balance.runway_low`: the threshold in days and when the runway fell under it.
    pub runway_low_days: u32,
    pub runway_low_since: Option<Instant>,
    /// When the scheduler last forecast the account's runway (ms since the epoch).
    pub runway_checked_ms: Option<i64>,
    /// The card's later versions in force, in order of `effectiveFrom` (what the engine
    /// prices each item by, `card` being version 1), and every later version kept.
    pub versions: Vec<RateCard>,
    pub price_history: Vec<super::card_versions::Version>,
}

impl Acct {
    /// Moves whenever the account's books do (an entry, a webhook, a payment): what an edge
    /// compares to learn that its copy is stale.
    pub fn version(&self) -> i64 {
        self.seq + self.ids
    }

    /// The next webhook or payment id's number; ledger numbers stay for money entries.
    pub fn next_id(&mut self) -> i64 {
        self.ids += 1;
        self.ids
    }
}

/// The account, locked for the job (`FOR UPDATE` on PostgreSQL) when `lock`. Within the
/// writer's group it is read once and then kept (`store::Memo`).
pub fn load(db: &mut dyn Db, id: &str, lock: bool) -> R<Acct> {
    let row = match db.memo().get(id) {
        Some(row) => row,
        None => {
            let sql = format!(
                "SELECT {} FROM accounts WHERE id = $1{}",
                AccountRow::COLUMNS,
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
            let row = AccountRow::from_row(r, 0);
            db.memo().remember(id, row.clone());
            row
        }
    };
    let card = crate::ops::parse_text::<RateCard>(&row.rate_card)
        .map_err(|e| Failure::from_error(Kind::Internal, &e))?;
    let snap = crate::ops::parse_text::<Account>(&row.snapshot)
        .map_err(|e| Failure::from_error(Kind::Internal, &e))?;
    let balance = match &row.balance {
        Some(b) => b.parse().map_err(|e| {
            Failure::internal(format!(
                "stored ledger balance `{b}` does not read back: {e}"
            ))
        })?,
        None => opening(db, id, &snap)?,
    };
    let (price_history, versions) = super::card_versions::parse(row.rate_card_versions.as_deref())?;
    // Books from before fees were charged take the current cycle as paid.
    let fee_cycle = stored_instant(row.fee_cycle.as_deref(), "fee_cycle")?
        .or(snap.cycle.as_ref().map(|c| c.start));
    Ok(Acct {
        id: id.to_string(),
        card,
        snap,
        seq: row.seq,
        ids: row.ids,
        balance,
        due_ms: row.due_ms,
        through_ms: row.through_ms,
        expiring_days: super::due::expiring_days(row.expiring_days.as_deref()),
        fee_cycle,
        runway_low_days: row
            .runway_low_days
            .and_then(|d| u32::try_from(d).ok())
            .unwrap_or(super::due::DEFAULT_RUNWAY_LOW_DAYS),
        runway_low_since: stored_instant(row.runway_low_since.as_deref(), "runway_low_since")?,
        runway_checked_ms: row.runway_checked_ms,
        versions,
        price_history,
    })
}

fn stored_instant(text: Option<&str>, column: &str) -> R<Option<Instant>> {
    text.map(|t| {
        Instant::parse(t)
            .ok_or_else(|| Failure::internal(format!("stored {column} `{t}` does not read back")))
    })
    .transpose()
}

/// Where the ledger's running balance starts for books from before it was kept (migration
/// 7): the wallet as the ledger sees it, every non-plan grant less what is owed, less what
/// the ledger has already written off as expired. Their earlier entries' balances were each
/// worked out at the entry's instant and do not chain; from here on, entries do.
fn opening(db: &mut dyn Db, id: &str, snap: &Account) -> R<Decimal> {
    let expired = booked_expiries(db, id)?;
    let written_off: Decimal = snap
        .grants
        .iter()
        .filter(|g| expired.contains(&g.id))
        .map(|g| g.remaining)
        .sum();
    Ok(booked(snap) - written_off)
}

/// The grants of an account whose expiry the ledger has booked.
pub(crate) fn booked_expiries(db: &mut dyn Db, account: &str) -> R<BTreeSet<String>> {
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
    let rate_card = match db.memo().get(&a.id) {
        Some(r) => Some(r.rate_card),
        None => None,
    };
    let row = AccountRow {
        rate_card: rate_card.clone().unwrap_or_default(),
        snapshot: snap,
        seq: a.seq,
        ids: a.ids,
        balance: Some(a.balance.to_string()),
        due_ms: super::due::next_due(
            &a.snap,
            &super::due::Marks {
                through: a.through_ms,
                expiring_days: &a.expiring_days,
                fee_cycle: a.fee_cycle,
                runway_checked: a.runway_checked_ms,
            },
        ),
        through_ms: a.through_ms,
        expiring_days: serde_json::to_string(&a.expiring_days).ok(),
        fee_cycle: a.fee_cycle.map(|t| t.to_string()),
        runway_low_days: Some(i64::from(a.runway_low_days)),
        runway_low_since: a.runway_low_since.map(|t| t.to_string()),
        runway_checked_ms: a.runway_checked_ms,
        rate_card_versions: (!a.price_history.is_empty())
            .then(|| serde_json::to_string(&a.price_history).ok())
            .flatten(),
    };
    match rate_card {
        Some(_) => db.memo().change(&a.id, row),
        None => store(row.write(db, &a.id))?,
    }
    Ok(())
}

/// The spendable balance at `t` (what `GET /billing/wallet` answers at the server's clock).
pub fn balance(a: &Acct, t: Instant) -> Decimal {
    spendable(&a.snap.grants, a.snap.owed.unwrap_or_default(), Some(t))
}

/// Every non-plan grant's credits, whatever its dates, less what is owed. Between two jobs it
/// moves exactly as the wallet does, except by expiries, which the ledger books on their own:
/// so a charge's move of the wallet is how much it moved this (`charges::book`).
pub fn booked(snap: &Account) -> Decimal {
    spendable(&snap.grants, snap.owed.unwrap_or_default(), None)
}

/// One ledger entry, numbered in the account's sequence (SEMANTICS 10). Its balances chain
/// (SEMANTICS 15): it starts at the previous entry's `balanceAfter` and ends `moved` later.
pub struct Entry<'a> {
    pub at: Instant,
    pub kind: &'a str,
    pub reference: Option<&'a str>,
    pub grant_id: Option<&'a str>,
    pub credits: Decimal,
    /// How much the entry moves the wallet: its `credits`, except where part of them never
    /// counted in the wallet (plan credits drawn or granted).
    pub moved: Decimal,
    pub detail: Value,
}

/// Book `e`: answers its number and its balances before and after.
pub fn entry(db: &mut dyn Db, a: &mut Acct, now: Instant, e: Entry) -> R<(i64, Decimal, Decimal)> {
    a.seq += 1;
    let before = a.balance;
    a.balance += e.moved;
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
            before.to_string().into(),
            a.balance.to_string().into(),
            (!e.detail.is_null()).then(|| e.detail.to_string()).into(),
        ],
    ))?;
    Ok((a.seq, before, a.balance))
}

/// Queue a webhook in the same transaction as the change it reports.
pub fn enqueue(db: &mut dyn Db, a: &mut Acct, event: &str, payload: &Value, now: Instant) -> R<()> {
    let n = a.next_id();
    let id = format!("evt_{}_{n}", a.id);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::storage::sql::Sql;
    use crate::server::storage::sqlite::Sqlite;

    /// Books from before the running balance was kept (migration 7): it starts at the wallet
    /// as the ledger sees it, so the next entry's `balanceBefore` is the wallet and the chain
    /// ends there from then on.
    #[test]
    fn books_from_before_the_chain_start_it_at_their_wallet() {
        let mut db = Sqlite::open(":memory:").unwrap();
        crate::server::storage::store::migrate(&mut db).unwrap();
        let card = r#"{"currency":"USD","creditsPerUnit":"100","voice":{"perMinute":"9"}}"#;
        let snap = r#"{"owed":"20","grants":[
            {"id":"old","type":"promotional","remaining":"300","expiresAt":"2026-01-01T00:00:00Z"},
            {"id":"w","type":"prepaid","remaining":"500"},
            {"id":"p","type":"plan","remaining":"100"}]}"#;
        db.exec(
            "INSERT INTO accounts (id, name, rate_card, snapshot, webhook_secret, created_at, seq) \
             VALUES ('a', 'a', $1, $2, 's', '2026-01-01T00:00:00Z', 7)",
            &[card.into(), snap.into()],
        )
        .unwrap();
        db.exec(
            "INSERT INTO grant_expiries (account_id, grant_id) VALUES ('a', 'old')",
            &[],
        )
        .unwrap();
        let a = load(&mut db, "a", false).unwrap();
        // 500 less the 20 owed: the expired 300 written off, plan credits never in it.
        assert_eq!(a.balance, Decimal::from(480));
        let wallet = balance(&a, Instant::parse("2026-06-01T00:00:00Z").unwrap());
        assert_eq!(a.balance, wallet);
    }
}
