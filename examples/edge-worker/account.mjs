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
/** The server's body limit (`MAX_BODY`, 1 MiB): a request over it is refused here as there,
 * and a report is cut into batches under it (with room for the renewal's own fields). */
const MAX_BODY = 1 << 20;
const MAX_REPORT_BYTES = MAX_BODY - 4_096;
/** The server's id rules (`MAX_ID`): 1 to 255 bytes, no control characters. */
const MAX_ID = 255;
/** Byte lengths, as the server counts its limits. */
const utf8 = new TextEncoder();

/** The object's settings, from the Worker's bindings (strings, as wrangler passes vars). */
export function settings(env) {
  return {
    server: String(env.DRAWDOWN_URL ?? "").replace(/\/$/, ""),
    credits: String(env.LEASE_CREDITS ?? "1000"),
    includedSeconds: Number.parseInt(env.LEASE_INCLUDED_SECONDS ?? "3600", 10),
    planCredits: String(env.LEASE_PLAN_CREDITS ?? "1000"),
    ttlSeconds: Number.parseInt(env.LEASE_SECONDS ?? "300", 10),
    idleSeconds: Number.parseInt(env.LEASE_IDLE_SECONDS ?? "900", 10),
    liveSkewSeconds: Number.parseInt(env.LIVE_SKEW_SECONDS ?? "5", 10),
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
    /** Ends under way, by call id (one answer for concurrent ends). */
    this.ending = new Map();
    /** The lease sizes a renewal in flight asked for, and how many pending ends it reports. */
    this.asking = null;
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
      const refused = this.refuse(body);
      if (refused) return refused;
      if (path === "/calls") return await this.start(body);
      const m = /^\/calls\/([^/]+)\/(extend|end)$/.exec(path);
      if (m) {
        const id = pathId(m[1]);
        if (id === null) return failure(400, "invalid_id", "call ids are 1 to 255 characters without control characters", "id");
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

  /** What the server refuses of any live-call body, refused here with its codes (SEMANTICS
   * 12: an end the edge accepted is one the server accepts): text no store holds, and an
   * `at` further from this runtime's clock than the live skew (SEMANTICS 11 "Whose clock":
   * the edge judges every grant at its own clock; `at` is information). */
  refuse(body) {
    const nul = nulAt(body, "");
    if (nul !== null) return failure(400, nul === "id" ? "invalid_id" : "invalid_text", "text may not contain U+0000 (NUL)", nul);
    if (body.at === undefined || body.at === null) return null;
    if (typeof body.at !== "string" || Number.isNaN(ms(body.at))) return failure(400, "invalid_type", "`at` is an RFC 3339 instant", "at");
    if (Math.abs(ms(body.at) - Date.now()) > this.cfg.liveSkewSeconds * 1000) {
      return failure(422, "at_out_of_window", `${body.at} differs from the edge's clock by more than the live skew (${this.cfg.liveSkewSeconds} s)`, "at");
    }
    return null;
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
    if (!validId(body.id)) return failure(400, "invalid_id", `call ids are 1 to ${MAX_ID} characters without control characters`, "id");
    if (body.id.startsWith(HELD)) return failure(400, "invalid_id", `call ids may not start with \`${HELD}\``, "id");
    if (this.s.starts[body.id]) return json(this.s.starts[body.id]);
    if (await this.ctx.storage.get(`end:${body.id}`)) return failure(409, "call_ended", `call \`${body.id}\` has ended`, "id");
    this.stats.starts++;
    const waited = await this.ready();
    const at = iso(Date.now());
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
    // A count the engine will refuse goes to it as it came, to be refused with its code.
    const asked = body.requestedMaxSeconds;
    const requested = asked === undefined || asked === null ? left : Number.isSafeInteger(asked) ? Math.min(asked, left) : asked;
    const { at: _at, ...call } = body;
    return startCall({ rateCard: this.s.card, account: this.view(at), call: { ...call, at, requestedMaxSeconds: requested } });
  }

  /** POST /calls/{id}/extend: the next quota, within the lease's time and pools. */
  async extend(id, body) {
    if (await this.ctx.storage.get(`end:${id}`)) return failure(409, "call_ended", `call \`${id}\` has ended`, "id");
    await this.ready();
    const at = iso(Date.now());
    return this.granting(
      () => this.grantExtend(id, body, at),
      ({ account: _, ...answer }) => {
        // A refused extend holds nothing new: the call keeps the hold it has (storing the
        // refusal's empty hold left the object unable to answer or to bill).
        if (answer.hold) this.s.holds = this.s.holds.map((h) => (h.id === id ? answer.hold : h));
        this.save();
        this.renewIfLow();
        return json(answer);
      },
    );
  }

  grantExtend(id, body, at) {
    const hold = this.s.holds.find((h) => h.id === id);
    const room = hold ? Math.floor((ms(this.s.lease.validUntil) - ms(hold.startedAt)) / 1000) - hold.grantedSeconds : 0;
    const q = body.quotaSeconds ?? 300;
    const quota = Number.isSafeInteger(q) ? Math.max(0, Math.min(q, room)) : q;
    return extendCall({ rateCard: this.s.card, account: this.view(at, id), callId: id, at, quotaSeconds: quota });
  }

  /** POST /calls/{id}/end: billed here on the copy at once, and on the server's books with
   * the next report; idempotent by call id. */
  async end(id, body) {
    // Concurrent ends of one call share one answer and one bill: the first end's work is
    // found here before any await, so a second cannot start a bill of its own.
    const running = this.ending.get(id);
    const prior = running ? await running : null;
    if (prior) return json(prior, 200, { "x-replayed": "true" });
    let done;
    this.ending.set(id, new Promise((resolve) => { done = resolve; }));
    try {
      const { answer, replayed } = await this.endOnce(id, body);
      done(answer);
      return json(answer, 200, replayed ? { "x-replayed": "true" } : {});
    } catch (e) {
      done(null);
      throw e;
    } finally {
      this.ending.delete(id);
    }
  }

  async endOnce(id, body) {
    const kept = await this.ctx.storage.get(`end:${id}`);
    if (kept) return { answer: kept, replayed: true };
    // A call that ran is billed whatever the lease's state: an end needs only the copy.
    if (!this.s.copy?.grants) await this.ready();
    const hold = this.s.holds.find((h) => h.id === id);
    const { at: _at, ...call } = body;
    const at = iso(Date.now());
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
    return { answer, replayed: false };
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
    return { ...this.capped(), holds };
  }

  /** The copy, its pools no larger than the lease a renewal in flight asked for (SEMANTICS
   * 12): the server may answer with that smaller lease, and a grant made meanwhile from the
   * old, larger one would be money the lease no longer covers. The ends the renewal does not
   * report are drawn from the new lease later, so they count against it. */
  capped() {
    const copy = this.s.copy;
    if (!this.asking || !copy?.grants) return copy;
    const later = this.s.pending.slice(this.asking.reported);
    const used = (f) => later.reduce((n, r) => n + f(r.leaseUsage ?? {}), 0n);
    const room = (asked, f) => Units.of(asked) - used(f);
    const cap = (g, asked, f) => {
      const r = room(asked, f);
      return Units.of(g.remaining) > r ? { ...g, remaining: Units.text(r > 0n ? r : 0n) } : g;
    };
    const grants = copy.grants.map((g) =>
      g.id === "lease" ? cap(g, this.asking.credits, (u) => Units.of(u.credits ?? "0"))
        : g.id === "lease-plan" ? cap(g, this.asking.planCredits, (u) => Units.of(u.planCredits ?? "0"))
          : g);
    const out = { ...copy, grants };
    if (typeof copy.includedSecondsRemaining === "number") {
      const r = this.asking.includedSeconds - Number(used((u) => BigInt(u.includedSeconds ?? 0)));
      out.includedSecondsRemaining = Math.max(0, Math.min(copy.includedSecondsRemaining, r));
    }
    return out;
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
    const batch = reportBatch(this.s.pending);
    const body = { ...this.wanted(), held: this.held(), ttlSeconds: this.cfg.ttlSeconds, ended: batch };
    this.growing = false;
    this.asking = { ...body, reported: batch.length };
    let res;
    try {
      res = await this.server("PUT", `/leases/${encodeURIComponent(this.s.leaseId)}`, body);
    } finally {
      this.asking = null;
    }
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

  /** What the live calls hold, pool by pool: the server keeps the lease at least this large. */
  held() {
    const live = this.liveHolds();
    return {
      includedSeconds: live.reduce((n, h) => n + h.includedSeconds, 0),
      planCredits: Units.text(live.reduce((n, h) => n + Units.of(h.planCredits), 0n)),
      credits: Units.text(live.reduce((n, h) => n + Units.of(h.credits), 0n)),
    };
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
    while (reportBatch(this.s.pending).length < this.s.pending.length) await this.sync();
    const ended = this.s.pending.slice();
    // What live calls hold stays leased (SEMANTICS 12); the next grant renews the lease.
    const held = this.held();
    const res = await this.server("POST", `/leases/${encodeURIComponent(this.s.leaseId)}/release`, { ended, held });
    if (!res.ok) throw await this.failed(res);
    const answer = await res.json();
    this.s.pending.splice(0, ended.length);
    Object.assign(this.s, { lease: null, base: null, copy: null, version: answer.version });
    this.save();
    return json({ released: answer.released, kept: answer.kept ?? null, reported: ended.length });
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

/** The longest prefix of `pending` one report carries: at most MAX_ENDS_PER_REPORT ends
 * and MAX_REPORT_BYTES of JSON (two 600 KB agent ids made a batch the server answered 413,
 * retried forever); at least one, which the edge's own body limit keeps under the server's. */
function reportBatch(pending) {
  let bytes = 0;
  let n = 0;
  for (const r of pending.slice(0, MAX_ENDS_PER_REPORT)) {
    bytes += utf8.encode(JSON.stringify(r)).length + 1;
    if (n > 0 && bytes > MAX_REPORT_BYTES) break;
    n++;
  }
  return pending.slice(0, n);
}

/** A call id from the path, or null when it is not one the server takes (malformed `%`
 * escapes, control characters, over MAX_ID bytes). */
function pathId(raw) {
  try {
    const id = decodeURIComponent(raw);
    return validId(id) ? id : null;
  } catch {
    return null;
  }
}

function validId(id) {
  const bytes = utf8.encode(id).length;
  return bytes >= 1 && bytes <= MAX_ID && !/\p{Cc}/u.test(id);
}

/** The path of the first text (a value or a key) holding U+0000, or null. */
function nulAt(v, path) {
  if (typeof v === "string") return v.includes("\0") ? path : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const at = nulAt(v[i], `${path}[${i}]`);
      if (at !== null) return at;
    }
    return null;
  }
  if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const key = path ? `${path}.${k}` : k;
      if (k.includes("\0")) return key;
      const at = nulAt(x, key);
      if (at !== null) return at;
    }
  }
  return null;
}

/** The body as the server reads it: JSON, an object, at most MAX_BODY bytes. */
async function readJson(request) {
  let value;
  try {
    const bytes = await request.arrayBuffer();
    if (bytes.byteLength > MAX_BODY) return failure(413, "payload_too_large", `the body is over ${MAX_BODY} bytes`);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    value = text ? JSON.parse(text) : {};
  } catch {
    return failure(400, "invalid_json", "the body is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return failure(400, "invalid_type", "the body is a JSON object");
  }
  return value;
}
