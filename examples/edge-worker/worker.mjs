// A Cloudflare Worker: the pre-call check and the live-call routes at the edge, next to the
// platform's telephony, granting from a lease of the authoritative server (SEMANTICS 12).
//
//   POST /calls/authorize       { direction, tollFree?, agentId?, at?, requestedMaxSeconds? } (or { call })
//   POST /calls                 { id, direction, tollFree?, agentId?, at?, quotaSeconds?, requestedMaxSeconds? }
//   POST /calls/{id}/extend     { at?, quotaSeconds? }
//   POST /calls/{id}/end        { at?, connectedSeconds, transfer?, carrierPassThrough? }
//   GET  /edge/state            the account's lease, what waits to be reported, counters
//   POST /edge/release          report everything and give the lease back
// Answers are the server's (CONTRACT's live-call routes): 200 with the grant, 402 when an
// outbound call has no credit, coded errors otherwise; an end answers the billed item at
// once and reaches the server's books with the next report.
//
// Every request carries the platform's API key (`Authorization: Bearer dd_sk_...`, a key with
// the `billing:lease` scope). The Worker asks the server whose key it is once
// (`GET /auth/whoami`), remembers the answer for AUTH_CACHE_SECONDS, and hands the request
// to the account's Durable Object (`AccountEdge`), which does the rest.
export { AccountEdge } from "./account.mjs";

/** Keys remembered at most; past it the cache starts over (a burst of bad keys cannot grow it). */
const MAX_CACHED_KEYS = 10_000;
const LEASE_SCOPE = "billing:lease";

const known = new Map(); // sha256(key) -> { account, until }

const json = (body, status = 200, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const failure = (status, code, message) => json({ error: { code, message } }, status);

/** The routes and their methods; anything else is answered here without waking an object. */
function route(method, path) {
  const routes = [
    ["POST", /^\/calls\/authorize$/],
    ["POST", /^\/calls$/],
    ["POST", /^\/calls\/[^/]+\/(extend|end)$/],
    ["GET", /^\/edge\/state$/],
    ["POST", /^\/edge\/release$/],
  ];
  const found = routes.find(([, re]) => re.test(path));
  if (!found) return failure(404, "not_found", `no route ${path}`);
  if (found[0] !== method) return failure(405, "method_not_allowed", `use ${found[0]} ${path}`);
  return null;
}

async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whose key this is, from the cache or the server; a Response when it may not be used here. */
async function identify(key, env) {
  const hash = await sha256(key);
  const hit = known.get(hash);
  if (hit && hit.until > Date.now()) return hit.account;
  let res;
  try {
    res = await fetch(`${String(env.DRAWDOWN_URL).replace(/\/$/, "")}/auth/whoami`, {
      headers: { authorization: `Bearer ${key}` },
    });
  } catch {
    if (hit) return hit.account; // the server is away: a key it accepted recently still is
    return failure(503, "edge_unavailable", "the billing server cannot be reached to check the key");
  }
  if (res.status === 401) return failure(401, "unauthorized", "unknown API key");
  if (!res.ok) return hit ? hit.account : failure(503, "edge_unavailable", `the key check failed (${res.status})`);
  const who = await res.json();
  if (!who.scopes?.includes(LEASE_SCOPE)) {
    return failure(403, "insufficient_scope", `this key lacks the \`${LEASE_SCOPE}\` scope the edge needs`);
  }
  if (known.size >= MAX_CACHED_KEYS) known.clear();
  const seconds = Number.parseInt(env.AUTH_CACHE_SECONDS ?? "60", 10);
  known.set(hash, { account: who.accountId, until: Date.now() + seconds * 1000 });
  return who.accountId;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const refused = route(request.method, url.pathname);
    if (refused) return refused;
    const key = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    if (!key) return failure(401, "unauthorized", "send the platform's API key as `Authorization: Bearer …`");
    const account = await identify(key, env);
    if (account instanceof Response) return account;
    const headers = new Headers({ "content-type": "application/json", "x-drawdown-account": account, "x-drawdown-key": key });
    const object = env.ACCOUNTS.get(env.ACCOUNTS.idFromName(account));
    return object.fetch(new Request(url, { method: request.method, headers, body: request.body }));
  },
};
