// One Durable Object per account: the edge's serialization point for that account's calls.
//
// It holds a lease from the authoritative server (SEMANTICS 12: a part of the account's
// available pools set aside for this object alone) and grants calls from it with the
// package's startCall / extendCall / endCall, the code the server runs, on its own copy of
// the account, whose pools are exactly the lease. So no edge grants what the server has not
// set aside, and a call start is answered here without a round trip to the origin.
//
// The object's state, in memory and in its storage (so a restart loses nothing):
//   lease    the lease as the server last answered it (`PUT /leases/{id}`)
//   base     the server's copy of the account under that lease, and the rate card
//   pending  calls ended here and not yet acknowledged by the server, oldest first
//   copy     base, with the pending calls billed on it
//   holds    the live calls' holds
// The engine is handed the copy with the holds of the calls it is not working on summed
// per agent (`view`): the available pools depend only on those sums (SEMANTICS 11), and a
// call then costs the same however many others are live (64 holds passed one by one made
// every start 20 times slower).
// Ended calls go to the server in batches with every renewal (idempotent by call id, so a
// retried batch bills nothing twice); the alarm renews the lease before it lapses and
// retries failed deliveries with backoff. Every renewal brings a fresh base, so a top-up or
// usage from other paths (the server's version moving) reaches the edge with it.
import { DurableObject } from "cloudflare:workers";
import { authorizeCall, endCall, errorDocument, extendCall, isDrawdownError, startCall } from "drawdown";
import { Units } from "./units.mjs";

/** The server takes at most this many ended calls per report (`MAX_ENDS_PER_REPORT`). */
const MAX_ENDS_PER_REPORT = 256;
/** Ended calls wait this long for company before they are sent. */
const FLUSH_DELAY_MS = 100;
/** A start the lease cannot cover waits for a renewal at most once per this interval when
 * the server had no more to lend (the account itself is low). */
const RESYNC_SHORT_MS = 1_000;
/** The ids of the summed holds in `view` (a call id may not start with it). */
export const HELD = "edge-held:";
/** Renewals one grant waits for at most (a burst of starts grows the lease round by round,
 * each at least doubling it: 2^8 times the target covers any burst the server can fund). */
const MAX_WAITS = 8;
/** Delivery retries back off from 250 ms, doubling, to this. */
const MAX_BACKOFF_MS = 30_000;
/** End answers kept for replays of a retried end. */
const ENDS_KEPT = 5_000;

/** The object's settings, from the Worker's bindings (strings, as wrangler passes vars). */
export function settings(env) {
  return {
    server: String(env.DRAWDOWN_URL ?? "").replace(/\/$/, ""),
    credits: String(env.LEASE_CREDITS ?? "1000"),
    includedSeconds: Number.parseInt(env.LEASE_INCLUDED_SECONDS ?? "3600", 10),
    planCredits: String(env.LEASE_PLAN_CREDITS ?? "1000"),
    ttlSeconds: Number.parseInt(env.LEASE_SECONDS ?? "300", 10),
    idleSeconds: Number.parseInt(env.LEASE_IDLE_SECONDS ?? "900", 10),
  };
}

const json = (body, status = 200, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const failure = (status, code, message, field) =>
  json({ error: { code, message, ...(field ? { field } : {}) } }, status);

/** Instants as the engine writes them; milliseconds since the epoch from any RFC 3339 text. */
const iso = (ms) => new Date(ms).toISOString();
const ms = (instant) => Date.parse(instant.replace(/(\.\d{3})\d+/, "$1"));

class Unavailable extends Error {}

export class AccountEdge extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.cfg = settings(env);
    this.s = null;
    this.syncing = null;
    this.stats = { starts: 0, local: 0, waited: 0, syncs: 0, failures: 0, versionMoves: 0 };
    ctx.blockConcurrencyWhile(async () => {
      this.s = (await ctx.storage.get("state")) ?? null;
    });
  }

  async fetch(request) {
    const url = new URL(request.url);
    const account = request.headers.get("x-drawdown-account");
    const key = request.headers.get("x-drawdown-key");
    this.adopt(account, key);
    const body = request.method === "POST" ? await readJson(request) : {};
    if (body instanceof Response) return body;
    const path = url.pathname;
    try {
      if (path === "/calls/authorize") return await this.authorize(body);
      if (path === "/calls") return await this.start(body);
      const m = /^\/calls\/([^/]+)\/(extend|end)$/.exec(path);
      if (m) {
        const id = decodeURIComponent(m[1]);
        return await (m[2] === "extend" ? this.extend(id, body) : this.end(id, body));
      }
      if (path === "/edge/state") return json(this.describe());
      if (path === "/edge/release") return await this.release();
      return failure(404, "not_found", `no route ${path}`);
    } catch (e) {
      if (e instanceof Unavailable) return failure(503, "edge_unavailable", e.message);
      if (isDrawdownError(e)) return json(errorDocument(e), e.code === "unknown_call" ? 404 : 422);
      throw e;
    }
  }

  /** The account and the platform key the Worker authenticated this request with. */
  adopt(account, key) {
    if (!this.s) {
      this.s = { account, key, leaseId: `edge-${crypto.randomUUID()}`, lease: null, card: null, base: null,
        copy: null, holds: [], version: null, pending: [], starts: {}, ends: 0, dead: [], failures: 0, lastSync: 0,
        short: false, lastActivity: Date.now() };
    }
    this.s.key = key ?? this.s.key;
    this.s.lastActivity = Date.now();
  }

  /** The pre-call check against what this edge may grant (the lease less the live holds). */
  async authorize(body) {
    await this.ready();
    // `{ "call": {...} }` or the call itself, as the server takes it.
    const call = body.call && Object.keys(body).length === 1 ? body.call : body;
    const at = call.at ?? iso(Date.now());
    const ask = () => authorizeCall({ rateCard: this.s.card, account: this.view(at), call: { ...call, at } });
    let answer = ask();
    for (let i = 0; i < MAX_WAITS && !answer.allowed && (await this.grow()); i++) answer = ask();
    return !answer.allowed && answer.httpStatus === 402 ? json({ error: answer.error }, 402) : json(answer);
  }

  /** POST /calls: the first quota, idempotent by call id. */
  async start(body) {
    if (typeof body.id !== "string") return failure(400, "missing_field", "a call has an id", "id");
    if (body.id.startsWith(HELD)) return failure(400, "invalid_id", `call ids may not start with \`${HELD}\``, "id");
    if (this.s.starts[body.id]) return json(this.s.starts[body.id]);
    if (await this.ctx.storage.get(`end:${body.id}`)) return failure(409, "call_ended", `call \`${body.id}\` has ended`, "id");
    this.stats.starts++;
    const waited = await this.ready();
    const at = body.at ?? iso(Date.now());
    return this.granting(
      () => this.grantStart(body, at),
      (out, waitedToo) => {
        if (!waited && !waitedToo) this.stats.local++;
        if (this.s.starts[body.id]) return json(this.s.starts[body.id]); // a concurrent retry won
        if (!out) return failure(503, "edge_unavailable", "the lease has run out of time and cannot be renewed");
        const { account: _, ...answer } = out;
        if (!answer.allowed) return answer.httpStatus === 402 ? json({ error: answer.error }, 402) : json(answer);
        this.s.holds.push(answer.hold);
        this.s.starts[body.id] = answer;
        this.save();
        this.renewIfLow();
        return json(answer);
      },
    );
  }

  /** `grant()` applied with `apply(grant, waited)`, renewing the lease first (at most
   * MAX_WAITS times) while the lease cuts the grant short. The last grant is computed and
   * applied with no await between: requests resumed by the same renewal interleave at every
   * await, and a grant carried across one would overwrite the copy and drop their holds. */
  async granting(grant, apply) {
    let waited = false;
    for (let i = 0; i < MAX_WAITS && needsMore(grant()); i++) {
      if (!(await this.grow())) break;
      waited = true;
    }
    return apply(grant(), waited);
  }

  /** startCall on the copy, its grant ending before the lease does. */
  grantStart(body, at) {
    const left = this.leaseSecondsLeft(ms(at));
    if (left <= 0) return null;
    const requested = Math.min(body.requestedMaxSeconds ?? left, left);
    const { at: _at, ...call } = body;
    return startCall({ rateCard: this.s.card, account: this.view(at), call: { ...call, at, requestedMaxSeconds: requested } });
  }

  /** POST /calls/{id}/extend: the next quota, within the lease's time and pools. */
  async extend(id, body) {
    if (await this.ctx.storage.get(`end:${id}`)) return failure(409, "call_ended", `call \`${id}\` has ended`, "id");
    await this.ready();
    const at = body.at ?? iso(Date.now());
    return this.granting(
      () => this.grantExtend(id, body, at),
      ({ account: _, ...answer }) => {
        this.s.holds = this.s.holds.map((h) => (h.id === id ? answer.hold : h));
        this.save();
        this.renewIfLow();
        return json(answer);
      },
    );
  }

  grantExtend(id, body, at) {
    const hold = this.s.holds.find((h) => h.id === id);
    const room = hold ? Math.floor((ms(this.s.lease.validUntil) - ms(hold.startedAt)) / 1000) - hold.grantedSeconds : 0;
    const quota = Math.max(0, Math.min(body.quotaSeconds ?? 300, room));
    return extendCall({ rateCard: this.s.card, account: this.view(at, id), callId: id, at, quotaSeconds: quota });
  }

  /** POST /calls/{id}/end: billed here on the copy at once, and on the server's books with
   * the next report; idempotent by call id. */
  async end(id, body) {
    const kept = await this.ctx.storage.get(`end:${id}`);
    if (kept) return json(kept, 200, { "x-replayed": "true" });
    // A call that ran is billed whatever the lease's state: an end needs only the copy.
    if (!this.s.copy?.grants) await this.ready();
    const hold = this.s.holds.find((h) => h.id === id);
    const { at = iso(Date.now()), ...call } = body;
    const out = endCall({ rateCard: this.s.card, account: this.view(at, id), callId: id, at, call });
    const report = {
      id,
      connectedSeconds: call.connectedSeconds,
      ...(call.transfer ? { transfer: call.transfer } : {}),
      ...(call.carrierPassThrough ? { carrierPassThrough: call.carrierPassThrough } : {}),
      direction: hold?.direction ?? call.direction,
      tollFree: hold?.tollFree ?? call.tollFree ?? false,
      ...((hold?.agentId ?? call.agentId) ? { agentId: hold?.agentId ?? call.agentId } : {}),
      startedAt: hold?.startedAt ?? call.startedAt,
      leaseUsage: leaseUsage(out.item),
    };
    const answer = { item: out.item, overrunSeconds: out.overrunSeconds, reported: false };
    this.s.copy = { ...out.account, holds: [] };
    this.s.holds = this.s.holds.filter((h) => h.id !== id);
    this.s.pending.push(report);
    delete this.s.starts[id];
    this.save();
    await this.remember(id, answer);
    await this.schedule(Date.now() + FLUSH_DELAY_MS);
    return json(answer);
  }

  /** A retried end replays its first answer; the oldest answers are forgotten past ENDS_KEPT
   * (`endseq:n` names the n-th end, so forgetting is one read and two deletes). */
  async remember(id, answer) {
    const n = ++this.s.ends;
    this.ctx.storage.put({ [`end:${id}`]: answer, [`endseq:${n}`]: id });
    if (n > ENDS_KEPT) {
      const old = await this.ctx.storage.get(`endseq:${n - ENDS_KEPT}`);
      this.ctx.storage.delete([`endseq:${n - ENDS_KEPT}`, ...(old ? [`end:${old}`] : [])]);
    }
  }

  /** A lease with time left to grant in; renewed first (true: the request waited on the
   * server) when it has none, or is near its end. */
  async ready() {
    const left = this.s.lease ? this.leaseSecondsLeft(Date.now()) : 0;
    if (left > this.cfg.ttlSeconds / 3) return false;
    try {
      this.stats.waited++;
      await this.sync();
    } catch (e) {
      if (left > 0 && e instanceof Unavailable) return true; // keep granting within what is left
      throw e;
    }
    return true;
  }

  /** Renew now because a grant came up short; false when the server has just said it has no more. */
  async grow() {
    if (this.s.short && Date.now() - this.s.lastSync < RESYNC_SHORT_MS) return false;
    try {
      this.stats.waited++;
      this.growing = true;
      await this.sync();
      return true;
    } catch (e) {
      if (e instanceof Unavailable) return false;
      throw e;
    }
  }

  renewIfLow() {
    const free = this.freeCredits();
    if (free !== null && free * 2n < Units.of(this.cfg.credits) && !this.s.short) {
      this.ctx.waitUntil(this.sync().catch(() => {}));
    }
  }

  /** Wallet credits of the lease neither spent here nor held by a live call, in units. */
  freeCredits() {
    const grant = this.s.copy?.grants?.find((g) => g.id === "lease");
    if (!grant) return null;
    const held = this.liveHolds().reduce((n, h) => n + Units.of(h.credits), 0n);
    return Units.of(grant.remaining) - Units.of(this.s.copy.owed ?? "0") - held;
  }

  /** The copy as the engine sees it at `at`: the hold of call `own` as it is, every other
   * hold active at `at` summed per agent into one (what set-aside takes from each pool and
   * each agent's spend are sums, SEMANTICS 11). */
  view(at, own) {
    const t = ms(at);
    const byAgent = new Map();
    const holds = [];
    for (const h of this.s.holds) {
      if (h.id === own) holds.push(h);
      if (h.id === own || ms(h.validUntil) <= t) continue;
      const sum = byAgent.get(h.agentId ?? "") ?? { credits: 0n, planCredits: 0n, includedSeconds: 0 };
      sum.credits += Units.of(h.credits);
      sum.planCredits += Units.of(h.planCredits);
      sum.includedSeconds += h.includedSeconds;
      byAgent.set(h.agentId ?? "", sum);
    }
    let i = 0;
    for (const [agent, sum] of byAgent) {
      holds.push({
        id: `${HELD}${i++}`, kind: "call", direction: "outbound", ...(agent ? { agentId: agent } : {}),
        credits: Units.text(sum.credits), planCredits: Units.text(sum.planCredits), includedSeconds: sum.includedSeconds,
        grantedSeconds: 0, startedAt: at, validUntil: iso(t + 1000),
      });
    }
    return { ...this.s.copy, holds };
  }

  /** The holds still counting now (a hold past `validUntil` holds nothing, SEMANTICS 11). */
  liveHolds() {
    const now = Date.now();
    return this.s.holds.filter((h) => ms(h.validUntil) > now);
  }

  leaseSecondsLeft(atMs) {
    return this.s.lease ? Math.floor((ms(this.s.lease.validUntil) - atMs) / 1000) : 0;
  }

  /** One renewal at a time: report the oldest pending ends, ask for the lease's size again. */
  sync() {
    this.syncing ??= this.renew().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  async renew() {
    const batch = this.s.pending.slice(0, MAX_ENDS_PER_REPORT);
    const body = { ...this.wanted(), ttlSeconds: this.cfg.ttlSeconds, ended: batch };
    this.growing = false;
    const res = await this.server("PUT", `/leases/${encodeURIComponent(this.s.leaseId)}`, body);
    if (res.status === 400 || res.status === 422) return this.setAside(batch, await res.json());
    if (!res.ok) throw await this.failed(res);
    const answer = await res.json();
    this.s.pending.splice(0, batch.length);
    this.stats.syncs++;
    if (this.s.version !== null && answer.version !== this.s.version) this.stats.versionMoves++;
    Object.assign(this.s, { lease: answer.lease, base: answer.account, card: answer.rateCard, version: answer.version });
    this.s.short = Units.of(answer.lease.credits) < Units.of(body.credits);
    this.s.lastSync = Date.now();
    this.s.failures = 0;
    this.s.copy = this.rebuild();
    this.save();
    await this.schedule(this.s.pending.length ? Date.now() + FLUSH_DELAY_MS : this.renewalTime());
  }

  /** The lease's size to ask for: in each pool the target beyond what the live calls hold;
   * when grants are waiting (`grow`), at least twice the lease, so a burst of starts is
   * covered in a few renewals rather than one per target's worth. */
  wanted() {
    const live = this.liveHolds();
    const held = (f) => live.reduce((n, h) => n + f(h), 0n);
    const lease = this.s.lease;
    const twice = (text) => (this.growing && lease ? 2n * Units.of(text) : 0n);
    const max = (a, b) => (a > b ? a : b);
    const seconds = max(BigInt(this.cfg.includedSeconds) + held((h) => BigInt(h.includedSeconds)), lease && this.growing ? 2n * BigInt(lease.includedSeconds) : 0n);
    return {
      credits: Units.text(max(Units.of(this.cfg.credits) + held((h) => Units.of(h.credits)), twice(lease?.credits ?? "0"))),
      includedSeconds: Number(seconds),
      planCredits: Units.text(max(Units.of(this.cfg.planCredits) + held((h) => Units.of(h.planCredits)), twice(lease?.planCredits ?? "0"))),
    };
  }

  /** The server's copy with the calls it has not seen yet billed on it. */
  rebuild() {
    let account = this.s.base;
    for (const r of this.s.pending) {
      const { id, leaseUsage: _, ...call } = r;
      const out = endCall({ rateCard: this.s.card, account, callId: id, at: iso(Date.now()), call });
      // The report says what the bill on this copy took, so the server's lease gives up the same.
      r.leaseUsage = leaseUsage(out.item);
      account = out.account;
    }
    return account;
  }

  /** A report the server refused as malformed: the ended call it names is kept aside (listed
   * in /edge/state for an operator) so it does not block the others. */
  async setAside(batch, body) {
    const m = /^ended\[(\d+)\]/.exec(body?.error?.field ?? "");
    const i = m ? Number(m[1]) : -1;
    if (i < 0 || i >= batch.length) throw new Unavailable(`the server refused the lease renewal: ${JSON.stringify(body)}`);
    this.s.dead.push({ end: batch[i], error: body.error });
    this.s.pending.splice(this.s.pending.indexOf(batch[i]), 1);
    this.save();
    return this.renew();
  }

  async failed(res) {
    this.s.failures++;
    this.stats.failures++;
    this.save();
    await this.schedule(Date.now() + this.backoff());
    const text = res ? `${res.status} ${await res.text()}` : "unreachable";
    return new Unavailable(`the server did not renew the lease: ${text}`);
  }

  backoff() {
    const base = Math.min(250 * 2 ** Math.min(this.s.failures, 16), MAX_BACKOFF_MS);
    return base / 2 + Math.floor(Math.random() * (base / 2));
  }

  async server(method, path, body) {
    try {
      return await fetch(`${this.cfg.server}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.s.key}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw await this.failed(null);
    }
  }

  /** Renew at half the lease's life; an idle object with nothing live gives its lease back. */
  renewalTime() {
    if (!this.s.lease) return Date.now() + this.backoff();
    const until = ms(this.s.lease.validUntil);
    return Math.max(Date.now() + FLUSH_DELAY_MS, until - (this.cfg.ttlSeconds * 1000) / 2);
  }

  async alarm() {
    if (!this.s) return;
    const idle = Date.now() - this.s.lastActivity > this.cfg.idleSeconds * 1000;
    const live = this.liveHolds().length > 0;
    try {
      if (idle && !live && this.s.lease) await this.release();
      else if (this.s.lease || this.s.pending.length) await this.sync();
    } catch (e) {
      if (!(e instanceof Unavailable)) throw e;
    }
  }

  /** Report everything, then give the lease back (the server takes back what is left). */
  async release() {
    while (this.s.pending.length > MAX_ENDS_PER_REPORT) await this.sync();
    const ended = this.s.pending.slice();
    const res = await this.server("POST", `/leases/${encodeURIComponent(this.s.leaseId)}/release`, { ended });
    if (!res.ok) throw await this.failed(res);
    const answer = await res.json();
    this.s.pending.splice(0, ended.length);
    Object.assign(this.s, { lease: null, base: null, copy: null, version: answer.version });
    this.save();
    return json({ released: answer.released, reported: ended.length });
  }

  async schedule(at) {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }

  /** Written without waiting: the output gate holds each answer until its write is durable. */
  save() {
    this.ctx.storage.put("state", this.s);
  }

  describe() {
    const s = this.s;
    return {
      account: s.account, leaseId: s.leaseId, lease: s.lease, version: s.version,
      pending: s.pending.length, dead: s.dead, live: s.holds.map((h) => h.id),
      free: (() => { const f = this.freeCredits(); return f === null ? null : Units.text(f); })(),
      stats: this.stats,
    };
  }
}

/** What a bill on the copy took from the lease, pool by pool (SEMANTICS 12): the server's
 * lease gives up exactly this, so the two stay equal. */
function leaseUsage(item) {
  let seconds = 0;
  let plan = 0n;
  let credits = 0n;
  for (const a of item.lines.flatMap((l) => l.allocations)) {
    if (a.source === "included_minutes") seconds += a.seconds ?? 0;
    else if (a.source === "plan_credits") plan += Units.of(a.credits ?? "0");
    else credits += Units.of(a.credits ?? "0");
  }
  return { includedSeconds: seconds, planCredits: Units.text(plan), credits: Units.text(credits) };
}

/** A grant the lease may have cut short: refused, final, or nothing left in the lease's time. */
function needsMore(out) {
  return out === null || !out.allowed || out.finalQuota;
}

async function readJson(request) {
  try {
    const text = await request.text();
    return text ? JSON.parse(text) : {};
  } catch {
    return failure(400, "invalid_json", "the body is not JSON");
  }
}
