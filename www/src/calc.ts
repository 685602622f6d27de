// The call cost calculator: quoteCall on the edited rate card, every charge line explained
// in words from the engine's own quantities, rates and increments (SEMANTICS 2-4).
import { quoteCall, type Call, type ChargeLine } from "drawdown";
import { $, clearMarks, el, input, int, select, setValue, showError, text } from "./dom";
import { credits, duration, money } from "./format";
import { state, update, type AppState } from "./state";

const names: Record<string, string> = {
  "voice.ai_minutes": "AI voice minutes",
  "voice.included_minutes": "Included minutes",
  "voice.connect_fee": "Connect fee",
  "voice.toll_free_surcharge": "Toll-free surcharge",
  "voice.carrier_pass_through": "Carrier pass-through",
  transfer_minute: "Transfer minutes",
  "chat.message": "Chat messages",
  "number.rental": "Number rental",
};

/** Why a line costs what it costs, from the line alone (no arithmetic on amounts). */
export function explain(l: ChargeLine, currency: string): string {
  const secs = Number(l.quantity);
  const billed = l.unit === "second" && Number.isSafeInteger(secs) ? duration(secs) : `${l.quantity} ${l.unit}`;
  const inc = l.increment ? `, billed in ${l.increment} s increments` : "";
  switch (l.code) {
    case "voice.included_minutes":
      return `${billed} drawn from the plan's included minutes${inc}: no credits`;
    case "voice.connect_fee":
      return `a flat ${l.rate} credits when the call connects`;
    case "voice.carrier_pass_through":
      return `${money(l.quantity, currency)} carrier cost passed through at cost${l.reason ? ` (${l.reason})` : ""}, ${l.rate} credits per ${currency}`;
    case "chat.message":
      return `${l.quantity} messages × ${l.rate} credits`;
    case "number.rental":
      return `${l.quantity} × ${l.rate} credits a month`;
    default:
      return `${billed} × ${l.rate} credits per minute${inc}`;
  }
}

function readCall(): { call: Call; included: number | null } {
  const bridged = int("cc-bridged");
  const carrier = text("cc-carrier");
  const call: Call = {
    direction: select("cc-dir").value as Call["direction"],
    tollFree: input("cc-tf").checked,
    connectedSeconds: int("cc-secs") ?? 0,
    ...(bridged === null ? {} : { transfer: { bridgedSeconds: bridged } }),
    ...(carrier === null ? {} : { carrierPassThrough: [{ amount: carrier, reason: "carrier" }] }),
  };
  return { call, included: int("cc-incl") };
}

export function fillCall(call: Call, included: number | null): void {
  select("cc-dir").value = call.direction;
  input("cc-tf").checked = call.tollFree ?? false;
  setValue("cc-secs", call.connectedSeconds);
  setValue("cc-bridged", call.transfer?.bridgedSeconds);
  setValue("cc-carrier", call.carrierPassThrough?.[0]?.amount);
  setValue("cc-incl", included);
}

function render(s: AppState): void {
  const form = $("calc-form");
  const msg = $("calc-msg");
  const body = $("calc-lines").querySelector("tbody")!;
  clearMarks(form, msg);
  body.replaceChildren();
  const total = $("calc-total");
  const totalMoney = $("calc-money");
  try {
    const q = quoteCall({ rateCard: s.rateCard, plan: s.plan, includedSecondsRemaining: s.includedSecondsRemaining, call: s.call });
    const currency = q.totalMoney.currency;
    for (const l of q.lines) {
      body.append(
        el(
          "tr",
          { "data-code": l.code },
          el("th", { scope: "row" }, names[l.code] ?? l.code),
          el("td", {}, explain(l, currency)),
          el("td", { class: "num", "data-value": l.credits }, credits(l.credits)),
        ),
      );
    }
    if (q.lines.length === 0) body.append(el("tr", {}, el("td", { colspan: "3" }, "Nothing to charge.")));
    total.textContent = `${credits(q.totalCredits)} credits`;
    total.dataset.value = q.totalCredits;
    totalMoney.textContent = money(q.totalMoney.amount, currency);
    totalMoney.dataset.value = q.totalMoney.amount;
  } catch (e) {
    total.textContent = "—";
    totalMoney.textContent = "";
    total.dataset.value = totalMoney.dataset.value = "";
    // A rate-card error belongs to the editor above; a call error to this form.
    const code = showError(form, msg, e);
    if (code && (e as { field?: string }).field?.startsWith("rateCard")) msg.textContent += " — fix the rate card above.";
  }
}

export function mountCalc(subscribe: (f: (s: AppState) => void) => void): void {
  $("calc-form").addEventListener("input", () => {
    const { call, included } = readCall();
    update({ call, includedSecondsRemaining: included });
  });
  subscribe(render);
  render(state());
}
