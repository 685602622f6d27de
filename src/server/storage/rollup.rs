//! Usage by day (seed 000's day-by-day breakdown), kept as running totals per account, local
//! date, channel, line code and unit in `usage_days`, so a year's report reads a row per day
//! and code instead of every usage line. Totals are exact decimals summed here, in Rust:
//! SQLite has no exact decimal type, so the database only stores the text.

use super::sql::{Row, Sql};
use crate::server::outcome::{store, R};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A row's key: local date (`YYYY-MM-DD`), channel, line code, unit.
pub type Key = (String, String, String, String);

/// Billed quantity, credits and the number of lines behind them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub quantity: Decimal,
    pub credits: Decimal,
    pub lines: i64,
}

pub type Days = BTreeMap<Key, Totals>;

/// The rows of an account between two dates (inclusive), for a report or before an update.
pub const BETWEEN: &str =
    "SELECT day, channel, code, unit, quantity, credits, lines FROM usage_days \
     WHERE account_id = $1 AND day >= $2 AND day <= $3";

/// Day totals as stored (a total that does not read back is an internal failure, not 0).
pub fn parse(rows: &[Row]) -> R<Days> {
    let mut days = Days::new();
    for r in rows {
        let text = |i: usize| r[i].text().unwrap_or("").to_string();
        let t = Totals {
            quantity: r[4].decimal("day quantity")?,
            credits: r[5].decimal("day credits")?,
            lines: r[6].int().unwrap_or(0),
        };
        days.insert((text(0), text(1), text(2), text(3)), t);
    }
    Ok(days)
}

pub fn read(db: &mut dyn Sql, account: &str, from: &str, to: &str) -> R<Days> {
    parse(&store(
        db.query(BETWEEN, &[account.into(), from.into(), to.into()]),
    )?)
}

pub fn add(days: &mut Days, key: Key, quantity: Decimal, credits: Decimal) {
    let t = days.entry(key).or_default();
    t.quantity += quantity;
    t.credits += credits;
    t.lines += 1;
}

/// Write the totals of `keys` as they now stand in `days`.
pub fn write<'a>(
    db: &mut dyn Sql,
    account: &str,
    days: &Days,
    keys: impl Iterator<Item = &'a Key>,
) -> R<()> {
    for k in keys {
        let Some(t) = days.get(k) else { continue };
        store(db.exec(
            "INSERT INTO usage_days (account_id, day, channel, code, unit, quantity, credits, lines) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id, day, channel, code, unit) \
             DO UPDATE SET quantity = excluded.quantity, credits = excluded.credits, lines = excluded.lines",
            &[account.into(), k.0.as_str().into(), k.1.as_str().into(), k.2.as_str().into(), k.3.as_str().into(),
              t.quantity.to_string().into(), t.credits.to_string().into(), t.lines.into()],
        ))?;
    }
    Ok(())
}

/// Migration 3: the totals of the usage lines recorded before `usage_days` existed.
pub fn backfill(db: &mut dyn Sql) -> Result<(), String> {
    let rows = db.query(
        "SELECT account_id, day, channel, code, unit, quantity, credits FROM usage_lines ORDER BY account_id",
        &[],
    )?;
    let mut all: BTreeMap<String, Days> = BTreeMap::new();
    for r in &rows {
        let text = |i: usize| r[i].text().unwrap_or("").to_string();
        let dec = |i: usize| r[i].decimal("usage line").map_err(|e| e.to_string());
        add(
            all.entry(text(0)).or_default(),
            (text(1), text(2), text(3), text(4)),
            dec(5)?,
            dec(6)?,
        );
    }
    for (account, days) in &all {
        write(db, account, days, days.keys()).map_err(|e| e.to_string())?;
    }
    Ok(())
}
