//! Deterministic simulation of the edge protocol (SEMANTICS 12, issue 24 point 4), in the
//! manner of TigerBeetle's VOPR and FoundationDB's simulation testing: several edge state
//! machines (`drawdown::edge::EdgeMachine`, the code the Durable Object runs) and a server
//! running the core functions its lease and live-call routes call (`lease::lease`,
//! `lease::release`, `lease::end_call_on_lease`, `lease::edge_account`, `live::*`,
//! `call_body::live_at`) over an in-memory account, joined by a network that delays,
//! reorders, duplicates and drops. Edges crash and restart from what they persisted; the
//! server goes away and comes back; clocks differ within the live skew; other paths top
//! up and run calls of their own; calls end early, run past their grant, or never end.
//!
//! After every event: the active holds fit the pools they came from, at the server and at
//! every edge; what an edge has granted and not yet reported fits its lease at the server;
//! nothing is owed unless a call ran past its grant. At the end, with the network healed:
//! every end an edge answered is billed at the server exactly once, and no edge is stuck.
//!
//! `DRAWDOWN_SIM_SEEDS=n` runs seeds 0..n (default SEEDS); `DRAWDOWN_SIM_SEED=s` runs one.
#![cfg(not(target_arch = "wasm32"))]

use drawdown::amount::Seconds;
use drawdown::calendar::Instant;
use drawdown::edge::{
    EdgeMachine, EdgeSettings, EdgeState, Event, Millis, PlatformRequest, Send, Step,
};
use drawdown::lease::{self, LeaseRequest, LeaseUsage};
use drawdown::live::{self, EndCall, EndInput, Hold, StartCall, StartInput};
use drawdown::model::{Account, CallDirection, GrantType, RateCard};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Seeds the test command runs (each a whole scenario).
const SEEDS: u64 = 10_000;
const T0: Millis = 1_773_144_000_000; // 2026-03-10T12:00:00Z
const SKEW_S: u64 = 5;
/// How long the scenario generates traffic, then how long it may take to settle.
const TRAFFIC_MS: Millis = 240_000;
const SETTLE_MS: Millis = 1_800_000;
/// More events than any scenario needs: past it the machines are busy doing nothing.
const MAX_EVENTS: u32 = 50_000;

#[path = "props/rng.rs"]
mod rng;
use rng::Rng;

fn instant(ms: Millis) -> Instant {
    Instant(chrono::DateTime::from_timestamp_millis(ms).unwrap())
}

/// The network's faults for one scenario.
struct Faults {
    max_delay: i64,
    drop: u64,
    dup: u64,
}

enum Msg {
    ToServer {
        edge: usize,
        send: Send,
    },
    ToEdge {
        edge: usize,
        seq: u64,
        status: u16,
        body: String,
    },
    Wake {
        edge: usize,
    },
    Restart {
        edge: usize,
    },
    Platform(Action),
}

#[derive(Clone, Copy)]
enum Action {
    Start(usize),
    Extend(usize),
    End(usize),
    Direct,
    TopUp,
    CrashEdge(usize),
    ServerAway(i64),
}

/// A call of the platform at one edge, and what the platform knows of it.
#[derive(Default)]
struct Call {
    edge: usize,
    /// Seconds it will run; past its grant only when `overrun`.
    runs: u64,
    overrun: bool,
    never_ends: bool,
    started_at: Millis,
    granted: u64,
    live: bool,
    done: bool,
    tries: u32,
}

struct Server {
    card: RateCard,
    card_value: Value,
    account: Account,
    billed: BTreeMap<String, u32>,
    away_until: Millis,
    version: u64,
}

struct EdgeBox {
    m: Option<EdgeMachine>,
    settings: EdgeSettings,
    saved: Option<String>,
    ended: BTreeMap<String, Value>,
    skew: Millis,
    wake: Option<Millis>,
}

struct Sim {
    rng: Rng,
    now: Millis,
    queue: BTreeMap<(Millis, u64), Msg>,
    n: u64,
    faults: Faults,
    server: Server,
    edges: Vec<EdgeBox>,
    calls: Vec<Call>,
    /// Platform requests awaiting an edge's answer: rid -> (edge, call, what).
    asked: BTreeMap<u64, (usize, usize, char)>,
    rid: u64,
    /// Ends an edge answered 200, with the body (every repeat must give the same).
    answered: BTreeMap<String, Value>,
    overran: bool,
    /// What edges had granted under leases that lapsed before it was reported (the bound).
    unbacked: std::cell::Cell<Decimal>,
    /// Per edge, its lease's end at the server and what the edge had at stake under it,
    /// at the last check: a lease may lapse between two events and be renewed by the next.
    at_stake: std::cell::RefCell<BTreeMap<usize, (Instant, Decimal)>>,
    settling: bool,
    trace: bool,
}

/// One line per event for `DRAWDOWN_SIM_TRACE=1`.
fn describe(m: &Msg) -> String {
    match m {
        Msg::ToServer { edge, send } => format!(
            "edge {edge} -> server #{} {} {} {}",
            send.seq, send.method, send.path, send.body
        ),
        Msg::ToEdge {
            edge,
            seq,
            status,
            body,
        } => format!(
            "server -> edge {edge} #{seq} {status} {}",
            &body[..body.len().min(160)]
        ),
        Msg::Wake { edge } => format!("wake edge {edge}"),
        Msg::Restart { edge } => format!("restart edge {edge}"),
        Msg::Platform(a) => format!(
            "platform {}",
            match a {
                Action::Start(c) => format!("start c{c}"),
                Action::Extend(c) => format!("extend c{c}"),
                Action::End(c) => format!("end c{c}"),
                Action::Direct => "direct call".into(),
                Action::TopUp => "top-up".into(),
                Action::CrashEdge(e) => format!("crash edge {e}"),
                Action::ServerAway(ms) => format!("server away {ms} ms"),
            }
        ),
    }
}

fn card_and_account(rng: &mut Rng) -> (Value, Value) {
    let inc = ["60/60", "30/6", "1/1"][rng.below(3) as usize];
    let rate = ["9", "7.5", "0.33"][rng.below(3) as usize];
    let card = json!({"currency": "USD", "creditsPerUnit": "100",
        "rounding": {"mode": "half_up", "creditDecimals": rng.below(3)},
        "voice": {"perMinute": rate, "increment": inc}, "tollFreeSurcharge": {"perMinute": "2"}});
    let plan = rng.chance(50);
    let mut grants =
        vec![json!({"id": "w", "type": "prepaid", "remaining": (20 + rng.below(600)).to_string()})];
    if plan {
        grants.push(json!({"id": "p", "type": "plan", "remaining": rng.below(60).to_string()}));
    }
    let account = json!({
        "plan": if plan { json!({"id": "g", "includedMinutes": 20, "overagePerMinute": "7"}) } else { json!(null) },
        "includedSecondsRemaining": rng.below(900), "grants": grants,
    });
    (card, account)
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let mut rng = Rng(seed);
        let (card, account) = card_and_account(&mut rng);
        let faults = Faults {
            max_delay: rng.range(1, 2_000),
            drop: rng.below(15),
            dup: rng.below(15),
        };
        let edges = (0..rng.range(1, 3))
            .map(|i| {
                let v = json!({"leaseId": format!("edge-{i}"), "credits": (10 + rng.below(200)).to_string(),
                    "includedSeconds": rng.below(600), "planCredits": rng.below(30).to_string(),
                    "ttlSeconds": rng.range(20, 120), "idleSeconds": rng.range(30, 300), "liveSkewSeconds": SKEW_S});
                EdgeBox { m: None, settings: EdgeSettings::from_value(&v).unwrap(), saved: None,
                    ended: BTreeMap::new(), skew: rng.range(-2_000, 2_000), wake: None }
            })
            .collect();
        let server = Server {
            card: serde_json::from_value(card.clone()).unwrap(),
            card_value: card,
            account: serde_json::from_value(account).unwrap(),
            billed: BTreeMap::new(),
            away_until: 0,
            version: 1,
        };
        let mut sim = Sim {
            rng,
            now: T0,
            queue: BTreeMap::new(),
            n: 0,
            faults,
            server,
            edges,
            calls: vec![],
            asked: BTreeMap::new(),
            rid: 0,
            answered: BTreeMap::new(),
            overran: false,
            unbacked: Default::default(),
            at_stake: Default::default(),
            settling: false,
            trace: std::env::var("DRAWDOWN_SIM_TRACE").is_ok(),
        };
        for e in 0..sim.edges.len() {
            sim.restart(e);
        }
        sim.plan_traffic();
        sim
    }

    fn at(&mut self, t: Millis, m: Msg) {
        self.n += 1;
        self.queue.insert((t.max(self.now), self.n), m);
    }

    fn plan_traffic(&mut self) {
        let calls = self.rng.range(2, 14) as usize;
        for i in 0..calls {
            let edge = self.rng.below(self.edges.len() as u64) as usize;
            let overrun = self.rng.chance(5);
            let never_ends = self.rng.chance(8);
            self.calls.push(Call {
                edge,
                runs: self.rng.range(1, 400) as u64,
                overrun,
                never_ends,
                ..Call::default()
            });
            let t = T0 + self.rng.range(0, TRAFFIC_MS);
            self.at(t, Msg::Platform(Action::Start(i)));
        }
        for _ in 0..self.rng.range(0, 4) {
            let t = T0 + self.rng.range(0, TRAFFIC_MS);
            let a = if self.rng.chance(50) {
                Action::Direct
            } else {
                Action::TopUp
            };
            self.at(t, Msg::Platform(a));
        }
        for _ in 0..self.rng.range(0, 3) {
            let t = T0 + self.rng.range(0, TRAFFIC_MS);
            let e = self.rng.below(self.edges.len() as u64) as usize;
            self.at(t, Msg::Platform(Action::CrashEdge(e)));
        }
        if self.rng.chance(30) {
            let t = T0 + self.rng.range(0, TRAFFIC_MS);
            let away = self.rng.range(100, 15_000);
            self.at(t, Msg::Platform(Action::ServerAway(away)));
        }
    }

    fn run(&mut self) -> Result<u32, String> {
        let mut events = 0u32;
        while let Some(((t, _), msg)) = self.queue.pop_first() {
            self.now = t;
            events += 1;
            if events > MAX_EVENTS {
                return Err(format!("no progress: {MAX_EVENTS} events by {} ms", t - T0));
            }
            if t > T0 + TRAFFIC_MS && !self.settling {
                self.settling = true;
                self.faults = Faults {
                    max_delay: 50,
                    drop: 0,
                    dup: 0,
                };
            }
            if t > T0 + TRAFFIC_MS + SETTLE_MS {
                break;
            }
            if self.trace {
                eprintln!("{:>9} {}", t - T0, describe(&msg));
            }
            self.deliver(msg)?;
            self.check()?;
        }
        self.check_settled()?;
        Ok(events)
    }

    fn deliver(&mut self, msg: Msg) -> Result<(), String> {
        match msg {
            Msg::ToServer { edge, send } => {
                let (status, body) = if self.now < self.server.away_until {
                    (0, String::new())
                } else {
                    self.server.handle(self.now, &send)?
                };
                self.net(Msg::ToEdge {
                    edge,
                    seq: send.seq,
                    status,
                    body,
                });
                Ok(())
            }
            Msg::ToEdge {
                edge,
                seq,
                status,
                body,
            } => self.step(edge, Event::Reply { seq, status, body }),
            Msg::Wake { edge } => self.step(edge, Event::Tick),
            Msg::Restart { edge } => {
                // A restart of a running object (a second crash) loses its connections too.
                self.lose_requests(edge)?;
                self.restart(edge);
                Ok(())
            }
            Msg::Platform(a) => self.platform(a),
        }
    }

    /// A message on the network: delayed, perhaps dropped, perhaps twice.
    fn net(&mut self, m: Msg) {
        if self.rng.chance(self.faults.drop) {
            return;
        }
        let d = self.rng.range(0, self.faults.max_delay);
        if self.rng.chance(self.faults.dup) {
            let again = match &m {
                Msg::ToServer { edge, send } => Msg::ToServer {
                    edge: *edge,
                    send: send.clone(),
                },
                Msg::ToEdge {
                    edge,
                    seq,
                    status,
                    body,
                } => Msg::ToEdge {
                    edge: *edge,
                    seq: *seq,
                    status: *status,
                    body: body.clone(),
                },
                _ => unreachable!(),
            };
            let d2 = self.rng.range(0, self.faults.max_delay);
            self.at(self.now + d2, again);
        }
        self.at(self.now + d, m);
    }

    fn restart(&mut self, e: usize) {
        let b = &mut self.edges[e];
        let state = b
            .saved
            .as_deref()
            .map(|t| EdgeState::from_value(&serde_json::from_str(t).unwrap()).unwrap());
        b.m = Some(EdgeMachine::new(b.settings.clone(), state, b.ended.clone()).unwrap());
        let wake = b.m.is_some();
        if wake {
            let t = self.now;
            self.at(t, Msg::Wake { edge: e });
        }
    }

    fn step(&mut self, e: usize, event: Event) -> Result<(), String> {
        let b = &mut self.edges[e];
        let Some(m) = b.m.as_mut() else { return Ok(()) };
        let out: Step = m.step(self.now + b.skew, event);
        if self.trace {
            let st = m.state();
            let lease = st.lease.as_ref().map(|l| {
                format!(
                    "{} cr {} plan {} s until {}",
                    l.credits, l.plan_credits, l.included_seconds.0, l.valid_until
                )
            });
            let held: (Decimal, Decimal, u64) =
                st.holds
                    .iter()
                    .fold((Decimal::ZERO, Decimal::ZERO, 0), |a, h| {
                        (
                            a.0 + h.credits,
                            a.1 + h.plan_credits,
                            a.2 + h.included_seconds.0,
                        )
                    });
            eprintln!("          edge {e} at {}: pending {} owed {:?} wake {:?} sends {} lease {:?} held {:?} asks {:?}", self.now + b.skew - T0, st.pending.len(), st.copy.as_ref().and_then(|c| c.owed),
                out.wake_at.map(|w| w - T0), out.sends.len(), lease, held, st.asks.iter().map(|a| a.seq).collect::<Vec<_>>());
        }
        if out.persist {
            b.saved = Some(m.state_json());
        }
        for (id, v) in &out.ended_writes {
            b.ended.insert(id.clone(), v.clone());
        }
        for id in &out.ended_forgets {
            b.ended.remove(id);
        }
        let skew = b.skew;
        // One wake-up pending per edge: the earliest asked for (a later step asks again).
        if let Some(w) = out.wake_at.map(|w| w - skew) {
            if b.wake.is_none_or(|at| w < at || at <= self.now) {
                b.wake = Some(w);
                self.at(w, Msg::Wake { edge: e });
            }
        }
        for send in out.sends {
            self.net(Msg::ToServer { edge: e, send });
        }
        for a in out.answers {
            self.answer(a.rid, a.status, a.body)?;
        }
        Ok(())
    }

    fn request(&mut self, c: usize, what: char, path: String, body: Value) -> Result<(), String> {
        self.rid += 1;
        let e = self.calls[c].edge;
        self.asked.insert(self.rid, (e, c, what));
        if self.edges[e].m.is_none() {
            return self.answer(self.rid, 0, Value::Null); // connection refused
        }
        let request = PlatformRequest {
            method: "POST".into(),
            path,
            body: body.to_string(),
        };
        self.step(
            e,
            Event::Request {
                rid: self.rid,
                request,
            },
        )
    }

    fn platform(&mut self, a: Action) -> Result<(), String> {
        match a {
            Action::Start(c) => {
                let quota = self.rng.range(10, 300);
                self.request(
                    c,
                    's',
                    "/calls".into(),
                    json!({"id": format!("c{c}"), "direction": "outbound", "quotaSeconds": quota}),
                )
            }
            Action::Extend(c) => self.request(
                c,
                'x',
                format!("/calls/c{c}/extend"),
                json!({"quotaSeconds": 120}),
            ),
            Action::End(c) => {
                let call = &self.calls[c];
                let secs = if call.overrun {
                    call.runs
                } else {
                    call.runs.min(call.granted)
                };
                let body = json!({"connectedSeconds": secs});
                self.request(c, 'e', format!("/calls/c{c}/end"), body.clone())?;
                if self.rng.chance(20) {
                    self.request(c, 'e', format!("/calls/c{c}/end"), body)?; // a concurrent repeat
                }
                Ok(())
            }
            Action::Direct => self.server.direct(self.now, &mut self.rng),
            Action::TopUp => {
                let n = self.server.account.grants.len();
                let g = json!({"id": format!("top-{n}"), "type": "prepaid", "remaining": (1 + self.rng.below(200)).to_string()});
                self.server
                    .account
                    .grants
                    .push(serde_json::from_value(g).unwrap());
                self.server.version += 1;
                Ok(())
            }
            Action::CrashEdge(e) => {
                self.edges[e].m = None;
                self.lose_requests(e)?;
                let t = self.now + self.rng.range(0, 5_000);
                self.at(t, Msg::Restart { edge: e });
                Ok(())
            }
            Action::ServerAway(ms) => {
                self.server.away_until = self.now + ms;
                Ok(())
            }
        }
    }

    /// Requests waiting at a crashed edge lose their connections: the platform retries.
    fn lose_requests(&mut self, e: usize) -> Result<(), String> {
        let lost: Vec<u64> = self
            .asked
            .iter()
            .filter(|(_, (x, _, _))| *x == e)
            .map(|(r, _)| *r)
            .collect();
        for rid in lost {
            self.answer(rid, 0, Value::Null)?;
        }
        Ok(())
    }

    /// The platform acts on an edge's answer (status 0: the connection was lost).
    fn answer(&mut self, rid: u64, status: u16, body: Value) -> Result<(), String> {
        let Some((_, c, what)) = self.asked.remove(&rid) else {
            return Ok(());
        };
        if self.trace {
            eprintln!(
                "          c{c} {what} <- {status} {}",
                &body.to_string()[..body.to_string().len().min(200)]
            );
        }
        let retry = self.now + self.rng.range(200, 3_000);
        let call = &mut self.calls[c];
        match (what, status) {
            ('s', 200) if body["allowed"] == true => {
                call.live = true;
                call.started_at = self.now;
                call.granted = body["grantedSeconds"].as_u64().unwrap();
                self.plan_call(c, body["finalQuota"] == true);
            }
            ('s', 0 | 503) if call.tries < 5 && !call.live => {
                call.tries += 1;
                self.at(retry, Msg::Platform(Action::Start(c)));
            }
            ('s', _) => {}
            ('x', 200) if body["allowed"] == true => {
                let granted = body["grantedSeconds"].as_u64().unwrap();
                // A grant that did not grow is the last one, whatever it says.
                let last = body["finalQuota"] == true || granted <= call.granted;
                call.granted = granted;
                self.plan_call(c, last);
            }
            ('x', _) => {
                let t = call.started_at + 1000 * call.granted.min(call.runs) as i64;
                self.at(t, Msg::Platform(Action::End(c)));
            }
            ('e', 200) => {
                let id = format!("c{c}");
                if let Some(first) = self.answered.get(&id) {
                    if first != &body {
                        return Err(format!(
                            "two answers for the end of {id}: {first} and {body}"
                        ));
                    }
                }
                self.answered.insert(id, body);
                call.done = true;
            }
            ('e', 0 | 503) if !call.done => self.at(retry, Msg::Platform(Action::End(c))),
            ('e', 0 | 503) => {}
            (_, s) => return Err(format!("call c{c}: {what} answered {s}: {body}")),
        }
        Ok(())
    }

    /// The platform's next move for a live call: end it when it is done (at the grant, or
    /// past it when it overruns), else extend before the grant runs out.
    fn plan_call(&mut self, c: usize, final_quota: bool) {
        let call = &self.calls[c];
        if call.never_ends {
            return;
        }
        let granted_end = call.started_at + 1000 * call.granted as i64;
        if call.runs <= call.granted || (final_quota && !call.overrun) {
            let t = call.started_at + 1000 * call.runs.min(call.granted) as i64;
            self.at(t, Msg::Platform(Action::End(c)));
        } else if call.overrun {
            self.overran = true;
            self.at(
                call.started_at + 1000 * call.runs as i64,
                Msg::Platform(Action::End(c)),
            );
        } else {
            self.at(granted_end - 2_000, Msg::Platform(Action::Extend(c)));
        }
    }
}

impl Server {
    fn now(&self, t: Millis) -> Instant {
        instant(t)
    }

    /// A lease route, as `src/server/books/leases.rs` runs it: the `at` judged against the
    /// server's clock, the reported ends billed once each, then the lease set or released.
    fn handle(&mut self, t: Millis, send: &Send) -> Result<(u16, String), String> {
        let now = self.now(t);
        let b = &send.body;
        let id = send
            .path
            .trim_start_matches("/leases/")
            .trim_end_matches("/release")
            .to_string();
        let refuse =
            |status: u16, e: drawdown::Error| Ok((status, json!({ "error": e }).to_string()));
        if let Some(at) = b["at"].as_str() {
            if let Err(e) =
                drawdown::call_body::live_at(Instant::parse(at), now, SKEW_S as i64, "at")
            {
                return refuse(422, e);
            }
        }
        let mut booked = vec![];
        for e in b["ended"].as_array().cloned().unwrap_or_default() {
            let e: drawdown::call_body::EndedCall =
                serde_json::from_value(e).map_err(|x| x.to_string())?;
            booked.push(json!({ "id": e.id }));
            if self.billed.contains_key(&e.id) {
                continue;
            }
            let input = EndInput {
                rate_card: self.card.clone(),
                account: self.account.clone(),
                call_id: e.id.clone(),
                at: now,
                call: EndCall {
                    connected_seconds: e.connected_seconds,
                    transfer: None,
                    carrier_pass_through: vec![],
                    direction: Some(e.direction),
                    toll_free: Some(e.toll_free),
                    agent_id: e.agent_id.clone(),
                    number_id: None,
                    started_at: Some(e.started_at),
                },
            };
            let books = lease::end_call_on_lease(&input, &id, e.lease_usage, true)
                .map_err(|x| x.to_string())?;
            self.account = books.account;
            *self.billed.entry(e.id).or_default() += 1;
            self.version += 1;
        }
        let seq = b["sequence"].as_u64();
        let held: LeaseUsage =
            serde_json::from_value(b["held"].clone()).map_err(|x| x.to_string())?;
        if send.method == "POST" {
            return match lease::release(&mut self.account, &id, held, seq) {
                Err(e) => refuse(409, e),
                Ok(r) => {
                    let (back, kept) = r.map_or((None, None), |(b, k)| (Some(b), k));
                    Ok((200, json!({"released": back, "kept": kept, "version": self.version, "ended": booked}).to_string()))
                }
            };
        }
        let dec = |f: &str| {
            b[f].as_str()
                .map(|s| s.parse::<Decimal>().unwrap())
                .unwrap_or_default()
        };
        let req = LeaseRequest {
            id: id.clone(),
            at: now,
            credits: dec("credits"),
            included_seconds: Seconds(b["includedSeconds"].as_u64().unwrap_or(0)),
            plan_credits: dec("planCredits"),
            ttl_seconds: b["ttlSeconds"].as_u64().unwrap_or(300),
            held,
            held_numbers: serde_json::from_value(b["heldNumbers"].clone()).unwrap_or_default(),
            sequence: seq,
        };
        match lease::lease(&self.card, &self.account, &req, true) {
            Err(e) if e.code == drawdown::error::Code::StaleRequest => refuse(409, e),
            Err(e) => refuse(422, e),
            Ok((hold, account, _)) => {
                self.account = account;
                let body = json!({"lease": hold, "account": lease::edge_account(&self.account, &hold, now),
                    "rateCard": self.card_value, "version": self.version, "ended": booked});
                Ok((200, body.to_string()))
            }
        }
    }

    /// A call on another path (straight at the server), ending within its grant.
    fn direct(&mut self, t: Millis, rng: &mut Rng) -> Result<(), String> {
        let now = self.now(t);
        let id = format!("d{}", rng.next());
        let call = StartCall {
            id: id.clone(),
            direction: CallDirection::Outbound,
            toll_free: false,
            agent_id: None,
            number_id: None,
            at: now,
            quota_seconds: Some(Seconds(rng.range(1, 300) as u64)),
            requested_max_seconds: None,
            grace_seconds: None,
        };
        let input = StartInput {
            rate_card: self.card.clone(),
            account: self.account.clone(),
            call,
        };
        let (g, account) = live::start_call_books(&input, true).map_err(|e| e.to_string())?;
        if !g.allowed {
            return Ok(());
        }
        self.account = account;
        let input = EndInput {
            rate_card: self.card.clone(),
            account: self.account.clone(),
            call_id: id,
            at: now,
            call: EndCall {
                connected_seconds: Seconds(rng.below(g.granted_seconds + 1)),
                transfer: None,
                carrier_pass_through: vec![],
                direction: None,
                toll_free: None,
                agent_id: None,
                number_id: None,
                started_at: None,
            },
        };
        self.account = live::end_call_books(&input, true)
            .map_err(|e| e.to_string())?
            .account;
        self.version += 1;
        Ok(())
    }
}

/// The active holds of `a` at `t` fit its pools; at most `unbacked` owed (what calls held
/// under leases that lapsed), unless a call ran past its grant (`overran`: what it ran over
/// may be owed too).
fn fits(
    side: &str,
    a: &Account,
    holds: &[Hold],
    t: Instant,
    overran: bool,
    unbacked: Decimal,
) -> Result<(), String> {
    let owed = a.owed.unwrap_or_default();
    if !overran && owed > unbacked {
        return Err(format!("{side} owes {owed} with no call past its grant"));
    }
    let (mut wallet, mut plan) = (Decimal::ZERO, Decimal::ZERO);
    for g in &a.grants {
        if g.remaining < Decimal::ZERO {
            return Err(format!("{side}: grant {} below zero", g.id));
        }
        if g.kind == GrantType::Plan {
            plan += g.remaining
        } else {
            wallet += g.remaining
        }
    }
    let (mut held, mut held_plan, mut secs) = (Decimal::ZERO, Decimal::ZERO, 0);
    for h in holds.iter().filter(|h| h.active_at(t)) {
        held += h.credits;
        held_plan += h.plan_credits;
        secs += h.included_seconds.0;
    }
    // What calls held under a lapsed lease may be owed, or held again by the lease renewed
    // after it (it never shrinks below its calls, pools or not): the bound, not a fault.
    if held + owed > wallet + unbacked && !overran {
        return Err(format!(
            "{side}: holds {held} + owed {owed} > wallet {wallet} + unbacked {unbacked}"
        ));
    }
    if unbacked == Decimal::ZERO
        && (held_plan > plan || (a.plan.is_some() && secs > a.included_seconds()))
    {
        return Err(format!(
            "{side}: holds {held_plan} plan credits / {secs} s past the pools"
        ));
    }
    Ok(())
}

impl Sim {
    /// After every event: first what lapsed leases left unbacked (a renewal that arrives
    /// after its lease lapsed keeps what the edge's calls hold, past the pools), then the
    /// bounds at the server and at every edge.
    fn check(&self) -> Result<(), String> {
        let t = instant(self.now);
        let s = &self.server.account;
        for (i, b) in self.edges.iter().enumerate() {
            self.check_lease(i, b)?;
        }
        let (overran, unbacked) = (self.overran, self.unbacked.get());
        fits("server", s, &s.holds, t, overran, unbacked)?;
        for (i, b) in self.edges.iter().enumerate() {
            let (Some(m), et) = (&b.m, instant(self.now + b.skew)) else {
                continue;
            };
            let st = m.state();
            if let Some(copy) = &st.copy {
                fits(&format!("edge {i}"), copy, &st.holds, et, overran, unbacked)?;
            }
        }
        Ok(())
    }

    /// What edge `i` has granted and not yet reported fits its lease at the server; once
    /// that lease lapsed, it is the bound (`unbacked`).
    fn check_lease(&self, i: usize, b: &EdgeBox) -> Result<(), String> {
        let (t, s) = (instant(self.now), &self.server.account);
        let Some(m) = &b.m else { return Ok(()) };
        let st = m.state();
        let et = instant(self.now + b.skew);
        let live = || st.holds.iter().filter(|h| h.active_at(et));
        let unreported = || {
            st.pending
                .iter()
                .filter(|r| !self.server.billed.contains_key(&r.id))
        };
        let mut committed: Decimal = live().map(|h| h.credits).sum();
        committed += unreported().map(|r| r.lease_usage.credits).sum::<Decimal>();
        // All it could cost if billed from the pools instead (included seconds at most a
        // credit a second, far above the cards' rates).
        let worth =
            |u: &LeaseUsage| u.credits + u.plan_credits + Decimal::from(u.included_seconds.0);
        let exposure: Decimal = live()
            .map(|h| h.credits + h.plan_credits + Decimal::from(h.included_seconds.0))
            .sum::<Decimal>()
            + unreported().map(|r| worth(&r.lease_usage)).sum::<Decimal>();
        let lease = lease::find(s, &b.settings.lease_id);
        let before = self.at_stake.borrow_mut().remove(&i);
        if let Some(l) = lease {
            self.at_stake
                .borrow_mut()
                .insert(i, (l.valid_until, exposure));
        }
        // It lapsed after the last check, and the event since renewed it.
        if let Some((end, stake)) = before.filter(|(end, _)| *end <= t) {
            if lease.is_some_and(|l| l.valid_until != end) {
                self.unbacked.set(self.unbacked.get().max(stake));
            }
        }
        if exposure == Decimal::ZERO {
            return Ok(());
        }
        match lease.filter(|l| l.active_at(t)) {
            // After a call ran past its grant, what it ran over may sit in the edge's
            // unreported usage: past the lease, and owed.
            Some(l) if committed > l.credits && !self.overran => Err(format!(
                "edge {i} has {committed} granted or unreported past its lease at the server ({})",
                l.credits
            )),
            Some(_) => Ok(()),
            // The lease lapsed with calls live or ends unreported (the server away, or the
            // renewals lost, for longer than it had left): the README's bound, after an
            // overrun as before one. What it covered is billed from the pools when the
            // report arrives; only that much may become owed.
            None => {
                self.unbacked.set(self.unbacked.get().max(exposure));
                Ok(())
            }
        }
    }

    fn check_settled(&self) -> Result<(), String> {
        for id in self.answered.keys() {
            match self.server.billed.get(id) {
                Some(1) => {}
                n => {
                    return Err(format!(
                        "end of {id} answered at the edge, billed {n:?} times at the server"
                    ))
                }
            }
        }
        if let Some((id, n)) = self.server.billed.iter().find(|(_, n)| **n != 1) {
            return Err(format!("{id} billed {n} times"));
        }
        for (i, c) in self.calls.iter().enumerate() {
            if c.live && !c.never_ends && !c.done {
                return Err(format!("call c{i} never got an answer to its end"));
            }
        }
        for (i, b) in self.edges.iter().enumerate() {
            let m = b.m.as_ref().ok_or(format!("edge {i} never came back"))?;
            let st = m.state();
            if !st.pending.is_empty() || !st.asks.is_empty() || m.waiting() > 0 {
                return Err(format!(
                    "edge {i} stuck: {} pending, {} asks, {} waiting",
                    st.pending.len(),
                    st.asks.len(),
                    m.waiting()
                ));
            }
        }
        Ok(())
    }
}

fn run_seed(seed: u64) -> Result<u32, String> {
    Sim::new(seed).run().map_err(|e| format!("seed {seed}: {e} (rerun: DRAWDOWN_SIM_SEED={seed} cargo test --release --test simulation)"))
}

/// Seeds that once failed (all past the range the test command runs), kept as cases. What
/// they found:
/// - 28514: a lease lapsed at the server under a live call after another call ran past its
///   grant, and the check stopped counting the lapse (the bound, not a fault);
/// - 26141: the lease lapsed between two events and the next renewed it, unseen by the check;
/// - 20964, 47668: a renewal after a lapsed lease's late reports left the account owing
///   shrank the lease below what its edge's live calls held (now it keeps them, pools or
///   not: `lease::floor`);
/// - 46902: an end billed while a renewal was in flight drew from the part of the lease the
///   renewal asked to give back, so the answered lease was smaller than the edge's live
///   calls (now an end bills within the ask, as a grant does: `uncap`);
/// - 213054: ends billed while a renewal was in flight, billed again on its answer without
///   the holds they were billed beside, took the included seconds in another order and
///   rounded to a credit more than the edge had answered (now they keep their bills where
///   those fit: `renewal::deducted`);
/// - 13781, 26842, 45376, 53241, 64336: the same faults in other interleavings.
const REGRESSIONS: [u64; 11] = [
    13781, 20964, 26141, 26842, 28514, 45376, 46902, 47668, 53241, 64336, 213054,
];

#[test]
fn seeds_that_once_failed_pass() {
    let failures: Vec<String> = REGRESSIONS
        .iter()
        .filter_map(|&s| run_seed(s).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_edge_protocol_holds_under_every_seeded_interleaving() {
    if let Ok(one) = std::env::var("DRAWDOWN_SIM_SEED") {
        let events = run_seed(one.parse().unwrap()).unwrap();
        eprintln!("simulation: 1 seed, {events} events");
        return;
    }
    let seeds: u64 = std::env::var("DRAWDOWN_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEEDS);
    let started = std::time::Instant::now();
    // Seeds split over the machine's cores; each seed's run is the same on any thread.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let runs: Vec<(u64, Vec<String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let (mut events, mut failures) = (0u64, vec![]);
                    for s in (t..seeds).step_by(threads as usize) {
                        match run_seed(s) {
                            Ok(n) => events += u64::from(n),
                            Err(e) => failures.push(e),
                        }
                    }
                    (events, failures)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let events: u64 = runs.iter().map(|r| r.0).sum();
    let mut failures: Vec<String> = runs.into_iter().flat_map(|r| r.1).collect();
    failures.sort_by_key(|f| {
        f.split(':')
            .next()
            .and_then(|s| s.trim_start_matches("seed ").parse::<u64>().ok())
    });
    failures.truncate(5);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "simulation: {seeds} seeds, {events} events in {secs:.1} s ({:.0} events/s)",
        events as f64 / secs
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
