// What the edge Worker's tests and benchmark share: a real `drawdown serve` on loopback (its
// SQLite file kept across restarts), accounts made through its admin API, and the Worker in
// real workerd through miniflare: the bundle `wrangler deploy --dry-run` makes from this
// directory (the package resolved through its `workerd` export, its .wasm a compiled
// module), with the bindings of wrangler.jsonc and Durable Object storage on disk.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const here = new URL(".", import.meta.url);
const root = new URL("../../", import.meta.url);
const pkg = new URL("pkg/", root);
const read = (url) => readFileSync(url, "utf8");
/** The files a deployment is made of (what `wrangler deploy` reads in this directory). */
const SOURCES = ["worker.mjs", "account.mjs", "wrangler.jsonc", "package.json"];
const ADMIN = "edge-test-admin-token-0123456789abcdef";
const card = JSON.parse(read(new URL("examples/demo-rate-card.json", root)));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const minutes = (seconds) => Math.ceil(seconds / 60);
/** A decimal string without trailing zeros, to compare amounts as text. */
export const plain = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);

export class Harness {
  constructor() {
    this.tmp = mkdtempSync(join(tmpdir(), "drawdown-edge-"));
    this.server = null; // { child, url, port }
    this.mf = null;
    this.bundle = null;
  }

  /** The Worker as `wrangler deploy` would upload it, built offline with `--dry-run`, the
   * package installed as `drawdown` (a link to the built pkg/, as `npm install` makes). */
  build() {
    const dir = join(this.tmp, "deploy");
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    for (const f of SOURCES) copyFileSync(new URL(f, here), join(dir, f));
    symlinkSync(new URL(pkg).pathname, join(dir, "node_modules", "drawdown"));
    const wrangler = new URL("node_modules/.bin/wrangler", root).pathname;
    execFileSync(wrangler, ["deploy", "--dry-run", "--outdir", "out"], {
      cwd: dir,
      stdio: "pipe",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    });
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(dir, "wrangler.jsonc"));
    this.bundle = { script: join(dir, "out", "worker.js"), options: workerOptions };
  }

  /** `drawdown serve` on `port` (0: any), on the harness's SQLite file. */
  async startServer(port = 0) {
    const bin = new URL("target/release/drawdown", root).pathname;
    const args = ["serve", "--addr", `127.0.0.1:${port}`, "--database-url", `sqlite:${join(this.tmp, "dd.db")}`, "--admin-token", ADMIN];
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    this.server = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`drawdown serve did not start:\n${out}`)), 20000);
      child.stdout.on("data", (b) => {
        out += b;
        const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve({ child, url, port: Number(new URL(url).port) });
        }
      });
      child.on("exit", (c) => reject(new Error(`drawdown serve exited ${c}:\n${out}`)));
    });
    return this.server;
  }

  async stopServer() {
    const exited = new Promise((r) => this.server.child.once("exit", r));
    this.server.child.kill("SIGKILL");
    await exited;
  }

  async api(method, path, token, body, idem) {
    const r = await fetch(`${this.server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(idem ? { "idempotency-key": idem } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  }

  /** An account with `credits` in its wallet (and the snapshot's `more` fields): its write key,
   * read key and an edge key (`billing:lease`). */
  async account(id, credits, more = {}) {
    const made = await this.api("POST", "/admin/accounts", ADMIN, {
      id,
      rateCard: card,
      account: { grants: [{ id: "w", type: "prepaid", remaining: credits }], ...more },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const edge = await this.api("POST", `/admin/accounts/${id}/credentials`, ADMIN, { kind: "key", scopes: ["billing:lease"] });
    assert.equal(edge.status, 201, JSON.stringify(edge.body));
    return { id, key: made.body.apiKey, read: made.body.readKey, edge: edge.body.token };
  }

  /** The Worker in workerd, its objects' storage in `dir` (kept across a new Miniflare). */
  miniflare({ leaseSeconds = 600, leaseCredits = "300", dir = "objects" } = {}) {
    if (!this.bundle) this.build();
    const o = this.bundle.options;
    return new Miniflare({
      compatibilityDate: o.compatibilityDate,
      compatibilityFlags: o.compatibilityFlags,
      modules: true,
      modulesRules: o.modulesRules,
      modulesRoot: dirname(this.bundle.script),
      scriptPath: this.bundle.script,
      durableObjects: o.durableObjects,
      durableObjectsPersist: join(this.tmp, dir),
      bindings: {
        ...o.bindings,
        DRAWDOWN_URL: this.server.url,
        LEASE_CREDITS: leaseCredits,
        LEASE_SECONDS: String(leaseSeconds),
      },
    });
  }

  async edge(method, path, key, body, mf = this.mf) {
    const r = await mf.dispatchFetch(`http://edge.test${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null, replayed: r.headers.get("x-replayed") === "true" };
  }

  /** Until the object has reported every ended call (the test fails past `ms`). */
  async drained(key, ms = 15000, mf = this.mf) {
    const until = Date.now() + ms;
    for (;;) {
      const s = (await this.edge("GET", "/edge/state", key, undefined, mf)).body;
      if (s.pending === 0) return s;
      assert.ok(Date.now() < until, `ended calls still waiting to be reported: ${JSON.stringify(s)}`);
      await sleep(100);
    }
  }

  /** How many `usage` entries the account's ledger has per reference. */
  async usageEntries(acct) {
    const refs = new Map();
    let afterSeq = 0;
    for (;;) {
      const page = await this.api("GET", `/billing/ledger?after=${afterSeq}&limit=500`, acct.read);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      if (page.body.entries.length === 0) return refs;
      for (const e of page.body.entries) {
        afterSeq = e.seq;
        if (e.kind === "usage") refs.set(e.reference, (refs.get(e.reference) ?? 0) + 1);
      }
    }
  }

  async close() {
    await this.mf?.dispose();
    this.server?.child.kill("SIGKILL");
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
