//! Property test of edge leases (SEMANTICS 12: "the invariant of section 11 holds across the
//! server and every edge together"). For random interleavings of calls started, extended and
//! ended at the server and at an edge granting from its lease, of the edge's ends reported to
//! the server, and of the lease renewed to random sizes: if every call ends within its grant,
//! nothing becomes owed on either side, no grant goes below zero, and the active holds (the
//! server's calls and the lease; the edge's calls) fit the pools they came from.
#![cfg(not(target_arch = "wasm32"))]

use drawdown::amount::Seconds;
use drawdown::calendar::Instant;
use drawdown::lease::{self, LeaseRequest, LeaseUsage};
use drawdown::live::{self, EndCall, EndInput, ExtendInput, StartCall, StartInput};
use drawdown::model::{Account, CallDirection, GrantType, RateCard};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

const T0: i64 = 1_773_144_000; // 2026-03-10T12:00:00Z
const LEASE: &str = "edge-1";
/// The most calls one scenario starts on each side.
const MAX_CALLS: usize = 48;

fn at(s: i64) -> Instant {
    let text = chrono::DateTime::from_timestamp(T0 + s, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    serde_json::from_value(json!(text)).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Server,
    Edge,
}

#[derive(Debug, Clone)]
enum Step {
    Start {
        side: Side,
        tf: bool,
        quota: u64,
    },
    Extend {
        side: Side,
        pick: usize,
        quota: u64,
    },
    End {
        side: Side,
        pick: usize,
        part: u64,
    },
    Renew {
        credits: u64,
        plan: u64,
        seconds: u64,
    },
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Server), Just(Side::Edge)]
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    let s = prop_oneof![
        3 => (side(), any::<bool>(), 1u64..400).prop_map(|(side, tf, quota)| Step::Start { side, tf, quota }),
        2 => (side(), any::<usize>(), 1u64..400).prop_map(|(side, pick, quota)| Step::Extend { side, pick, quota }),
        2 => (side(), any::<usize>(), 0u64..=100).prop_map(|(side, pick, part)| Step::End { side, pick, part }),
        1 => (0u64..600, 0u64..50, 0u64..900).prop_map(|(credits, plan, seconds)| Step::Renew { credits, plan, seconds }),
    ];
    (s, 0i64..20)
}

fn scenario() -> impl Strategy<Value = (RateCard, Account, Vec<(Step, i64)>)> {
    (
        prop_oneof![Just("half_up"), Just("up"), Just("down")],
        0u32..=4,
        prop_oneof![Just("60/60"), Just("30/6"), Just("1/1")],
        prop_oneof![Just("9"), Just("7.5"), Just("0.33")],
        (0u64..1500, 0u64..100, any::<bool>(), 0u64..1200, 0u64..100),
        prop::collection::vec(step(), 1..140),
    )
        .prop_map(|(mode, dp, inc, rate, (wallet, promo, plan, included, plan_credits), steps)| {
            let card = json!({"currency": "USD", "creditsPerUnit": "100",
                "rounding": {"mode": mode, "creditDecimals": dp},
                "voice": {"perMinute": rate, "increment": inc}, "tollFreeSurcharge": {"perMinute": "2"}});
            let mut grants = vec![
                json!({"id": "w", "type": "prepaid", "remaining": wallet.to_string()}),
                json!({"id": "promo", "type": "promotional", "remaining": promo.to_string(), "priority": 10}),
            ];
            if plan {
                grants.push(json!({"id": "p", "type": "plan", "remaining": plan_credits.to_string()}));
            }
            let account = json!({
                "plan": if plan { json!({"id": "g", "includedMinutes": 20, "overagePerMinute": "7"}) } else { json!(null) },
                "includedSecondsRemaining": included, "grants": grants,
            });
            (serde_json::from_value(card).unwrap(), serde_json::from_value(account).unwrap(), steps)
        })
}

/// Nothing owed, no grant below zero, and the holds active at `t` within the pools.
fn check(side: &str, a: &Account, t: Instant) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        a.owed.unwrap_or_default(),
        Decimal::ZERO,
        "{} owes: {:?}",
        side,
        a
    );
    let (mut wallet, mut plan) = (Decimal::ZERO, Decimal::ZERO);
    for g in &a.grants {
        prop_assert!(
            g.remaining >= Decimal::ZERO,
            "{} grant below zero: {:?}",
            side,
            g
        );
        match g.kind {
            GrantType::Plan => plan += g.remaining,
            _ => wallet += g.remaining,
        }
    }
    let active = a.holds.iter().filter(|h| h.active_at(t));
    let (mut held, mut held_plan, mut seconds) = (Decimal::ZERO, Decimal::ZERO, 0u64);
    for h in active {
        held += h.credits;
        held_plan += h.plan_credits;
        seconds += h.included_seconds.0;
    }
    prop_assert!(
        held <= wallet,
        "{} holds {} > wallet {}",
        side,
        held,
        wallet
    );
    prop_assert!(
        held_plan <= plan,
        "{} holds {} > plan credits {}",
        side,
        held_plan,
        plan
    );
    if a.plan.is_some() {
        prop_assert!(
            seconds <= a.included_seconds(),
            "{} holds {} s > {} s",
            side,
            seconds,
            a.included_seconds()
        );
    }
    Ok(())
}

/// A live call: id, granted seconds, and the description its end reports.
struct Live {
    id: String,
    granted: u64,
    tf: bool,
    started: Instant,
}

struct World {
    card: RateCard,
    server: Account,
    edge: Account,
    calls: [Vec<Live>; 2],
    started: usize,
}

impl World {
    fn account(&mut self, side: Side) -> &mut Account {
        match side {
            Side::Server => &mut self.server,
            Side::Edge => &mut self.edge,
        }
    }

    fn start(&mut self, side: Side, tf: bool, quota: u64, t: Instant) {
        self.started += 1;
        let id = format!("c{}", self.started);
        let dir = if tf {
            CallDirection::Inbound
        } else {
            CallDirection::Outbound
        };
        let call = StartCall {
            id: id.clone(),
            direction: dir,
            toll_free: tf,
            agent_id: None,
            number_id: None,
            at: t,
            quota_seconds: Some(Seconds(quota)),
            requested_max_seconds: None,
            grace_seconds: Some(Seconds(100_000)),
        };
        let input = StartInput {
            rate_card: self.card.clone(),
            account: self.account(side).clone(),
            call,
        };
        let (grant, next) = live::start_call_books(&input, true).unwrap();
        *self.account(side) = next;
        if grant.allowed {
            self.calls[side as usize].push(Live {
                id,
                granted: grant.granted_seconds,
                tf,
                started: t,
            });
        }
    }

    fn extend(&mut self, side: Side, pick: usize, quota: u64, t: Instant) {
        let n = self.calls[side as usize].len();
        let id = self.calls[side as usize][pick % n].id.clone();
        let input = ExtendInput {
            rate_card: self.card.clone(),
            account: self.account(side).clone(),
            call_id: id,
            at: t,
            quota_seconds: Some(Seconds(quota)),
        };
        let (grant, next) = live::extend_call_books(&input, true).unwrap();
        *self.account(side) = next;
        self.calls[side as usize][pick % n].granted = grant.granted_seconds;
    }

    /// The call ends within its grant; an edge's end is billed on its copy and reported to
    /// the server, which draws the lease first.
    fn end(&mut self, side: Side, pick: usize, part: u64, t: Instant) -> Result<(), TestCaseError> {
        let n = self.calls[side as usize].len();
        let c = self.calls[side as usize].remove(pick % n);
        let dir = if c.tf {
            CallDirection::Inbound
        } else {
            CallDirection::Outbound
        };
        let call = EndCall {
            connected_seconds: Seconds(c.granted * part / 100),
            transfer: None,
            carrier_pass_through: vec![],
            direction: Some(dir),
            toll_free: Some(c.tf),
            agent_id: None,
            number_id: None,
            started_at: Some(c.started),
        };
        let input = |account: &Account| EndInput {
            rate_card: self.card.clone(),
            account: account.clone(),
            call_id: c.id.clone(),
            at: t,
            call: call.clone(),
        };
        match side {
            Side::Server => {
                self.server = live::end_call_books(&input(&self.server), true)
                    .unwrap()
                    .account
            }
            Side::Edge => {
                let books = live::end_call_books(&input(&self.edge), true).unwrap();
                let used = LeaseUsage::of(&books.ended.item);
                self.edge = books.account;
                self.server = lease::end_call_on_lease(&input(&self.server), LEASE, used, true)
                    .unwrap()
                    .account;
                self.same_lease()?;
            }
        }
        Ok(())
    }

    /// The lease accounting is exact: the edge's copy has, pool by pool, what the server's
    /// lease holds (both less the same bills).
    fn same_lease(&self) -> Result<(), TestCaseError> {
        let l = lease::find(&self.server, LEASE).unwrap();
        let sum = |plan: bool| -> Decimal {
            self.edge
                .grants
                .iter()
                .filter(|g| (g.kind == GrantType::Plan) == plan)
                .map(|g| g.remaining)
                .sum()
        };
        prop_assert_eq!(
            sum(false) - self.edge.owed.unwrap_or_default(),
            l.credits,
            "wallet: {:?} vs {:?}",
            self.edge,
            l
        );
        prop_assert_eq!(sum(true), l.plan_credits);
        if self.edge.plan.is_some() {
            prop_assert_eq!(self.edge.included_seconds(), l.included_seconds.0);
        }
        Ok(())
    }

    /// The lease renewed to a size, which may be below what the edge's calls hold: the
    /// renewal states that, and the lease never shrinks below it (SEMANTICS 12). The edge's
    /// copy is rebuilt from it with its live holds (every end was reported already).
    fn renew(&mut self, credits: u64, plan: u64, seconds: u64, t: Instant) {
        let held = |f: fn(&live::Hold) -> Decimal| self.edge.holds.iter().map(f).sum::<Decimal>();
        let req = LeaseRequest {
            id: LEASE.into(),
            at: t,
            credits: Decimal::from(credits),
            included_seconds: Seconds(seconds),
            plan_credits: Decimal::from(plan),
            ttl_seconds: lease::MAX_LEASE_SECONDS,
            held_numbers: Default::default(),
            held: lease::LeaseUsage {
                included_seconds: Seconds(
                    self.edge.holds.iter().map(|h| h.included_seconds.0).sum(),
                ),
                plan_credits: held(|h| h.plan_credits),
                credits: held(|h| h.credits),
                ..Default::default()
            },
            sequence: None,
        };
        let (hold, next, _) = lease::lease(&self.card, &self.server, &req, true).unwrap();
        self.server = next;
        let holds = std::mem::take(&mut self.edge.holds);
        self.edge = lease::edge_account(&self.server, &hold, t);
        self.edge.holds = holds;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_server_and_an_edge_on_a_lease_never_overspend((card, account, steps) in scenario()) {
        let mut w = World { card, server: account, edge: Account { plan: None, ..serde_json::from_value(json!({})).unwrap() },
            calls: [vec![], vec![]], started: 0 };
        let mut t = 0i64;
        w.renew(200, 20, 300, at(t));
        for (step, wait) in steps {
            t += wait;
            let now = at(t);
            match step {
                Step::Start { side, tf, quota } if w.started < 2 * MAX_CALLS => w.start(side, tf, quota, now),
                Step::Extend { side, pick, quota } if !w.calls[side as usize].is_empty() => w.extend(side, pick, quota, now),
                Step::End { side, pick, part } if !w.calls[side as usize].is_empty() => w.end(side, pick, part, now)?,
                Step::Renew { credits, plan, seconds } => w.renew(credits, plan, seconds, now),
                _ => {}
            }
            check("server", &w.server, now)?;
            check("edge", &w.edge, now)?;
        }
    }
}

#[path = "props/inbound_limits.rs"]
mod inbound_limits;
use inbound_limits::*;

/// The server and one edge granting inbound toll-free calls under the account's limits
/// (SEMANTICS 18): the edge from its lease's share, the server from what the share leaves.
struct Limited {
    card: RateCard,
    server: Account,
    edge: Account,
    /// The lease's end (seconds from T0): the edge grants nothing past it.
    until: i64,
    /// Live calls on each side: id, what the test counts, the hold's end.
    live: [Vec<(String, Span, i64)>; 2],
    ended: Vec<Span>,
    n: usize,
}

impl Limited {
    fn account(&mut self, side: Side) -> &mut Account {
        match side {
            Side::Server => &mut self.server,
            Side::Edge => &mut self.edge,
        }
    }

    fn start(&mut self, side: Side, number: Option<&'static str>, quota: u64, t: i64) {
        let most = if side == Side::Edge {
            self.until - t
        } else {
            i64::MAX
        };
        if most <= 0 {
            return;
        }
        self.n += 1;
        let call = StartCall {
            id: format!("c{}", self.n),
            direction: CallDirection::Inbound,
            toll_free: true,
            agent_id: None,
            number_id: number.map(str::to_string),
            at: at(t),
            quota_seconds: Some(Seconds(quota)),
            requested_max_seconds: Some(Seconds(most.min(86_400) as u64)),
            grace_seconds: None,
        };
        let input = StartInput {
            rate_card: self.card.clone(),
            account: self.account(side).clone(),
            call,
        };
        let (grant, next) = live::start_call_books(&input, true).unwrap();
        *self.account(side) = next;
        if let Some(h) = grant.hold.filter(|_| grant.allowed) {
            let span = Span {
                start: t,
                seconds: h.granted_seconds.0 as i64,
                number,
            };
            let until = h.valid_until.0.timestamp() - T0;
            self.live[side as usize].push((h.id, span, until));
        }
    }

    fn extend(&mut self, side: Side, pick: usize, quota: u64, t: i64) {
        let calls = &self.live[side as usize];
        let (id, span, _) = calls[pick % calls.len()].clone();
        let room = if side == Side::Edge {
            self.until - span.start - span.seconds
        } else {
            i64::MAX
        };
        if room <= 0 {
            return;
        }
        let input = ExtendInput {
            rate_card: self.card.clone(),
            account: self.account(side).clone(),
            call_id: id,
            at: at(t),
            quota_seconds: Some(Seconds(quota.min(room as u64))),
        };
        let (grant, next) = live::extend_call_books(&input, true).unwrap();
        *self.account(side) = next;
        if let Some(h) = grant.hold.filter(|_| grant.allowed) {
            let calls = &mut self.live[side as usize];
            let k = pick % calls.len();
            let c = &mut calls[k];
            c.1.seconds = h.granted_seconds.0 as i64;
            c.2 = h.valid_until.0.timestamp() - T0;
        }
    }

    /// An end within the grant; an edge's is billed on its copy and reported at once.
    fn end(&mut self, side: Side, k: usize, part: u64, t: i64) {
        let (id, mut span, _) = self.live[side as usize].remove(k);
        span.seconds = span.seconds * part as i64 / 100;
        let call = EndCall {
            connected_seconds: Seconds(span.seconds as u64),
            transfer: None,
            carrier_pass_through: vec![],
            direction: Some(CallDirection::Inbound),
            toll_free: Some(true),
            agent_id: None,
            number_id: span.number.map(str::to_string),
            started_at: Some(at(span.start)),
        };
        let input = |account: &Account| EndInput {
            rate_card: self.card.clone(),
            account: account.clone(),
            call_id: id.clone(),
            at: at(t),
            call: call.clone(),
        };
        if side == Side::Edge {
            let books = live::end_call_books(&input(&self.edge), true).unwrap();
            let used = LeaseUsage::of(&books.ended.item);
            self.edge = books.account;
            self.server = lease::end_call_on_lease(&input(&self.server), LEASE, used, true)
                .unwrap()
                .account;
        } else {
            self.server = live::end_call_books(&input(&self.server), true)
                .unwrap()
                .account;
        }
        self.ended.push(span);
    }

    /// The lease renewed: the edge states what its live calls hold, the server sizes the
    /// share again, and the edge's copy is rebuilt with its live holds.
    fn renew(&mut self, ttl: u64, t: i64) {
        let holds = std::mem::take(&mut self.edge.holds);
        let live = holds.iter().filter(|h| h.active_at(at(t)));
        let mut held_numbers = std::collections::BTreeMap::new();
        for h in live.clone() {
            let n = held_numbers
                .entry(h.number_id.clone().unwrap_or_default())
                .or_insert(Seconds(0));
            n.0 += h.granted_seconds.0;
        }
        let held = LeaseUsage {
            credits: live.clone().map(|h| h.credits).sum(),
            inbound_calls: drawdown::amount::Count(live.clone().count() as u64),
            inbound_seconds: Seconds(live.map(|h| h.granted_seconds.0).sum()),
            ..Default::default()
        };
        let req = LeaseRequest {
            id: LEASE.into(),
            at: at(t),
            credits: Decimal::from(100_000),
            included_seconds: Seconds(0),
            plan_credits: Decimal::ZERO,
            ttl_seconds: ttl,
            held,
            held_numbers,
            sequence: None,
        };
        let (hold, next, _) = lease::lease(&self.card, &self.server, &req, true).unwrap();
        self.server = next;
        self.until = hold.valid_until.0.timestamp() - T0;
        self.edge = lease::edge_account(&self.server, &hold, at(t));
        self.edge.holds = holds;
    }

    /// Calls about to lapse end first, having used all they were granted (the premise).
    fn end_lapsing(&mut self, t: i64) {
        for side in [Side::Server, Side::Edge] {
            while let Some(k) = (0..self.live[side as usize].len())
                .find(|&k| self.live[side as usize][k].2 <= t + 1)
            {
                self.end(side, k, 100, t);
            }
        }
    }

    fn spans(&self) -> Vec<Span> {
        let live = self.live.iter().flatten().map(|(_, s, _)| s.clone());
        self.ended.iter().cloned().chain(live).collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// SEMANTICS 18 across the server and an edge: whatever the interleaving of starts,
    /// extends and ends on either side and of renewals, the calls of both together never pass
    /// a limit (the account's and a number's, the hour's and the day's, the surge rule's,
    /// concurrency).
    #[test]
    fn the_server_and_an_edge_never_pass_an_inbound_limit(
        l in limits(),
        steps in prop::collection::vec((step(), 0usize..3, 0i64..400, 60u64..900), 1..120),
    ) {
        let card: RateCard = serde_json::from_value(json!({"currency": "USD", "creditsPerUnit": "100",
            "rounding": {"mode": "half_up", "creditDecimals": 4}, "voice": {"perMinute": "9", "increment": "1/1"},
            "tollFreeSurcharge": {"perMinute": "2"}})).unwrap();
        let stamp = |s: i64| chrono::DateTime::from_timestamp(T0 + s, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let server: Account = serde_json::from_value(limited_account(l, stamp)).unwrap();
        let mut w = Limited { card, edge: Account::default(), server, until: 0, live: [vec![], vec![]], ended: vec![], n: 0 };
        let mut t = 0i64;
        w.renew(300, t);
        for ((step, _), number, wait, ttl) in steps {
            t += wait;
            w.end_lapsing(t);
            match step {
                Step::Start { side, quota, .. } if w.n < 2 * MAX_CALLS => w.start(side, NUMBERS[number], quota, t),
                Step::Extend { side, pick, quota } if !w.live[side as usize].is_empty() => w.extend(side, pick, quota, t),
                Step::End { side, pick, part } if !w.live[side as usize].is_empty() => {
                    let k = pick % w.live[side as usize].len();
                    w.end(side, k, part, t);
                }
                Step::Renew { .. } => w.renew(ttl, t),
                _ => {}
            }
            let live = w.live.iter().map(Vec::len).sum();
            check_limits(&w.spans(), l, live)?;
        }
    }
}
