//! Inbound toll-free limits (SEMANTICS 18; seed `000_…`: "Toll-free numbers may also be
//! subject to inbound usage limits to protect against artificial traffic inflation").
//! Toll-free is called-party-pays, so whoever pumps calls into an account's 8XX number
//! spends that account's credits. A limit bounds how much such traffic a grant may add:
//! concurrent calls, minutes per local hour and per local day (account-wide and per number),
//! and a surge rule per number against the same hour of the week over the last 4 weeks.
//!
//! Minutes are connected seconds: the ended calls' in `inboundUsage` (hourly buckets, kept
//! by `record` at each end) plus every live hold's granted span. A grant is the largest
//! whole-call duration for which no window passes its limit, so a call is cut at a limit.

use crate::engine::amount::Count;
use crate::engine::amount::Seconds;
use crate::engine::calendar::{resolve_local, Instant, Zone};
use crate::engine::error::{Code, Error, Result};
use crate::engine::model::MAX_USAGE_HOURS;
pub use crate::engine::model::{
    inbound_findings as findings, InboundHour, InboundLimits, InboundShare, NumberShare, Surge,
};
use crate::engine::model::{Account, CallDirection, Hold, HoldKind};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// How far back usage is kept: the surge rule reads 4 weeks before the current hour, and a
/// day more covers a DST change in between.
pub const KEEP_SECONDS: i64 = 29 * 86_400;
/// The most hourly buckets one ended call is spread over (a grant is at most a day).
pub const MAX_RECORDED_HOURS: u32 = 48;
/// The surge rule's look-back (SEMANTICS 18: the same hour of the week over 4 weeks).
pub const SURGE_WEEKS: i64 = 4;

/// A call asking for seconds under the limits: whole-call seconds from `started_at`, up to
/// `cap`, asked at `at`; `except` is its own hold (an extend).
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    pub number_id: Option<&'a str>,
    pub started_at: Instant,
    pub at: Instant,
    pub except: Option<&'a str>,
    pub cap: u64,
}

/// Where a limit cuts a call: the whole-call seconds it may have, and which limit (its
/// field under `inboundLimits`: `maxMinutesPerHour`, `perNumber.tf-1.maxConcurrentCalls`,
/// `surge`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    pub seconds: u64,
    pub limit: String,
}

/// Which numbers' calls a sum counts (`None`: calls that named no number).
type Group<'a> = dyn Fn(Option<&str>) -> bool + 'a;

/// Which calls a limit counts: all of the account's, or one number's (none: the calls that
/// named no number, for the surge rule).
#[derive(Clone, Copy)]
enum Scope<'a> {
    All,
    Number(Option<&'a str>),
}

impl Scope<'_> {
    fn holds(self, number: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Number(n) => n == number,
        }
    }
}

/// Does a hold count toward the limits at `t`: a live inbound toll-free call's.
fn counts(h: &Hold, t: Instant, except: Option<&str>) -> bool {
    h.is_call()
        && h.active_at(t)
        && h.toll_free
        && h.direction == Some(CallDirection::Inbound)
        && Some(h.id.as_str()) != except
}

/// How long after a lease lapses its share still counts: its edge's calls, granted no
/// further than the lease, hold on for the grace after their grant (SEMANTICS 11;
/// `live::DEFAULT_GRACE_SECONDS`, which is asserted equal).
pub(crate) const SHARE_GRACE_SECONDS: i64 = 60;

/// A lease's share of the limits (SEMANTICS 18 at an edge), counted in every window the
/// lease's life touches (and its calls' grace): its edge may grant it to calls while it lives.
fn share_of<'a>(h: &'a Hold, t: Instant, except: Option<&str>) -> Option<&'a InboundShare> {
    let counted = h.kind == HoldKind::Lease
        && t.0.timestamp() < share_end(h)
        && Some(h.id.as_str()) != except;
    h.inbound.as_ref().filter(|_| counted)
}

fn share_end(h: &Hold) -> i64 {
    h.valid_until
        .0
        .timestamp()
        .saturating_add(SHARE_GRACE_SECONDS)
}

/// What a lease's share may put in `scope`: its seconds in all for the account, the seconds of
/// a number (or of the numbers it does not list, for any other).
fn leased_in(share: &InboundShare, scope: Scope) -> u64 {
    let entry = match scope {
        Scope::All => return share.seconds.map_or(0, |s| s.0),
        Scope::Number(None) => share.numbers.get(""),
        Scope::Number(Some(n)) => share.numbers.get(n).or_else(|| share.numbers.get("*")),
    };
    entry.map_or(0, |e| e.seconds.0)
}

/// The tightest limit on an inbound toll-free call, when one binds below `ask.cap`.
pub fn cut(account: &Account, ask: &Ask) -> Result<Option<Cut>> {
    let Some(limits) = &account.inbound_limits else {
        return Ok(None);
    };
    let mut b = Binder {
        account,
        ask: *ask,
        best: None,
    };
    if let Some(share) = &limits.lease_share {
        b.lease_share(share);
    }
    b.scope(limits, Scope::All, String::new())?;
    if let Some((id, l)) = ask
        .number_id
        .and_then(|n| limits.per_number.get_key_value(n))
    {
        b.scope(l, Scope::Number(Some(id)), format!("perNumber.{id}."))?;
    }
    if let Some(s) = &limits.surge {
        let seconds = b.fit(Window::Hour, Scope::Number(ask.number_id), &|w| {
            surge_limit(account, ask.number_id, s, w)
        })?;
        b.bind(seconds, "surge".into());
    }
    Ok(b.best)
}

struct Binder<'a> {
    account: &'a Account,
    ask: Ask<'a>,
    best: Option<Cut>,
}

#[derive(Clone, Copy)]
enum Window {
    Hour,
    Day,
}

impl<'a> Binder<'a> {
    /// A binder that only reads what the account counts at `at` (`except` left out).
    fn reading(account: &'a Account, at: Instant, except: Option<&'a str>) -> Binder<'a> {
        let ask = Ask {
            number_id: None,
            started_at: at,
            at,
            except,
            cap: 0,
        };
        Binder {
            account,
            ask,
            best: None,
        }
    }

    /// Keep the cut if it is below the cap and the tightest so far (the first on a tie).
    fn bind(&mut self, seconds: u64, limit: String) {
        let tighter = self.best.as_ref().is_none_or(|c| seconds < c.seconds);
        if seconds < self.ask.cap && tighter {
            self.best = Some(Cut { seconds, limit });
        }
    }

    /// Live calls in `scope`, and the calls every lease's share may have.
    fn live(&self, scope: Scope) -> u64 {
        let (at, except) = (self.ask.at, self.ask.except);
        let calls = (self.account.holds.iter())
            .filter(|h| counts(h, at, except) && scope.holds(h.number_id.as_deref()))
            .count() as u64;
        let leased: u64 = (self.account.holds.iter())
            .filter_map(|h| share_of(h, at, except).and_then(|s| s.calls))
            .map(|c| c.0)
            .sum();
        calls.saturating_add(leased)
    }

    /// An edge's copy: its calls within the share its lease was given (the server bound it by
    /// every limit in every window the lease lives in): calls at once, seconds in all, and the
    /// seconds of the call's number (or of the numbers the share does not list, together).
    fn lease_share(&mut self, share: &InboundShare) {
        let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "leaseShare".into());
        if let Some(c) = share.calls {
            if self.live(Scope::All) >= c.0 {
                self.bind(0, name(&share.calls_limit));
            }
        }
        if let Some(s) = share.seconds {
            let left = s.0.saturating_sub(self.spent(&|_| true));
            self.bind(left, name(&share.seconds_limit));
        }
        let number = self.ask.number_id;
        let listed = |n: Option<&str>| share.numbers.contains_key(n.unwrap_or(""));
        let own = share.numbers.get(number.unwrap_or(""));
        let entry = own.or_else(|| number.and(share.numbers.get("*")));
        if let Some(e) = entry {
            let spent = if own.is_some() {
                self.spent(&|n| n == number)
            } else {
                self.spent(&|n| n.is_some() && !listed(n))
            };
            self.bind(e.seconds.0.saturating_sub(spent), e.limit.clone());
        }
    }

    /// Seconds the copy's calls to numbers in `group` used (ended) or hold (granted).
    fn spent(&self, group: &Group) -> u64 {
        let (at, except) = (self.ask.at, self.ask.except);
        let ended: u64 = (self.account.inbound_usage.iter())
            .filter(|b| group(b.number_id.as_deref()))
            .map(|b| b.seconds.0)
            .sum();
        let held: u64 = (self.account.holds.iter())
            .filter(|h| counts(h, at, except) && group(h.number_id.as_deref()))
            .map(|h| h.granted_seconds.0)
            .sum();
        ended.saturating_add(held)
    }

    fn scope(&mut self, l: &InboundLimits, scope: Scope, prefix: String) -> Result<()> {
        if let Some(max) = l.max_concurrent_calls {
            if self.live(scope) >= max.0 {
                self.bind(0, format!("{prefix}maxConcurrentCalls"));
            }
        }
        for (limit, window, name) in minute_limits(l) {
            let seconds = self.fit(window, scope, &|_| Ok(limit))?;
            self.bind(seconds, format!("{prefix}{name}"));
        }
        Ok(())
    }

    /// The longest whole call (up to the cap) for which no window of `kind` passes its
    /// limit: windows from the one the call starts in, each allowing its limit less what
    /// other calls used in it.
    fn fit(
        &self,
        kind: Window,
        scope: Scope,
        limit: &dyn Fn((i64, i64)) -> Result<i64>,
    ) -> Result<u64> {
        let tz = self.account.time_zone;
        let s = self.ask.started_at.0.timestamp();
        let end = s.saturating_add(i64::try_from(self.ask.cap).unwrap_or(i64::MAX));
        let mut w = window(kind, tz, s)?;
        loop {
            let allow = limit(w)?.saturating_sub(self.used(scope, w));
            let from = w.0.max(s);
            let span = w.1.min(end) - from;
            if allow < span {
                return Ok(u64::try_from(from - s + allow.max(0)).unwrap_or(0));
            }
            if w.1 >= end {
                return Ok(self.ask.cap);
            }
            w = window(kind, tz, w.1)?;
        }
    }

    /// Seconds other calls in `scope` used or hold in the window `[w.0, w.1)`.
    fn used(&self, scope: Scope, w: (i64, i64)) -> i64 {
        let ended: u64 = (self.account.inbound_usage.iter())
            .filter(|b| scope.holds(b.number_id.as_deref()))
            .filter(|b| (w.0..w.1).contains(&b.hour.0.timestamp()))
            .map(|b| b.seconds.0)
            .sum();
        let live: i64 = (self.account.holds.iter())
            .filter(|h| counts(h, self.ask.at, self.ask.except))
            .filter(|h| scope.holds(h.number_id.as_deref()))
            .map(|h| {
                let a = h.started_at.0.timestamp();
                let b = a.saturating_add(i64::try_from(h.granted_seconds.0).unwrap_or(0));
                (b.min(w.1) - a.max(w.0)).max(0)
            })
            .sum();
        let leased: u64 = (self.account.holds.iter())
            .filter(|h| h.started_at.0.timestamp() < w.1 && share_end(h) > w.0)
            .filter_map(|h| share_of(h, self.ask.at, self.ask.except))
            .map(|s| leased_in(s, scope))
            .sum();
        i64::try_from(ended.saturating_add(leased))
            .unwrap_or(i64::MAX)
            .saturating_add(live)
    }

    /// The least any window of `kind` from `from` to `until` has left under `limit` in
    /// `scope`.
    fn least(
        &self,
        kind: Window,
        scope: Scope,
        limit: &dyn Fn((i64, i64)) -> Result<i64>,
        (from, until): (i64, i64),
    ) -> Result<i64> {
        let tz = self.account.time_zone;
        let mut w = window(kind, tz, from)?;
        let mut least = i64::MAX;
        loop {
            least = least.min(limit(w)?.saturating_sub(self.used(scope, w)));
            if w.1 >= until {
                return Ok(least);
            }
            w = window(kind, tz, w.1)?;
        }
    }
}

/// `l`'s minute limits that are set, in seconds, with their window and name.
fn minute_limits(l: &InboundLimits) -> impl Iterator<Item = (i64, Window, &'static str)> {
    let seconds = |m: Count| i64::try_from(m.0.saturating_mul(60)).unwrap_or(i64::MAX);
    [
        (l.max_minutes_per_hour, Window::Hour, "maxMinutesPerHour"),
        (l.max_minutes_per_day, Window::Day, "maxMinutesPerDay"),
    ]
    .into_iter()
    .filter_map(move |(max, kind, name)| max.map(|m| (seconds(m), kind, name)))
}

/// The local hour or day (in `tz`) that holds unix second `t`, as `[start, end)`.
fn window(kind: Window, tz: Zone, t: i64) -> Result<(i64, i64)> {
    let local = t + i64::from(tz.0.offset_at(t));
    match kind {
        Window::Hour => {
            let start = t - local.rem_euclid(3_600);
            Ok((start, start + 3_600))
        }
        Window::Day => {
            let midnight = |days: i64| {
                let date = chrono::DateTime::from_timestamp(local.div_euclid(86_400) * 86_400, 0)
                    .map(|d| d.naive_utc() + chrono::Duration::days(days));
                date.and_then(|d| resolve_local(tz, d))
                    .map(|i| i.0.timestamp())
                    .ok_or_else(out_of_range)
            };
            Ok((midnight(0)?, midnight(1)?))
        }
    }
}

fn out_of_range() -> Error {
    Error::at(
        Code::InstantOutOfRange,
        "call.at",
        "the limits' windows leave the zone table (2000-2100)",
    )
}

/// The surge rule's limit, in seconds, for one number's hour `w`: `ratio` times the average
/// seconds of the same local hour of the week in the 4 weeks before (a week without a bucket
/// counts as none), and never below `floorMinutes`.
fn surge_limit(account: &Account, number: Option<&str>, s: &Surge, w: (i64, i64)) -> Result<i64> {
    let tz = account.time_zone;
    let wall = Instant::from_unix_seconds(w.0)
        .ok_or_else(out_of_range)?
        .local(tz);
    let mut sum = 0u64;
    for k in 1..=SURGE_WEEKS {
        let then = resolve_local(tz, wall - chrono::Duration::days(7 * k))
            .ok_or_else(out_of_range)?
            .0
            .timestamp();
        sum += (account.inbound_usage.iter())
            .filter(|b| b.number_id.as_deref() == number && b.hour.0.timestamp() == then)
            .map(|b| b.seconds.0)
            .sum::<u64>();
    }
    let usual = s.ratio * Decimal::from(sum) / Decimal::from(SURGE_WEEKS);
    let limit = i64::try_from(usual.floor()).unwrap_or(i64::MAX);
    let floor = i64::try_from(s.floor_minutes.0.saturating_mul(60)).unwrap_or(i64::MAX);
    Ok(limit.max(floor))
}

/// Add an ended inbound toll-free call's connected seconds to the account's hourly buckets,
/// hour by local hour from its start, and forget buckets older than `KEEP_SECONDS` before
/// `now`.
pub fn record(
    account: &mut Account,
    number: Option<&str>,
    started_at: Instant,
    seconds: u64,
    now: Instant,
) -> Result<()> {
    let tz = account.time_zone;
    let (mut t, end) = (started_at.0.timestamp(), started_at.0.timestamp());
    let end = end.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
    for n in 1..=MAX_RECORDED_HOURS {
        if t >= end {
            break;
        }
        let w = window(Window::Hour, tz, t)?;
        // A call past two days (an overrun no grant allowed) puts the rest in its last hour.
        let last = if n == MAX_RECORDED_HOURS {
            end
        } else {
            w.1.min(end)
        };
        let add = u64::try_from(last - t).unwrap_or(0);
        let hour = Instant::from_unix_seconds(w.0).ok_or_else(out_of_range)?;
        let usage = &mut account.inbound_usage;
        match usage
            .iter_mut()
            .find(|b| b.hour == hour && b.number_id.as_deref() == number)
        {
            Some(b) => b.seconds.0 = b.seconds.0.saturating_add(add),
            None => usage.push(InboundHour {
                hour,
                number_id: number.map(str::to_string),
                seconds: Seconds(add),
            }),
        }
        t = w.1;
    }
    let oldest = now.0.timestamp().saturating_sub(KEEP_SECONDS);
    let usage = &mut account.inbound_usage;
    usage.retain(|b| b.hour.0.timestamp() >= oldest);
    // Past the bound (well over 100 numbers busy every hour), the oldest hours go first: the
    // snapshot stays one the engine reads back.
    if usage.len() > MAX_USAGE_HOURS {
        usage.sort_unstable_by_key(|b| b.hour);
        usage.drain(..usage.len() - MAX_USAGE_HOURS);
    }
    Ok(())
}

/// A call's `numberId`: 1 to `MAX_NUMBER_ID` characters without control characters (it is
/// kept in holds and hourly buckets).
pub fn check_number(number: Option<&str>, field: &str) -> Result<()> {
    use crate::engine::model::MAX_NUMBER_ID;
    match number {
        Some(n) if n.is_empty() || n.len() > MAX_NUMBER_ID || n.chars().any(char::is_control) => {
            let m = format!(
                "number ids are 1 to {MAX_NUMBER_ID} characters without control characters"
            );
            Err(Error::at(Code::InvalidId, field, m))
        }
        _ => Ok(()),
    }
}

/// The refusal's message (seed 001: an inbound call that may not start plays an error
/// message and is logged as rejected).
pub fn message(limit: &str) -> String {
    format!("Inbound toll-free calls have reached a limit ({limit}); the call is rejected.")
}

/// The window a refusal by `limit` falls in at `t`: the local day for a day limit, else the
/// local hour (`traffic.limited` is sent once per such window).
pub fn window_of(limit: &str, tz: Zone, t: Instant) -> Result<(Instant, Instant)> {
    let kind = if limit.ends_with("maxMinutesPerDay") {
        Window::Day
    } else {
        Window::Hour
    };
    let (a, b) = window(kind, tz, t.0.timestamp())?;
    let at = |s| Instant::from_unix_seconds(s).ok_or_else(out_of_range);
    Ok((at(a)?, at(b)?))
}

/// Inbound toll-free seconds in one window: ended calls' and live holds', in all and by
/// number (calls that named none are not listed by number).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counted {
    pub from: Instant,
    pub to: Instant,
    pub seconds: u64,
    pub per_number: std::collections::BTreeMap<String, u64>,
}

/// This local hour's and today's inbound toll-free seconds at `t` (what the limits count).
pub fn usage_now(account: &Account, t: Instant) -> Result<(Counted, Counted)> {
    let b = Binder::reading(account, t, None);
    let mut numbers: Vec<&str> = (account.inbound_usage.iter())
        .filter_map(|u| u.number_id.as_deref())
        .chain(account.holds.iter().filter_map(|h| h.number_id.as_deref()))
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let count = |kind| -> Result<Counted> {
        let w = window(kind, account.time_zone, t.0.timestamp())?;
        let at = |s| Instant::from_unix_seconds(s).ok_or_else(out_of_range);
        let secs = |scope| u64::try_from(b.used(scope, w)).unwrap_or(0);
        Ok(Counted {
            from: at(w.0)?,
            to: at(w.1)?,
            seconds: secs(Scope::All),
            per_number: (numbers.iter())
                .map(|n| (n.to_string(), secs(Scope::Number(Some(n)))))
                .filter(|(_, s)| *s > 0)
                .collect(),
        })
    };
    Ok((count(Window::Hour)?, count(Window::Day)?))
}

/// The share of the account's inbound limits that lease `id` may grant from `at` to `until`
/// (SEMANTICS 18 at an edge; none when the account has no limits): what every limit leaves
/// in every window the lease lives in, after every other call and lease. Calls at once fit
/// every scope's concurrency; seconds in all the account's minutes; each number's seconds its
/// own limits and the surge rule (listed: the numbers limited, with history or live calls, or
/// held by the edge; `"*"`: any other, at the surge floor; `""`: calls naming none). Never less
/// than what the edge's calls hold (`held`: calls and seconds; `held_numbers` by number), which
/// the server must count, not lend out again.
pub fn share(
    account: &Account,
    id: &str,
    (at, until): (Instant, Instant),
    held: (Count, Seconds),
    held_numbers: &BTreeMap<String, Seconds>,
) -> Result<Option<InboundShare>> {
    let Some(limits) = &account.inbound_limits else {
        return Ok(None);
    };
    let b = Binder::reading(account, at, Some(id));
    let life = (at.0.timestamp(), until.0.timestamp());
    let calls = b.free_calls(limits);
    let all = b.minutes(limits, Scope::All, "", life)?;
    let mut numbers = BTreeMap::new();
    for n in b.known(limits, held_numbers) {
        let key = match n {
            None => "",
            Some("") => "*",
            Some(k) => k,
        };
        let mut t = match limits.per_number.get(key) {
            Some(l) => b.minutes(l, Scope::Number(n), &format!("perNumber.{key}."), life)?,
            None => Tightest::default(),
        };
        if let Some(s) = &limits.surge {
            let surge = |w| surge_limit(account, n, s, w);
            t.keep(
                b.least(Window::Hour, Scope::Number(n), &surge, life)?,
                "surge".into(),
            );
        }
        let floor = held_numbers.get(key).map_or(0, |s| s.0);
        if let Some((v, limit)) = t.0 {
            let seconds = Seconds((v.max(0) as u64).max(floor));
            numbers.insert(key.to_string(), NumberShare { seconds, limit });
        }
    }
    Ok(Some(InboundShare {
        calls: calls
            .0
            .as_ref()
            .map(|(v, _)| Count((*v).max(0) as u64).max(held.0)),
        calls_limit: calls.0.map(|(_, n)| n),
        seconds: all
            .0
            .as_ref()
            .map(|(v, _)| Seconds((*v).max(0) as u64).max(held.1)),
        seconds_limit: all.0.map(|(_, n)| n),
        numbers,
    }))
}

impl Binder<'_> {
    /// The fewest free calls any scope's concurrency limit leaves.
    fn free_calls(&self, limits: &InboundLimits) -> Tightest {
        let mut calls = Tightest::default();
        let numbers = (limits.per_number.iter())
            .map(|(n, l)| (l, Scope::Number(Some(n)), format!("perNumber.{n}.")));
        for (l, scope, prefix) in
            std::iter::once((limits, Scope::All, String::new())).chain(numbers)
        {
            if let Some(m) = l.max_concurrent_calls {
                let free = i64::try_from(m.0).unwrap_or(i64::MAX) - self.live(scope) as i64;
                calls.keep(free, format!("{prefix}maxConcurrentCalls"));
            }
        }
        calls
    }

    /// The least seconds `l`'s hour and day limits leave in `scope` over the lease's life.
    fn minutes(
        &self,
        l: &InboundLimits,
        scope: Scope,
        prefix: &str,
        life: (i64, i64),
    ) -> Result<Tightest> {
        let mut t = Tightest::default();
        for (limit, kind, name) in minute_limits(l) {
            let left = self.least(kind, scope, &|_| Ok(limit), life)?;
            t.keep(left, format!("{prefix}{name}"));
        }
        Ok(t)
    }

    /// The numbers a share lists: limited ones, those with history or live calls, those the
    /// edge holds, calls naming none (`None`), and any other (`Some("")`, no number's id).
    fn known<'a>(
        &'a self,
        limits: &'a InboundLimits,
        held: &'a BTreeMap<String, Seconds>,
    ) -> Vec<Option<&'a str>> {
        let mut out: Vec<Option<&str>> = vec![None, Some("")];
        out.extend(limits.per_number.keys().map(|k| Some(k.as_str())));
        out.extend(
            self.account
                .inbound_usage
                .iter()
                .map(|u| u.number_id.as_deref()),
        );
        out.extend(self.account.holds.iter().map(|h| h.number_id.as_deref()));
        out.extend(
            held.keys()
                .map(|k| Some(k.as_str()).filter(|k| !k.is_empty())),
        );
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The least value seen and the limit it came from (the first on a tie).
#[derive(Default)]
struct Tightest(Option<(i64, String)>);

impl Tightest {
    fn keep(&mut self, v: i64, name: String) {
        if self.0.as_ref().is_none_or(|(x, _)| v < *x) {
            self.0 = Some((v, name));
        }
    }
}

/// An edge's copy while a renewal is in flight (SEMANTICS 12 with 18). What the edge grants
/// meanwhile lies within its current lease's life, and in the hours that life touches the new
/// share is at least the old one less what the renewal books (every other grant was held to
/// it). Only an hour the new lease may live into (`lives`: the current lease's end, the
/// furthest the new one may reach) and the old did not can make the new share smaller than
/// what the calls hold by then; the server keeps it no smaller than what the request said
/// they hold (`held`). So then, and only then, no number's seconds grow past what they use
/// now, nor the calls and the seconds in all past `held`. The limits keep their names.
pub fn freeze_share(
    account: &mut Account,
    at: Instant,
    held: (Count, Seconds),
    lives: Option<(Instant, Instant)>,
) {
    let Some(share) = account
        .inbound_limits
        .as_ref()
        .and_then(|l| l.lease_share.clone())
    else {
        return;
    };
    let last_hour = |t: Instant| window(Window::Hour, account.time_zone, t.0.timestamp() - 1);
    if let Some((now_ends, may_end)) = lives {
        if let (Ok(a), Ok(b)) = (last_hour(now_ends), last_hour(may_end)) {
            if a == b {
                return;
            }
        }
    }
    let b = Binder::reading(account, at, None);
    let listed = |n: Option<&str>| share.numbers.contains_key(n.unwrap_or(""));
    let mut frozen = share.clone();
    for (key, e) in frozen.numbers.iter_mut() {
        let used = match key.as_str() {
            "*" => b.spent(&|n| n.is_some() && !listed(n)),
            "" => b.spent(&|n| n.is_none()),
            k => b.spent(&|n| n == Some(k)),
        };
        e.seconds = Seconds(e.seconds.0.min(used));
    }
    frozen.calls = share.calls.map(|c| c.min(held.0));
    frozen.seconds = share.seconds.map(|s| s.min(held.1));
    if let Some(l) = account.inbound_limits.as_mut() {
        l.lease_share = Some(frozen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An end that overran by years (no grant allows it, an end may say it) spreads over at
    /// most `MAX_RECORDED_HOURS` buckets, and every second is counted.
    #[test]
    fn a_years_long_end_is_recorded_in_bounded_buckets() {
        let mut a = Account::default();
        let t = Instant::parse("2026-03-10T12:30:00Z").unwrap();
        let secs = 10 * 365 * 86_400;
        record(&mut a, Some("tf-1"), t, secs, t).unwrap();
        assert_eq!(a.inbound_usage.len(), MAX_RECORDED_HOURS as usize);
        let total: u64 = a.inbound_usage.iter().map(|b| b.seconds.0).sum();
        assert_eq!(total, secs);
        assert_eq!(a.inbound_usage[0].seconds.0, 1_800, "12:30 to 13:00");
    }
}
