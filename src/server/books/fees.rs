//! SEMANTICS 16 plan fees: a plan's fee is charged through the payment provider when the
//! plan starts (`POST /billing/subscription`) and at each renewal (the scheduler, within a
//! tick of the cycle's end), taxed by SEMANTICS 13 and invoiced. A switch mid-cycle credits
//! the unused part of the old fee, prorated by seconds, as a line of its own. A fee that
//! does not settle at once leaves the subscription `past_due`, and unless the platform lets
//! them run (`--allowances-before-fee`) the new cycle's allowances are held back until it
//! settles. One row per charged cycle (`plan_fees`) makes each fee charged once.

use super::accounts::{entry, Acct, Entry};
use super::invoices::{self, Priced};
use super::payments::land;
use super::provider::PaymentProvider;
use crate::engine::calendar::Instant;
use crate::engine::model::{Cycle, Grant, GrantType, Plan};
use crate::server::outcome::{store, Failure, ServerCode, R};
use crate::server::storage::memo::Db;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The allowances of a cycle held back while its fee is unpaid.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Withheld {
    pub included_seconds: u64,
    /// Plan grants and the credits taken from each.
    pub plan_credits: Vec<(String, String)>,
}

/// Where a cycle's fee stands, as `GET /billing/subscription` answers it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fee {
    pub payment_id: String,
    /// `settled`, `pending`, `failed` or `cancelled`.
    pub status: String,
    pub cycle_start: String,
    pub net: String,
    pub gross: String,
    pub lines: Vec<invoices::Line>,
    /// The allowances held back until the fee settles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Withheld>,
}

impl Fee {
    /// `past_due` while the fee is unpaid (SEMANTICS 16), else `active`.
    pub fn subscription_status(fee: Option<&Fee>) -> &'static str {
        match fee.map(|f| f.status.as_str()) {
            Some("pending" | "failed") => "past_due",
            _ => "active",
        }
    }
}

/// A renewal since the last one booked: the plan's terms in force at the new cycle's start
/// (`plans::renew_terms`), then its fee.
pub fn charge_due(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    now: Instant,
) -> R<()> {
    let Some(start) = super::due::renewal_unbooked(&a.snap, a.fee_cycle) else {
        return Ok(());
    };
    super::plans::renew_terms(db, a, start)?;
    let Some((plan, cycle)) = super::due::fee_owed(&a.snap, a.fee_cycle) else {
        a.fee_cycle = Some(start);
        return Ok(());
    };
    let fee = fee_line(a, &plan, &cycle);
    charge(db, provider, a, (&plan, &cycle), vec![fee], now).map(|_| ())
}

/// Start `plan` now (its new cycle is already in the snapshot), charging its fee less the
/// unused part of the fee paid for the cycle it replaces, `credit` (`unused_part`).
pub fn start(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    credit: Option<(String, String, Decimal)>,
    now: Instant,
) -> R<Option<Fee>> {
    let (Some(plan), Some(cycle)) = (a.snap.plan.clone(), a.snap.cycle.clone()) else {
        return Ok(None);
    };
    a.fee_cycle = Some(cycle.start);
    if plan.monthly_fee.unwrap_or_default() <= Decimal::ZERO && credit.is_none() {
        return Ok(None);
    }
    let mut nets = vec![fee_line(a, &plan, &cycle)];
    nets.extend(credit);
    charge(db, provider, a, (&plan, &cycle), nets, now).map(Some)
}

/// The plan's fee for the cycle, as an invoice line.
fn fee_line(a: &Acct, plan: &Plan, c: &Cycle) -> (String, String, Decimal) {
    let name = plan.name.as_deref().unwrap_or(&plan.id);
    let (from, to) = (
        c.start.local(a.snap.time_zone),
        c.end.local(a.snap.time_zone),
    );
    let what = format!(
        "{name} plan, {} to {}",
        from.format("%Y-%m-%d %H:%M"),
        to.format("%Y-%m-%d %H:%M")
    );
    (what, "1".into(), plan.monthly_fee.unwrap_or_default())
}

/// The unused part of the fee paid for the current cycle, prorated by seconds (Stripe's
/// default proration), as a credit line, when it is being replaced at `now`. A fee not yet
/// paid credits nothing: it is cancelled, and a later settlement of it is refused.
pub fn unused_part(
    db: &mut dyn Db,
    a: &Acct,
    now: Instant,
) -> R<Option<(String, String, Decimal)>> {
    let (Some(plan), Some(c)) = (a.snap.plan.as_ref(), a.snap.cycle.as_ref()) else {
        return Ok(None);
    };
    let Some(row) = fee_row(db, &a.id, "cycle_start = $2", &c.start.to_string())? else {
        return Ok(None);
    };
    if row.status != "settled" {
        set_status(db, &a.id, &row, "cancelled")?;
        // The payment goes with it: the provider's late word finds it cancelled.
        store(db.exec(
            "UPDATE payments SET status = 'cancelled' WHERE id = $1",
            &[row.payment_id.as_str().into()],
        ))?;
        return Ok(None);
    }
    let paid = match row.priced.lines.first() {
        Some(l) => read(&l.net)?,
        None => return Ok(None),
    };
    let total = (c.end.0 - c.start.0).num_seconds();
    let left = (c.end.0 - now.0).num_seconds().clamp(0, total);
    if total <= 0 || left == 0 || paid <= Decimal::ZERO {
        return Ok(None);
    }
    let unused = (paid * Decimal::from(left) / Decimal::from(total))
        .round_dp_with_strategy(a.card.minor(), RoundingStrategy::MidpointAwayFromZero);
    let name = plan.name.as_deref().unwrap_or(&plan.id);
    let what = format!("Unused time on {name} ({left} of {total} seconds of the cycle)");
    Ok(Some((what, "-1".into(), -unused)))
}

fn read(v: &str) -> R<Decimal> {
    v.parse()
        .map_err(|e| Failure::internal(format!("stored amount `{v}`: {e}")))
}

/// Charge `nets` for `cycle` of `plan`: the payment, the fee's row, its ledger entry, and
/// either the invoice (settled) or the allowances held back (not settled, and they wait).
/// A credit larger than the fee lands in the wallet as credits, and the invoice nets to 0.
fn charge(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    (plan, cycle): (&Plan, &Cycle),
    mut nets: Vec<(String, String, Decimal)>,
    now: Instant,
) -> R<Fee> {
    let profile = super::profile::load(db, &a.id)?;
    let total: Decimal = nets.iter().map(|n| n.2).sum();
    let excess = (-total).max(Decimal::ZERO);
    // A surplus lands in the wallet as credits: its own line, so the invoice nets to 0.
    let surplus = match excess > Decimal::ZERO {
        true => Some(
            a.card
                .to_credits(excess, "proration")
                .map_err(Failure::invalid)?,
        ),
        false => None,
    };
    if let Some(credits) = surplus {
        let what = format!(
            "Unused fee credited to the wallet ({} credits)",
            credits.normalize()
        );
        nets.push((what, "1".into(), excess));
    }
    let priced = invoices::price(provider.seller(), &profile, a, &nets, now)?;
    let priced = balance_tax(priced, excess, a)?;
    let (net, tax) = priced.totals()?;
    let status = if net.is_zero() || provider.settles_at_once() {
        "settled"
    } else {
        "pending"
    };
    let pay = super::payments::record(
        db,
        provider,
        a,
        ("plan_fee", net, net + tax, Decimal::ZERO),
        (&plan.id, status, None),
        now,
    )?;
    let mut fee = Fee {
        payment_id: pay.clone(),
        status: status.into(),
        cycle_start: cycle.start.to_string(),
        net: net.to_string(),
        gross: (net + tax).to_string(),
        lines: priced.lines.clone(),
        withheld: None,
    };
    if status == "settled" {
        invoices::issue_priced(db, provider.seller(), &profile, a, &pay, &priced, now)?;
    } else if provider.allowances_wait_for_fee() {
        fee.withheld = Some(withhold(a, cycle));
        super::steps::checkpoint(db, a, now, true)?;
    }
    insert_row(db, a, plan, &fee, &priced, now)?;
    a.fee_cycle = Some(cycle.start);
    let detail = json!({ "plan": plan.id, "cycleStart": cycle.start, "paymentId": pay,
        "status": status, "net": fee.net, "gross": fee.gross, "withheld": fee.withheld });
    fee_entry(db, a, "plan_fee", &pay, detail, now)?;
    if let Some(credits) = surplus {
        let grant = Grant::prepaid(format!("proration-{pay}"), credits, now);
        land(db, a, grant, "proration", Some(&pay), now)?;
    }
    Ok(fee)
}

/// The VAT of the line that credits a surplus to the wallet is what leaves the invoice's
/// VAT at 0 (the lines' own roundings would otherwise leave a cent either way).
fn balance_tax(mut priced: Priced, excess: Decimal, a: &Acct) -> R<Priced> {
    if excess.is_zero() {
        return Ok(priced);
    }
    let Some((last, rest)) = priced.lines.split_last_mut() else {
        return Ok(priced);
    };
    let mut others = Decimal::ZERO;
    for l in rest.iter() {
        others += read(&l.tax)?;
    }
    let mut tax = -others;
    tax.rescale(a.card.minor().max(tax.scale()));
    last.tax = tax.to_string();
    Ok(priced)
}

/// Hold back the cycle's included minutes and plan credits (they wait for the fee).
fn withhold(a: &mut Acct, cycle: &Cycle) -> Withheld {
    let mut w = Withheld {
        included_seconds: a.snap.included_seconds(),
        plan_credits: vec![],
    };
    a.snap.included_seconds_remaining = Some(crate::engine::amount::Seconds(0));
    for g in a
        .snap
        .grants
        .iter_mut()
        .filter(|g| is_cycle_grant(g, cycle))
    {
        if g.remaining > Decimal::ZERO {
            w.plan_credits.push((g.id.clone(), g.remaining.to_string()));
            g.remaining = Decimal::ZERO;
        }
    }
    w
}

fn is_cycle_grant(g: &Grant, cycle: &Cycle) -> bool {
    g.kind == GrantType::Plan && g.expires_at == Some(cycle.end)
}

fn insert_row(
    db: &mut dyn Db,
    a: &Acct,
    plan: &Plan,
    fee: &Fee,
    priced: &Priced,
    now: Instant,
) -> R<()> {
    store(db.exec(
        "INSERT INTO plan_fees (account_id, cycle_start, plan_id, payment_id, status, net, gross, lines, withheld, created_at, n) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            a.id.as_str().into(),
            fee.cycle_start.as_str().into(),
            plan.id.as_str().into(),
            fee.payment_id.as_str().into(),
            fee.status.as_str().into(),
            fee.net.as_str().into(),
            fee.gross.as_str().into(),
            to_json(priced)?.into(),
            fee.withheld.as_ref().map(to_json).transpose()?.into(),
            now.to_string().into(),
            a.ids.into(),
        ],
    ))?;
    Ok(())
}

fn to_json<T: Serialize>(v: &T) -> R<String> {
    serde_json::to_string(v).map_err(|e| Failure::internal(e.to_string()))
}

fn fee_entry(
    db: &mut dyn Db,
    a: &mut Acct,
    kind: &str,
    pay: &str,
    detail: serde_json::Value,
    now: Instant,
) -> R<()> {
    let e = Entry {
        at: now,
        kind,
        reference: Some(pay),
        grant_id: None,
        credits: Decimal::ZERO,
        moved: Decimal::ZERO,
        detail,
    };
    entry(db, a, now, e).map(|_| ())
}

/// A `plan_fees` row as stored.
struct Row {
    payment_id: String,
    status: String,
    cycle_start: String,
    net: String,
    gross: String,
    priced: Priced,
    withheld: Option<Withheld>,
}

fn fee_row(db: &mut dyn Db, account: &str, by: &str, value: &str) -> R<Option<Row>> {
    let sql = format!(
        "SELECT payment_id, status, cycle_start, net, gross, lines, withheld FROM plan_fees \
         WHERE account_id = $1 AND {by} ORDER BY n DESC LIMIT 1"
    );
    let rows = store(db.query(&sql, &[account.into(), value.into()]))?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let text = |i: usize| r[i].text().unwrap_or_default().to_string();
    let priced: Priced = r[5]
        .json("plan fee lines")?
        .ok_or_else(|| Failure::internal("a plan fee without lines"))?;
    Ok(Some(Row {
        payment_id: text(0),
        status: text(1),
        cycle_start: text(2),
        net: text(3),
        gross: text(4),
        priced,
        withheld: r[6].json("withheld allowances")?,
    }))
}

/// The fee row's status; the payment row's is `settlement`'s (or `unused_part`'s) to move.
fn set_status(db: &mut dyn Db, account: &str, row: &Row, status: &str) -> R<()> {
    store(db.exec(
        "UPDATE plan_fees SET status = $1 WHERE account_id = $2 AND payment_id = $3",
        &[
            status.into(),
            account.into(),
            row.payment_id.as_str().into(),
        ],
    ))?;
    Ok(())
}

/// The fee of the account's current cycle, if one was charged (the latest, when two plans
/// started in the same second).
pub fn current(db: &mut dyn Db, a: &Acct) -> R<Option<Fee>> {
    let Some(c) = a.snap.cycle.as_ref() else {
        return Ok(None);
    };
    let row = fee_row(db, &a.id, "cycle_start = $2", &c.start.to_string())?;
    Ok(row.map(|r| Fee {
        payment_id: r.payment_id,
        status: r.status,
        cycle_start: r.cycle_start,
        net: r.net,
        gross: r.gross,
        lines: r.priced.lines,
        withheld: r.withheld,
    }))
}

/// The provider confirmed plan fee `pay` (`payments::settle_payment`): it is invoiced, and
/// the allowances held back return if their cycle is still the current one.
pub fn settled(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    pay: &str,
    now: Instant,
) -> R<()> {
    let row = fee_of(db, a, pay)?;
    let profile = super::profile::load(db, &a.id)?;
    invoices::issue_priced(db, provider.seller(), &profile, a, pay, &row.priced, now)?;
    let current = a.snap.cycle.as_ref().map(|c| c.start.to_string());
    let restored = match &row.withheld {
        Some(w) if current.as_deref() == Some(row.cycle_start.as_str()) => restore(a, w)?,
        _ => false,
    };
    if restored {
        super::steps::checkpoint(db, a, now, true)?;
    }
    set_status(db, &a.id, &row, "settled")?;
    let detail = json!({ "cycleStart": row.cycle_start, "status": "settled",
        "restored": restored.then_some(&row.withheld) });
    fee_entry(db, a, "plan_fee", pay, detail, now)
}

/// The provider reported plan fee `pay` failed: the subscription stays `past_due`.
pub fn failed(db: &mut dyn Db, a: &mut Acct, pay: &str, now: Instant) -> R<()> {
    let row = fee_of(db, a, pay)?;
    set_status(db, &a.id, &row, "failed")?;
    let detail = json!({ "cycleStart": row.cycle_start, "status": "failed" });
    fee_entry(db, a, "plan_fee", pay, detail, now)
}

/// Plan fee `pay` (`settlement` has refused a cancelled one already).
fn fee_of(db: &mut dyn Db, a: &Acct, pay: &str) -> R<Row> {
    fee_row(db, &a.id, "payment_id = $2", pay)?
        .ok_or_else(|| Failure::new(ServerCode::PaymentNotFound, None, "no such plan fee"))
}

/// Give back the allowances held back; answers whether any returned.
fn restore(a: &mut Acct, w: &Withheld) -> R<bool> {
    let secs = a.snap.included_seconds().saturating_add(w.included_seconds);
    a.snap.included_seconds_remaining = Some(crate::engine::amount::Seconds(secs));
    for (id, credits) in &w.plan_credits {
        let credits = read(credits)?;
        if let Some(g) = a.snap.grants.iter_mut().find(|g| &g.id == id) {
            g.remaining += credits;
        }
    }
    Ok(w.included_seconds > 0 || !w.plan_credits.is_empty())
}
