//! The machine's steps: grants on the copy, renewals and releases, and their replies.

use super::*;

/// A grant the lease may have cut short: refused, or final (the pools set it).
fn needs_more(g: &QuotaGrant) -> bool {
    !g.allowed || g.final_quota
}

pub(super) fn instant(ms: Millis) -> Instant {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    Instant(t)
}

pub(super) fn millis(t: Instant) -> Millis {
    t.0.timestamp_millis()
}

/// What a grant's answer says on the wire: the grant without the account.
fn grant_body(g: &QuotaGrant) -> Value {
    serde_json::to_value(g).unwrap_or(Value::Null)
}

/// An outcome of running a request: its answer, or a wait for the next renewal.
pub(super) enum Run {
    Done(u16, Value, bool),
    Wait,
}

fn done(status: u16, body: Value) -> Run {
    Run::Done(status, body, false)
}

/// `409 call_ended`, as the server answers a start or extend of an ended call.
fn ended_call(id: &str) -> Run {
    let message = format!("call `{id}` has ended");
    done(
        409,
        json!({ "error": { "code": "call_ended", "message": message, "field": "id" } }),
    )
}

fn failed(status: u16, e: &Error) -> Run {
    done(status, json!({ "error": e }))
}

impl EdgeMachine {
    /// A machine from what was persisted (`None`: a new object), and the end answers kept.
    pub fn new(
        settings: EdgeSettings,
        state: Option<EdgeState>,
        ended: BTreeMap<String, Value>,
    ) -> Result<EdgeMachine> {
        let s = state.unwrap_or_default();
        let card = match &s.card {
            Some(v) => {
                Some(crate::engine::pathde::parse::<RateCard>(v).map_err(|e| e.within("card"))?)
            }
            None => None,
        };
        Ok(EdgeMachine {
            settings,
            s,
            ended,
            card,
            parked: Vec::new(),
            awaiting: None,
            deferred: false,
            now: 0,
            out: Step::default(),
        })
    }

    pub fn state(&self) -> &EdgeState {
        &self.s
    }

    pub fn settings(&self) -> &EdgeSettings {
        &self.settings
    }

    /// The state as the shell persists it (through a `Value`: the one text writer the
    /// .wasm links is `Value`'s, not one per persisted type).
    pub fn state_json(&self) -> String {
        serde_json::to_value(&self.s)
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    /// Requests waiting for a renewal (a crash loses them with their connections).
    pub fn waiting(&self) -> usize {
        self.parked.len()
    }

    /// One event at the runtime's clock `now`.
    pub fn step(&mut self, now: Millis, event: Event) -> Step {
        self.now = now.max(self.now);
        let on_request = matches!(event, Event::Request { .. });
        match event {
            Event::Request { rid, request } => self.on_request(rid, &request),
            Event::Reply { seq, status, body } => self.on_reply(seq, status, &body),
            Event::Tick => self.on_tick(),
        }
        // Renewals, reports and retries run on wake-ups (the Durable Object's alarm), not
        // on incoming calls: a request only sends the renewal a request waits on.
        self.send_due(on_request);
        self.out.wake_at = if self.deferred {
            Some(self.now)
        } else {
            self.next_wake()
        };
        self.deferred = false;
        std::mem::take(&mut self.out)
    }

    fn on_request(&mut self, rid: u64, req: &PlatformRequest) {
        // Kept with the next write (a refused request or a state read writes nothing).
        self.s.last_activity = self.now;
        match request::read(req, self.settings.live_skew_seconds.0, instant(self.now)) {
            Ok(op) => self.run(rid, op, 0),
            Err((status, e)) => self.answer(rid, failed(status, &e)),
        }
    }

    fn answer(&mut self, rid: u64, run: Run) {
        if let Run::Done(status, body, replayed) = run {
            self.out.answers.push(Answer {
                rid,
                status,
                body,
                replayed,
            });
        }
    }

    /// Run `op`; one the lease cuts short waits for a renewal while one may help.
    pub(super) fn run(&mut self, rid: u64, op: Op, waits: u8) {
        let run = match &op {
            Op::Authorize(c) => self.authorize(c, waits),
            Op::Start(b) => self.start(b, waits),
            Op::Extend(id, b) => self.extend(id, b, waits),
            Op::End(id, b) => self.end(id, b, waits),
            Op::State => done(200, self.describe()),
            Op::Release => {
                self.parked.push(Parked { rid, op, waits });
                return;
            }
        };
        match run {
            Run::Wait => self.parked.push(Parked { rid, op, waits }),
            run => self.answer(rid, run),
        }
    }

    /// Whether a request may wait for (another) renewal.
    fn may_wait(&self, waits: u8) -> bool {
        waits < MAX_WAITS && self.now >= self.s.short_until && self.s.failures == 0
    }

    /// Whether a later renewal may still lengthen the lease (the server answers and has not
    /// just said it has no more): if not, a grant the lease's time cut short is final.
    fn may_renew(&self) -> bool {
        self.s.failures == 0
    }

    /// Seconds of the lease left for grants at `now`, on the server's clock at worst (the
    /// clocks may differ by the live skew).
    fn lease_left(&self) -> i64 {
        (self.grants_until() - self.now) / 1000
    }

    /// When grants must end: the lease's end, less the live skew the clocks may differ by
    /// (no lease: the epoch).
    fn grants_until(&self) -> Millis {
        let skew = self.settings.live_skew_seconds.0 as i64 * 1000;
        self.s
            .lease
            .as_ref()
            .map_or(0, |l| millis(l.valid_until) - skew)
    }

    fn authorize(&mut self, c: &CallRequest, waits: u8) -> Run {
        let (Some(card), Some(_)) = (&self.card, &self.s.copy) else {
            return self.unavailable(waits);
        };
        let call = CallRequest {
            at: instant(self.now),
            ..c.clone()
        };
        let input = AuthorizeInput {
            rate_card: card.clone(),
            account: self.view(),
            call,
        };
        match authorize_call(&input) {
            Err(e) => failed(422, &e),
            Ok(a) if !a.allowed && self.may_wait(waits) => Run::Wait,
            Ok(a) => {
                let body = serde_json::to_value(&a).unwrap_or(Value::Null);
                done(a.http_status.unwrap_or(200), body)
            }
        }
    }

    /// No copy to grant on (no lease yet, or given back): wait for one, or 503.
    fn unavailable(&self, waits: u8) -> Run {
        if self.may_wait(waits) {
            return Run::Wait;
        }
        let message = "the edge has no lease time left and cannot renew it";
        done(
            503,
            json!({ "error": { "code": "edge_unavailable", "message": message } }),
        )
    }

    fn start(&mut self, b: &StartBody, waits: u8) -> Run {
        if let Some(first) = self.s.starts.get(&b.id) {
            return Run::Done(200, first.clone(), true);
        }
        if self.ended.contains_key(&b.id) {
            return ended_call(&b.id);
        }
        if waits == 0 {
            self.s.stats[stat::STARTS] += 1;
        }
        let left = self.lease_left();
        let (Some(card), true) = (&self.card, left > 0 && self.s.copy.is_some()) else {
            return self.unavailable(waits);
        };
        let asked = b.requested_max_seconds.map_or(u64::MAX, |s| s.0);
        let call = StartCall {
            id: b.id.clone(),
            direction: b.direction,
            toll_free: b.toll_free,
            agent_id: b.agent_id.clone(),
            number_id: b.number_id.clone(),
            at: instant(self.now),
            quota_seconds: b.quota_seconds,
            requested_max_seconds: Some(Seconds(asked.min(left as u64))),
            grace_seconds: None,
        };
        let input = StartInput {
            rate_card: card.clone(),
            account: self.view(),
            call,
        };
        let mut grant = match live::start_call_books(&input, true) {
            Err(e) => return failed(422, &e),
            Ok((g, _)) => g,
        };
        // The lease's time, not the quota or the request, set the grant.
        let cut = grant.allowed && (left as u64) < asked && grant.granted_seconds >= left as u64;
        if (needs_more(&grant) || cut) && self.may_wait(waits) {
            return Run::Wait;
        }
        grant.final_quota |= cut && !self.may_renew();
        let body = grant_body(&grant);
        if let Some(limit) = grant.limit.as_ref().filter(|_| !grant.allowed) {
            self.refused_inbound(b, limit);
        }
        let Some(hold) = grant.hold.filter(|_| grant.allowed) else {
            // Nothing is held: a retry with the same id is a new question.
            return done(grant.http_status.unwrap_or(200), body);
        };
        if waits == 0 {
            self.s.stats[stat::LOCAL] += 1;
        }
        self.s.holds.push(hold);
        self.s.starts.insert(b.id.clone(), body.clone());
        self.out.persist = true;
        done(200, body)
    }

    fn extend(&mut self, id: &str, b: &ExtendBody, waits: u8) -> Run {
        if self.ended.contains_key(id) {
            return ended_call(id);
        }
        let Some(hold) = self.s.holds.iter().find(|h| h.id == id).cloned() else {
            let e = Error::at(
                Code::UnknownCall,
                "id",
                format!("the edge holds nothing for call `{id}`"),
            );
            return failed(404, &e);
        };
        let (Some(card), true) = (&self.card, self.s.copy.is_some() && self.lease_left() > 0)
        else {
            return self.unavailable(waits);
        };
        // The call's grant ends before the lease does.
        let room = ((self.grants_until() - millis(hold.started_at)) / 1000
            - hold.granted_seconds.0 as i64)
            .max(0);
        let quota = b
            .quota_seconds
            .map_or(live::DEFAULT_QUOTA_SECONDS, |q| q.0)
            .min(room as u64);
        let input = ExtendInput {
            rate_card: card.clone(),
            account: self.view(),
            call_id: id.to_string(),
            at: instant(self.now),
            quota_seconds: Some(Seconds(quota)),
        };
        let mut grant = match live::extend_call_books(&input, true) {
            Err(e) if e.code == Code::UnknownCall => return failed(404, &e),
            Err(e) => return failed(422, &e),
            Ok((g, _)) => g,
        };
        // The lease's time, not the quota, set the grant: wait for a renewal, or say final.
        let asked = b.quota_seconds.map_or(live::DEFAULT_QUOTA_SECONDS, |q| q.0);
        let cut = grant.allowed
            && quota < asked
            && grant.granted_seconds >= hold.granted_seconds.0 + quota;
        if (needs_more(&grant) || cut) && self.may_wait(waits) {
            return Run::Wait;
        }
        grant.final_quota |= cut && !self.may_renew();
        // A refused extend holds nothing new: the call keeps the hold it has.
        if let Some(h) = grant.hold.clone().filter(|_| grant.allowed) {
            for x in self.s.holds.iter_mut().filter(|x| x.id == id) {
                *x = h.clone();
            }
            self.out.persist = true;
        }
        done(grant.http_status.unwrap_or(200), grant_body(&grant))
    }

    /// An end is billed on the copy at once and reported with the next renewal.
    fn end(&mut self, id: &str, b: &EndBody, waits: u8) -> Run {
        if let Some(first) = self.ended.get(id) {
            return Run::Done(200, first["answer"].clone(), true);
        }
        let (Some(card), Some(copy)) = (&self.card, &self.s.copy) else {
            return self.unavailable(waits);
        };
        let hold = self.s.holds.iter().find(|h| h.id == id).cloned();
        // Billed within what a renewal in flight asked for, like a grant: the server draws
        // the report from the lease it answers with.
        let account = self.view();
        let input = EndInput {
            rate_card: card.clone(),
            account,
            call_id: id.to_string(),
            at: instant(self.now),
            call: EndCall {
                connected_seconds: b.connected_seconds,
                transfer: b.transfer.clone(),
                carrier_pass_through: b.carrier_pass_through.clone(),
                direction: b.direction,
                toll_free: b.toll_free,
                agent_id: b.agent_id.clone(),
                number_id: b.number_id.clone(),
                started_at: b.started_at,
            },
        };
        let books = match live::end_call_books(&input, true) {
            Err(e) => return failed(422, &e),
            Ok(books) => books,
        };
        let report = reported(id, b, hold.as_ref(), &books.ended.item);
        let body = json!({
            "item": books.ended.item, "overrunSeconds": books.ended.overrun_seconds, "reported": false,
        });
        let mut after = books.account;
        after.holds.clear();
        uncap(&mut after, copy, &input.account);
        self.s.copy = Some(after);
        self.s.holds.retain(|h| h.id != id);
        self.s.starts.remove(id);
        if self.s.pending.is_empty() && self.s.refused.is_empty() {
            self.s.pending_since = self.now;
        }
        self.s.pending.push(report);
        self.remember(id, &body);
        done(200, body)
    }

    /// A start the inbound limits rejected, kept to report to the server (SEMANTICS 18); past
    /// `MAX_REFUSALS_KEPT` unreported, the oldest are dropped.
    fn refused_inbound(&mut self, b: &StartBody, limit: &str) {
        let mut r = json!({ "callId": b.id, "at": instant(self.now), "limit": limit });
        if let Some(n) = &b.number_id {
            r["numberId"] = json!(n);
        }
        if self.s.refused.len() >= MAX_REFUSALS_KEPT {
            self.s.refused.remove(0);
        }
        if self.s.pending.is_empty() && self.s.refused.is_empty() {
            self.s.pending_since = self.now;
        }
        self.s.refused.push(r);
        self.out.persist = true;
    }

    /// A retried end replays its first answer; the oldest are forgotten past ENDS_KEPT.
    fn remember(&mut self, id: &str, body: &Value) {
        let record = json!({ "n": self.s.ended_next, "answer": body });
        self.s.ended_next += 1;
        self.ended.insert(id.to_string(), record.clone());
        self.out.ended_writes.push((id.to_string(), record));
        if self.ended.len() > ENDS_KEPT {
            // The oldest by number: a scan, once per end past ENDS_KEPT.
            let oldest = self
                .ended
                .iter()
                .min_by_key(|(_, r)| r["n"].as_u64())
                .map(|(id, _)| id.clone());
            if let Some(old) = oldest {
                self.ended.remove(&old);
                self.out.ended_forgets.push(old);
            }
        }
        self.out.persist = true;
    }

    /// The copy as the engine sees it: pools no larger than the outstanding ask allows,
    /// and every live hold.
    fn view(&self) -> Account {
        let mut a = self.s.copy.clone().unwrap_or_default();
        if let Some(ask) = self.s.asks.last() {
            // The lease's life now, and how far the one asked for may reach (its `at` is the
            // edge's clock, the server's within the skew).
            let reach = ask.sent_at
                + (self.settings.ttl_seconds.0 + self.settings.live_skew_seconds.0) as i64 * 1000;
            let lives = self
                .s
                .lease
                .as_ref()
                .map(|l| (l.valid_until, instant(reach)));
            cap(&mut a, ask, &self.s.pending, (instant(self.now), lives));
        }
        a.holds = self.s.holds.clone();
        a
    }
}

/// The copy's pools no larger than a renewal in flight asked for (SEMANTICS 12): the
/// server may answer with that smaller lease, and a grant made meanwhile from the old,
/// larger one would be money the lease no longer covers. Ends the ask does not report are
/// drawn from the new lease later, so they count against it.
fn cap(
    a: &mut Account,
    ask: &Ask,
    pending: &[EndedCall],
    (now, lives): (Instant, Option<(Instant, Instant)>),
) {
    let mut later = LeaseUsage::default();
    for r in pending.iter().filter(|r| !ask.ended.contains(&r.id)) {
        later.credits += r.lease_usage.credits;
        later.plan_credits += r.lease_usage.plan_credits;
        later.included_seconds =
            Seconds(later.included_seconds.0 + r.lease_usage.included_seconds.0);
    }
    let room = |asked: Decimal, used: Decimal| (asked - used).max(Decimal::ZERO);
    for g in &mut a.grants {
        let r = match g.id.as_str() {
            LEASE_WALLET => room(ask.sizes.credits, later.credits),
            LEASE_PLAN => room(ask.sizes.plan_credits, later.plan_credits),
            _ => continue,
        };
        g.remaining = g.remaining.min(r);
    }
    if let Some(s) = &mut a.included_seconds_remaining {
        let r = ask
            .sizes
            .included_seconds
            .0
            .saturating_sub(later.included_seconds.0);
        *s = Seconds(s.0.min(r));
    }
    // SEMANTICS 18: the new share is sized at the server, at least what the ask says the
    // calls hold; where the new lease may live into an hour the old one did not, the calls
    // grow no further until it is known (`inbound::freeze_share`).
    let held = (ask.sizes.inbound_calls, ask.sizes.inbound_seconds);
    crate::engine::inbound::freeze_share(a, now, held, lives);
}

/// Give back to `after` (an end billed on the capped `view`) what `cap` hid of the copy
/// `before`: the lease is still its old size until the server answers.
fn uncap(after: &mut Account, before: &Account, capped: &Account) {
    let remaining = |a: &Account, id: &str| {
        a.grants
            .iter()
            .find(|g| g.id == id)
            .map_or(Decimal::ZERO, |g| g.remaining)
    };
    for g in &mut after.grants {
        if g.id == LEASE_WALLET || g.id == LEASE_PLAN {
            g.remaining += remaining(before, &g.id) - remaining(capped, &g.id);
        }
    }
    let (b, c) = (before.included_seconds(), capped.included_seconds());
    if let Some(s) = &mut after.included_seconds_remaining {
        *s = Seconds(s.0.saturating_add(b.saturating_sub(c)));
    }
}

/// The report of an ended call: what the server needs to bill it, and what the edge's bill
/// took from the lease.
fn reported(
    id: &str,
    b: &EndBody,
    hold: Option<&Hold>,
    item: &crate::engine::drawdown::Item,
) -> EndedCall {
    EndedCall {
        id: id.to_string(),
        connected_seconds: b.connected_seconds,
        transfer: b.transfer.clone(),
        carrier_pass_through: b.carrier_pass_through.clone(),
        direction: hold
            .and_then(|h| h.direction)
            .or(b.direction)
            .unwrap_or(CallDirection::Outbound),
        toll_free: hold.map_or(b.toll_free.unwrap_or(false), |h| h.toll_free),
        agent_id: hold.map_or(b.agent_id.clone(), |h| h.agent_id.clone()),
        number_id: hold.map_or(b.number_id.clone(), |h| h.number_id.clone()),
        started_at: hold.map_or(b.started_at.unwrap_or(item.at), |h| h.started_at),
        lease_usage: LeaseUsage::of(item),
    }
}
