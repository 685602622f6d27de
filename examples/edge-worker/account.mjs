// One Durable Object per account: the edge's serialization point for that account's calls.
//
// The protocol is not here. It is the core's state machine (`EdgeMachine`, src/engine/edge.rs in
// the drawdown crate, in the npm package as `openEdge` from `drawdown/edge`): it holds a lease
// of the authoritative server (SEMANTICS 12), grants calls from it with the code the server
// runs, reports ended calls, renews and releases, and is proven by the seeded simulator in
// `cargo test`. It reads no clock and does no I/O. This object is its shell:
//   storage  the machine's state after every step that changes it, and each end's answer
//            under `end:{id}` (a retried end replays it); written before answers leave
//            (the output gate) and before sends go out;
//   fetch    platform requests in, the machine's answers out; its requests to the server
//            sent, their replies (or failures, as status 0) handed back;
//   alarms   the machine says when to wake it: renewals, report retries with backoff,
//            reply deadlines and the idle release all run from `alarm()`.
import { DurableObject } from "cloudflare:workers";
import { openEdge } from "drawdown/edge";

/** The machine's settings, from the Worker's bindings (strings, as wrangler passes vars). */
export function settings(env, leaseId) {
  return {
    leaseId,
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

/** The body as text, or a Response: the machine reads it (size, JSON, fields) as the server does. */
async function bodyText(request) {
  if (request.method !== "POST") return "";
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(await request.arrayBuffer());
  } catch {
    return json({ error: { code: "invalid_json", message: "the body is not UTF-8" } }, 400);
  }
}

export class AccountEdge extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.server = String(env.DRAWDOWN_URL ?? "").replace(/\/$/, "");
    /** Answers awaited, by request number. */
    this.waiting = new Map();
    this.rid = 0;
    this.alarmAt = null;
    ctx.blockConcurrencyWhile(async () => {
      const kept = await ctx.storage.get(["state", "leaseId", "key"]);
      const leaseId = kept.get("leaseId") ?? `edge-${crypto.randomUUID()}`;
      this.key = kept.get("key") ?? null;
      const ended = Object.fromEntries([...(await ctx.storage.list({ prefix: "end:" }))].map(([k, v]) => [k.slice(4), v]));
      ctx.storage.put("leaseId", leaseId);
      this.machine = openEdge({ settings: settings(env, leaseId), state: kept.get("state") ?? "", ended });
    });
  }

  async fetch(request) {
    // The platform key the Worker authenticated this request with: the machine's sends use it.
    const key = request.headers.get("x-drawdown-key");
    if (key && key !== this.key) {
      this.key = key;
      this.ctx.storage.put("key", key);
    }
    const body = await bodyText(request);
    if (body instanceof Response) return body;
    const rid = ++this.rid;
    const answered = new Promise((resolve) => this.waiting.set(rid, resolve));
    const path = new URL(request.url).pathname;
    this.step({ kind: "request", rid, request: { method: request.method, path, body } });
    const a = await answered;
    return json(a.body, a.status, a.replayed ? { "x-replayed": "true" } : {});
  }

  async alarm() {
    this.alarmAt = null;
    this.step({ kind: "tick" });
  }

  /** One event through the machine, and what it gives back carried out. */
  step(event) {
    const out = this.machine.step(Date.now(), event);
    if (out.persist) {
      const puts = { state: this.machine.state() };
      for (const [id, record] of out.endedWrites) puts[`end:${id}`] = record;
      this.ctx.storage.put(puts);
    }
    if (out.endedForgets.length) this.ctx.storage.delete(out.endedForgets.map((id) => `end:${id}`));
    for (const a of out.answers) {
      this.waiting.get(a.rid)?.(a);
      this.waiting.delete(a.rid);
    }
    for (const s of out.sends) this.ctx.waitUntil(this.send(s));
    if (out.wakeAt != null && out.wakeAt !== this.alarmAt) {
      this.alarmAt = out.wakeAt;
      this.ctx.storage.setAlarm(out.wakeAt);
    }
  }

  /** A request of the machine to the server; its reply (status 0: unreachable) goes back in. */
  async send(s) {
    let status = 0;
    let body = "";
    try {
      const res = await fetch(`${this.server}${s.path}`, {
        method: s.method,
        headers: { authorization: `Bearer ${this.key}`, "content-type": "application/json" },
        body: JSON.stringify(s.body),
      });
      status = res.status;
      body = await res.text();
    } catch {
      status = 0;
    }
    this.step({ kind: "reply", seq: s.seq, status, body });
  }
}
