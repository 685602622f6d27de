// The customer's billing portal (seeds 000-002): the live account only. Every figure comes from
// the server through the session; the engine (WebAssembly) checks what the user types by the
// rules the server applies. No preset or sample data ever reaches this page's forms.
import { init as initEngine } from "drawdown";
import { mountBilling, refreshBooks, setBooksAccount } from "./billing";
import { showAccount } from "./account";
import { $, el, figure, labelStackedTables } from "./dom";
import { credits, duration, minutes, money, when } from "./format";
import { LiveError, forget, loadLive, session, type Live } from "./live";
import { showLimits } from "./limits";
import { badge, showEngineVersion, showZone } from "./page";
import { presets } from "./presets";
import { cardWords, showMethods, type SavedMethod } from "./methods";
import { fillReload, mountReload, reloadHasEdits, validate } from "./reload";
import { init, state, subscribe, update } from "./state";

function showWallet(l: Live): void {
  $("live").hidden = false;
  const dl = $("live-figures");
  dl.replaceChildren();
  const w = l.wallet;
  figure(dl, "Account", l.accountId, l.accountId, "accountId");
  figure(dl, "Balance", `${credits(w.balance)} credits`, w.balance, "balance");
  figure(dl, "Worth", money(w.balanceMoney.amount, w.balanceMoney.currency), w.balanceMoney.amount, "balanceMoney");
  figure(dl, "Owed", `${credits(w.owed)} credits`, w.owed, "owed");
  // A live call holds wallet credits and, on a plan, included minutes too (SEMANTICS 11).
  const heldSeconds = l.calls.reduce((n, c) => n + (c.hold?.includedSeconds ?? 0), 0);
  const heldMinutes = heldSeconds ? ` and ${minutes(heldSeconds)} included` : "";
  figure(dl, "Held by live calls", `${credits(w.held)} credits${heldMinutes}`, w.held, "held");
  figure(dl, "Available for new calls", `${credits(w.available)} credits`, w.available, "available");
  figure(dl, "Plan", l.plan?.name ?? l.plan?.id ?? "no plan", l.plan?.id ?? "", "plan");
  figure(dl, "Included minutes left", minutes(w.includedSecondsRemaining), String(w.includedSecondsRemaining), "includedSecondsRemaining");
  figure(dl, "Alert state", (w.alertState ?? "ok").replace("_", " "), w.alertState ?? "ok", "alertState");
  const usage = l.usage.summary;
  figure(dl, "Usage this period", `${credits(usage.totalCredits)} credits · ${money(usage.totalMoney.amount, usage.totalMoney.currency)}`, usage.totalCredits, "usageCredits");
  const body = $("live-usage").querySelector("tbody")!;
  body.replaceChildren(
    ...l.usage.usage.map((u) =>
      el("tr", { "data-channel": u.channel }, el("td", {}, u.channel), el("td", {}, quantityWords(u.quantity, u.unit)), el("td", { class: "num", "data-value": u.credits }, credits(u.credits))),
    ),
  );
  if (!l.usage.usage.length) body.append(el("tr", {}, el("td", { colspan: "3" }, "No usage recorded yet.")));
  showCalls(l);
}

/** A usage quantity in words: seconds in the plan's unit (minutes), other units counted. */
function quantityWords(quantity: string, unit: string): string {
  const n = Number(quantity);
  if (unit === "second" && Number.isSafeInteger(n)) return minutes(n);
  return `${credits(quantity)} ${unit}${quantity === "1" || unit.endsWith("s") ? "" : "s"}`;
}

function showCalls(l: Live): void {
  const tz = l.account.timeZone ?? "UTC";
  const calls = $("live-calls").querySelector("tbody")!;
  calls.replaceChildren(
    ...l.calls.map((c) => {
      const h = c.hold;
      const plan = `${credits(h?.planCredits ?? "0")}${h && h.includedSeconds > 0 ? ` + ${minutes(h.includedSeconds)} included` : ""}`;
      return el(
        "tr",
        { "data-call": c.id },
        el("td", {}, c.id),
        el("td", {}, when(c.startedAt, tz)),
        el("td", { "data-value": String(h?.grantedSeconds ?? 0) }, h ? duration(h.grantedSeconds) : "—"),
        el("td", { class: "num", "data-value": h?.credits ?? "0" }, credits(h?.credits ?? "0")),
        el("td", { class: "num", "data-value": h?.planCredits ?? "0" }, plan),
        el("td", {}, h ? when(h.validUntil, tz) : "—"),
      );
    }),
  );
  if (!l.calls.length) calls.append(el("tr", {}, el("td", { colspan: "6" }, "No calls in progress.")));
}

/** The state the auto-recharge check reads: the live card, plan and account. (The state's
 * call and scenario are the lab's; this page never shows them.) */
function liveState(l: Live, first: boolean): void {
  const sample = presets[0]!;
  const patch = { mode: "live" as const, accountId: l.accountId, rateCard: l.rateCard, rateCardVersions: l.rateCardVersions, plan: l.plan, account: l.account, autoReload: null };
  if (first) init({ ...patch, call: sample.call, includedSecondsRemaining: null, scenario: sample.scenario });
  else update(patch);
}

let mounted = false;
let cards: SavedMethod[] = [];

const PROVIDER_NOTE =
  "The card is confirmed with the payment provider. On a test server, 4242 4242 4242 4242 and " +
  "5555 5555 5555 4444 save; 4000 0000 0000 0002 is declined.";

/** Auto-recharge charges a saved card (seed 002): the form chooses from them, and cannot be
 * turned on while there is none. */
function fillCards(methods: SavedMethod[]): void {
  cards = methods;
  const sel = $<HTMLSelectElement>("ar-pm");
  const keep = sel.value;
  const options = methods.map((m) => new Option(`${cardWords(m)}${m.isDefault ? " (default)" : ""}`, m.id));
  sel.replaceChildren(...(options.length ? options : [new Option("No saved card: add one under Payment methods", "")]));
  const fallback = methods.find((m) => m.isDefault)?.id ?? "";
  sel.value = methods.some((m) => m.id === keep) ? keep : fallback;
  const on = $<HTMLInputElement>("ar-on");
  on.disabled = !methods.length && !on.checked;
  if (mounted) update({ autoReload: validate(state()) });
}

/** Load (or reload) the account; a form with edits not saved keeps them. */
async function load(token: string): Promise<void> {
  const l = await loadLive(token);
  const zone = l.account.timeZone ?? "UTC";
  liveState(l, !mounted);
  setBooksAccount(l.account, l.rateCard);
  showWallet(l);
  await showMethods(token, fillCards, PROVIDER_NOTE);
  if (!reloadHasEdits()) {
    fillReload(l.account.autoReload, l.account.limits?.minTopUp);
    // The card the settings name, when it is saved; else the default card is offered.
    fillCards(cards);
  }
  $("reload").hidden = false;
  if (!mounted) {
    mounted = true;
    mountReload(subscribe);
    // Nothing the server would refuse is sent: Save waits for settings that validate.
    subscribe((s) => ($<HTMLButtonElement>("ar-save").disabled = s.autoReload === null));
    await mountBilling(token, () => load(token));
  } else await refreshBooks();
  await Promise.all([showAccount(token, l, () => load(token)), showLimits(token, zone)]);
  showZone(zone);
  badge("live", `Account ${l.accountId}`);
}

async function main(): Promise<void> {
  await initEngine();
  showEngineVersion();
  labelStackedTables();
  const token = session();
  if (!token) {
    $("signin").hidden = false;
    badge("sample", "No account session");
  } else {
    try {
      await load(token);
    } catch (e) {
      if (e instanceof LiveError && (e.status === 401 || e.status === 403)) forget();
      const why = e instanceof LiveError ? `${e.code}: ${e.message}` : "the server is not reachable";
      $("signin").hidden = false;
      badge("sample", `The account could not be loaded (${why})`);
    }
  }
  $("live-refresh").addEventListener("click", () => {
    const t = session();
    if (t) void load(t).catch((e: unknown) => badge("error", `Refresh failed: ${String(e)}`));
  });
  document.body.dataset.ready = "true";
}

main().catch((e: unknown) => {
  badge("error", `The engine failed to load: ${String(e)}`);
});
