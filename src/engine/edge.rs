//! The edge's protocol (SEMANTICS 12) as a pure, deterministic state machine: one per
//! account at the edge (a Durable Object in `examples/edge-worker`), granting live calls
//! from a lease of the authoritative server. It reads no clock and does no I/O: it takes
//! events (a request from the platform, the server's answer to something it sent, a clock
//! tick) with the runtime's clock, and gives back the answers to requests, the requests to
//! send to the server, when to be woken next, and the state to persist. The shell around it
//! stores, sends and wakes; the simulator (`tests/simulation.rs`) drives it instead, over a
//! network that delays, reorders, duplicates and drops, with crashes and skewed clocks.
//!
//! The rules it keeps (SEMANTICS 11 and 12):
//! - every grant is judged at the edge's clock (`call_body::live_at`);
//! - grants come from the edge's copy of the account, whose pools are the lease less what
//!   its ended calls took, each grant ending before the lease does;
//! - while a renewal may still change the lease, grants use the smaller of the current
//!   lease and every size asked for since (`capped`); the server refuses a request older
//!   than the last it applied (`sequence`), or dated further than the live skew from its
//!   clock, so after `ASK_LIFETIME_MS` an unanswered renewal can no longer apply;
//! - a renewal states what live calls hold (the lease never shrinks below it), a release
//!   gives back only what no live call holds;
//! - reports go in batches within the server's body limit, each ended call once per call
//!   id; concurrent and repeated ends of one call give one answer and one bill.

use crate::engine::amount::Seconds;
use crate::engine::authorize::{authorize_call, AuthorizeInput, CallRequest};
use crate::engine::calendar::Instant;
use crate::engine::call_body::{self, EndBody, EndedCall, ExtendBody, StartBody, MAX_BODY};
use crate::engine::error::{Code, Error, Result};
use crate::engine::lease::{LeaseUsage, LEASE_PLAN, LEASE_WALLET};
use crate::engine::live::{
    self, EndCall, EndInput, ExtendInput, QuotaGrant, StartCall, StartInput,
};
use crate::engine::model::Hold;
use crate::engine::model::{Account, CallDirection, RateCard};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Milliseconds since the Unix epoch on the runtime's clock (what `Date.now()` gives).
pub type Millis = i64;

/// The server takes at most this many ended calls per report (`MAX_ENDS_PER_REPORT`).
pub const MAX_ENDS_PER_REPORT: usize = 256;
/// A report's JSON stays this far under the server's body limit (room for the renewal's
/// own fields).
pub const MAX_REPORT_BYTES: usize = MAX_BODY - 4_096;
/// Ended calls wait this long for company before they are reported.
pub const FLUSH_DELAY_MS: Millis = 100;
/// End answers kept for replays of a retried end (the oldest are forgotten past it).
pub const ENDS_KEPT: usize = 5_000;
/// Renewals one request waits for at most: a burst of starts grows the lease round by
/// round, each at least doubling it (2^8 times the target covers any burst).
pub const MAX_WAITS: u8 = 8;
/// Inbound refusals an edge keeps to report (SEMANTICS 18); the server lists 100.
pub const MAX_REFUSALS_KEPT: usize = 100;
/// After the server says it has no more to lend, growing waits this long.
pub const SHORT_PAUSE_MS: Millis = 1_000;
/// Delivery retries back off from 250 ms, doubling, to this.
pub const MAX_BACKOFF_MS: Millis = 30_000;
/// A lapsed hold stays this long (its call may still end and be billed from it).
pub const LAPSED_KEPT_MS: Millis = 3_600_000;
/// The most ended calls set aside as refused by the server (listed for an operator).
pub const MAX_DEAD: usize = 1_000;
/// The longest a reply may take before the send counts as failed (retried under its
/// number); an eighth of the lease's life when that is shorter (at least 1 s), so a lost
/// renewal is retried several times in the half of the lease left when renewals start.
pub const REPLY_TIMEOUT_MS: Millis = 10_000;

/// What the object asks the server for and how it behaves (the Worker's bindings; read by
/// `EdgeSettings::from_value`).
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// The lease's id at the server (one per object).
    pub lease_id: String,
    /// What the lease holds beyond what live calls hold, pool by pool.
    pub credits: Decimal,
    pub included_seconds: Seconds,
    pub plan_credits: Decimal,
    /// A lease's life (1 to 3,600 s); renewed at half of it.
    pub ttl_seconds: Seconds,
    /// An object with no live call for this long gives its lease back.
    pub idle_seconds: Seconds,
    /// How far a request's `at` may be from the edge's clock, and the clocks from each other.
    pub live_skew_seconds: Seconds,
}

/// A request of the platform, as the shell received it.
#[derive(Debug, Clone)]
pub struct PlatformRequest {
    pub method: String,
    /// The path as sent, percent-escapes and all (`/calls/a%20b/end`).
    pub path: String,
    pub body: String,
}

/// What happens to the machine.
#[derive(Debug, Clone)]
pub enum Event {
    /// A platform request, `rid` naming it in the answer.
    Request { rid: u64, request: PlatformRequest },
    /// The server's answer to send `seq` (`status` 0: it could not be reached).
    Reply { seq: u64, status: u16, body: String },
    /// The wake-up the machine asked for (or any other: early ones are harmless).
    Tick,
}

/// The machine's answer to a platform request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub rid: u64,
    pub status: u16,
    pub body: Value,
    /// The first answer of a retried request, given again.
    pub replayed: bool,
}

/// A request to the server (to `PUT /leases/{id}` or `POST /leases/{id}/release`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Send {
    pub seq: u64,
    pub method: &'static str,
    pub path: String,
    pub body: Value,
}

/// What one step gives back.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub answers: Vec<Answer>,
    pub sends: Vec<Send>,
    /// When to be woken (`Tick`) at the latest, on the runtime's clock.
    pub wake_at: Option<Millis>,
    /// The state changed: persist `EdgeMachine::state()` (and `ended_writes`) before the
    /// answers leave.
    pub persist: bool,
    /// End answers to store by call id (a retried end replays them), each as
    /// `{ "n": number, "answer": ... }`, and ids to forget. Hand the stored ones back to
    /// `EdgeMachine::new`.
    pub ended_writes: Vec<(String, Value)>,
    pub ended_forgets: Vec<String>,
}

/// A renewal or release sent and not yet superseded: while it may still apply at the
/// server, grants fit the sizes it asked for too.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ask {
    pub seq: u64,
    pub sent_at: Millis,
    pub sizes: LeaseUsage,
    /// The ended calls it reports.
    pub ended: Vec<String>,
    pub release: bool,
    /// How many of the refused calls it reports (the first of `EdgeState::refused`).
    #[serde(skip_serializing_if = "is_zero")]
    pub refused: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Everything the object persists (the end answers go separately, one key each); read
/// back by `EdgeState::from_value`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeState {
    pub lease: Option<Hold>,
    /// The rate card as the server sent it (the edge prices with exactly this).
    pub card: Option<Value>,
    /// The server's copy of the account under the lease, as of `version`.
    pub base: Option<Account>,
    pub version: Option<u64>,
    /// `base` with the ended calls not yet acknowledged billed on it.
    pub copy: Option<Account>,
    /// The live calls' holds.
    pub holds: Vec<Hold>,
    /// Live calls' start answers (a retried start replays them).
    pub starts: BTreeMap<String, Value>,
    /// Ended calls the server has not acknowledged, oldest first, and when the oldest of
    /// them was waiting since.
    pub pending: Vec<EndedCall>,
    pub pending_since: Millis,
    /// The number the next kept end answer gets (each is stored with its number, so the
    /// oldest can be forgotten without a list of them in this state).
    pub ended_next: u64,
    /// Ended calls the server refused as malformed, with its error.
    pub dead: Vec<Value>,
    /// Calls the inbound limits rejected here (`{ callId, at, numberId?, limit }`), oldest
    /// first, to report with the next request, so the server lists them and sends
    /// `traffic.limited` (SEMANTICS 18).
    pub refused: Vec<Value>,
    pub asks: Vec<Ask>,
    /// The last request number used (a restart carries on from it).
    pub sequence: u64,
    pub failures: u32,
    pub retry_at: Millis,
    pub short_until: Millis,
    pub last_activity: Millis,
    /// Counters for `/edge/state`: starts, those answered without waiting on the server,
    /// renewals waited on, renewals answered, failed sends, answers with the version moved.
    pub stats: [u64; 6],
}

/// The counters' places in `EdgeState::stats`.
pub mod stat {
    pub const STARTS: usize = 0;
    pub const LOCAL: usize = 1;
    pub const WAITED: usize = 2;
    pub const SYNCS: usize = 3;
    pub const FAILURES: usize = 4;
    pub const VERSION_MOVES: usize = 5;
}

/// A platform request waiting for a renewal.
#[derive(Debug, Clone)]
struct Parked {
    rid: u64,
    op: Op,
    waits: u8,
}

/// A request, read.
#[derive(Debug, Clone)]
enum Op {
    Authorize(CallRequest),
    Start(StartBody),
    Extend(String, ExtendBody),
    End(String, EndBody),
    State,
    Release,
}

/// The edge state machine: the persisted state, the rate card read once, and what lives
/// only as long as the process (requests waiting, the send awaited).
pub struct EdgeMachine {
    settings: EdgeSettings,
    s: EdgeState,
    /// The end records kept (`{ n, answer }`), by call id.
    ended: BTreeMap<String, Value>,
    card: Option<RateCard>,
    parked: Vec<Parked>,
    awaiting: Option<u64>,
    /// A send came due during a request's step: the next wake-up is now.
    deferred: bool,
    now: Millis,
    out: Step,
}

mod machine;
mod persist;
mod renewal;
pub mod request;
