//! SEMANTICS 15 "Late usage bills as if it had arrived in time order": the books keep an
//! account's snapshot at a checkpoint and every step since (usage drawn, credits landed,
//! reloads paid); a late event is one more step, and the account is folded again from the
//! checkpoint through every step in time order. Credits keep their instants; reloads that
//! were paid land again where the re-drawn books first call for a reload (never a second
//! payment for one), and only reloads beyond them are new. Pure, like the rest of the core:
//! the server keeps the steps and books what moved.
//!
//! ```
//! use drawdown::engine::redraw::{redraw, Step, Timed};
//! let card: drawdown::engine::model::RateCard = serde_json::from_str(
//!     r#"{"currency":"USD","creditsPerUnit":"100","chat":{"perMessage":"0.5"}}"#).unwrap();
//! let opening: drawdown::engine::model::Account = serde_json::from_str(
//!     r#"{"grants":[{"id":"promo","type":"promotional","remaining":"80",
//!                   "expiresAt":"2026-03-02T00:00:00Z"},
//!                  {"id":"w","type":"prepaid","remaining":"500"}]}"#).unwrap();
//! let chat = |id: &str, at: &str, n: u64| Timed {
//!     at: drawdown::engine::calendar::Instant::parse(at).unwrap(),
//!     step: Step::Usage(serde_json::from_value(serde_json::json!(
//!         { "id": id, "at": at, "kind": "chat", "messages": n })).unwrap()),
//! };
//! // A chat on March 3 arrived first; one of March 1, while the promotion ran, arrives late.
//! let steps = [chat("late", "2026-03-01T10:00:00Z", 1), chat("b", "2026-03-03T10:00:00Z", 1)];
//! let r = redraw(&card, &[], &opening, (&steps, &[]), true).unwrap();
//! assert_eq!(r.items[0][0].lines[0].allocations[0].source, "promo");
//! assert_eq!(r.items[1][0].lines[0].allocations[0].source, "w");
//! ```

use crate::engine::calendar::Instant;
use crate::engine::drawdown::{land_paid, rental_events, snapshot, Drive, Event};
use crate::engine::drawdown::{AlertEvent, Item, Usage, UsageKind};
use crate::engine::error::Result;
use crate::engine::model::{Account, Grant, RateCard};
use crate::engine::reload::ReloadEvent;

/// What happened to an account at an instant, as the books keep it.
#[derive(Debug, Clone)]
pub enum Step {
    /// A usage event (`POST /usage`, a call's end, a lease's report), drawn down.
    Usage(Usage),
    /// Credits that landed: a top-up, a manual credit, a reload settled later.
    Land(Grant),
    /// An auto-reload that was paid when the books set it off.
    Reload(ReloadEvent),
}

/// A step at its instant. Steps are folded in the order given: time order, ties in the
/// order the books recorded them.
#[derive(Debug, Clone)]
pub struct Timed {
    pub at: Instant,
    pub step: Step,
}

/// The account folded through the steps.
#[derive(Debug, Clone)]
pub struct Redrawn {
    pub account: Account,
    /// Each step's items, in the order of the steps (none for a step that is not usage).
    pub items: Vec<Vec<Item>>,
    /// Reloads the fold called for beyond those paid before: each needs a payment.
    pub reloads: Vec<ReloadEvent>,
    /// Paid reloads the fold never called for: they landed after the last step.
    pub unclaimed: Vec<ReloadEvent>,
    pub alerts: Vec<AlertEvent>,
    /// The account before each of the steps asked for (`cuts`), for the books' next
    /// checkpoints; a cut where a paid reload still waits to be called for is left out.
    pub checkpoints: Vec<(usize, Account)>,
}

/// A charge or a landing, in the fold's time order.
enum Moment<'a> {
    Charge(Event<'a>),
    Land(usize, &'a Grant),
}

impl Moment<'_> {
    fn step(&self) -> usize {
        match self {
            Moment::Charge(e) => e.idx,
            Moment::Land(i, _) => *i,
        }
    }
    fn at(&self, steps: &[Timed]) -> Instant {
        match self {
            Moment::Charge(e) => e.at,
            Moment::Land(i, _) => steps[*i].at,
        }
    }
}

/// Fold `checkpoint` through `steps` (in time order) with `card` and its `versions`; the
/// account before each step in `cuts` (ascending) is kept too.
pub fn redraw(
    card: &RateCard,
    versions: &[RateCard],
    checkpoint: &Account,
    (steps, cuts): (&[Timed], &[usize]),
    settle_at_once: bool,
) -> Result<Redrawn> {
    let moments = moments(checkpoint, steps)?;
    let opening_t = moments.first().map(|m| m.at(steps));
    let mut d = Drive::open(card, checkpoint, settle_at_once, opening_t)?;
    d.versions = versions;
    for s in steps {
        if let Step::Reload(r) = &s.step {
            d.st.paid.push_back(r.clone());
        }
    }
    let mut paid_from = vec![0usize; steps.len() + 1];
    for (i, s) in steps.iter().enumerate().rev() {
        paid_from[i] = paid_from[i + 1] + usize::from(matches!(s.step, Step::Reload(_)));
    }
    let mut items: Vec<Vec<Item>> = vec![vec![]; steps.len()];
    let mut flat = vec![];
    let mut last_t = opening_t;
    let mut checkpoints = vec![];
    let mut next_cut = cuts.iter().peekable();
    for m in &moments {
        last_t = Some(m.at(steps));
        while let Some(&&c) = next_cut.peek().filter(|c| ***c <= m.step()) {
            next_cut.next();
            // Replayed from `c`, the steps from `c` on bring their paid reloads again: only a
            // cut where exactly those wait (none before it unclaimed, none of them claimed
            // early) holds the books.
            if d.st.paid.len() == paid_from[c] {
                checkpoints.push((c, d.snapshot_now()));
            }
        }
        match m {
            Moment::Charge(ev) => flat.push(d.step(ev)?),
            Moment::Land(_, g) => {
                d.st.land((*g).clone());
            }
        }
    }
    let unclaimed: Vec<ReloadEvent> = std::mem::take(&mut d.st.paid)
        .into_iter()
        .map(|p| {
            let t = last_t.unwrap_or(p.at);
            land_paid(&mut d.st, p, t)
        })
        .collect();
    let (preview, st) = d.close(vec![], last_t);
    for item in flat {
        items[item.source].push(item);
    }
    let reloads = preview.reloads.into_iter().filter(|r| !r.paid).collect();
    Ok(Redrawn {
        account: snapshot(checkpoint, st),
        items,
        reloads,
        unclaimed,
        alerts: preview.alerts,
        checkpoints,
    })
}

/// The steps' charges (a rental expanded to its periods) and landings, in time order; ties
/// keep the steps' order.
fn moments<'a>(checkpoint: &Account, steps: &'a [Timed]) -> Result<Vec<Moment<'a>>> {
    let mut out = Vec::with_capacity(steps.len());
    let mut events = vec![];
    for (i, s) in steps.iter().enumerate() {
        match &s.step {
            Step::Usage(u) if u.kind == UsageKind::Number => {
                rental_events(u, i, checkpoint, &mut events)?;
                out.extend(events.drain(..).map(Moment::Charge));
            }
            Step::Usage(u) => out.push(Moment::Charge(Event {
                usage: u,
                idx: i,
                at: u.at,
                period: None,
                days: None,
            })),
            Step::Land(g) => out.push(Moment::Land(i, g)),
            Step::Reload(_) => {}
        }
    }
    out.sort_by_key(|m| m.at(steps));
    Ok(out)
}
