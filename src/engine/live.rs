//! Live calls (SEMANTICS 11): a call in progress holds what it may still spend, quotas are
//! granted from what the pools have left after every active hold, and the end bills the
//! call once, exactly as `previewDrawdown` would. The protocol is telecom's online charging
//! (RFC 4006: granted units, used units, final-unit indication, validity time) and
//! TigerBeetle's pending transfers (a hold that times out stops counting).

use crate::engine::alerts::state_for;
use crate::engine::amount::{self, Seconds};
use crate::engine::authorize::{
    authorize_call, ApiError, Authorization, AuthorizeInput, CallRequest, MAX_CALL_SECONDS,
};
use crate::engine::calendar::Instant;
use crate::engine::drawdown::{Item, PreviewInput, Usage, UsageKind};
use crate::engine::error::{Code, Error, Result};
use crate::engine::inbound::{self, Ask, Cut};
use crate::engine::model::{
    Account, Call, CallDirection, OnPlanExhausted, PassThrough, RateCard, Transfer,
};
pub use crate::engine::model::{Hold, HoldKind};
use crate::engine::pools::{available, put_back, set_aside, spendable};
use crate::engine::reload::ReloadEvent;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The seconds a start or an extend asks for when the platform names none (SEMANTICS 11).
pub const DEFAULT_QUOTA_SECONDS: u64 = 300;
/// How long a hold outlives its granted seconds before it stops counting (SEMANTICS 11).
pub const DEFAULT_GRACE_SECONDS: u64 = 60;
const _: () = assert!(DEFAULT_GRACE_SECONDS as i64 == inbound::SHARE_GRACE_SECONDS);

impl Hold {
    pub fn active_at(&self, t: Instant) -> bool {
        t < self.valid_until
    }
    pub fn is_call(&self) -> bool {
        self.kind == HoldKind::Call
    }
    /// A call hold's direction (`Account::validate` insists every call hold has one).
    fn call_direction(&self) -> Result<CallDirection> {
        self.direction.ok_or_else(|| {
            Error::at(
                Code::MissingField,
                "holds.direction",
                format!("the hold of call `{}` has no direction", self.id),
            )
        })
    }
}

/// The hold of call `id` (a lease of the same id is not a call's).
pub fn call_hold<'a>(account: &'a Account, id: &str) -> Option<&'a Hold> {
    account.holds.iter().find(|h| h.id == id && h.is_call())
}

/// `startCall`'s call.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartCall {
    pub id: String,
    pub direction: CallDirection,
    #[serde(default)]
    pub toll_free: bool,
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The toll-free number an inbound call rings (SEMANTICS 18's per-number limits).
    #[serde(default)]
    pub number_id: Option<String>,
    pub at: Instant,
    #[serde(default)]
    pub quota_seconds: Option<Seconds>,
    #[serde(default)]
    pub requested_max_seconds: Option<Seconds>,
    #[serde(default)]
    pub grace_seconds: Option<Seconds>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartInput {
    pub rate_card: RateCard,
    pub account: Account,
    pub call: StartCall,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtendInput {
    pub rate_card: RateCard,
    pub account: Account,
    pub call_id: String,
    pub at: Instant,
    #[serde(default)]
    pub quota_seconds: Option<Seconds>,
}

/// What a start or an extend grants (fields in canonical order).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaGrant {
    /// The account with the hold in it (or unchanged when nothing was granted); left out by
    /// `start_call_books`/`extend_call_books`, whose callers keep the account as a struct.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    pub allowed: bool,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    /// The platform must end the call at `grantedSeconds` (RFC 4006 final-unit indication).
    pub final_quota: bool,
    pub granted_seconds: u64,
    pub hold: Option<Hold>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The inbound limit that cut or refused the grant (SEMANTICS 18), as its field under
    /// `inboundLimits`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// The auto-reload the hold triggered (SEMANTICS 11: it counts against the available
    /// wallet); its grant is in `account` (or pending there, when payments settle later).
    pub reloads: Vec<ReloadEvent>,
    pub valid_until: Option<Instant>,
}

fn call_id_error(code: Code, field: &str, message: String) -> Error {
    Error::at(code, field, message)
}

/// `startCall`: grant the first quota and hold its cost.
pub fn start_call(input: &StartInput) -> Result<QuotaGrant> {
    start_call_books(input, true).and_then(with_account)
}

/// `extendCall`: the next quota, pricing the whole call once against the pools plus the
/// call's own hold.
pub fn extend_call(input: &ExtendInput) -> Result<QuotaGrant> {
    extend_call_books(input, true).and_then(with_account)
}

fn with_account((mut grant, account): (QuotaGrant, Account)) -> Result<QuotaGrant> {
    grant.account = Some(to_value(&account)?);
    Ok(grant)
}

/// `startCall`'s grant and the account after it, as a struct (the server saves it).
/// `settle_at_once`: a reload the hold triggers lands now, else it waits pending.
pub fn start_call_books(input: &StartInput, settle_at_once: bool) -> Result<(QuotaGrant, Account)> {
    let c = &input.call;
    inbound::check_number(c.number_id.as_deref(), "call.numberId")?;
    if input.account.holds.iter().any(|h| h.id == c.id) {
        return Err(call_id_error(
            Code::DuplicateId,
            "call.id",
            format!("call `{}` already holds credits", c.id),
        ));
    }
    let cap = c
        .quota_seconds
        .map_or(DEFAULT_QUOTA_SECONDS, |q| q.0)
        .min(c.requested_max_seconds.map_or(MAX_CALL_SECONDS, |r| r.0))
        .min(MAX_CALL_SECONDS);
    let hold = Hold {
        agent_id: c.agent_id.clone(),
        credits: Decimal::ZERO,
        direction: Some(c.direction),
        granted_seconds: Seconds(0),
        id: c.id.clone(),
        included_seconds: Seconds(0),
        kind: HoldKind::Call,
        inbound: None,
        number_id: c.number_id.clone(),
        plan_credits: Decimal::ZERO,
        sequence: None,
        started_at: c.at,
        toll_free: c.toll_free,
        valid_until: c.at,
    };
    let grace = c.grace_seconds.map_or(DEFAULT_GRACE_SECONDS, |g| g.0);
    grant(
        &input.rate_card,
        &input.account,
        hold,
        (c.at, cap, grace),
        settle_at_once,
    )
}

/// `extendCall`'s grant and the account after it, as a struct.
pub fn extend_call_books(
    input: &ExtendInput,
    settle_at_once: bool,
) -> Result<(QuotaGrant, Account)> {
    let a = &input.account;
    let Some(h) = call_hold(a, &input.call_id) else {
        return Err(call_id_error(
            Code::UnknownCall,
            "callId",
            format!("the account holds nothing for call `{}`", input.call_id),
        ));
    };
    if !h.active_at(input.at) {
        return Err(call_id_error(
            Code::HoldExpired,
            "callId",
            format!(
                "the hold of call `{}` expired at {}; end the call",
                h.id, h.valid_until
            ),
        ));
    }
    let quota = input.quota_seconds.map_or(DEFAULT_QUOTA_SECONDS, |q| q.0);
    let cap = h
        .granted_seconds
        .0
        .saturating_add(quota)
        .min(MAX_CALL_SECONDS);
    let grace = seconds_between(h.started_at, h.valid_until).saturating_sub(h.granted_seconds.0);
    grant(
        &input.rate_card,
        a,
        h.clone(),
        (input.at, cap, grace),
        settle_at_once,
    )
}

fn seconds_between(a: Instant, b: Instant) -> u64 {
    u64::try_from((b.0 - a.0).num_seconds()).unwrap_or(0)
}

/// The largest duration up to `cap` whose whole-call cost fits the pools available at `at`
/// (with `hold` itself left out), and the hold of that cost, in the account.
fn grant(
    card: &RateCard,
    account: &Account,
    hold: Hold,
    (at, cap, grace): (Instant, u64, u64),
    settle_at_once: bool,
) -> Result<(QuotaGrant, Account)> {
    // SEMANTICS 18: the limits count the other live holds, so they read the account before
    // `available` sets the holds aside; the check below then leaves them out.
    let cut = inbound_cut(account, &hold, at, cap)?;
    if let Some(c) = cut.as_ref().filter(|c| c.seconds <= hold.granted_seconds.0) {
        return Ok((limited(c, hold), account.clone()));
    }
    let asked = cap;
    let cap = cut.as_ref().map_or(cap, |c| c.seconds);
    let mut view = available(account, at, Some(&hold.id));
    view.inbound_limits = None;
    // One copy of the card and the available pools serves the check and the hold's shares.
    let check = AuthorizeInput {
        rate_card: card.clone(),
        account: view,
        call: CallRequest {
            direction: hold.call_direction()?,
            toll_free: hold.toll_free,
            agent_id: hold.agent_id.clone(),
            number_id: None,
            at,
            requested_max_seconds: Some(Seconds(cap)),
        },
    };
    let auth = authorize_call(&check)?;
    let granted = auth.max_seconds.min(cap);
    let limit = cut.filter(|c| c.seconds == granted).map(|c| c.limit);
    let mut out = quota(auth, granted, granted < asked, limit);
    if granted == 0 {
        return Ok((out, account.clone()));
    }
    let (included, plan, wallet) = shares(check, &hold, granted)?;
    let valid_until = hold
        .started_at
        .plus_seconds(granted.saturating_add(grace))
        .ok_or_else(|| {
            Error::at(
                Code::InvalidInstant,
                "call.at",
                "the hold's end leaves the calendar",
            )
        })?;
    let held = Hold {
        granted_seconds: Seconds(granted),
        included_seconds: Seconds(included),
        plan_credits: plan,
        credits: wallet,
        valid_until,
        ..hold
    };
    let mut next = account.clone();
    next.holds.retain(|h| h.id != held.id);
    next.holds.push(held.clone());

    out.valid_until = Some(valid_until);
    out.hold = Some(held);
    if let Some((reload, st)) =
        crate::engine::drawdown::reload_after_hold(card, &next, at, settle_at_once)?
    {
        next = crate::engine::drawdown::snapshot(&next, st);
        out.reloads.push(reload);
    }
    Ok((out, next))
}

/// The grant the pre-call check allows (before its hold is known).
fn quota(
    auth: Authorization,
    granted: u64,
    final_quota: bool,
    limit: Option<String>,
) -> QuotaGrant {
    QuotaGrant {
        account: None,
        action: auth.action,
        allowed: auth.allowed,
        code: auth.code,
        error: auth.error,
        final_quota,
        granted_seconds: granted,
        hold: None,
        http_status: auth.http_status,
        limit,
        reloads: vec![],
        valid_until: None,
    }
}

/// Where the inbound limits cut the call of `hold` asking at `at` for `cap` whole-call
/// seconds, its own hold left out (an extend's).
fn inbound_cut(account: &Account, hold: &Hold, at: Instant, cap: u64) -> Result<Option<Cut>> {
    if !(hold.toll_free && hold.direction == Some(CallDirection::Inbound)) {
        return Ok(None);
    }
    let ask = Ask {
        number_id: hold.number_id.as_deref(),
        started_at: hold.started_at,
        at,
        except: Some(&hold.id),
        cap,
    };
    inbound::cut(account, &ask)
}

/// The answer when a limit leaves the call no more seconds: a start is rejected (seed 001:
/// an inbound call plays an error message), an extend keeps what it holds and must end there.
fn limited(cut: &Cut, hold: Hold) -> QuotaGrant {
    let code = "inbound_limit";
    let kept = (hold.granted_seconds.0 > 0).then_some(hold);
    QuotaGrant {
        account: None,
        action: Some("reject_inbound"),
        allowed: false,
        code,
        error: Some(ApiError {
            code,
            message: inbound::message(&cut.limit),
        }),
        final_quota: true,
        granted_seconds: kept.as_ref().map_or(0, |h| h.granted_seconds.0),
        valid_until: kept.as_ref().map(|h| h.valid_until),
        hold: kept,
        http_status: None,
        limit: Some(cut.limit.clone()),
        reloads: vec![],
    }
}

/// What a call of `seconds` takes from each pool the pre-call `check` saw (its available
/// account), in the order of SEMANTICS 5: included seconds, plan credits, wallet credits.
fn shares(check: AuthorizeInput, hold: &Hold, seconds: u64) -> Result<(u64, Decimal, Decimal)> {
    let at = check.call.at;
    let usage = Usage {
        id: hold.id.as_str().into(),
        at,
        kind: UsageKind::Call,
        agent_id: hold.agent_id.as_deref().map(Into::into),
        call: Some(Call {
            direction: hold.call_direction()?,
            toll_free: hold.toll_free,
            connected_seconds: Seconds(seconds),
            transfer: None,
            carrier_pass_through: vec![],
        }),
        messages: None,
        number_kind: None,
        count: None,
        through: None,
        prorate: false,
    };
    // `authorize_call` validated this card and view of the account a moment ago.
    let (p, _) = crate::engine::drawdown::run_validated(&PreviewInput {
        rate_card: check.rate_card,
        rate_card_versions: vec![],
        account: check.account,
        usage: vec![usage],
        as_of: None,
        detail: Default::default(),
    })?;
    let (mut included, mut plan, mut wallet) = (0u64, Decimal::ZERO, Decimal::ZERO);
    for line in p.items.iter().flat_map(|i| &i.lines) {
        for a in &line.allocations {
            match a.source.as_str() {
                "included_minutes" => included += a.seconds.unwrap_or(0),
                "plan_credits" => plan += a.credits.unwrap_or_default(),
                _ => wallet += a.credits.unwrap_or_default(),
            }
        }
        // What no pool covers cannot happen within a grant; held as wallet credits anyway.
        wallet += line.uncovered;
    }
    Ok((included, plan, wallet))
}

fn to_value(a: &Account) -> Result<Value> {
    serde_json::to_value(a).map_err(|e| Error::new(Code::Internal, None, e.to_string()))
}

/// `endCall`'s call: what happened, and for a call without a hold what it was.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndCall {
    pub connected_seconds: Seconds,
    #[serde(default)]
    pub transfer: Option<Transfer>,
    #[serde(default)]
    pub carrier_pass_through: Vec<PassThrough>,
    #[serde(default)]
    pub direction: Option<CallDirection>,
    #[serde(default)]
    pub toll_free: Option<bool>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub number_id: Option<String>,
    #[serde(default)]
    pub started_at: Option<Instant>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndInput {
    pub rate_card: RateCard,
    pub account: Account,
    pub call_id: String,
    pub at: Instant,
    pub call: EndCall,
}

/// The billed call (fields in canonical order).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ended {
    /// The account after the call (left out by `end_call_books`, which keeps the struct).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Value>,
    #[serde(with = "amount::dec")]
    pub balance_after: Decimal,
    pub item: Item,
    /// Seconds past the grant (all of them for a call that held nothing); charged too.
    pub overrun_seconds: u64,
}

/// `endCall`: the call becomes a usage item at its start, drawn down as `previewDrawdown`
/// draws it, and its hold is released, in one step. A call that ran is always billed: an
/// expired hold, or none at all, still ends in a charge.
pub fn end_call(input: &EndInput) -> Result<Ended> {
    let mut books = end_call_books(input, true)?;
    books.ended.account = Some(to_value(&books.account)?);
    Ok(books.ended)
}

/// The ended call as the usage item it is billed as (at its start): what the books keep
/// to re-draw it in time order (SEMANTICS 15).
pub fn ended_usage(input: &EndInput) -> Result<Usage> {
    usage_of(input).map(|(u, _, _)| u)
}

/// The ended call as a usage item at its start, and the seconds it was granted: from its
/// hold, or for a call that holds nothing (expired and ended, or never seen) from the end's
/// own description, which must then say what the call was; and the number it rang.
fn usage_of(input: &EndInput) -> Result<(Usage, u64, Option<String>)> {
    let c = &input.call;
    let missing = |f: &str| {
        let message = format!(
            "call `{}` holds nothing here, so its end must say `{f}`",
            input.call_id
        );
        Error::at(Code::MissingField, &format!("call.{f}"), message)
    };
    let hold = call_hold(&input.account, &input.call_id);
    let (direction, toll_free, agent_id, started_at, granted, number) = match hold {
        Some(h) => (
            h.call_direction()?,
            h.toll_free,
            h.agent_id.clone(),
            h.started_at,
            h.granted_seconds.0,
            h.number_id.clone(),
        ),
        None => (
            c.direction.ok_or_else(|| missing("direction"))?,
            c.toll_free.unwrap_or(false),
            c.agent_id.clone(),
            c.started_at.ok_or_else(|| missing("startedAt"))?,
            0,
            c.number_id.clone(),
        ),
    };
    let usage = Usage {
        id: input.call_id.as_str().into(),
        at: started_at,
        kind: UsageKind::Call,
        agent_id: agent_id.as_deref().map(Into::into),
        call: Some(Call {
            direction,
            toll_free,
            connected_seconds: c.connected_seconds,
            transfer: c.transfer.clone(),
            carrier_pass_through: c.carrier_pass_through.clone(),
        }),
        messages: None,
        number_kind: None,
        count: None,
        through: None,
        prorate: false,
    };
    Ok((usage, granted, number))
}

/// `endCall` with what a ledger books beside it: the account as a struct and the
/// auto-reloads the end triggered (`settle_at_once`: they land now, else one waits pending).
pub struct EndBooks {
    pub ended: Ended,
    pub account: Account,
    pub reloads: Vec<ReloadEvent>,
}

pub fn end_call_books(input: &EndInput, settle_at_once: bool) -> Result<EndBooks> {
    let c = &input.call;
    inbound::check_number(c.number_id.as_deref(), "call.numberId")?;
    let (usage, granted, number) = usage_of(input)?;
    let agent_id = usage.agent_id.clone();
    let started_at = usage.at;
    let inbound_toll_free =
        (usage.call.as_ref()).is_some_and(|c| c.toll_free && c.direction == CallDirection::Inbound);
    // Billed from the pools the other live calls' holds leave (as its own hold was taken),
    // so every other hold still fits the pools it came from (SEMANTICS 11's invariant); the
    // auto-reload trigger then sees the available wallet. Alerts follow the real balance.
    let mut others = input.account.clone();
    others
        .holds
        .retain(|h| !(h.id == input.call_id && h.is_call()));
    let (mut view, aside) = set_aside(&others, input.at, None);
    view.alerts = None;
    // An agent's limit and `stop` decide what a call is granted, not whether a call that ran
    // is billed: the end is drawn plan first, as its grant was, and is never refused.
    let policy = agent_id.as_ref().and_then(|a| view.agents.get_mut(&**a));
    let kept = policy.map(|p| {
        let kept = (p.monthly_limit.take(), p.on_plan_exhausted);
        p.on_plan_exhausted = OnPlanExhausted::UseBalance;
        kept
    });
    let applied = crate::engine::ledger::apply(
        &PreviewInput {
            rate_card: input.rate_card.clone(),
            rate_card_versions: vec![],
            account: view,
            usage: vec![usage],
            as_of: None,
            detail: Default::default(),
        },
        settle_at_once,
    )?;
    let reloads = applied.preview.reloads;
    let item = applied
        .preview
        .items
        .into_iter()
        .next()
        .ok_or_else(|| Error::new(Code::Internal, None, "the call's usage item is missing"))?;
    let mut next = applied.account;
    put_back(&mut next, &aside);
    if let (Some((limit, stop)), Some(p)) = (
        kept,
        agent_id.as_ref().and_then(|a| next.agents.get_mut(&**a)),
    ) {
        p.monthly_limit = limit;
        p.on_plan_exhausted = stop;
    }
    next.holds = others.holds;
    if inbound_toll_free {
        let seconds = c.connected_seconds.0;
        inbound::record(&mut next, number.as_deref(), started_at, seconds, input.at)?;
    }
    let balance_after = spendable(
        &next.grants,
        next.owed.unwrap_or_default(),
        Some(started_at),
    );
    next.alerts = others.alerts.map(|mut a| {
        a.state = Some(state_for(&a, balance_after));
        a
    });
    let ended = Ended {
        account: None,
        balance_after,
        item,
        overrun_seconds: c.connected_seconds.0.saturating_sub(granted),
    };
    Ok(EndBooks {
        ended,
        account: next,
        reloads,
    })
}
