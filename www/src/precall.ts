// The pre-call check: authorizeCall on the opening account, or on the account as the
// preview leaves it. Shows maxSeconds, and the 402 body or the inbound rejection exactly as
// the server and the edge worker answer them (SEMANTICS 9, seed 001).
import { authorizeCall, startCall, type Account, type AuthorizeInput } from "drawdown";
import { $, clearMarks, el, figure, input, int, select, setValue, showError, text } from "./dom";
import { credits, duration } from "./format";
import { scenarioRun } from "./preview";
import { engineAccount, state, update, type AppState } from "./state";

export function fillPrecall(at: string): void {
  select("pc-dir").value = "outbound";
  input("pc-tf").checked = false;
  setValue("pc-at", at);
  setValue("pc-max", null);
}

/** The account after the scenario: the preview's own `accountAfter` (grants, reloads, what
 * is owed, agents' spend, cycle), as a ledger would hold it. */
function afterPreview(s: AppState): Account {
  const run = scenarioRun(s);
  if (!run.preview) throw run.error;
  return run.preview.accountAfter;
}

function render(s: AppState): void {
  const form = $("precall-form");
  const msg = $("precall-msg");
  const out = $("precall-out");
  clearMarks(form, msg);
  out.replaceChildren();
  try {
    const opening = engineAccount(s);
    const account = input("pc-after").checked ? afterPreview(s) : opening;
    const max = int("pc-max");
    const call: AuthorizeInput["call"] = {
      direction: select("pc-dir").value as "inbound" | "outbound",
      tollFree: input("pc-tf").checked,
      agentId: "agent-1",
      at: text("pc-at") ?? "",
      ...(max === null ? {} : { requestedMaxSeconds: max }),
    };
    const req: AuthorizeInput = { rateCard: s.rateCard, account, call };
    $("precall-input").textContent = JSON.stringify(req, null, 2);
    const a = authorizeCall(req);
    const dl = el("dl", { class: "figures" });
    figure(dl, "Allowed", a.allowed ? "yes" : "no", String(a.allowed), "allowed");
    figure(dl, "Longest call", `${duration(a.maxSeconds)} (${a.maxSeconds} s)`, String(a.maxSeconds), "maxSeconds");
    figure(dl, "Spendable credits", credits(a.availableCredits), a.availableCredits, "availableCredits");
    figure(dl, "Included seconds", String(a.includedSeconds), String(a.includedSeconds), "includedSeconds");
    out.append(el("p", { class: `verdict ${a.allowed ? "ok" : "no"}`, "data-code": a.code }, a.allowed ? `Allowed: the call may last ${duration(a.maxSeconds)}.` : verdict(a.code, a.action)), dl);
    // What a live start would be granted now (SEMANTICS 11): the default 5-minute quota,
    // against the pools the account's live calls leave.
    if (a.allowed) {
      const g = startCall({ rateCard: s.rateCard, account, call: { id: "precall-probe", ...call } });
      figure(dl, "A start now is granted", `${duration(g.grantedSeconds)}${g.finalQuota ? " (final: end the call then)" : ", then extend"}`, String(g.grantedSeconds), "grantedSeconds");
      figure(dl, "Credits it holds", credits(g.hold?.credits ?? "0"), g.hold?.credits ?? "0", "holdCredits");
    }
    if (a.httpStatus === 402 && a.error) {
      out.append(
        el("p", {}, "The server and the edge worker answer:"),
        el("pre", { class: "http", "data-status": "402" }, `HTTP/1.1 402 Payment Required\ncontent-type: application/json\n\n${JSON.stringify({ error: a.error }, null, 2)}`),
      );
    } else if (a.action === "reject_inbound") {
      out.append(el("pre", { class: "http", "data-action": "reject_inbound" }, JSON.stringify({ allowed: false, code: a.code, action: a.action }, null, 2)));
    }
  } catch (e) {
    showError(form, msg, e);
  }
}

function verdict(code: string, action: string | undefined): string {
  const why: Record<string, string> = {
    insufficient_credits: "not enough credits for a single billable second",
    plan_exhausted: "the plan is used up and the agent is set to stop",
    agent_limit_reached: "the agent has reached its monthly limit",
  };
  return `Refused (${code}): ${why[code] ?? code}${action === "reject_inbound" ? "; the inbound call is rejected with an error message" : ""}.`;
}

export function mountPrecall(subscribe: (f: (s: AppState) => void) => void): void {
  $("precall-form").addEventListener("input", () => update({}));
  subscribe(render);
  render(state());
}
