//! Drawdown: usage, in time order, through plan allowances, then credit grants in burn
//! order, then owed (SEMANTICS 4-8). The same function previews in the browser and deducts
//! on the server, so both give the same lines and balances.

use crate::alerts::state_for;
use crate::amount::{self, dec, Count};
use crate::calendar::{add_months, local_days, resolve_local, Instant};
use crate::error::{Error, Result};
use crate::model::{
    first_duplicate, sort_indices, Account, AlertState, Call, ChargeLine, Grant, GrantType,
    OnPlanExhausted, RateCard,
};
use crate::pools::spendable;
use crate::rating::{call_lines, chat_line, rental_line, total, PlanTerms};
use crate::reload::{reload_multiple, ReloadEvent};
use chrono::Datelike;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Bound on the periods one number rental may expand to (100 years of months).
pub const MAX_RENTAL_PERIODS: i64 = 1200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    Call,
    Chat,
    Number,
}

impl UsageKind {
    pub fn name(self) -> &'static str {
        match self {
            UsageKind::Call => "call",
            UsageKind::Chat => "chat",
            UsageKind::Number => "number",
        }
    }
}

/// One usage item. A flat struct (not a tagged enum) so that every error keeps its path.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Usage {
    pub id: String,
    pub at: Instant,
    pub kind: UsageKind,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub call: Option<Call>,
    #[serde(default)]
    pub messages: Option<Count>,
    #[serde(default)]
    pub number_kind: Option<String>,
    /// How many numbers this rental covers (default 1).
    #[serde(default)]
    pub count: Option<Count>,
    /// Charge every monthly period that starts before this instant (default: the first only).
    #[serde(default)]
    pub through: Option<Instant>,
    /// Charge a first partial period by days, up to the billing cycle's anchor day.
    #[serde(default)]
    pub prorate: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewInput {
    pub rate_card: RateCard,
    pub account: Account,
    #[serde(default)]
    pub usage: Vec<Usage>,
    /// Instant for the opening balance when there is no usage.
    #[serde(default)]
    pub as_of: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    #[serde(skip_serializing_if = "Option::is_none", with = "amount::opt_dec")]
    pub credits: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    pub source: String,
}

/// A charge line with how it was drawn. Serialized flat, keys in canonical (sorted) order.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnLine {
    pub line: ChargeLine,
    pub allocations: Vec<Allocation>,
    pub uncovered: Decimal,
}

impl Serialize for DrawnLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct D(Decimal);
        impl Serialize for D {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }
        let l = &self.line;
        let mut st = s.serialize_struct("DrawnLine", 11)?;
        st.serialize_field("allocations", &self.allocations)?;
        st.serialize_field("bucket", l.bucket)?;
        st.serialize_field("channel", l.channel)?;
        st.serialize_field("code", l.code)?;
        st.serialize_field("credits", &D(l.credits))?;
        match &l.increment {
            Some(i) => st.serialize_field("increment", i)?,
            None => st.skip_field("increment")?,
        }
        st.serialize_field("quantity", &D(l.quantity))?;
        st.serialize_field("rate", &D(l.rate))?;
        match &l.reason {
            Some(r) => st.serialize_field("reason", r)?,
            None => st.skip_field("reason")?,
        }
        st.serialize_field("uncovered", &D(self.uncovered))?;
        st.serialize_field("unit", &l.unit)?;
        st.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Charged,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub at: Instant,
    pub id: String,
    pub lines: Vec<DrawnLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    pub status: ItemStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    pub at: Instant,
    #[serde(with = "dec")]
    pub balance: Decimal,
    pub from: AlertState,
    pub to: AlertState,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantBalance {
    pub id: String,
    #[serde(with = "dec")]
    pub remaining: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Credits each agent has spent this cycle after the usage.
    #[serde(serialize_with = "amount::dec_map")]
    pub agent_spend: BTreeMap<String, Decimal>,
    pub alerts: Vec<AlertEvent>,
    #[serde(with = "dec")]
    pub balance_after: Decimal,
    #[serde(with = "dec")]
    pub balance_before: Decimal,
    pub grants: Vec<GrantBalance>,
    pub included_seconds_remaining: u64,
    pub items: Vec<Item>,
    #[serde(with = "dec")]
    pub owed: Decimal,
    pub reloads: Vec<ReloadEvent>,
}

/// Burn order (SEMANTICS 5): plan grants first, then priority ascending, soonest expiry
/// (none last: FEFO), promotional < committed < prepaid, createdAt, id.
/// Flexprice, OpenMeter and Stripe credit grants order their grants this way.
pub fn burn_order(a: &Grant, b: &Grant) -> Ordering {
    let plan = |g: &Grant| g.kind != GrantType::Plan;
    plan(a)
        .cmp(&plan(b))
        .then(a.priority.cmp(&b.priority))
        .then_with(|| match (a.expires_at, b.expires_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then(a.kind.cmp(&b.kind))
        .then(a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// What an agent's policy allows at the start of a usage item (seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Plan allowance first, then the wallet.
    PlanThenWallet,
    /// Past the monthly limit with `use_balance`: wallet only.
    WalletOnly,
    Refused(&'static str),
}

/// `plan_left`: included seconds or active plan credits remain. `has_plan`: the account has
/// a plan allowance at all (a plan or a plan grant).
pub fn gate(
    account: &Account,
    agent: Option<&str>,
    spent: Decimal,
    has_plan: bool,
    plan_left: bool,
) -> Gate {
    let policy = account.agent(agent);
    let stop = policy.on_plan_exhausted == OnPlanExhausted::Stop;
    if policy.monthly_limit.is_some_and(|l| spent >= l) {
        return if stop {
            Gate::Refused("agent_limit_reached")
        } else {
            Gate::WalletOnly
        };
    }
    if stop && has_plan && !plan_left {
        return Gate::Refused("plan_exhausted");
    }
    Gate::PlanThenWallet
}

pub fn has_plan(account: &Account, grants: &[Grant]) -> bool {
    account.plan.is_some() || grants.iter().any(|g| g.kind == GrantType::Plan)
}

struct Event<'a> {
    usage: &'a Usage,
    idx: usize,
    at: Instant,
    period: Option<u32>,
    days: Option<(i64, i64)>,
}

/// The occurrences of a monthly schedule anchored on `anchor` that fall in `[from, until)`.
fn rental_events<'a>(
    u: &'a Usage,
    idx: usize,
    account: &Account,
    out: &mut Vec<Event<'a>>,
) -> Result<()> {
    let field = &format!("usage[{idx}]");
    let tz = account.time_zone;
    let bad = || {
        Error::at(
            "invalid_instant",
            &format!("{field}.at"),
            "the rental schedule leaves the calendar",
        )
    };
    let cycle_anchor = account
        .cycle
        .as_ref()
        .map(|c| c.anchor.unwrap_or(c.start))
        .filter(|_| u.prorate);
    let anchor = cycle_anchor.unwrap_or(u.at);
    // k: the anchor occurrence at or before `at` (SEMANTICS 6: month-end anchors clamp).
    let mut k = months_from(anchor, u.at, tz).ok_or_else(bad)?;
    let start = add_months(anchor, k, tz).ok_or_else(bad)?;
    let mut next = add_months(anchor, k + 1, tz).ok_or_else(bad)?;
    let days = (start != u.at).then(|| (local_days(u.at, next, tz), local_days(start, next, tz)));
    out.push(Event {
        usage: u,
        idx,
        at: u.at,
        period: u.through.map(|_| 1),
        days,
    });
    let Some(through) = u.through else {
        return Ok(());
    };
    let mut n = 1;
    while next < through {
        n += 1;
        if n as i64 > MAX_RENTAL_PERIODS {
            return Err(Error::at(
                "too_many_periods",
                &format!("{field}.through"),
                format!("a rental expands to at most {MAX_RENTAL_PERIODS} periods"),
            ));
        }
        out.push(Event {
            usage: u,
            idx,
            at: next,
            period: Some(n),
            days: None,
        });
        k += 1;
        next = add_months(anchor, k + 1, tz).ok_or_else(bad)?;
    }
    Ok(())
}

/// The billing cycle a drawdown is in: its anchor (cycles renew on the anchor's day of the
/// month, SEMANTICS 4), the current cycle's start and end, and its index from the anchor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CycleAt {
    pub(crate) anchor: Instant,
    pub(crate) start: Instant,
    pub(crate) end: Instant,
    pub(crate) index: i64,
}

/// The local day of the last auto-reload (`maxReloadsPerDay`, SEMANTICS 7): the first
/// instant of the next day, and how many reloads the day had.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReloadDay {
    pub(crate) ends: Instant,
    pub(crate) reloads: u32,
}

pub(crate) struct State {
    pub(crate) grants: Vec<Grant>,
    /// Grants active at the current instant with credits left, in burn order.
    active: Vec<usize>,
    /// The next instant at which a grant takes effect or expires; `None`: no such instant.
    active_until: Option<Instant>,
    active_dirty: bool,
    has_plan: bool,
    pub(crate) included: u64,
    pub(crate) owed: Decimal,
    pub(crate) spent: BTreeMap<String, Decimal>,
    pub(crate) cycle: Option<CycleAt>,
    pub(crate) reload_day: Option<ReloadDay>,
    /// A reload waiting for its payment (ledger mode only); it blocks further reloads.
    pub(crate) pending: Option<Grant>,
    /// The alert state after the last item.
    pub(crate) alert: Option<AlertState>,
}

impl State {
    /// Re-derive the active set when time crosses a grant boundary or grants were added;
    /// between those moments it only shrinks as grants run dry.
    fn refresh(&mut self, t: Instant) {
        if !self.active_dirty && self.active_until.is_none_or(|u| t < u) {
            return;
        }
        self.active.clear();
        self.active_until = None;
        let mut until =
            |x: Instant| self.active_until = Some(self.active_until.map_or(x, |u| u.min(x)));
        for (i, g) in self.grants.iter().enumerate() {
            if g.active_at(t) {
                if g.remaining > Decimal::ZERO {
                    self.active.push(i);
                }
                if let Some(x) = g.expires_at {
                    until(x);
                }
            } else if let Some(e) = g.effective_at.filter(|e| *e > t) {
                until(e);
            }
        }
        let grants = &self.grants;
        sort_indices(&mut self.active, &|a, b| burn_order(&grants[a], &grants[b]));
        self.active_dirty = false;
    }
    fn spendable(&self) -> Decimal {
        let held: Decimal = self
            .active
            .iter()
            .map(|&i| &self.grants[i])
            .filter(|g| g.kind != GrantType::Plan)
            .map(|g| g.remaining)
            .sum();
        held - self.owed
    }
    /// `pools::plan_left` over the active set (its grants all have credits left).
    fn plan_left(&self, use_included: bool) -> bool {
        let plan_credits: Decimal = self
            .active
            .iter()
            .map(|&i| &self.grants[i])
            .filter(|g| g.kind == GrantType::Plan)
            .map(|g| g.remaining)
            .sum();
        crate::pools::plan_left(if use_included { self.included } else { 0 }, plan_credits)
    }
    /// `reload-N` with the smallest N no grant or pending reload uses yet.
    fn next_reload_id(&self) -> String {
        let taken = |id: &str| {
            self.grants.iter().any(|g| g.id == id)
                || self.pending.as_ref().is_some_and(|p| p.id == id)
        };
        (1..)
            .map(|n| format!("reload-{n}"))
            .find(|id| !taken(id))
            .unwrap_or_default()
    }
    /// Credits that land settle what is owed first (SEMANTICS 5.3); the rest is the grant.
    /// Returns the credits that went to what was owed.
    pub(crate) fn land(&mut self, mut g: Grant) -> Decimal {
        let settled = crate::pools::settle_owed(&mut self.owed, &mut g);
        self.add_grant(g);
        settled
    }
    fn add_grant(&mut self, g: Grant) {
        self.has_plan |= g.kind == GrantType::Plan;
        self.grants.push(g);
        self.active_dirty = true;
    }
}

fn renew_cycle(st: &mut State, account: &Account, t: Instant) -> Result<()> {
    let tz = account.time_zone;
    while let Some(CycleAt {
        anchor,
        end,
        index: n,
        ..
    }) = st.cycle.filter(|c| t >= c.end)
    {
        let new_end = add_months(anchor, n + 2, tz).ok_or_else(|| {
            Error::at(
                "invalid_cycle",
                "account.cycle",
                "the cycle leaves the calendar",
            )
        })?;
        st.cycle = Some(CycleAt {
            anchor,
            start: end,
            end: new_end,
            index: n + 1,
        });
        st.spent.values_mut().for_each(|s| *s = Decimal::ZERO);
        if let Some(plan) = &account.plan {
            // Included minutes lapse; plan credits carry over up to the cap (OpenMeter rollover).
            st.included = plan.included_seconds();
            let mut left = Decimal::ZERO;
            for g in st.grants.iter_mut().filter(|g| g.kind == GrantType::Plan) {
                left += g.remaining;
                g.remaining = Decimal::ZERO;
            }
            let carry = left.min(plan.rollover_cap.unwrap_or_default());
            let fresh = plan.included_credits.unwrap_or_default() + carry;
            st.active_dirty = true;
            if fresh > Decimal::ZERO {
                st.add_grant(Grant {
                    id: format!("plan-credits@{end}"),
                    kind: GrantType::Plan,
                    remaining: fresh,
                    priority: i64::MIN,
                    effective_at: Some(end),
                    expires_at: Some(new_end),
                    created_at: Some(end),
                });
            }
        }
    }
    Ok(())
}

/// Draw one line's credits from the active grants in burn order; the rest is owed.
fn allocate(st: &mut State, line: ChargeLine, use_plan: bool) -> Result<DrawnLine> {
    let mut allocations = Vec::new();
    if line.code == "voice.included_minutes" {
        let secs = u64::try_from(line.quantity).unwrap_or(0);
        st.included = st.included.saturating_sub(secs);
        allocations.push(Allocation {
            source: "included_minutes".into(),
            grant_id: None,
            credits: None,
            seconds: Some(secs),
        });
    }
    let mut need = line.credits;
    let mut emptied = false;
    for &i in &st.active {
        if need <= Decimal::ZERO {
            break;
        }
        let g = &mut st.grants[i];
        let is_plan = g.kind == GrantType::Plan;
        if is_plan && !use_plan {
            continue;
        }
        let take = need.min(g.remaining);
        g.remaining -= take;
        need -= take;
        emptied |= g.remaining.is_zero();
        let (source, grant_id) = if is_plan {
            ("plan_credits".to_string(), Some(g.id.clone()))
        } else {
            (g.id.clone(), None)
        };
        allocations.push(Allocation {
            source,
            grant_id,
            credits: Some(take),
            seconds: None,
        });
    }
    if emptied {
        let grants = &st.grants;
        st.active.retain(|&i| grants[i].remaining > Decimal::ZERO);
    }
    // SEMANTICS 5.3: the usage happened; what no credit covers is owed, never lost.
    st.owed = amount::checked(st.owed.checked_add(need), "owed")?;
    Ok(DrawnLine {
        line,
        allocations,
        uncovered: need,
    })
}

fn lines_for(
    card: &RateCard,
    st: &State,
    account: &Account,
    ev: &Event,
    use_plan: bool,
) -> Result<Vec<ChargeLine>> {
    let u = ev.usage;
    let field = || format!("usage[{}]", ev.idx);
    let missing = |name: &str| {
        Error::at(
            "missing_field",
            &format!("{}.{name}", field()),
            format!("a `{}` item needs `{name}`", u.kind.name()),
        )
    };
    match u.kind {
        UsageKind::Call => {
            let call = u.call.as_ref().ok_or_else(|| missing("call"))?;
            let included = if use_plan { st.included } else { 0 };
            let terms = PlanTerms::of(account.plan.as_ref(), included);
            call_lines(card, terms, call).map_err(|e| rebase(e, &field()))
        }
        UsageKind::Chat => {
            let m = u.messages.ok_or_else(|| missing("messages"))?;
            Ok(vec![chat_line(card, m.0)?])
        }
        UsageKind::Number => {
            let kind = u
                .number_kind
                .as_deref()
                .ok_or_else(|| missing("numberKind"))?;
            Ok(vec![rental_line(
                card,
                kind,
                u.count.map_or(1, |c| c.0),
                ev.days,
            )?])
        }
    }
}

/// The first instant of the local day after `t`'s.
fn local_day_end(t: Instant, tz: crate::calendar::Zone) -> Result<Instant> {
    let next = t
        .local(tz)
        .date()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0));
    next.and_then(|n| resolve_local(tz, n))
        .ok_or_else(|| Error::at("invalid_instant", "usage", "the date leaves the calendar"))
}

/// Errors about the call are reported under the usage item's path.
fn rebase(e: Error, field: &str) -> Error {
    match &e.field {
        Some(f) if f.starts_with("call.") => {
            let f = format!("{field}.{f}");
            Error {
                field: Some(f),
                ..e
            }
        }
        _ => e,
    }
}

/// `previewDrawdown`: apply usage to a snapshot and report every line, allocation,
/// reload, alert transition and closing balance.
pub fn preview_drawdown(input: &PreviewInput) -> Result<Preview> {
    run(input, true).map(|(p, _)| p)
}

/// The drawdown itself. `settle_at_once`: auto-reloads land immediately (a preview, or a
/// ledger whose payment provider settles at once); otherwise a reload waits as pending.
/// Also returns the closing state, from which `ledger` builds the next snapshot.
pub(crate) fn run(input: &PreviewInput, settle_at_once: bool) -> Result<(Preview, State)> {
    let card = &input.rate_card;
    let account = &input.account;
    card.validate().map_err(|e| e.within("rateCard"))?;
    account.validate(card).map_err(|e| e.within("account"))?;
    let dp = card.dp();
    let tz = account.time_zone;

    let mut events = Vec::with_capacity(input.usage.len());
    let ids: Vec<&str> = input.usage.iter().map(|u| u.id.as_str()).collect();
    if let Some(idx) = first_duplicate(&ids) {
        return Err(Error::at(
            "duplicate_id",
            &format!("usage[{idx}].id"),
            format!("usage id `{}` appears twice", ids[idx]),
        ));
    }
    for (idx, u) in input.usage.iter().enumerate() {
        match u.kind {
            UsageKind::Number => rental_events(u, idx, account, &mut events)?,
            _ => events.push(Event {
                usage: u,
                idx,
                at: u.at,
                period: None,
                days: None,
            }),
        }
    }
    // Time order; ties keep input order.
    let mut order: Vec<usize> = (0..events.len()).collect();
    sort_indices(&mut order, &|a, b| {
        events[a]
            .at
            .cmp(&events[b].at)
            .then(events[a].idx.cmp(&events[b].idx))
    });
    let events: Vec<&Event> = order.iter().map(|&i| &events[i]).collect();

    let mut st = State {
        grants: account.grants.clone(),
        active: Vec::with_capacity(account.grants.len() + 4),
        active_until: None,
        active_dirty: true,
        has_plan: has_plan(account, &account.grants),
        included: account.included_seconds(),
        owed: account.owed.unwrap_or_default(),
        spent: account
            .agents
            .iter()
            .map(|(k, a)| (k.clone(), a.spent_this_cycle.unwrap_or_default()))
            .collect(),
        cycle: match &account.cycle {
            Some(c) => {
                let anchor = c.anchor.unwrap_or(c.start);
                let n = months_from(anchor, c.start, tz).unwrap_or(0);
                Some(CycleAt {
                    anchor,
                    start: c.start,
                    end: c.end,
                    index: n,
                })
            }
            None => None,
        },
        reload_day: match (account.reload_day_ends, account.reloads_today) {
            (Some(ends), Some(n)) => Some(ReloadDay {
                ends,
                reloads: u32::try_from(n.0).unwrap_or(u32::MAX),
            }),
            _ => None,
        },
        pending: account.pending_reload.clone(),
        alert: None,
    };
    let opening_t = events.first().map(|e| e.at).or(input.as_of);
    let balance_before = spendable(&st.grants, st.owed, opening_t);
    let alert_settings = account.alerts.as_ref();
    let mut alert_state =
        alert_settings.map(|a| a.state.unwrap_or_else(|| state_for(a, balance_before)));
    let reload = account.auto_reload.as_ref().filter(|r| {
        r.enabled
            && r.payment_method
                .as_deref()
                .is_some_and(|p| !p.trim().is_empty())
            && r.amount > Decimal::ZERO
    });
    let reload_credits = match reload {
        Some(r) => Some((
            card.to_credits(r.threshold, "account.autoReload.threshold")?,
            card.to_credits(r.amount, "account.autoReload.amount")?,
        )),
        None => None,
    };
    let minor = card.minor();

    let mut items = Vec::with_capacity(events.len());
    let mut reloads = Vec::new();
    let mut alerts = Vec::new();
    let mut last_t = opening_t;
    for &ev in &events {
        let t = ev.at;
        last_t = Some(t);
        let u = ev.usage;
        renew_cycle(&mut st, account, t)?;
        st.refresh(t);
        let agent = if u.kind == UsageKind::Number {
            None
        } else {
            u.agent_id.as_deref()
        };
        let spent = agent
            .and_then(|a| st.spent.get(a))
            .copied()
            .unwrap_or_default();
        let g = gate(
            account,
            agent,
            spent,
            st.has_plan,
            st.plan_left(account.plan.is_some()),
        );
        if let Gate::Refused(reason) = g {
            items.push(Item {
                id: u.id.clone(),
                at: t,
                period: ev.period,
                status: ItemStatus::Refused,
                reason: Some(reason),
                lines: vec![],
            });
            continue;
        }
        let use_plan = g == Gate::PlanThenWallet;
        let lines = lines_for(card, &st, account, ev, use_plan)?;
        let charged = total(card, &lines)?;
        let mut drawn = Vec::with_capacity(lines.len());
        for line in lines {
            drawn.push(allocate(&mut st, line, use_plan)?);
        }
        if let Some(a) = agent {
            match st.spent.get_mut(a) {
                Some(s) => *s = amount::checked(s.checked_add(charged), "agentSpend")?,
                None => {
                    st.spent.insert(a.to_string(), charged);
                }
            }
        }
        items.push(Item {
            id: u.id.clone(),
            at: t,
            period: ev.period,
            status: ItemStatus::Charged,
            reason: None,
            lines: drawn,
        });

        let mut balance = st.spendable();
        if let (Some(r), Some((threshold, per))) = (reload, reload_credits) {
            // One reload at a time: a pending payment blocks the next (ledger mode).
            let k = if charged > Decimal::ZERO && st.pending.is_none() {
                // SEMANTICS 11: against the available wallet, what live calls hold set aside.
                let held = crate::pools::held_credits(&account.holds, t);
                reload_multiple(balance - held, threshold, per)
            } else {
                None
            };
            if let Some(k) = k {
                // The multiple crosses to JavaScript as a number: keep it exact there.
                if k > amount::MAX_SAFE_INTEGER {
                    return Err(Error::overflow("account.autoReload.amount"));
                }
                // maxReloadsPerDay counts the account's local calendar day.
                if st.reload_day.is_none_or(|d| t >= d.ends) {
                    st.reload_day = Some(ReloadDay {
                        ends: local_day_end(t, tz)?,
                        reloads: 0,
                    });
                }
                let ReloadDay {
                    ends: end,
                    reloads: today,
                } = st.reload_day.unwrap_or(ReloadDay {
                    ends: t,
                    reloads: 0,
                });
                if r.max_reloads_per_day.is_none_or(|m| today < m) {
                    st.reload_day = Some(ReloadDay {
                        ends: end,
                        reloads: today + 1,
                    });
                    let kd = Decimal::from(k);
                    let credits =
                        amount::checked(per.checked_mul(kd), "account.autoReload.amount")?;
                    let mut money =
                        amount::checked(r.amount.checked_mul(kd), "account.autoReload.amount")?;
                    money.rescale(minor);
                    let id = st.next_reload_id();
                    let grant = Grant::prepaid(id.clone(), credits, t);
                    let settled = if settle_at_once {
                        let settled = st.land(grant);
                        st.refresh(t);
                        balance = st.spendable();
                        settled
                    } else {
                        st.pending = Some(grant);
                        Decimal::ZERO
                    };
                    reloads.push(ReloadEvent {
                        amount: money,
                        at: t,
                        credits,
                        id,
                        multiple: k,
                        settled_owed: settled,
                    });
                }
            }
        }
        if let (Some(settings), Some(prev)) = (alert_settings, alert_state) {
            let now = state_for(settings, balance);
            if now != prev {
                alerts.push(AlertEvent {
                    at: t,
                    from: prev,
                    to: now,
                    balance,
                });
                alert_state = Some(now);
            }
        }
    }
    let mut owed = st.owed;
    owed.rescale(owed.scale().max(dp));
    st.alert = alert_state;
    let preview = Preview {
        items,
        reloads,
        alerts,
        grants: st
            .grants
            .iter()
            .map(|g| GrantBalance {
                id: g.id.clone(),
                remaining: g.remaining,
            })
            .collect(),
        included_seconds_remaining: st.included,
        owed,
        balance_before,
        balance_after: spendable(&st.grants, st.owed, last_t),
        agent_spend: st.spent.clone(),
    };
    Ok((preview, st))
}

/// The index `k` of the monthly occurrence of `anchor` at or before `t` in `tz`
/// (SEMANTICS 6: month-end anchors clamp); `None` when the schedule leaves the calendar.
fn months_from(anchor: Instant, t: Instant, tz: crate::calendar::Zone) -> Option<i64> {
    let (la, lt) = (anchor.local(tz), t.local(tz));
    let mut k =
        (lt.year() as i64 * 12 + lt.month0() as i64) - (la.year() as i64 * 12 + la.month0() as i64);
    while add_months(anchor, k, tz)? > t {
        k -= 1;
    }
    while add_months(anchor, k + 1, tz)? <= t {
        k += 1;
    }
    Some(k)
}
