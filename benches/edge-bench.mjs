#!/usr/bin/env node
// The edge pre-call check measured (issue 13): a call start answered by the account's
// Durable Object in workerd from its lease, beside the same start at `drawdown serve`;
// then 64 concurrent calls and the share of their starts answered without the server.
// Usage: node benches/edge-bench.mjs   (after scripts/build-pkg.sh and
//        cargo build --release --features server)
import { Harness, sleep } from "../examples/edge-worker/harness.mjs";
import { openEdge } from "../pkg/edge-node.js";

const ROUNDS = Number(process.env.ROUNDS ?? 500);

function percentiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2);
  return { p50: at(0.5), p99: at(0.99) };
}

async function timed(f) {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** Sequential starts (each ended untimed), by `start(i)`. */
async function sequential(start, end) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    samples.push(await timed(() => start(i)));
    await end(i);
  }
  return percentiles(samples);
}

/** 64 calls at once, each started, extended once and ended; the starts' latencies and the
 * object's count of starts that did not wait on the server. */
async function burst(h, a, tag) {
  const samples = [];
  await Promise.all(
    Array.from({ length: 64 }, async (_, i) => {
      const id = `${tag}${i}`;
      samples.push(await timed(() => h.edge("POST", "/calls", a.edge, { id, direction: "outbound", quotaSeconds: 120 })));
      await h.edge("POST", `/calls/${id}/extend`, a.edge, { quotaSeconds: 120 });
      await h.edge("POST", `/calls/${id}/end`, a.edge, { connectedSeconds: 150 });
    }),
  );
  const state = await h.drained(a.edge, 30000);
  return { ...percentiles(samples), local: state.stats.local, starts: state.stats.starts, renewals: state.stats.syncs };
}

/** The engine's share of an edge start: the package's state machine (what the object runs
 * for a start) stepped in Node with a lease from the server, without workerd, storage or
 * the network: `step` for a start, and `state()`, the text the object then stores. */
async function engineShare(h, a, leaseCredits) {
  const settings = { leaseId: `node-${leaseCredits}`, credits: leaseCredits, includedSeconds: 0, planCredits: "0",
    ttlSeconds: 3600, idleSeconds: 3600, liveSkewSeconds: 5 };
  const edge = openEdge({ settings });
  let out = edge.step(Date.now(), { kind: "request", rid: 0, request: { method: "POST", path: "/calls", body: '{"id":"w","direction":"outbound"}' } });
  const send = out.sends[0];
  const reply = await h.api(send.method, send.path, a.edge, send.body);
  out = edge.step(Date.now(), { kind: "reply", seq: send.seq, status: reply.status, body: JSON.stringify(reply.body) });
  const step = [];
  const state = [];
  for (let i = 0; i < ROUNDS; i++) {
    const body = JSON.stringify({ id: `n${i}`, direction: "outbound", quotaSeconds: 120 });
    step.push(await timed(async () => edge.step(Date.now(), { kind: "request", rid: i + 1, request: { method: "POST", path: "/calls", body } })));
    state.push(await timed(async () => edge.state()));
    edge.step(Date.now(), { kind: "request", rid: -1, request: { method: "POST", path: `/calls/n${i}/end`, body: '{"connectedSeconds":30}' } });
  }
  edge.free();
  return { step: percentiles(step), state: percentiles(state) };
}

const h = new Harness();
try {
  await h.startServer();
  const rows = [];
  for (const leaseCredits of ["300", "3000"]) {
    h.mf = h.miniflare({ leaseCredits, dir: `objects-${leaseCredits}` });
    await h.mf.ready;
    const a = await h.account(`bench-${leaseCredits}`, "1000000");
    // Warm: the key checked and cached, the object awake with its lease.
    await h.edge("POST", "/calls/authorize", a.edge, { call: { direction: "outbound" } });
    const floor = percentiles(await Promise.all([]).then(async () => {
      const s = [];
      for (let i = 0; i < ROUNDS; i++) s.push(await timed(() => h.edge("GET", "/edge/state", a.edge)));
      return s;
    }));
    const edgeStart = await sequential(
      (i) => h.edge("POST", "/calls", a.edge, { id: `s${i}`, direction: "outbound", quotaSeconds: 120 }),
      (i) => h.edge("POST", `/calls/s${i}/end`, a.edge, { connectedSeconds: 30 }),
    );
    const serverStart = await sequential(
      (i) => h.api("POST", "/calls", a.key, { id: `v${i}`, direction: "outbound", quotaSeconds: 120 }),
      (i) => h.api("POST", `/calls/v${i}/end`, a.key, { connectedSeconds: 30 }),
    );
    await sleep(200);
    const b = await burst(h, a, "b");
    const engine = await engineShare(h, a, leaseCredits);
    rows.push({ leaseCredits, floor, edgeStart, serverStart, burst: b, engine });
    await h.mf.dispose();
    h.mf = null;
  }
  console.log(`edge benchmark, ${ROUNDS} sequential starts each (ms, client round trip through miniflare)`);
  for (const r of rows) {
    console.log(`lease target ${r.leaseCredits} credits:`);
    console.log(`  object round trip floor (GET /edge/state)  p50 ${r.floor.p50}  p99 ${r.floor.p99}`);
    console.log(`  start at the edge (warm lease)             p50 ${r.edgeStart.p50}  p99 ${r.edgeStart.p99}`);
    console.log(`  start at drawdown serve (SQLite, loopback) p50 ${r.serverStart.p50}  p99 ${r.serverStart.p99}`);
    console.log(`  the machine's step for a start (Node)     p50 ${r.engine.step.p50}  p99 ${r.engine.step.p99}; its state() p50 ${r.engine.state.p50}  p99 ${r.engine.state.p99}`);
    console.log(`  64 concurrent calls: starts p50 ${r.burst.p50} p99 ${r.burst.p99}; ` +
      `${r.burst.local}/${r.burst.starts} starts answered without the server; ${r.burst.renewals} renewals in all`);
  }
} finally {
  await h.close();
}
