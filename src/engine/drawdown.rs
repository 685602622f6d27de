//! Drawdown: usage, in time order, through plan allowances, then credit grants in burn
//! order, then owed (SEMANTICS 4-8). The same function previews in the browser and deducts
//! on the server, so both give the same lines and balances.

use crate::engine::alerts::state_for;
use crate::engine::amount::{self, dec, Count};
use crate::engine::calendar::{add_months, local_days, resolve_local, Instant};
use crate::engine::error::{Code, Error, Result};
use crate::engine::id::{first_duplicate, sort_indices};
use crate::engine::model::{
    Account, AlertSettings, AlertState, AutoReload, Call, ChargeLine, Grant, GrantType,
    OnPlanExhausted, RateCard,
};
use crate::engine::pools::{burn_order, spendable};
use crate::engine::rating::{call_lines_into, chat_line, rental_line, total, PlanTerms};
use crate::engine::reload::{reload_multiple, ReloadEvent};
use chrono::Datelike;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
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

pub use crate::engine::id::Id;

/// One usage item. A flat struct (not a tagged enum) so that every error keeps its path.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Usage {
    /// Shared with the items it becomes (`Item::id`): a count, not a copy, per item.
    pub id: Id,
    pub at: Instant,
    pub kind: UsageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<Call>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_kind: Option<String>,
    /// How many numbers this rental covers (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Count>,
    /// Charge every monthly period that starts before this instant (default: the first only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<Instant>,
    /// Charge a first partial period by days, up to the billing cycle's anchor day.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prorate: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewInput {
    pub rate_card: RateCard,
    /// Later versions of the card, each priced from its `effectiveFrom` (issue 28): an item
    /// is priced by the version in force at its instant.
    #[serde(default)]
    pub rate_card_versions: Vec<RateCard>,
    pub account: Account,
    #[serde(default)]
    pub usage: Vec<Usage>,
    /// Instant for the opening balance when there is no usage.
    #[serde(default)]
    pub as_of: Option<Instant>,
    /// How much the answer says about each item (`lines` by default).
    #[serde(default)]
    pub detail: Detail,
}

/// `previewDrawdown`'s level of detail: every line with its allocations (`lines`); the
/// lines without allocations (`summary`); or the lines and, per item, the balances after it
/// in columns (`timeline`), so a chart needs one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    #[default]
    Lines,
    Summary,
    Timeline,
}

/// The balances after each item, as columns aligned with `items`: the instant, the
/// spendable balance, what is owed, the included seconds left, and each grant's remaining
/// (`null` before the grant exists, e.g. a reload landing later).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub at: Vec<Instant>,
    #[serde(serialize_with = "dec_column")]
    pub balance: Vec<Decimal>,
    pub grants: BTreeMap<String, GrantColumn>,
    pub included_seconds_remaining: Vec<u64>,
    #[serde(serialize_with = "dec_column")]
    pub owed: Vec<Decimal>,
}

/// One grant's remaining after each item (`None` before it exists).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GrantColumn(pub Vec<Option<Decimal>>);

impl Serialize for GrantColumn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .map(|v| v.as_ref().map(|d| amount::Plain(d).to_string())),
        )
    }
}

fn dec_column<S: serde::Serializer>(v: &[Decimal], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|d| amount::Plain(d).to_string()))
}

impl Timeline {
    /// The state after one more item.
    fn record(&mut self, t: Instant, st: &State) {
        let n = self.at.len();
        self.at.push(t);
        self.balance.push(st.spendable());
        self.owed.push(st.owed);
        self.included_seconds_remaining.push(st.included);
        for g in &st.grants {
            let col = match self.grants.get_mut(&g.id) {
                Some(c) => c,
                None => self
                    .grants
                    .entry(g.id.clone())
                    .or_insert_with(|| GrantColumn(vec![None; n])),
            };
            col.0.push(Some(g.remaining));
        }
        for col in self.grants.values_mut() {
            col.0.resize(n + 1, None);
        }
    }
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
        write_line(self, true, s)
    }
}

impl DrawnLine {
    /// The line as `detail: "summary"` shows it: without its allocations.
    pub fn summary(&self) -> SummaryLine<'_> {
        SummaryLine(self)
    }
}

/// A drawn line without its allocations.
pub struct SummaryLine<'a>(&'a DrawnLine);

impl Serialize for SummaryLine<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        write_line(self.0, false, s)
    }
}

/// A drawn line, flat, keys in canonical (sorted) order; its allocations only when asked.
fn write_line<S: serde::Serializer>(
    d: &DrawnLine,
    allocations: bool,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    struct D(Decimal);
    impl Serialize for D {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.collect_str(&amount::Plain(&self.0))
        }
    }
    let l = &d.line;
    let mut st = s.serialize_struct("DrawnLine", 11)?;
    if allocations {
        st.serialize_field("allocations", &d.allocations)?;
    } else {
        st.skip_field("allocations")?;
    }
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
    st.serialize_field("uncovered", &D(d.uncovered))?;
    st.serialize_field("unit", &l.unit)?;
    st.end()
}

/// An item as `detail: "summary"` shows it: its lines without allocations.
pub struct SummaryItem<'a>(pub &'a Item);

impl Serialize for SummaryItem<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let i = self.0;
        let mut st = s.serialize_struct("SummaryItem", 6)?;
        st.serialize_field("at", &i.at)?;
        st.serialize_field("id", &i.id)?;
        st.serialize_field("lines", &Lines(&i.lines))?;
        match &i.period {
            Some(p) => st.serialize_field("period", p)?,
            None => st.skip_field("period")?,
        }
        match &i.reason {
            Some(r) => st.serialize_field("reason", r)?,
            None => st.skip_field("reason")?,
        }
        st.serialize_field("status", &i.status)?;
        st.end()
    }
}

struct Lines<'a>(&'a [DrawnLine]);

impl Serialize for Lines<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(DrawnLine::summary))
    }
}

struct SummaryItems<'a>(&'a [Item]);

impl Serialize for SummaryItems<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(SummaryItem))
    }
}

/// `previewDrawdown`'s answer: the preview, the snapshot to continue from (`accountAfter`,
/// what the server's ledger would hold after the usage), and the timeline when asked for.
/// Keys in canonical order; `detail: "summary"` drops the lines' allocations.
pub struct PreviewAnswer {
    pub preview: Preview,
    /// As a JSON value: its keys sorted, as every output's are (the account's struct keeps
    /// the contract's input order).
    pub account_after: serde_json::Value,
    pub detail: Detail,
    pub timeline: Option<Timeline>,
}

impl Serialize for PreviewAnswer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let p = &self.preview;
        let plain = |v: &Decimal| amount::Plain(v).to_string();
        let mut st = s.serialize_struct("Preview", 12)?;
        st.serialize_field("accountAfter", &self.account_after)?;
        st.serialize_field("agentSpend", &DecMap(&p.agent_spend))?;
        st.serialize_field("alerts", &p.alerts)?;
        st.serialize_field("balanceAfter", &plain(&p.balance_after))?;
        st.serialize_field("balanceBefore", &plain(&p.balance_before))?;
        st.serialize_field("grants", &p.grants)?;
        st.serialize_field("includedSecondsRemaining", &p.included_seconds_remaining)?;
        match self.detail {
            Detail::Summary => st.serialize_field("items", &SummaryItems(&p.items))?,
            _ => st.serialize_field("items", &p.items)?,
        }
        st.serialize_field("owed", &plain(&p.owed))?;
        st.serialize_field("reloads", &p.reloads)?;
        match &self.timeline {
            Some(t) => st.serialize_field("timeline", t)?,
            None => st.skip_field("timeline")?,
        }
        st.end()
    }
}

struct DecMap<'a>(&'a BTreeMap<String, Decimal>);

impl Serialize for DecMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        amount::dec_map(self.0, s)
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
    pub id: Id,
    /// The index in `usage` of the item this came from (not part of the answer).
    #[serde(skip)]
    pub source: usize,
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

/// One charge to make: a usage item at its instant (a rental's period at that period's).
pub(crate) struct Event<'a> {
    pub(crate) usage: &'a Usage,
    /// Where the item is in its list (errors name it).
    pub(crate) idx: usize,
    pub(crate) at: Instant,
    pub(crate) period: Option<u32>,
    pub(crate) days: Option<(i64, i64)>,
}

/// The occurrences of a monthly schedule anchored on `anchor` that fall in `[from, until)`.
pub(crate) fn rental_events<'a>(
    u: &'a Usage,
    idx: usize,
    account: &Account,
    out: &mut Vec<Event<'a>>,
) -> Result<()> {
    let field = &format!("usage[{idx}]");
    let tz = account.time_zone;
    let bad = || {
        Error::at(
            Code::InvalidInstant,
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
                Code::TooManyPeriods,
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

#[derive(Clone)]
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
    /// Agents' spend this cycle, sorted by agent id: a charge finds its agent once, by
    /// binary search, and keeps the slot for the update (two map lookups were 3 % of a
    /// forecast, BENCHMARKS.md).
    pub(crate) spent: Vec<(String, Decimal)>,
    pub(crate) cycle: Option<CycleAt>,
    pub(crate) reload_day: Option<ReloadDay>,
    /// A reload waiting for its payment (ledger mode only); it blocks further reloads.
    pub(crate) pending: Option<Grant>,
    /// The alert state after the last item.
    pub(crate) alert: Option<AlertState>,
    /// Whether lines record their allocations (a summary preview shows none).
    allocations: bool,
    /// The buffer `charge` prices each item's lines into.
    lines: Vec<ChargeLine>,
    /// A drawn-lines buffer an item handed out (`EachItem`) gave back, for the next item.
    spare: Vec<DrawnLine>,
    /// No `reload-N` below this is free: ids are only ever added during a drawdown, so the
    /// search for the next one starts where the last one ended instead of at 1.
    reload_from: u32,
    /// The renewals passed, when someone asks (a forecast does).
    pub(crate) renewals: Option<Vec<Renewal>>,
    /// Whether items keep their drawn lines; without (a forecast, which reads only whether
    /// a charge went uncovered), `uncovered` records it.
    pub(crate) keep_lines: bool,
    pub(crate) uncovered: bool,
    /// Lines priced before, by usage index, for a drawdown that charges the same usage again
    /// (a forecast's copies of its basis); `None`: every item is priced afresh.
    pub(crate) priced: Option<Vec<Option<Priced>>>,
    /// Reloads already paid, in the order the books set them off: a re-draw (SEMANTICS 15)
    /// lands the next of them where it calls for a reload, instead of a new payment.
    pub(crate) paid: std::collections::VecDeque<ReloadEvent>,
}

/// A cycle renewal a drawdown passed: its instant, and the plan credits it forfeited (each
/// plan grant's credits left, less what rolled over, taken from the newest grants first).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Renewal {
    pub(crate) at: Instant,
    pub(crate) forfeited: Vec<(String, Decimal)>,
}

/// Each agent's spend this cycle, sorted by agent id: the account's agents are a map, which
/// iterates in key order.
fn agents_spent(account: &Account) -> Vec<(String, Decimal)> {
    let spent = account.agents.iter();
    spent
        .map(|(k, a)| (k.clone(), a.spent_this_cycle.unwrap_or_default()))
        .collect()
}

/// `spent` as a map. Filled by `insert`: a `collect` into a `BTreeMap` links a stable sort
/// (5 KB of the gzipped `.wasm`, BENCHMARKS.md).
fn spend_map(spent: &[(String, Decimal)]) -> BTreeMap<String, Decimal> {
    let mut map = BTreeMap::new();
    for (k, v) in spent {
        map.insert(k.clone(), *v);
    }
    map
}

/// Where agent `a`'s spend is in `spent` (sorted by id), or where it would go.
fn spend_slot(spent: &[(String, Decimal)], a: &str) -> std::result::Result<usize, usize> {
    spent.binary_search_by(|(k, _)| k.as_str().cmp(a))
}

impl State {
    /// The state a drawdown opens with: the account's grants, debt, included seconds,
    /// agents' spend, cycle, reload day and pending reload.
    pub(crate) fn open(account: &Account) -> State {
        let tz = account.time_zone;
        State {
            grants: account.grants.clone(),
            active: Vec::with_capacity(account.grants.len() + 4),
            active_until: None,
            active_dirty: true,
            has_plan: has_plan(account, &account.grants),
            included: account.included_seconds(),
            owed: account.owed.unwrap_or_default(),
            spent: agents_spent(account),
            cycle: account.cycle.as_ref().map(|c| {
                let anchor = c.anchor.unwrap_or(c.start);
                CycleAt {
                    anchor,
                    start: c.start,
                    end: c.end,
                    index: months_from(anchor, c.start, tz).unwrap_or(0),
                }
            }),
            reload_day: match (account.reload_day_ends, account.reloads_today) {
                (Some(ends), Some(n)) => Some(ReloadDay {
                    ends,
                    reloads: u32::try_from(n.0).unwrap_or(u32::MAX),
                }),
                _ => None,
            },
            pending: account.pending_reload.clone(),
            alert: None,
            allocations: true,
            lines: Vec::with_capacity(4),
            spare: vec![],
            reload_from: 1,
            renewals: None,
            keep_lines: true,
            uncovered: false,
            priced: None,
            paid: Default::default(),
        }
    }

    /// Whether lines record their allocations.
    pub(crate) fn set_allocations(&mut self, on: bool) {
        self.allocations = on;
    }

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
                if amount::positive(&g.remaining) {
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
    /// `pools::plan_left` over the active set, whose burn order puts plan grants first.
    fn plan_left(&self, use_included: bool) -> bool {
        let plan_credits: Decimal = self
            .active
            .iter()
            .map(|&i| &self.grants[i])
            .take_while(|g| g.kind == GrantType::Plan)
            .map(|g| g.remaining)
            .sum();
        crate::engine::pools::plan_left(if use_included { self.included } else { 0 }, plan_credits)
    }
    /// `reload-N` with the smallest N no grant or pending reload uses yet.
    fn next_reload_id(&mut self) -> String {
        let taken = |id: &str| {
            self.grants.iter().any(|g| g.id == id)
                || self.pending.as_ref().is_some_and(|p| p.id == id)
        };
        let (n, id) = (self.reload_from..)
            .map(|n| (n, format!("reload-{n}")))
            .find(|(_, id)| !taken(id))
            .unwrap_or_default();
        self.reload_from = n.saturating_add(1);
        id
    }
    /// Credits that land settle what is owed first (SEMANTICS 5.3); the rest is the grant.
    /// Returns the credits that went to what was owed.
    pub(crate) fn land(&mut self, mut g: Grant) -> Decimal {
        let settled = crate::engine::pools::settle_owed(&mut self.owed, &mut g);
        self.add_grant(g);
        settled
    }
    fn add_grant(&mut self, g: Grant) {
        self.has_plan |= g.kind == GrantType::Plan;
        self.grants.push(g);
        self.active_dirty = true;
    }
}

/// What time alone does to `account` from `since` to `t` (SEMANTICS 15 "On time"): its
/// cycles renewed (included minutes lapse, plan credits roll over, agents' cycle spend
/// restarts), and the alert crossed if the spendable balance at `t` (after expiries) changed
/// the alert state (the state at `since` when none is kept yet). Usage does the same on its
/// way (`run`); this is for an account nobody is using.
pub fn pass_time(
    account: &Account,
    since: Instant,
    t: Instant,
) -> Result<(Account, Option<AlertEvent>)> {
    let mut st = State::open(account);
    renew_cycle(&mut st, account, t)?;
    let alert = match account.alerts.as_ref() {
        Some(settings) => {
            let balance = spendable(&st.grants, st.owed, Some(t));
            let prev = settings.state.unwrap_or_else(|| {
                state_for(settings, spendable(&st.grants, st.owed, Some(since)))
            });
            let event = alert_after(settings, prev, balance, t);
            st.alert = Some(event.as_ref().map_or(prev, |e| e.to));
            event
        }
        None => None,
    };
    Ok((snapshot(account, st), alert))
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
                Code::InvalidCycle,
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
        st.spent.iter_mut().for_each(|(_, s)| *s = Decimal::ZERO);
        let forfeited = match &account.plan {
            Some(plan) => renew_plan(st, plan, (end, new_end)),
            None => vec![],
        };
        if let Some(log) = st.renewals.as_mut() {
            log.push(Renewal { at: end, forfeited });
        }
    }
    Ok(())
}

/// A plan's new cycle from `start` to `end`: included minutes lapse and start over; plan
/// credits carry over up to the cap (OpenMeter rollover). Answers what each plan grant forfeited.
fn renew_plan(
    st: &mut State,
    plan: &crate::engine::model::Plan,
    (start, end): (Instant, Instant),
) -> Vec<(String, Decimal)> {
    st.included = plan.included_seconds();
    let mut left = Decimal::ZERO;
    let mut forfeited = vec![];
    for g in st.grants.iter_mut().filter(|g| g.kind == GrantType::Plan) {
        left += g.remaining;
        if g.remaining > Decimal::ZERO {
            forfeited.push((g.id.clone(), g.remaining));
        }
        g.remaining = Decimal::ZERO;
    }
    let carry = left.min(plan.rollover_cap.unwrap_or_default());
    let fresh = plan.included_credits.unwrap_or_default() + carry;
    st.active_dirty = true;
    if fresh > Decimal::ZERO {
        st.add_grant(Grant {
            id: format!("plan-credits@{start}"),
            kind: GrantType::Plan,
            remaining: fresh,
            priority: PLAN_CREDITS_PRIORITY,
            effective_at: Some(start),
            expires_at: Some(end),
            created_at: Some(start),
        });
    }
    less_carry(forfeited, carry)
}

/// What each plan grant forfeits at a renewal once `carry` rolls over: the rollover is
/// taken from the newest grants first.
fn less_carry(mut left: Vec<(String, Decimal)>, mut carry: Decimal) -> Vec<(String, Decimal)> {
    for (_, credits) in left.iter_mut().rev() {
        let kept = carry.min(*credits);
        *credits -= kept;
        carry -= kept;
    }
    left.retain(|(_, c)| *c > Decimal::ZERO);
    left
}

/// Draw one line's credits from the active grants in burn order; the rest is owed. The
/// drawn line is appended to `drawn`, not returned: it is 152 bytes, and returning it
/// through `Result` was one more copy of every line.
fn allocate(
    st: &mut State,
    line: ChargeLine,
    use_plan: bool,
    drawn: &mut Vec<DrawnLine>,
) -> Result<()> {
    let mut allocations = Vec::new();
    let record = st.allocations;
    if line.code == "voice.included_minutes" {
        let secs = u64::try_from(line.quantity).unwrap_or(0);
        st.included = st.included.saturating_sub(secs);
        if record {
            allocations.push(Allocation {
                source: "included_minutes".into(),
                grant_id: None,
                credits: None,
                seconds: Some(secs),
            });
        }
    }
    let mut need = line.credits;
    let mut emptied = false;
    for &i in &st.active {
        if !amount::positive(&need) {
            break;
        }
        let g = &mut st.grants[i];
        let is_plan = g.kind == GrantType::Plan;
        if is_plan && !use_plan {
            continue;
        }
        let take = amount::min(need, g.remaining);
        g.remaining -= take;
        need -= take;
        emptied |= g.remaining.is_zero();
        if !record {
            continue;
        }
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
        st.active
            .retain(|&i| amount::positive(&grants[i].remaining));
    }
    // SEMANTICS 5.3: the usage happened; what no credit covers is owed, never lost.
    st.owed = amount::checked(st.owed.checked_add(need), "owed")?;
    if st.keep_lines {
        drawn.push(DrawnLine {
            line,
            allocations,
            uncovered: need,
        });
    } else {
        st.uncovered |= !need.is_zero();
    }
    Ok(())
}

/// An event's charge lines, appended to `out`.
fn lines_into(
    out: &mut Vec<ChargeLine>,
    card: &RateCard,
    (st, account): (&State, &Account),
    ev: &Event,
    use_plan: bool,
) -> Result<()> {
    let u = ev.usage;
    let field = || format!("usage[{}]", ev.idx);
    let missing = |name: &str| {
        Error::at(
            Code::MissingField,
            &format!("{}.{name}", field()),
            format!("a `{}` item needs `{name}`", u.kind.name()),
        )
    };
    match u.kind {
        UsageKind::Call => {
            let call = u.call.as_ref().ok_or_else(|| missing("call"))?;
            let included = if use_plan { st.included } else { 0 };
            let terms = PlanTerms::of(account.plan.as_ref(), included);
            call_lines_into(out, card, terms, call).map_err(|e| rebase(e, &field()))
        }
        UsageKind::Chat => {
            let m = u.messages.ok_or_else(|| missing("messages"))?;
            out.push(chat_line(card, m.0)?);
            Ok(())
        }
        UsageKind::Number => {
            let kind = u
                .number_kind
                .as_deref()
                .ok_or_else(|| missing("numberKind"))?;
            out.push(rental_line(
                card,
                kind,
                u.count.map_or(1, |c| c.0),
                ev.days,
            )?);
            Ok(())
        }
    }
}

/// An item's lines and their total as one card version priced them.
#[derive(Clone)]
pub(crate) struct Priced {
    /// The version's address: versions are borrowed for the whole drawdown.
    card: *const RateCard,
    lines: Vec<ChargeLine>,
    charged: Decimal,
}

/// An event's lines into `out` and their total: from `st.priced` when it holds them for this
/// card version and no included minutes could change them (a call's lines depend on the
/// included seconds left; a chat's or a rental's never do, nor a call's once none are left).
fn price(
    out: &mut Vec<ChargeLine>,
    card: &RateCard,
    (st, account): (&mut State, &Account),
    ev: &Event,
    use_plan: bool,
) -> Result<Decimal> {
    let same = ev.usage.kind != UsageKind::Call || !use_plan || st.included == 0;
    let reusable = same && ev.period.is_none() && ev.days.is_none() && st.priced.is_some();
    let slot = st
        .priced
        .as_ref()
        .and_then(|p| p.get(ev.idx))
        .and_then(|p| p.as_ref());
    if let Some(p) = slot.filter(|p| reusable && std::ptr::eq(p.card, card)) {
        out.extend_from_slice(&p.lines);
        return Ok(p.charged);
    }
    lines_into(out, card, (st, account), ev, use_plan)?;
    let charged = total(card, out)?;
    if let Some(slot) = st
        .priced
        .as_mut()
        .and_then(|p| p.get_mut(ev.idx))
        .filter(|_| reusable)
    {
        *slot = Some(Priced {
            card,
            lines: out.clone(),
            charged,
        });
    }
    Ok(charged)
}

/// The first instant of the local day after `t`'s.
fn local_day_end(t: Instant, tz: crate::engine::calendar::Zone) -> Result<Instant> {
    let next = t
        .local(tz)
        .date()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0));
    next.and_then(|n| resolve_local(tz, n)).ok_or_else(|| {
        Error::at(
            Code::InvalidInstant,
            "usage",
            "the date leaves the calendar",
        )
    })
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
///
/// The steps: the usage in time order (`events_in_order`), the opening state
/// (`State::open`), then per item: renew the cycle, charge it (`charge`), reload if the
/// available wallet crossed the threshold (`Reloader::after`), move the alert state
/// (`alert_after`); finally the closing figures.
pub(crate) fn run(input: &PreviewInput, settle_at_once: bool) -> Result<(Preview, State)> {
    validate(&input.rate_card, &input.account)?;
    input
        .rate_card
        .validate_versions(&input.rate_card_versions)?;
    run_recording(input, settle_at_once, None, true, None)
}

/// `run` over an input whose card and account the caller has validated already (a live
/// call's shares: `authorize_call` checked the very same view), so they are checked once.
pub(crate) fn run_validated(input: &PreviewInput) -> Result<(Preview, State)> {
    run_recording(input, true, None, true, None)
}

/// An operation's `rateCard` and `account`, each checked, errors under their field.
pub(crate) fn validate(card: &RateCard, account: &Account) -> Result<()> {
    card.validate().map_err(|e| e.within("rateCard"))?;
    account.validate(card).map_err(|e| e.within("account"))
}

/// Where a preview's items go: into its answer, or each to a consumer as it is charged.
pub type EachItem<'a> = &'a mut dyn FnMut(&Item) -> Option<()>;

/// `previewDrawdown`'s whole answer: the preview at the input's `detail`, and the snapshot
/// after it (a preview settles reloads at once).
pub fn preview_answer(input: &PreviewInput) -> Result<PreviewAnswer> {
    preview_answer_each(input, None)
}

/// `preview_answer`, each item handed to `each` as it is charged instead of kept in the
/// answer (whose `items` is then empty). The npm package's summary route writes them out
/// so: keeping 100,000 items and their lines to write them afterwards took 13 MB more of
/// the module's memory, which never shrinks. When `each` answers `None` the preview stops
/// with an `internal` error.
pub fn preview_answer_each(input: &PreviewInput, each: Option<EachItem>) -> Result<PreviewAnswer> {
    let mut timeline = (input.detail == Detail::Timeline).then(Timeline::default);
    let allocations = input.detail != Detail::Summary;
    validate(&input.rate_card, &input.account)?;
    input
        .rate_card
        .validate_versions(&input.rate_card_versions)?;
    let (preview, st) = run_recording(input, true, timeline.as_mut(), allocations, each)?;
    Ok(PreviewAnswer {
        preview,
        account_after: serde_json::to_value(snapshot(&input.account, st))
            .map_err(|e| Error::new(Code::Internal, None, e.to_string()))?,
        detail: input.detail,
        timeline,
    })
}

/// `run`, recording the balances after each item when given a timeline, and the lines'
/// allocations when asked (the books always need them; a summary shows none).
fn run_recording(
    input: &PreviewInput,
    settle_at_once: bool,
    mut timeline: Option<&mut Timeline>,
    allocations: bool,
    mut each: Option<EachItem>,
) -> Result<(Preview, State)> {
    let (events, order) = events_in_order(input)?;
    let opening_t = order.first().map(|&i| events[i].at).or(input.as_of);
    let mut d = Drive::open(&input.rate_card, &input.account, settle_at_once, opening_t)?;
    d.versions = &input.rate_card_versions;
    d.st.allocations = allocations;
    let kept = if each.is_some() { 0 } else { events.len() };
    let mut items = Vec::with_capacity(kept);
    let mut last_t = opening_t;
    for &i in &order {
        let ev = &events[i];
        last_t = Some(ev.at);
        let item = d.step(ev)?;
        match each.as_deref_mut() {
            Some(each) => {
                let stopped = "an item's consumer stopped the preview";
                each(&item).ok_or_else(|| Error::new(Code::Internal, None, stopped))?;
                d.give_back(item);
            }
            None => items.push(item),
        }
        if let Some(tl) = timeline.as_deref_mut() {
            tl.record(ev.at, &d.st);
        }
    }
    Ok(d.close(items, last_t))
}

/// A drawdown under way (sections 4-8): the state, and the reloads and alerts it has set off.
/// `previewDrawdown` and the ledger drive it over the usage; `forecastRunway` over the
/// repeated basis.
pub(crate) struct Drive<'a> {
    card: &'a RateCard,
    /// Later versions of `card`: each item is charged by the one in force at its instant.
    pub(crate) versions: &'a [RateCard],
    account: &'a Account,
    pub(crate) st: State,
    reloader: Option<Reloader<'a>>,
    settle_at_once: bool,
    /// Auto-reload and alerts read the balance after each charge; without either, nothing
    /// does, and summing the grants after every item was 7 % of the drawdown (native).
    watched: bool,
    alert_state: Option<AlertState>,
    /// The account's alert settings, thresholds at the card's decimals (`alerts::at_scale`).
    alert_levels: Option<crate::engine::alerts::AlertSettings>,
    balance_before: Decimal,
    reloads: Vec<ReloadEvent>,
    alerts: Vec<AlertEvent>,
}

impl<'a> Drive<'a> {
    /// The opening state, its spendable balance at `opening_t` and its alert state.
    pub(crate) fn open(
        card: &'a RateCard,
        account: &'a Account,
        settle_at_once: bool,
        opening_t: Option<Instant>,
    ) -> Result<Self> {
        let st = State::open(account);
        let balance_before = spendable(&st.grants, st.owed, opening_t);
        let alert_state = account
            .alerts
            .as_ref()
            .map(|a| a.state.unwrap_or_else(|| state_for(a, balance_before)));
        let reloader = Reloader::of(card, account, settle_at_once)?;
        let alert_levels = account
            .alerts
            .as_ref()
            .map(|a| crate::engine::alerts::at_scale(a, card.dp()));
        Ok(Drive {
            alert_levels,
            card,
            versions: &[],
            account,
            st,
            watched: reloader.is_some() || alert_state.is_some(),
            reloader,
            settle_at_once,
            alert_state,
            balance_before,
            reloads: vec![],
            alerts: vec![],
        })
    }

    /// One event: the cycle renewed up to it, its charge, the reload and alert it sets off.
    pub(crate) fn step(&mut self, ev: &Event) -> Result<Item> {
        let (account, t) = (self.account, ev.at);
        renew_cycle(&mut self.st, account, t)?;
        self.st.refresh(t);
        let card = self.card.at(self.versions, t);
        let (item, charged) = charge(card, &mut self.st, account, ev)?;
        if let Some(charged) = charged.filter(|_| self.watched) {
            let how = (&self.reloader, self.settle_at_once);
            let (reload, balance) = after_charge(&mut self.st, account, (t, charged), how)?;
            self.reloads.extend(reload);
            if let (Some(settings), Some(prev)) = (self.alert_levels.as_ref(), self.alert_state) {
                let a = alert_after(settings, prev, balance, t);
                self.alert_state = Some(a.as_ref().map_or(prev, |a| a.to));
                self.alerts.extend(a);
            }
        }
        Ok(item)
    }

    /// The account as the drawdown has it now (a re-draw's checkpoints, SEMANTICS 15).
    pub(crate) fn snapshot_now(&self) -> Account {
        let mut st = self.st.clone();
        st.alert = self.alert_state;
        snapshot(self.account, st)
    }

    /// An item's lines buffer back for the next item (an item nobody keeps).
    pub(crate) fn give_back(&mut self, item: Item) {
        self.st.spare = item.lines;
        self.st.spare.clear();
    }

    /// Renew the cycle up to `t` with no usage (the end of a forecast).
    pub(crate) fn renew_to(&mut self, t: Instant) -> Result<()> {
        renew_cycle(&mut self.st, self.account, t)
    }

    /// The preview of what was driven, and the closing state.
    pub(crate) fn close(mut self, items: Vec<Item>, last_t: Option<Instant>) -> (Preview, State) {
        self.st.alert = self.alert_state;
        let preview = closing_preview(
            &self.st,
            self.card.dp(),
            (items, self.reloads, self.alerts),
            (self.balance_before, last_t),
        );
        (preview, self.st)
    }
}

/// What a drawdown's closing state shows: the items, reloads and alerts it went through,
/// the grants left, what is owed (at the card's decimals at least) and the balances.
fn closing_preview(
    st: &State,
    dp: u32,
    (items, reloads, alerts): (Vec<Item>, Vec<ReloadEvent>, Vec<AlertEvent>),
    (balance_before, last_t): (Decimal, Option<Instant>),
) -> Preview {
    let mut owed = st.owed;
    owed.rescale(owed.scale().max(dp));
    Preview {
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
        agent_spend: spend_map(&st.spent),
    }
}

/// The priority of a cycle's plan-credit grant: before any plan grant a caller writes. It is
/// the lowest integer a JavaScript number holds exactly (`Number.MIN_SAFE_INTEGER`), so the
/// account after a preview can be handed to JavaScript (`i64::MIN` could not).
pub const PLAN_CREDITS_PRIORITY: i64 = -9_007_199_254_740_991;

/// After a charge: the reload the available wallet's crossing triggers (landing at once in
/// a preview), and the balance the alerts then see.
fn after_charge(
    st: &mut State,
    account: &Account,
    (t, charged): (Instant, Decimal),
    (reloader, settle_at_once): (&Option<Reloader>, bool),
) -> Result<(Option<ReloadEvent>, Decimal)> {
    let mut balance = st.spendable();
    let Some(r) = reloader else {
        return Ok((None, balance));
    };
    let reload = r.after(st, account, (t, balance), charged)?;
    if reload.is_some() && settle_at_once {
        balance = st.spendable();
    }
    Ok((reload, balance))
}

/// The usage as events in time order (ties keep input order), a number rental expanded to
/// one event per period; ids must be unique. Answers the events and their time order.
fn events_in_order(input: &PreviewInput) -> Result<(Vec<Event<'_>>, Vec<usize>)> {
    let ids: Vec<&str> = input.usage.iter().map(|u| &*u.id).collect();
    if let Some(idx) = first_duplicate(&ids) {
        return Err(Error::at(
            Code::DuplicateId,
            &format!("usage[{idx}].id"),
            format!("usage id `{}` appears twice", ids[idx]),
        ));
    }
    let mut events = Vec::with_capacity(input.usage.len());
    for (idx, u) in input.usage.iter().enumerate() {
        match u.kind {
            UsageKind::Number => rental_events(u, idx, &input.account, &mut events)?,
            _ => events.push(Event {
                usage: u,
                idx,
                at: u.at,
                period: None,
                days: None,
            }),
        }
    }
    let ats: Vec<Instant> = events.iter().map(|e| e.at).collect();
    let order = crate::engine::calendar::time_order(&ats);
    Ok((events, order))
}

/// One usage event charged: the agent's gate (seed 002), its lines drawn down in burn
/// order, the agent's spend. Answers the item and its credits (`None` when refused). The
/// item is built after the lines on purpose: allocating its id first made glibc's allocator
/// fragment and the 100,000-item benchmark 25 % slower (BENCHMARKS.md).
fn charge(
    card: &RateCard,
    st: &mut State,
    account: &Account,
    ev: &Event,
) -> Result<(Item, Option<Decimal>)> {
    let u = ev.usage;
    let agent = if u.kind == UsageKind::Number {
        None
    } else {
        u.agent_id.as_deref()
    };
    let slot = agent.map(|a| spend_slot(&st.spent, a));
    let spent = match slot {
        Some(Ok(i)) => st.spent[i].1,
        _ => Decimal::ZERO,
    };
    let plan_left = st.plan_left(account.plan.is_some());
    let g = gate(account, agent, spent, st.has_plan, plan_left);
    if let Gate::Refused(reason) = g {
        let item = Item {
            id: u.id.clone(),
            at: ev.at,
            source: ev.idx,
            period: ev.period,
            status: ItemStatus::Refused,
            reason: Some(reason),
            lines: vec![],
        };
        return Ok((item, None));
    }
    let use_plan = g == Gate::PlanThenWallet;
    // One buffer for every item's lines: a `Vec` a line was an allocation an item.
    let mut lines = std::mem::take(&mut st.lines);
    lines.clear();
    let charged = price(&mut lines, card, (st, account), ev, use_plan)?;
    // Exactly as many as it has (a kept item holds them), or the buffer an item handed out
    // gave back: an allocation and a free an item, 1-2 ms of 100,000 items in wasm.
    let mut drawn = std::mem::take(&mut st.spare);
    drawn.reserve_exact(lines.len());
    for line in lines.drain(..) {
        allocate(st, line, use_plan, &mut drawn)?;
    }
    st.lines = lines;
    // Nothing changed `st.spent` since the slot was found.
    match (agent, slot) {
        (_, Some(Ok(i))) => {
            st.spent[i].1 = amount::checked(spent.checked_add(charged), "agentSpend")?
        }
        (Some(a), Some(Err(i))) => st.spent.insert(i, (a.to_string(), charged)),
        _ => {}
    }
    let item = Item {
        id: u.id.clone(),
        at: ev.at,
        source: ev.idx,
        period: ev.period,
        status: ItemStatus::Charged,
        reason: None,
        lines: drawn,
    };
    Ok((item, Some(charged)))
}

/// Auto-reload as the account configures it (SEMANTICS 7), in credits.
struct Reloader<'a> {
    settings: &'a AutoReload,
    threshold: Decimal,
    per: Decimal,
    minor: u32,
    settle_at_once: bool,
}

impl<'a> Reloader<'a> {
    /// `None` when auto-reload is off, has no payment method or no amount.
    fn of(card: &RateCard, account: &'a Account, settle_at_once: bool) -> Result<Option<Self>> {
        let Some(r) = account.auto_reload.as_ref().filter(|r| {
            r.enabled
                && r.payment_method
                    .as_deref()
                    .is_some_and(|p| !p.trim().is_empty())
                && r.amount > Decimal::ZERO
        }) else {
            return Ok(None);
        };
        // At the card's decimals at least, as balances are: compared after every charge.
        let mut threshold = card.to_credits(r.threshold, "account.autoReload.threshold")?;
        threshold.rescale(threshold.scale().max(card.dp()));
        Ok(Some(Reloader {
            settings: r,
            threshold,
            per: card.to_credits(r.amount, "account.autoReload.amount")?,
            minor: card.minor(),
            settle_at_once,
        }))
    }

    /// After a charge: the reload the available wallet (spendable less live calls' holds,
    /// SEMANTICS 11) calls for, within `maxReloadsPerDay` of the account's local day; one at
    /// a time (a pending payment blocks the next).
    fn after(
        &self,
        st: &mut State,
        account: &Account,
        (t, balance): (Instant, Decimal),
        charged: Decimal,
    ) -> Result<Option<ReloadEvent>> {
        if !amount::positive(&charged) || st.pending.is_some() {
            return Ok(None);
        }
        let available = match account.holds.is_empty() {
            true => balance,
            false => balance - crate::engine::pools::held_credits(&account.holds, t),
        };
        let Some(k) = reload_multiple(available, self.threshold, self.per) else {
            return Ok(None);
        };
        // The multiple crosses to JavaScript as a number: keep it exact there.
        if k > amount::MAX_SAFE_INTEGER {
            return Err(Error::overflow("account.autoReload.amount"));
        }
        if st.reload_day.is_none_or(|d| t >= d.ends) {
            st.reload_day = Some(ReloadDay {
                ends: local_day_end(t, account.time_zone)?,
                reloads: 0,
            });
        }
        let day = st.reload_day.unwrap_or(ReloadDay {
            ends: t,
            reloads: 0,
        });
        if self
            .settings
            .max_reloads_per_day
            .is_some_and(|m| day.reloads >= m)
        {
            return Ok(None);
        }
        st.reload_day = Some(ReloadDay {
            reloads: day.reloads + 1,
            ..day
        });
        if let Some(p) = st.paid.pop_front() {
            return Ok(Some(land_paid(st, p, t)));
        }
        let kd = Decimal::from(k);
        let field = "account.autoReload.amount";
        let credits = amount::checked(self.per.checked_mul(kd), field)?;
        let mut money = amount::checked(self.settings.amount.checked_mul(kd), field)?;
        money.rescale(self.minor);
        let id = st.next_reload_id();
        let grant = Grant::prepaid(id.clone(), credits, t);
        let settled = if self.settle_at_once {
            let settled = st.land(grant);
            st.refresh(t);
            settled
        } else {
            st.pending = Some(grant);
            Decimal::ZERO
        };
        Ok(Some(ReloadEvent {
            amount: money,
            at: t,
            credits,
            id,
            multiple: k,
            settled_owed: settled,
            paid: false,
        }))
    }
}

/// A reload paid before lands again at `t`, the credits it bought (SEMANTICS 15: payments
/// keep what they paid; only where the re-drawn books call for them moves).
pub(crate) fn land_paid(st: &mut State, mut p: ReloadEvent, t: Instant) -> ReloadEvent {
    p.settled_owed = st.land(Grant::prepaid(p.id.clone(), p.credits, t));
    st.refresh(t);
    p.at = t;
    p.paid = true;
    p
}

/// SEMANTICS 11: auto-reload is checked after a hold is taken or grown too, against the
/// available wallet (spendable less every active hold, the new one included). Answers the
/// reload and the closing state (`ledger::snapshot` makes it the next account).
pub(crate) fn reload_after_hold(
    card: &RateCard,
    account: &Account,
    t: Instant,
    settle_at_once: bool,
) -> Result<Option<(ReloadEvent, State)>> {
    let Some(r) = Reloader::of(card, account, settle_at_once)? else {
        return Ok(None);
    };
    let mut st = State::open(account);
    st.refresh(t);
    let balance = st.spendable();
    // A hold is not a charge, but it moved the available wallet as one would.
    let reload = r.after(&mut st, account, (t, balance), Decimal::ONE)?;
    Ok(reload.map(|e| (e, st)))
}

/// The alert transition a balance makes from `prev` (SEMANTICS 8), if any.
fn alert_after(
    settings: &AlertSettings,
    prev: AlertState,
    balance: Decimal,
    t: Instant,
) -> Option<AlertEvent> {
    let now = state_for(settings, balance);
    (now != prev).then_some(AlertEvent {
        at: t,
        from: prev,
        to: now,
        balance,
    })
}

/// The index `k` of the monthly occurrence of `anchor` at or before `t` in `tz`
/// (SEMANTICS 6: month-end anchors clamp); `None` when the schedule leaves the calendar.
fn months_from(anchor: Instant, t: Instant, tz: crate::engine::calendar::Zone) -> Option<i64> {
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

/// The snapshot a drawdown's closing state leaves: grants, debt, included seconds, agents'
/// spend, cycle, alert state, reload day and pending reload carried forward.
pub(crate) fn snapshot(opening: &Account, st: State) -> Account {
    let mut account = opening.clone();
    account.grants = st.grants;
    account.owed = Some(st.owed);
    if account.plan.is_some() {
        account.included_seconds_remaining = Some(crate::engine::amount::Seconds(st.included));
    }
    for (id, a) in account.agents.iter_mut() {
        let slot = spend_slot(&st.spent, id).ok();
        a.spent_this_cycle = Some(slot.map_or(Decimal::ZERO, |i| st.spent[i].1));
    }
    for (id, spent) in &st.spent {
        account
            .agents
            .entry(id.clone())
            .or_insert_with(|| crate::engine::model::AgentPolicy {
                spent_this_cycle: Some(*spent),
                ..crate::engine::model::AgentPolicy::default()
            });
    }
    if let (Some(c), Some(at)) = (account.cycle.as_mut(), st.cycle) {
        c.anchor = Some(at.anchor);
        c.start = at.start;
        c.end = at.end;
    }
    if let (Some(a), Some(state)) = (account.alerts.as_mut(), st.alert) {
        a.state = Some(state);
    }
    account.reload_day_ends = st.reload_day.map(|d| d.ends);
    account.reloads_today = st
        .reload_day
        .map(|d| crate::engine::amount::Count(d.reloads.into()));
    account.pending_reload = st.pending;
    account
}
