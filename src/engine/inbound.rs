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
pub use crate::engine::model::{
    inbound_findings as findings, InboundHour, InboundLimits, InboundShare, Surge,
};
use crate::engine::model::{Account, CallDirection, Hold, HoldKind};
use rust_decimal::Decimal;

/// How far back usage is kept: the surge rule reads 4 weeks before the current hour, and a
/// day more covers a DST change in between.
pub const KEEP_SECONDS: i64 = 29 * 86_400;
/// The surge rule's look-back (SEMANTICS 18: the same hour of the week over 4 weeks).
pub const SURGE_WEEKS: i64 = 4;

/// A call asking for seconds under the limits: whole-call seconds from `started_at`, up to
/// `cap`, asked at `at`; `except` is its own hold (an extend).
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

/// A lease's share of the limits (SEMANTICS 18 at an edge), counted as held by any number in
/// every window the lease's life touches: its edge may grant it to any call while it lives.
fn share_of<'a>(h: &'a Hold, t: Instant, except: Option<&str>) -> Option<&'a InboundShare> {
    let counted = h.kind == HoldKind::Lease && h.active_at(t) && Some(h.id.as_str()) != except;
    h.inbound.as_ref().filter(|_| counted)
}

/// The tightest limit on an inbound toll-free call, when one binds below `ask.cap`.
pub fn cut(account: &Account, ask: &Ask) -> Result<Option<Cut>> {
    let Some(limits) = &account.inbound_limits else {
        return Ok(None);
    };
    let mut b = Binder {
        account,
        ask,
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
    ask: &'a Ask<'a>,
    best: Option<Cut>,
}

#[derive(Clone, Copy)]
enum Window {
    Hour,
    Day,
}

impl Binder<'_> {
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
    /// every limit, for any number, in every window the lease lives in).
    fn lease_share(&mut self, share: &InboundShare) {
        let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "leaseShare".into());
        if let Some(c) = share.calls {
            if self.live(Scope::All) >= c.0 {
                self.bind(0, name(&share.calls_limit));
            }
        }
        if let Some(s) = share.seconds {
            let (at, except) = (self.ask.at, self.ask.except);
            let ended: u64 = self.account.inbound_usage.iter().map(|b| b.seconds.0).sum();
            let held: u64 = (self.account.holds.iter())
                .filter(|h| counts(h, at, except))
                .map(|h| h.granted_seconds.0)
                .sum();
            let left = s.0.saturating_sub(ended.saturating_add(held));
            self.bind(left, name(&share.seconds_limit));
        }
    }

    fn scope(&mut self, l: &InboundLimits, scope: Scope, prefix: String) -> Result<()> {
        if let Some(max) = l.max_concurrent_calls {
            if self.live(scope) >= max.0 {
                self.bind(0, format!("{prefix}maxConcurrentCalls"));
            }
        }
        let windows = [
            (l.max_minutes_per_hour, Window::Hour, "maxMinutesPerHour"),
            (l.max_minutes_per_day, Window::Day, "maxMinutesPerDay"),
        ];
        for (max, window, name) in windows {
            if let Some(m) = max {
                let limit = i64::try_from(m.0.saturating_mul(60)).unwrap_or(i64::MAX);
                let seconds = self.fit(window, scope, &|_| Ok(limit))?;
                self.bind(seconds, format!("{prefix}{name}"));
            }
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
            .filter(|h| h.started_at.0.timestamp() < w.1 && h.valid_until.0.timestamp() > w.0)
            .filter_map(|h| share_of(h, self.ask.at, self.ask.except).and_then(|s| s.seconds))
            .map(|s| s.0)
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
    while t < end {
        let w = window(Window::Hour, tz, t)?;
        let add = u64::try_from(w.1.min(end) - t).unwrap_or(0);
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
    account
        .inbound_usage
        .retain(|b| b.hour.0.timestamp() >= oldest);
    Ok(())
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
    let ask = Ask {
        number_id: None,
        started_at: t,
        at: t,
        except: None,
        cap: 0,
    };
    let b = Binder {
        account,
        ask: &ask,
        best: None,
    };
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
/// (SEMANTICS 18 at an edge; none when the account has no limits). The edge does not know
/// which number its calls will ring, so the share fits every limit for any number: the
/// account's and each limited number's, and the surge rule of each number with history and
/// of a number without (its floor), in every window the lease lives in, after every other
/// call and lease. It is never less than what the edge's calls already hold (`held`: calls,
/// and granted or unbooked seconds), which the server must count, not lend out again.
pub fn share(
    account: &Account,
    id: &str,
    (at, until): (Instant, Instant),
    held: (Count, Seconds),
) -> Result<Option<InboundShare>> {
    let Some(limits) = &account.inbound_limits else {
        return Ok(None);
    };
    let ask = Ask {
        number_id: None,
        started_at: at,
        at,
        except: Some(id),
        cap: 0,
    };
    let b = Binder {
        account,
        ask: &ask,
        best: None,
    };
    let life = (at.0.timestamp(), until.0.timestamp());
    let (mut calls, mut seconds) = (Tightest::default(), Tightest::default());
    let mut scopes = vec![(limits, Scope::All, String::new())];
    for (n, l) in &limits.per_number {
        scopes.push((l, Scope::Number(Some(n)), format!("perNumber.{n}.")));
    }
    for (l, scope, prefix) in scopes {
        if let Some(m) = l.max_concurrent_calls {
            let free = i64::try_from(m.0).unwrap_or(i64::MAX) - b.live(scope) as i64;
            calls.keep(free, format!("{prefix}maxConcurrentCalls"));
        }
        let windows = [
            (l.max_minutes_per_hour, Window::Hour, "maxMinutesPerHour"),
            (l.max_minutes_per_day, Window::Day, "maxMinutesPerDay"),
        ];
        for (max, kind, name) in windows {
            if let Some(m) = max {
                let limit = i64::try_from(m.0.saturating_mul(60)).unwrap_or(i64::MAX);
                seconds.keep(
                    b.least(kind, scope, &|_| Ok(limit), life)?,
                    format!("{prefix}{name}"),
                );
            }
        }
    }
    if let Some(s) = &limits.surge {
        // "" is no number's id (ids have 1 to 255 characters): a number without history.
        let mut groups: Vec<Option<&str>> = vec![None, Some("")];
        groups.extend(account.inbound_usage.iter().map(|u| u.number_id.as_deref()));
        groups.extend(account.holds.iter().map(|h| h.number_id.as_deref()));
        groups.sort_unstable();
        groups.dedup();
        for g in groups {
            let left = b.least(
                Window::Hour,
                Scope::Number(g),
                &|w| surge_limit(account, g, s, w),
                life,
            )?;
            seconds.keep(left, "surge".into());
        }
    }
    Ok(Some(InboundShare {
        calls: calls
            .0
            .as_ref()
            .map(|(v, _)| Count((*v).max(0) as u64).max(held.0)),
        calls_limit: calls.0.map(|(_, n)| n),
        seconds: seconds
            .0
            .as_ref()
            .map(|(v, _)| Seconds((*v).max(0) as u64).max(held.1)),
        seconds_limit: seconds.0.map(|(_, n)| n),
    }))
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
