// A Cloudflare Workers module: the pre-call credit check at the edge.
//
// POST /precall with the contract's authorizeCall input
//   { "rateCard": {...}, "account": {...}, "call": { "direction", "tollFree", "agentId", "at", ... } }
// answers
//   200 { "allowed": true, "code": "ok", "maxSeconds": N, ... }                 the call may start
//   402 { "error": { "code": "insufficient_credits", "message": ... } }          outbound, no credit (seed 001)
//   200 { "allowed": false, "action": "reject_inbound", "error": {...}, ... }    inbound: play a message, log it rejected
//   400 { "error": { "code", "field"?, "message" } }                             bad input
// The engine is the same code the dashboard previews with and the server deducts with.
import { authorizeCall, errorDocument, isDrawdownError } from "drawdown";

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname !== "/precall") {
      return json({ error: { code: "not_found", message: "POST /precall" } }, 404);
    }
    if (request.method !== "POST") {
      return json({ error: { code: "method_not_allowed", message: "use POST" } }, 405);
    }
    let input;
    try {
      input = await request.json();
    } catch {
      return json({ error: { code: "invalid_json", message: "the body is not JSON" } }, 400);
    }
    try {
      const answer = authorizeCall(input);
      if (!answer.allowed && answer.httpStatus === 402) {
        return json({ error: answer.error }, 402);
      }
      return json(answer);
    } catch (e) {
      if (isDrawdownError(e)) {
        return json(errorDocument(e), 400);
      }
      throw e;
    }
  },
};
