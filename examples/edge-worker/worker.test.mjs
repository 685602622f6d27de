// The edge Worker in real workerd (miniflare), against a real `drawdown serve` on loopback
// (issue 13): 64 concurrent calls through the Worker beside usage posted straight to the
// server; a tight wallet; the object restarted mid-call (memory lost, storage kept); the
// server away for a while; a lease that lapses while its calls run; the key check. After
// each, the server's books are checked: nothing owed, every call billed once, the lease
// accounting exact. And a toll-free number pumped through the edge (SEMANTICS 18).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Harness, minutes, plain, sleep } from "./harness.mjs";

const h = new Harness();
const edge = (...args) => h.edge(...args);
const api = (...args) => h.api(...args);

before(async () => {
  await h.startServer();
  h.mf = h.miniflare();
  await h.mf.ready;
});

after(() => h.close());

test("the Worker checks the platform's key with the server and needs the lease scope", async () => {
  const a = await h.account("keys", "100");
  const none = await h.mf.dispatchFetch("http://edge.test/calls", { method: "POST", body: "{}" });
  assert.equal(none.status, 401);
  assert.equal((await edge("POST", "/calls", "dd_sk_not-a-key", {})).body.error.code, "unauthorized");
  const wrongScope = await edge("POST", "/calls", a.key, { id: "x", direction: "outbound" });
  assert.equal(wrongScope.status, 403);
  assert.equal(wrongScope.body.error.code, "insufficient_scope");
  assert.equal((await edge("GET", "/calls", a.edge)).status, 405);
  assert.equal((await edge("POST", "/precall", a.edge, {})).status, 404);
});

test("64 concurrent calls at the edge beside usage at the server: each billed once, nothing owed", async () => {
  const a = await h.account("busy", "5000");
  const seconds = (i) => 20 + ((i * 37) % 170); // 20 s to 3 min 9 s, ended within their grants
  const startTimes = [];
  const calls = Array.from({ length: 64 }, async (_, i) => {
    await sleep((i % 16) * 15);
    const t0 = performance.now();
    const s = await edge("POST", "/calls", a.edge, { id: `c${i}`, direction: i % 4 === 0 ? "inbound" : "outbound", quotaSeconds: 120 });
    startTimes.push(performance.now() - t0);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.body.allowed, true);
    let granted = s.body.grantedSeconds;
    while (granted < seconds(i)) {
      const x = await edge("POST", `/calls/c${i}/extend`, a.edge, { quotaSeconds: 120 });
      assert.equal(x.status, 200, JSON.stringify(x.body));
      assert.ok(x.body.grantedSeconds > granted, JSON.stringify(x.body));
      granted = x.body.grantedSeconds;
    }
    const end = { connectedSeconds: seconds(i) };
    const e = await edge("POST", `/calls/c${i}/end`, a.edge, end);
    assert.equal(e.status, 200, JSON.stringify(e.body));
    assert.equal(e.body.overrunSeconds, 0);
    const again = await edge("POST", `/calls/c${i}/end`, a.edge, end);
    assert.ok(again.replayed);
    assert.deepEqual(again.body, e.body);
  });
  // Usage for the same account straight to the server, meanwhile: 32 one-minute calls.
  const direct = Array.from({ length: 32 }, async (_, i) => {
    await sleep(i * 10);
    const at = new Date(Date.now() - 60_000).toISOString();
    const r = await api("POST", "/usage", a.key, {
      events: [{ id: `d${i}`, at, kind: "call", call: { direction: "outbound", connectedSeconds: 60 } }],
    }, `direct-${i}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
  await Promise.all([...calls, ...direct]);
  const state = await h.drained(a.edge);

  // The server's books: one usage entry per call and per direct item, nothing owed, and the
  // balance down by exactly what they cost (9 credits a started minute, +0 for outbound).
  const refs = await h.usageEntries(a);
  assert.equal(refs.size, 96);
  assert.ok([...refs.values()].every((n) => n === 1), "each call billed once");
  const cost = Array.from({ length: 64 }, (_, i) => minutes(seconds(i)) * 9).reduce((x, y) => x + y, 0) + 32 * 9;
  const wallet = (await api("GET", "/billing/wallet", a.read)).body;
  assert.equal(plain(wallet.owed), "0");
  assert.equal(plain(wallet.balance), String(5000 - cost));
  // The lease accounting: what the server holds for the lease is what the edge has free.
  const leases = (await api("GET", "/leases", a.edge)).body.leases;
  assert.equal(leases.length, 1);
  assert.equal(plain(leases[0].lease.credits), state.free);
  assert.equal(plain(wallet.held), plain(leases[0].lease.credits));
  assert.deepEqual(state.live, []);
  const sorted = startTimes.sort((x, y) => x - y);
  const p = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
  console.log(`# 64 starts: ${state.stats.local}/${state.stats.starts} answered without the server; ` +
    `p50 ${p(0.5)} ms, p99 ${p(0.99)} ms (dispatchFetch round trip); ${state.stats.syncs} renewals`);
});

test("20 concurrent starts on a 100-credit wallet are granted 100 credits' worth, no more", async () => {
  const a = await h.account("tight", "100");
  const starts = await Promise.all(
    Array.from({ length: 20 }, (_, i) => edge("POST", "/calls", a.edge, { id: `t${i}`, direction: "outbound" })),
  );
  const granted = starts.filter((s) => s.status === 200);
  assert.ok(starts.some((s) => s.status === 402 && s.body.error.code === "insufficient_credits"));
  const worth = granted.reduce((n, s) => n + minutes(s.body.grantedSeconds) * 9, 0);
  assert.ok(worth <= 100, `granted ${worth} credits' worth on a 100-credit wallet`);
  assert.ok(worth > 100 - 9, `the wallet is used to its last minute (${worth})`);
  for (const s of granted) {
    const e = await edge("POST", `/calls/${s.body.hold.id}/end`, a.edge, { connectedSeconds: s.body.grantedSeconds });
    assert.equal(e.status, 200, JSON.stringify(e.body));
  }
  await h.drained(a.edge);
  const wallet = (await api("GET", "/billing/wallet", a.read)).body;
  assert.equal(plain(wallet.owed), "0");
  assert.equal(plain(wallet.balance), String(100 - worth));
});

test("an object restarted mid-call (memory lost, storage kept) loses no call and bills none twice", async () => {
  const a = await h.account("restart", "1000");
  const check = await edge("POST", "/calls/authorize", a.edge, { direction: "outbound" });
  assert.equal(check.status, 200, JSON.stringify(check.body));
  assert.ok(check.body.allowed && check.body.maxSeconds > 0);
  for (let i = 0; i < 8; i++) {
    const s = await edge("POST", "/calls", a.edge, { id: `r${i}`, direction: "outbound", quotaSeconds: 60 });
    assert.equal(s.status, 200, JSON.stringify(s.body));
  }
  for (let i = 0; i < 4; i++) {
    assert.equal((await edge("POST", `/calls/r${i}/end`, a.edge, { connectedSeconds: 45 })).status, 200);
  }
  // Restarted at once: the four ends wait in storage, not yet reported.
  await h.mf.dispose();
  h.mf = h.miniflare();
  await h.mf.ready;
  const replay = await edge("POST", "/calls/r0/end", a.edge, { connectedSeconds: 45 });
  assert.ok(replay.replayed, "the end answered before the restart replays");
  for (let i = 4; i < 8; i++) {
    const x = await edge("POST", `/calls/r${i}/extend`, a.edge, { quotaSeconds: 60 });
    assert.equal(x.body.grantedSeconds, 120, JSON.stringify(x.body));
    assert.equal((await edge("POST", `/calls/r${i}/end`, a.edge, { connectedSeconds: 100 })).status, 200);
  }
  await h.drained(a.edge);
  const refs = await h.usageEntries(a);
  assert.deepEqual([...refs.keys()].sort(), ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"]);
  assert.ok([...refs.values()].every((n) => n === 1));
  const wallet = (await api("GET", "/billing/wallet", a.read)).body;
  assert.equal(plain(wallet.balance), String(1000 - 4 * 9 - 4 * 18));
  assert.equal(plain(wallet.owed), "0");
});

test("with the server away the object grants within its lease and delivers the ends later", async () => {
  const a = await h.account("away", "1000");
  for (let i = 0; i < 4; i++) {
    assert.equal((await edge("POST", "/calls", a.edge, { id: `w${i}`, direction: "outbound", quotaSeconds: 60 })).status, 200);
  }
  await h.stopServer();
  for (let i = 4; i < 8; i++) {
    const s = await edge("POST", "/calls", a.edge, { id: `w${i}`, direction: "outbound", quotaSeconds: 60 });
    assert.equal(s.status, 200, `granted from the lease while the server is away: ${JSON.stringify(s.body)}`);
  }
  for (let i = 0; i < 8; i++) {
    assert.equal((await edge("POST", `/calls/w${i}/end`, a.edge, { connectedSeconds: 60 })).status, 200);
  }
  await sleep(600);
  const waiting = (await edge("GET", "/edge/state", a.edge)).body;
  assert.equal(waiting.pending, 8, JSON.stringify(waiting));
  assert.ok(waiting.stats.failures > 0);
  await h.startServer(h.server.port);
  await h.drained(a.edge, 40000);
  const refs = await h.usageEntries(a);
  assert.equal(refs.size, 8);
  const wallet = (await api("GET", "/billing/wallet", a.read)).body;
  assert.equal(plain(wallet.balance), String(1000 - 8 * 9));
  assert.equal(plain(wallet.owed), "0");
});

test("a lease that lapses while its calls run: the edge grants no further, and their ends are still billed", async () => {
  const a = await h.account("lapse", "1000");
  const short = h.miniflare({ leaseSeconds: 8, dir: "objects-lapse" });
  await short.ready;
  const at = (path, body) =>
    short.dispatchFetch(`http://edge.test${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.edge}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  try {
    for (let i = 0; i < 3; i++) {
      const s = await at("/calls", { id: `l${i}`, direction: "outbound", quotaSeconds: 60 });
      const body = await s.json();
      assert.equal(s.status, 200, JSON.stringify(body));
      assert.ok(body.grantedSeconds <= 8, `a grant never outlives the lease: ${JSON.stringify(body)}`);
    }
    await h.stopServer();
    await sleep(8500);
    const x = await at("/calls/l0/extend", { quotaSeconds: 60 });
    assert.equal(x.status, 503, "no lease, no grant");
    for (let i = 0; i < 3; i++) {
      const e = await at(`/calls/l${i}/end`, { connectedSeconds: 30 });
      assert.equal(e.status, 200);
    }
    await h.startServer(h.server.port);
    const until = Date.now() + 40000;
    for (;;) {
      const refs = await h.usageEntries(a);
      if (refs.size === 3) break;
      assert.ok(Date.now() < until, "the ends reach the server");
      await sleep(200);
    }
    const wallet = (await api("GET", "/billing/wallet", a.read)).body;
    assert.equal(plain(wallet.balance), String(1000 - 3 * 9));
    assert.equal(plain(wallet.owed), "0");
  } finally {
    await short.dispose();
  }
});

/** A raw request to the Worker (a body the harness would not write). */
async function rawEdge(path, key, body) {
  const r = await h.mf.dispatchFetch(`http://edge.test${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

test("the edge refuses what the server refuses, with its codes, and stays able to answer (issue 24)", async () => {
  const a = await h.account("hostile", "100");
  const code = (r) => [r.status, r.body?.error?.code, r.body?.error?.field];
  for (const body of ["null", "[]", '"x"']) {
    const r = await rawEdge("/calls", a.edge, body);
    assert.equal(r.status, 400, `${body}: ${JSON.stringify(r.body)}`);
  }
  assert.deepEqual(code(await rawEdge("/calls/%E0%A4%A/end", a.edge, "{}")), [400, "invalid_id", "id"]);
  assert.deepEqual(code(await edge("POST", "/calls", a.edge, { id: "a\u0001", direction: "outbound" })), [400, "invalid_id", "id"]);
  assert.deepEqual(code(await edge("POST", "/calls", a.edge, { id: "x".repeat(4096), direction: "outbound" })), [400, "invalid_id", "id"]);
  assert.deepEqual(code(await edge("POST", "/calls", a.edge, { id: "n", direction: "outbound", agentId: "a\u0000" })), [400, "invalid_text", "agentId"]);
  assert.deepEqual(code(await edge("POST", "/calls", a.edge, { id: "n", direction: "outbound", at: 5 })), [400, "invalid_type", "at"]);
  // SEMANTICS 11 "Whose clock": an `at` further than the live skew is refused, at the edge as at the server.
  for (const at of [new Date(Date.now() - 30 * 86_400_000).toISOString(), new Date(Date.now() + 240_000).toISOString()]) {
    const here = await edge("POST", "/calls", a.edge, { id: "clock", direction: "outbound", at });
    const there = await api("POST", "/calls", a.key, { id: "clock", direction: "outbound", at });
    assert.deepEqual(code(here), [422, "at_out_of_window", "at"]);
    assert.deepEqual(code(there), code(here));
  }
  const big = await rawEdge("/calls", a.edge, JSON.stringify({ id: "big", direction: "outbound", agentId: "x".repeat(2 << 20) }));
  assert.equal(big.status, 413);
  // A count the engine cannot read is the engine's refusal, not a grant past the lease.
  const abc = await edge("POST", "/calls", a.edge, { id: "abc", direction: "outbound", quotaSeconds: "abc" });
  assert.ok(abc.status >= 400 && abc.status < 500 && abc.body.error.code === "invalid_duration", JSON.stringify(abc.body));
  assert.equal((await edge("GET", "/edge/state", a.edge)).status, 200);
});

test("concurrent ends of one call give one answer and one bill (issue 24)", async () => {
  const a = await h.account("ends", "1000");
  const s = await edge("POST", "/calls", a.edge, { id: "twice", direction: "outbound", quotaSeconds: 600 });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  const [x, y] = await Promise.all([
    edge("POST", "/calls/twice/end", a.edge, { connectedSeconds: 60 }),
    edge("POST", "/calls/twice/end", a.edge, { connectedSeconds: 600 }),
  ]);
  assert.equal(x.status, 200, JSON.stringify(x.body));
  assert.equal(y.status, 200, JSON.stringify(y.body));
  assert.deepEqual(x.body, y.body, "one answer");
  assert.equal([x, y].filter((r) => r.replayed).length, 1, "the second is a replay of the first");
  await h.drained(a.edge);
  const refs = await h.usageEntries(a);
  assert.equal(refs.get("twice"), 1);
  const wallet = (await api("GET", "/billing/wallet", a.read)).body;
  const billed = Number(x.body.item.lines[0].credits);
  assert.equal(Number(wallet.balance), 1000 - billed, JSON.stringify(wallet));
});

test("a release with a call live gives back only what no call holds (issue 24)", async () => {
  const a = await h.account("release", "100");
  const s = await edge("POST", "/calls", a.edge, { id: "live", direction: "outbound", quotaSeconds: 300 });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  const held = Number(s.body.hold.credits);
  const r = await edge("POST", "/edge/release", a.edge, {});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(Number(r.body.kept.credits), held, JSON.stringify(r.body));
  // The server lends what no live call holds to a direct call, and no more.
  const direct = await api("POST", "/calls", a.key, { id: "direct", direction: "outbound", quotaSeconds: 3600 });
  assert.equal(direct.status, 200, JSON.stringify(direct.body));
  assert.ok(minutes(direct.body.grantedSeconds) * 9 <= 100 - held, JSON.stringify(direct.body));
  const e = await edge("POST", "/calls/live/end", a.edge, { connectedSeconds: s.body.grantedSeconds });
  assert.equal(e.status, 200, JSON.stringify(e.body));
  assert.equal((await api("POST", "/calls/direct/end", a.key, { connectedSeconds: direct.body.grantedSeconds })).status, 200);
  await h.drained(a.edge);
  const wallet = (await api("GET", "/billing/wallet", a.read)).body;
  assert.equal(plain(wallet.owed), "0", JSON.stringify(wallet));
});

test("a toll-free number pumped through the edge is cut at its surge limit; other numbers and outbound calls go on", async () => {
  // Two numbers that usually take 6 minutes in every hour of the last 4 weeks; the surge rule
  // lets an hour take 3 times that, 18 minutes, and at least 10.
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const history = [];
  for (let k = 1; k <= 28 * 24; k++) {
    for (const numberId of ["tf-1", "tf-2"]) history.push({ hour: new Date(hour - k * 3_600_000).toISOString().replace(".000", ""), numberId, seconds: 360 });
  }
  const limits = { surge: { ratio: "3", floorMinutes: 10 } };
  const a = await h.account("pumped", "100000", { inboundLimits: limits, inboundUsage: history });
  // The burst: 40 one-minute calls to tf-1 (the usual hour has 6), each ended as soon as it is
  // granted; between them, calls to tf-2 and outbound calls.
  const hours = new Set();
  const outcome = { granted: 0, refused: 0, other: 0 };
  for (let i = 0; i < 40; i++) {
    hours.add(Math.floor(Date.now() / 3_600_000));
    const s = await edge("POST", "/calls", a.edge, { id: `p${i}`, direction: "inbound", tollFree: true, numberId: "tf-1", quotaSeconds: 60 });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    if (s.body.allowed) {
      outcome.granted += 1;
      assert.equal(s.body.grantedSeconds, 60, JSON.stringify(s.body));
      const e = await edge("POST", `/calls/p${i}/end`, a.edge, { connectedSeconds: 60 });
      assert.equal(e.status, 200, JSON.stringify(e.body));
    } else {
      outcome.refused += 1;
      assert.deepEqual([s.body.code, s.body.action, s.body.limit], ["inbound_limit", "reject_inbound", "surge"], JSON.stringify(s.body));
    }
    if (i % 4 === 0) {
      for (const [id, body] of [[`q${i}`, { direction: "inbound", tollFree: true, numberId: "tf-2" }], [`o${i}`, { direction: "outbound" }]]) {
        const s2 = await edge("POST", "/calls", a.edge, { id, quotaSeconds: 60, ...body });
        assert.equal(s2.body.allowed, true, `${id}: ${JSON.stringify(s2.body)}`);
        assert.equal((await edge("POST", `/calls/${id}/end`, a.edge, { connectedSeconds: 60 })).status, 200);
        outcome.other += 1;
      }
    }
  }
  hours.add(Math.floor(Date.now() / 3_600_000));
  // 18 calls an hour at most (1,080 s = 3 x 360), whichever hours the burst fell in.
  assert.ok(outcome.granted <= 18 * hours.size, JSON.stringify(outcome));
  assert.ok(outcome.refused >= 40 - 18 * hours.size, JSON.stringify(outcome));
  assert.equal(outcome.other, 20);
  await h.drained(a.edge);
  // The edge reports the calls it rejected with its next request; the server lists them.
  for (const until = Date.now() + 15000; (await edge("GET", "/edge/state", a.edge)).body.refused > 0; ) {
    assert.ok(Date.now() < until, "the edge's refusals are reported");
    await sleep(100);
  }
  const listed = (await api("GET", "/billing/limits/inbound", a.read)).body.refused;
  assert.equal(listed.length, outcome.refused, JSON.stringify(listed));
  assert.ok(listed.every((r) => r.limit === "surge" && r.numberId === "tf-1"), JSON.stringify(listed));
  // What the burst cost: the granted minutes at 9 + 2 credits, and not one more.
  const wallet = (await api("GET", "/billing/wallet", a.read)).body;
  const spent = 100000 - Number(plain(wallet.balance));
  assert.equal(spent, outcome.granted * 11 + 10 * 11 + 10 * 9, JSON.stringify({ outcome, wallet }));
  const o = (await api("GET", "/billing/limits/inbound", a.read)).body;
  assert.ok(o.hour.perNumber["tf-1"] <= 1080, JSON.stringify(o.hour));
  console.log(`edge pumping: ${outcome.granted} of 40 one-minute calls to tf-1 granted (${outcome.granted * 60} s, limit 1,080 s an hour), ${outcome.refused} rejected by the surge rule, ${outcome.other} other calls all granted; the burst cost ${outcome.granted * 11} credits`);
});
