#!/usr/bin/env node
// The edge pre-call check measured (issue 13): a call start answered by the account's
// Durable Object in workerd from its lease, beside the same start at `drawdown serve`;
// then 64 concurrent calls and the share of their starts answered without the server.
// Usage: node benches/edge-bench.mjs   (after scripts/build-pkg.sh and
//        cargo build --release --features server)
import { Harness, sleep } from "../examples/edge-worker/harness.mjs";

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
    rows.push({ leaseCredits, floor, edgeStart, serverStart, burst: b });
    await h.mf.dispose();
    h.mf = null;
  }
  console.log(`edge benchmark, ${ROUNDS} sequential starts each (ms, client round trip through miniflare)`);
  for (const r of rows) {
    console.log(`lease target ${r.leaseCredits} credits:`);
    console.log(`  object round trip floor (GET /edge/state)  p50 ${r.floor.p50}  p99 ${r.floor.p99}`);
    console.log(`  start at the edge (warm lease)             p50 ${r.edgeStart.p50}  p99 ${r.edgeStart.p99}`);
    console.log(`  start at drawdown serve (SQLite, loopback) p50 ${r.serverStart.p50}  p99 ${r.serverStart.p99}`);
    console.log(`  64 concurrent calls: starts p50 ${r.burst.p50} p99 ${r.burst.p99}; ` +
      `${r.burst.local}/${r.burst.starts} starts answered without the server; ${r.burst.renewals} renewals in all`);
  }
} finally {
  await h.close();
}
