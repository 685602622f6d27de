//! Renewals and releases: what to ask the server for, when, and what its replies change.
//! One request is outstanding at a time and is retried under its own number until the
//! server answers it; the server refuses a number lower than the one that set the lease
//! (`stale_request`) and applies the same number again to the same sizes, so a delay, a
//! duplicate or a restart never undoes a later request.

use super::machine::{instant as at_ms, millis as ms_of, Run};
use super::*;

impl EdgeMachine {
    pub(super) fn on_tick(&mut self) {
        self.forget_lapsed();
        if let Some(seq) = self.awaiting {
            let sent = self.s.asks.last().map_or(0, |a| a.sent_at);
            if self.now - sent >= self.reply_timeout() {
                self.awaiting = None;
                self.failure(seq);
            }
        }
        let idle = self.now - self.s.last_activity >= self.settings.idle_seconds.0 as i64 * 1000;
        let holding = self.live_holds().next().is_some() || !self.s.pending.is_empty();
        if idle && !holding && self.s.lease.is_some() && self.s.asks.is_empty() {
            let release = self.parked.iter().any(|p| matches!(p.op, Op::Release));
            if !release {
                self.parked.push(Parked {
                    rid: u64::MAX,
                    op: Op::Release,
                    waits: 0,
                });
            }
        }
    }

    /// Send what is due, if nothing is outstanding: the outstanding ask again (after a
    /// failure or a restart), a renewal requests wait on, a release, or a renewal. On a
    /// request's step (`on_request`) only what a request waits on goes; the rest is left to
    /// a wake-up at once (`deferred`).
    pub(super) fn send_due(&mut self, on_request: bool) {
        if self.awaiting.is_some() {
            return;
        }
        let retry = self.now >= self.s.retry_at;
        let growing = self.parked.iter().any(|p| !matches!(p.op, Op::Release));
        if let Some(ask) = self.s.asks.last().cloned() {
            if retry && (growing || !on_request) {
                self.send(ask);
            } else if retry {
                self.deferred = true;
            }
            return;
        }
        let releasing = self.parked.iter().any(|p| matches!(p.op, Op::Release));
        if growing && self.now >= self.s.short_until && retry {
            let ask = self.ask(true, false);
            self.send(ask);
        } else if on_request {
            self.deferred = retry && (releasing || self.renewal_due());
        } else if releasing && retry {
            let fits = self.batch().len() == self.s.pending.len();
            let ask = self.ask(false, fits);
            self.send(ask);
        } else if retry && self.renewal_due() {
            let ask = self.ask(false, false);
            self.send(ask);
        }
    }

    fn reply_timeout(&self) -> Millis {
        (self.settings.ttl_seconds.0 as i64 * 125).clamp(1_000, REPLY_TIMEOUT_MS)
    }

    /// A renewal is due: the lease is half gone, ended calls have waited their delay, or
    /// the free credits are below half the target.
    fn renewal_due(&self) -> bool {
        let half = self.settings.ttl_seconds.0 as i64 * 500;
        let lease_due = self
            .s
            .lease
            .as_ref()
            .is_some_and(|l| self.now >= ms_of(l.valid_until) - half);
        let flush_due = self.to_report() && self.now >= self.flush_at();
        // Low on credits: ask for more, unless the server has just said it has no more (then
        // the lease's own renewal or a waiting grant asks again).
        let low = self
            .free()
            .is_some_and(|f| f * Decimal::TWO < self.settings.credits);
        lease_due || flush_due || (low && self.s.short_until == 0)
    }

    /// Ended calls go FLUSH_DELAY_MS after the oldest of them (not after the last request:
    /// steady traffic would put them off until the lease's renewal).
    fn flush_at(&self) -> Millis {
        self.s.retry_at.max(self.s.pending_since + FLUSH_DELAY_MS)
    }

    /// Wallet credits of the lease neither spent here nor held by a live call.
    pub(super) fn free(&self) -> Option<Decimal> {
        let copy = self.s.copy.as_ref()?;
        let grant = copy.grants.iter().find(|g| g.id == LEASE_WALLET)?;
        let held: Decimal = self.live_holds().map(|h| h.credits).sum();
        Some(grant.remaining - copy.owed.unwrap_or_default() - held)
    }

    /// Holds of calls that never ended, lapsed for LAPSED_KEPT_MS, leave the machine (their
    /// start answers with them): calls that never end cost nothing on later requests. An
    /// end that still comes must then say what the call was, as at the server.
    fn forget_lapsed(&mut self) {
        let before = at_ms(self.now - LAPSED_KEPT_MS);
        let gone: Vec<String> = self
            .s
            .holds
            .iter()
            .filter(|h| !h.active_at(before))
            .map(|h| h.id.clone())
            .collect();
        if gone.is_empty() {
            return;
        }
        self.s.holds.retain(|h| h.active_at(before));
        for id in gone {
            self.s.starts.remove(&id);
        }
        self.out.persist = true;
    }

    pub(super) fn live_holds(&self) -> impl Iterator<Item = &Hold> {
        let now = at_ms(self.now);
        self.s.holds.iter().filter(move |h| h.active_at(now))
    }

    /// What the live calls hold, pool by pool: the server keeps the lease at least this large.
    /// Of the inbound share, also the seconds of ends the request does not report (the server
    /// books those it reports before it sizes the share, and counts them there).
    fn held(&self) -> LeaseUsage {
        let mut held = held_by(&self.s.holds, at_ms(self.now));
        let unbooked = (self.unreported().iter())
            .filter(|r| r.toll_free && r.direction == CallDirection::Inbound)
            .map(|r| r.connected_seconds.0);
        held.inbound_seconds.0 = held.inbound_seconds.0.saturating_add(unbooked.sum());
        held
    }

    /// Of the inbound seconds held, each number's (`""`: calls naming none), which the
    /// server's new share of the inbound limits keeps at least (SEMANTICS 18).
    fn held_numbers(&self) -> std::collections::BTreeMap<String, u64> {
        let mut out = std::collections::BTreeMap::new();
        let inbound = |tf: bool, d: Option<CallDirection>| tf && d == Some(CallDirection::Inbound);
        let live = (self.live_holds())
            .filter(|h| inbound(h.toll_free, h.direction))
            .map(|h| (h.number_id.as_deref(), h.granted_seconds.0));
        let ended = (self.unreported().iter())
            .filter(|r| inbound(r.toll_free, Some(r.direction)))
            .map(|r| (r.number_id.as_deref(), r.connected_seconds.0));
        for (n, s) in live.chain(ended) {
            let e = out.entry(n.unwrap_or("").to_string()).or_insert(0u64);
            *e = e.saturating_add(s);
        }
        out
    }

    /// The next request: a release (`release`, when every pending end fits it), or a renewal
    /// asking in each pool for the target beyond what live calls hold; when requests wait
    /// (`grow`), at least twice the lease, so a burst is covered in a few rounds.
    fn ask(&mut self, grow: bool, release: bool) -> Ask {
        self.s.sequence += 1;
        let held = self.held();
        let lease = self.s.lease.as_ref().filter(|_| grow);
        let twice = |d: Decimal| d * Decimal::TWO;
        let sizes = if release {
            held
        } else {
            LeaseUsage {
                credits: (self.settings.credits + held.credits)
                    .max(lease.map_or(Decimal::ZERO, |l| twice(l.credits))),
                plan_credits: (self.settings.plan_credits + held.plan_credits)
                    .max(lease.map_or(Decimal::ZERO, |l| twice(l.plan_credits))),
                included_seconds: Seconds(
                    (self.settings.included_seconds.0 + held.included_seconds.0)
                        .max(lease.map_or(0, |l| 2 * l.included_seconds.0)),
                ),
                // The inbound share is the server's to size; these say what it must keep.
                ..held
            }
        };
        let ended = self.batch().iter().map(|r| r.id.clone()).collect();
        self.out.persist = true;
        let ask = Ask {
            seq: self.s.sequence,
            sent_at: self.now,
            sizes,
            ended,
            release,
            refused: 0,
        };
        self.s.asks = vec![ask.clone()];
        ask
    }

    /// The longest prefix of the pending ends one report carries: at most
    /// MAX_ENDS_PER_REPORT and MAX_REPORT_BYTES of JSON, and at least one (the body limit
    /// on requests keeps any one end under the server's).
    /// The pending ends a request formed now does not carry.
    fn unreported(&self) -> &[EndedCall] {
        &self.s.pending[self.batch().len()..]
    }

    fn batch(&self) -> &[EndedCall] {
        let mut bytes = 0;
        let mut n = 0;
        for r in self.s.pending.iter().take(MAX_ENDS_PER_REPORT) {
            bytes += serde_json::to_value(r).map_or(MAX_REPORT_BYTES, |t| t.to_string().len() + 1);
            if n > 0 && bytes > MAX_REPORT_BYTES {
                break;
            }
            n += 1;
        }
        &self.s.pending[..n]
    }

    /// Send `ask` (again): its sizes and ends, what live calls hold now, at the edge's clock.
    fn send(&mut self, mut ask: Ask) {
        ask.sent_at = self.now;
        ask.refused = self.s.refused.len();
        self.s.asks = vec![ask.clone()];
        // Each attempt carries the ends pending now (the server books an end once, whichever
        // attempt brings it); the cap keeps counting only the first attempt's, in case that
        // is the one the server applied.
        let ended: Vec<&EndedCall> = self.batch().iter().collect();
        let id = request::escape(&self.settings.lease_id);
        let at = at_ms(self.now);
        let (method, path, body) = if ask.release {
            (
                "POST",
                format!("/leases/{id}/release"),
                json!({ "held": ask.sizes, "sequence": ask.seq, "ended": ended,
                    "refused": self.s.refused }),
            )
        } else {
            let body = json!({
                "at": at, "credits": ask.sizes.credits.to_string(),
                "planCredits": ask.sizes.plan_credits.to_string(),
                "includedSeconds": ask.sizes.included_seconds, "held": self.held(),
                "heldNumbers": self.held_numbers(),
                "ttlSeconds": self.settings.ttl_seconds, "sequence": ask.seq, "ended": ended,
                "refused": self.s.refused,
            });
            ("PUT", format!("/leases/{id}"), body)
        };
        self.s.stats[stat::WAITED] += u64::from(!self.parked.is_empty());
        self.awaiting = Some(ask.seq);
        self.out.persist = true;
        self.out.sends.push(Send {
            seq: ask.seq,
            method,
            path,
            body,
        });
    }

    pub(super) fn on_reply(&mut self, seq: u64, status: u16, body: &str) {
        if self.awaiting != Some(seq) {
            return; // a reply to a send already given up on: the retry under `seq` decides
        }
        self.awaiting = None;
        let Some(ask) = self.s.asks.last().cloned().filter(|a| a.seq == seq) else {
            return;
        };
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        if matches!(status, 200 | 201) {
            // The server recorded the refusals the request carried.
            let n = ask.refused.min(self.s.refused.len());
            self.s.refused.drain(..n);
        }
        match status {
            200 | 201 if ask.release => self.released(&v),
            200 | 201 => self.renewed(&ask, &v),
            400 | 422 => self.refused(&ask, &v),
            _ => self.failure(seq),
        }
    }

    /// The renewal's answer: the new lease and the server's copy, with the ends it did not
    /// report billed on it again.
    fn renewed(&mut self, ask: &Ask, v: &Value) {
        let parsed = (|| -> Result<(Hold, Account, RateCard)> {
            let lease = crate::engine::pathde::parse::<Hold>(&v["lease"])?;
            let account = crate::engine::pathde::parse::<Account>(&v["account"])?;
            let card = crate::engine::pathde::parse::<RateCard>(&v["rateCard"])?;
            Ok((lease, account, card))
        })();
        let Ok((lease, base, card)) = parsed else {
            return self.failure(ask.seq);
        };
        let version = v["version"].as_u64();
        if self.s.version.is_some() && version != self.s.version {
            self.s.stats[stat::VERSION_MOVES] += 1;
        }
        self.s.short_until = if lease.credits < ask.sizes.credits {
            self.now + SHORT_PAUSE_MS
        } else {
            0
        };
        self.booked(v);
        self.s.copy = Some(rebuild(
            &card,
            &base,
            &self.s.holds,
            &mut self.s.pending,
            at_ms(self.now),
        ));
        self.s.card = Some(v["rateCard"].clone());
        self.card = Some(card);
        self.s.lease = Some(lease);
        self.s.base = Some(base);
        self.s.version = version;
        self.settled();
        self.s.stats[stat::SYNCS] += 1;
        self.resume(true);
    }

    /// The release's answer: what stays leased for live calls (`kept`) is the lease now.
    fn released(&mut self, v: &Value) {
        self.booked(v);
        let kept = crate::engine::pathde::parse::<Hold>(&v["kept"]).ok();
        let reported = v["ended"].as_array().map_or(0, Vec::len);
        let answer = json!({ "released": v["released"], "kept": v["kept"], "reported": reported });
        match (kept, self.s.base.clone(), self.card.clone()) {
            (Some(kept), Some(base), Some(card)) => {
                let base = resized(&base, &kept);
                self.s.copy = Some(rebuild(
                    &card,
                    &base,
                    &self.s.holds,
                    &mut self.s.pending,
                    at_ms(self.now),
                ));
                self.s.base = Some(base);
                self.s.lease = Some(kept);
            }
            _ => {
                self.s.lease = None;
                self.s.base = None;
                self.s.copy = None;
            }
        }
        self.s.version = v["version"].as_u64().or(self.s.version);
        self.settled();
        let (releases, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parked)
            .into_iter()
            .partition(|p| matches!(p.op, Op::Release));
        self.parked = rest;
        for p in releases.into_iter().filter(|p| p.rid != u64::MAX) {
            self.answer_parked(p.rid, Run::Done(200, answer.clone(), false));
        }
        self.resume(true);
    }

    /// The ends the server's answer says it booked (now or before) leave the pending list.
    fn booked(&mut self, v: &Value) {
        let ids: Vec<&str> = v["ended"].as_array().map_or(vec![], |xs| {
            xs.iter().filter_map(|e| e["id"].as_str()).collect()
        });
        self.s.pending.retain(|r| !ids.contains(&r.id.as_str()));
    }

    fn answer_parked(&mut self, rid: u64, run: Run) {
        if let Run::Done(status, body, replayed) = run {
            self.out.answers.push(Answer {
                rid,
                status,
                body,
                replayed,
            });
        }
    }

    /// The outstanding request is answered: nothing is asked until the next is due.
    fn settled(&mut self) {
        self.s.asks.clear();
        self.s.failures = 0;
        self.s.retry_at = 0;
        self.out.persist = true;
    }

    /// A report the server refused as malformed (it applied nothing): the ended call it
    /// names is set aside for an operator, and the rest go again under a new number.
    fn refused(&mut self, ask: &Ask, v: &Value) {
        let field = v["error"]["field"].as_str().unwrap_or("");
        let i = field
            .strip_prefix("ended[")
            .and_then(|f| f.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        self.s.asks.clear();
        self.out.persist = true;
        match i.and_then(|i| ask.ended.get(i)) {
            Some(id) => {
                let id = id.clone();
                if let Some(pos) = self.s.pending.iter().position(|r| r.id == id) {
                    let end = self.s.pending.remove(pos);
                    if self.s.dead.len() < MAX_DEAD {
                        self.s.dead.push(json!({ "end": end, "error": v["error"] }));
                    }
                }
            }
            None => self.failure(ask.seq),
        }
    }

    /// The send failed or was refused for a reason that may pass: retry under the same
    /// number after a backoff; the requests waiting on it are answered with what is here.
    fn failure(&mut self, _seq: u64) {
        self.s.failures += 1;
        self.s.stats[stat::FAILURES] += 1;
        let base = (250i64 << self.s.failures.min(8)).min(MAX_BACKOFF_MS);
        self.s.retry_at = self.now + base;
        self.out.persist = true;
        self.resume(false);
    }

    /// Run the waiting requests again (after a failure, with no more waiting).
    fn resume(&mut self, grew: bool) {
        let parked = std::mem::take(&mut self.parked);
        for p in parked {
            if matches!(p.op, Op::Release) {
                if grew {
                    self.parked.push(p);
                } else if p.rid != u64::MAX {
                    let e = json!({ "error": { "code": "edge_unavailable", "message": "the server did not take the release; try again" } });
                    self.answer_parked(p.rid, Run::Done(503, e, false));
                }
                continue;
            }
            let waits = if grew { p.waits + 1 } else { MAX_WAITS };
            self.run(p.rid, p.op, waits);
        }
    }

    /// When to be woken next: a reply's deadline, a retry, a renewal, a flush, an idle
    /// release; always later than now (what is due now was done in this step, or waits on
    /// a reply whose deadline is among these).
    pub(super) fn next_wake(&self) -> Option<Millis> {
        let mut at: Vec<Millis> = Vec::new();
        if self.awaiting.is_some() {
            at.push(self.s.asks.last().map_or(self.now, |a| a.sent_at) + self.reply_timeout());
        } else if !self.s.asks.is_empty() || self.s.failures > 0 {
            at.push(self.s.retry_at);
        }
        if let Some(l) = &self.s.lease {
            at.push(ms_of(l.valid_until) - self.settings.ttl_seconds.0 as i64 * 500);
            at.push(self.s.last_activity + self.settings.idle_seconds.0 as i64 * 1000);
        }
        if self.to_report() {
            at.push(self.flush_at());
        }
        at.into_iter().filter(|&t| t > self.now).min()
    }

    /// Ended calls or inbound refusals wait to be reported (after FLUSH_DELAY_MS).
    fn to_report(&self) -> bool {
        !self.s.pending.is_empty() || !self.s.refused.is_empty()
    }

    /// `/edge/state`: the lease, what waits to be reported, what is live, the counters.
    pub(super) fn describe(&self) -> Value {
        json!({
            "leaseId": self.settings.lease_id, "lease": self.s.lease, "version": self.s.version,
            "pending": self.s.pending.len(), "dead": self.s.dead, "refused": self.s.refused.len(),
            "live": self.s.holds.iter().map(|h| &h.id).collect::<Vec<_>>(),
            "free": self.free().map(|f| f.to_string()), "asking": self.s.asks.last().map(|a| a.seq),
            "stats": {
                "starts": self.s.stats[stat::STARTS], "local": self.s.stats[stat::LOCAL],
                "waited": self.s.stats[stat::WAITED], "syncs": self.s.stats[stat::SYNCS],
                "failures": self.s.stats[stat::FAILURES], "versionMoves": self.s.stats[stat::VERSION_MOVES],
            },
        })
    }
}

/// The server's copy with the ends it has not seen billed on it, as they were billed: from
/// the pools the live calls' `holds` leave (billed without them, an end took the included
/// seconds and plan credits those calls hold; the simulator's seed 12). Each report then
/// says what the bill on this copy took, so the server's lease gives up the same.
fn rebuild(
    card: &RateCard,
    base: &Account,
    holds: &[Hold],
    pending: &mut [EndedCall],
    at: Instant,
) -> Account {
    let mut account = base.clone();
    account.holds = holds.to_vec();
    let held = held_by(holds, at);
    // SEMANTICS 18: the copy counts the unbooked ends against the lease's inbound share.
    let mut inbound = base.inbound_usage.clone();
    for r in pending
        .iter()
        .filter(|r| r.toll_free && r.direction == CallDirection::Inbound)
    {
        let mut counted = Account {
            inbound_usage: inbound.clone(),
            time_zone: base.time_zone,
            ..Account::default()
        };
        let secs = r.connected_seconds.0;
        let number = r.number_id.as_deref();
        if crate::engine::inbound::record(&mut counted, number, r.started_at, secs, at).is_ok() {
            inbound = counted.inbound_usage;
        }
    }
    for r in pending.iter_mut() {
        // As it was billed when it ended, while that still fits beside the live calls:
        // billed again without the holds it was billed beside, the same call can round to
        // a unit more (the simulator's seed 213054) than the edge answered.
        if let Some(a) = deducted(&account, &r.lease_usage, &held) {
            account = a;
            continue;
        }
        let input = EndInput {
            rate_card: card.clone(),
            account: account.clone(),
            call_id: r.id.clone(),
            at,
            call: EndCall {
                connected_seconds: r.connected_seconds,
                transfer: r.transfer.clone(),
                carrier_pass_through: r.carrier_pass_through.clone(),
                direction: Some(r.direction),
                toll_free: Some(r.toll_free),
                agent_id: r.agent_id.clone(),
                number_id: r.number_id.clone(),
                started_at: Some(r.started_at),
            },
        };
        if let Ok(books) = live::end_call_books(&input, true) {
            r.lease_usage = LeaseUsage::of(&books.ended.item);
            account = books.account;
            account.holds = holds.to_vec();
        }
    }
    account.holds.clear();
    account.inbound_usage = inbound;
    account
}

/// `account` less what an end took from the lease (`used`), if every pool still covers
/// `held`, what the live calls hold in it.
fn deducted(account: &Account, used: &LeaseUsage, held: &LeaseUsage) -> Option<Account> {
    let mut a = account.clone();
    let pools = [
        (LEASE_WALLET, used.credits, held.credits),
        (LEASE_PLAN, used.plan_credits, held.plan_credits),
    ];
    for (id, take, keep) in pools {
        match a.grants.iter_mut().find(|g| g.id == id) {
            Some(g) if g.remaining - take < keep => return None,
            Some(g) => g.remaining -= take,
            // A pool the copy does not have cannot have given anything.
            None if take > Decimal::ZERO => return None,
            None => {}
        }
    }
    let left = a.included_seconds().checked_sub(used.included_seconds.0)?;
    if left < held.included_seconds.0 || a.owed.unwrap_or_default() > Decimal::ZERO {
        return None;
    }
    if let Some(r) = &mut a.included_seconds_remaining {
        *r = Seconds(left);
    }
    Some(a)
}

/// What `holds` hold at `at`, pool by pool, and of the inbound share.
fn held_by(holds: &[Hold], at: Instant) -> LeaseUsage {
    let mut u = LeaseUsage::default();
    for h in holds.iter().filter(|h| h.active_at(at)) {
        u.credits += h.credits;
        u.plan_credits += h.plan_credits;
        u.included_seconds = Seconds(u.included_seconds.0 + h.included_seconds.0);
        if h.toll_free && h.direction == Some(CallDirection::Inbound) {
            u.inbound_calls.0 += 1;
            u.inbound_seconds.0 = u.inbound_seconds.0.saturating_add(h.granted_seconds.0);
        }
    }
    u
}

/// `base` with its pools the lease `kept` (after a release that kept some for live calls).
fn resized(base: &Account, kept: &Hold) -> Account {
    let mut a = base.clone();
    for g in &mut a.grants {
        match g.id.as_str() {
            LEASE_WALLET => g.remaining = kept.credits,
            LEASE_PLAN => g.remaining = kept.plan_credits,
            _ => {}
        }
    }
    if a.included_seconds_remaining.is_some() {
        a.included_seconds_remaining = Some(kept.included_seconds);
    }
    a.owed = None;
    a
}
