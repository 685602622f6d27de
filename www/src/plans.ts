// The plan comparison (issue 30, point 8: the mission's "preview plan versus wallet drawdown"
// on the customer's own data): the account's last cycle of usage, as the server read it back
// (`GET /billing/usage/events`), drawn down by the engine in the browser on each plan of the
// catalogue, before a switch. Amounts stay the engine's decimal strings.
import { addDecimals, previewDrawdown, type Account, type Plan, type RateCard, type Usage } from "drawdown";
import { $, el } from "./dom";
import { credits, creditsWorth, minorUnits, minutes, money } from "./format";
import { get, type Live } from "./live";

interface UsageEvents {
  timeZone: string;
  from: string;
  to: string;
  items: Usage[];
  skipped: number;
}

/** What one plan would have cost on the usage: its fee, and the credits past its allowance. */
export interface PlanCost {
  plan: Plan;
  includedUsed: number;
  pastPlan: string;
  total: string;
}

/** `YYYY-MM-DD` of an instant in `timeZone`. */
function localDate(instant: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(instant));
}

/** A local date a month earlier (the 31st clamps to the month's last day, as cycles do). */
function monthBefore(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const [py, pm] = m === 1 ? [y - 1, 12] : [y, m - 1];
  const last = new Date(Date.UTC(py, pm, 0)).getUTCDate();
  return `${py}-${String(pm).padStart(2, "0")}-${String(Math.min(d, last)).padStart(2, "0")}`;
}

function dayBefore(date: string): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() - 1);
  return t.toISOString().slice(0, 10);
}

/** The last whole cycle's usage; for an account in its first cycle, this cycle's so far. */
async function lastCycle(token: string, l: Live): Promise<{ events: UsageEvents; words: string }> {
  const tz = l.account.timeZone ?? "UTC";
  const start = l.account.cycle?.start;
  if (start) {
    const from = monthBefore(localDate(start, tz));
    const events = await get<UsageEvents>(`/billing/usage/events?from=${from}&to=${dayBefore(localDate(start, tz))}`, token);
    if (events.items.length) return { events, words: `your last cycle (${events.from} to ${events.to})` };
  }
  const from = start ? localDate(start, tz) : dayBefore(monthBefore(localDate(l.asOf, tz)));
  const events = await get<UsageEvents>(`/billing/usage/events?from=${from}&to=${localDate(l.asOf, tz)}`, token);
  return { events, words: `your usage from ${events.from} to ${events.to}` };
}

/** One cycle of `plan` from the first item on, with nothing in the wallet: what the usage
 * costs past the plan's included minutes and credits is what the drawdown leaves owed. */
export function costOn(card: RateCard, versions: RateCard[], plan: Plan, items: Usage[], timeZone: string): PlanCost {
  const first = items.reduce((t, u) => (u.at < t ? u.at : t), items[0]?.at ?? new Date().toISOString());
  const end = new Date(Date.parse(first) + 32 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  const seconds = Number(plan.includedMinutes ?? 0) * 60;
  const account: Account = {
    timeZone,
    plan,
    cycle: { start: first, end },
    includedSecondsRemaining: seconds,
    grants: plan.includedCredits ? [{ id: "plan-credits", type: "plan", remaining: String(plan.includedCredits), expiresAt: end }] : [],
  };
  const p = previewDrawdown({ rateCard: card, rateCardVersions: versions, account, usage: items, detail: "summary" });
  const fee = plan.monthlyFee ? String(plan.monthlyFee) : "0";
  const worth = creditsWorth(p.owed, String(card.creditsPerUnit), minorUnits(card.currency));
  return { plan, includedUsed: seconds - p.includedSecondsRemaining, pastPlan: p.owed, total: addDecimals(fee, worth || "0") };
}

function row(c: PlanCost, current: boolean, currency: string): HTMLTableRowElement {
  const name = `${c.plan.name ?? c.plan.id}${current ? " (your plan)" : ""}`;
  return el(
    "tr",
    { "data-plan": c.plan.id },
    el("th", { scope: "row" }, name),
    el("td", { class: "num", "data-label": "Fee" }, money(String(c.plan.monthlyFee ?? "0"), currency)),
    el("td", { class: "num", "data-label": "Included used", "data-value": String(c.includedUsed) }, minutes(c.includedUsed)),
    el("td", { class: "num", "data-label": "Past the plan", "data-value": c.pastPlan }, `${credits(c.pastPlan)} credits`),
    el("td", { class: "num", "data-label": "In all", "data-value": c.total }, money(c.total, currency)),
  );
}

/** Fill `#plan-compare` with every plan's cost on the account's own last cycle. */
export async function showPlanComparison(token: string, l: Live, catalogue: Plan[]): Promise<void> {
  const table = $("plan-compare");
  const caption = $("plan-compare-words");
  const { events, words } = await lastCycle(token, l);
  const tz = l.account.timeZone ?? "UTC";
  const card = l.rateCard;
  const costs = catalogue.map((p) => costOn(card, l.rateCardVersions ?? [], p, events.items, tz));
  table.querySelector("tbody")!.replaceChildren(...costs.map((c) => row(c, c.plan.id === l.plan?.id, card.currency)));
  const skipped = events.skipped ? ` (${events.skipped} number rentals at a prorated rate left out)` : "";
  caption.textContent = `What ${words} would have cost on each plan: ${events.items.length} usage items${skipped}, drawn down by the engine in your browser.`;
  table.dataset.from = events.from;
  table.dataset.to = events.to;
}
