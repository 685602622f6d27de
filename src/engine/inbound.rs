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

use crate::engine::amount::Seconds;
use crate::engine::calendar::{resolve_local, Instant, Zone};
use crate::engine::error::{Code, Error, Result};
pub use crate::engine::model::{inbound_findings as findings, InboundHour, InboundLimits, Surge};
use crate::engine::model::{Account, CallDirection, Hold};
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

    fn scope(&mut self, l: &InboundLimits, scope: Scope, prefix: String) -> Result<()> {
        if let Some(max) = l.max_concurrent_calls {
            let live = self.account.holds.iter().filter(|h| {
                counts(h, self.ask.at, self.ask.except) && scope.holds(h.number_id.as_deref())
            });
            if live.count() as u64 >= max.0 {
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
        i64::try_from(ended)
            .unwrap_or(i64::MAX)
            .saturating_add(live)
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
