// The dashboard: loads the engine (the npm package's WebAssembly), fills the editors from a
// preset or from the live account, and wires every panel to the shared state.
import { init as initEngine, quoteCall, version } from "drawdown";
import { fillCall as fillCalc, mountCalc } from "./calc";
import { fillCard, mountCard } from "./card";
import { $, clearMarks, el, figure, showError } from "./dom";
import { credits, duration, minutes, money, when } from "./format";
import { LiveError, forget, loadLive, session, type Live } from "./live";
import { fillPrecall, mountPrecall } from "./precall";
import { fillScenario, mountPreview } from "./preview";
import { presets, type Preset } from "./presets";
import { fillReload, mountReload, reloadHasEdits } from "./reload";
import { mountBilling, refreshBooks, setBooksAccount } from "./billing";
import { showAccount } from "./account";
import { showLimits } from "./limits";
import { init, state, subscribe, update } from "./state";

function badge(mode: string, text: string): void {
  const b = $("source-badge");
  b.dataset.mode = mode;
  b.textContent = text;
}

function applyPreset(p: Preset): void {
  fillCard(p.rateCard, p.plan);
  fillCalc(p.call, null);
  fillScenario(p.scenario, p.account, false);
  fillReload(p.account.autoReload, p.account.limits?.minTopUp);
  update({
    mode: "sample",
    accountId: null,
    rateCard: p.rateCard,
    rateCardVersions: [],
    plan: p.plan,
    account: p.account,
    autoReload: null,
    call: p.call,
    includedSecondsRemaining: null,
    scenario: p.scenario,
  });
  fillPrecall(`${p.scenario.start}T09:00:00Z`);
}

/** The rate card is shared by every panel: its own errors are shown in its editor. */
function checkCard(): void {
  const s = state();
  const form = $("card-form");
  const msg = $("card-msg");
  clearMarks(form, msg);
  try {
    quoteCall({ rateCard: s.rateCard, plan: s.plan, call: { direction: "outbound", connectedSeconds: 0 } });
  } catch (e) {
    showError(form, msg, e);
  }
}

function showLive(l: Live): void {
  const panel = $("live");
  panel.hidden = false;
  const dl = $("live-figures");
  dl.replaceChildren();
  figure(dl, "Account", l.accountId, l.accountId, "accountId");
  figure(dl, "Balance", `${credits(l.wallet.balance)} credits`, l.wallet.balance, "balance");
  figure(dl, "Worth", money(l.wallet.balanceMoney.amount, l.wallet.balanceMoney.currency), l.wallet.balanceMoney.amount, "balanceMoney");
  figure(dl, "Owed", `${credits(l.wallet.owed)} credits`, l.wallet.owed, "owed");
  figure(dl, "Held by live calls", `${credits(l.wallet.held)} credits`, l.wallet.held, "held");
  figure(dl, "Available for new calls", `${credits(l.wallet.available)} credits`, l.wallet.available, "available");
  figure(dl, "Plan", l.plan?.name ?? l.plan?.id ?? "no plan", l.plan?.id ?? "", "plan");
  figure(dl, "Included minutes left", minutes(l.wallet.includedSecondsRemaining), String(l.wallet.includedSecondsRemaining), "includedSecondsRemaining");
  figure(dl, "Alert state", (l.wallet.alertState ?? "ok").replace("_", " "), l.wallet.alertState ?? "ok", "alertState");
  figure(dl, "Usage this period", `${credits(l.usage.summary.totalCredits)} credits · ${money(l.usage.summary.totalMoney.amount, l.usage.summary.totalMoney.currency)}`, l.usage.summary.totalCredits, "usageCredits");
  const body = $("live-usage").querySelector("tbody")!;
  body.replaceChildren(
    ...l.usage.usage.map((u) =>
      el("tr", { "data-channel": u.channel }, el("td", {}, u.channel), el("td", {}, `${credits(u.quantity)} ${u.unit}`), el("td", { class: "num", "data-value": u.credits }, credits(u.credits))),
    ),
  );
  if (!l.usage.usage.length) body.append(el("tr", {}, el("td", { colspan: "3" }, "No usage recorded yet.")));
  const tz = l.account.timeZone ?? "UTC";
  const calls = $("live-calls").querySelector("tbody")!;
  calls.replaceChildren(
    ...l.calls.map((c) => {
      const h = c.hold;
      return el(
        "tr",
        { "data-call": c.id },
        el("td", {}, c.id),
        el("td", {}, when(c.startedAt, tz)),
        el("td", { "data-value": String(h?.grantedSeconds ?? 0) }, h ? duration(h.grantedSeconds) : "—"),
        el("td", { class: "num", "data-value": h?.credits ?? "0" }, credits(h?.credits ?? "0")),
        el("td", { class: "num", "data-value": h?.planCredits ?? "0" }, `${credits(h?.planCredits ?? "0")}${h && h.includedSeconds > 0 ? ` + ${minutes(h.includedSeconds)} included` : ""}`),
        el("td", {}, h ? when(h.validUntil, tz) : "—"),
      );
    }),
  );
  if (!l.calls.length) calls.append(el("tr", {}, el("td", { colspan: "6" }, "No calls in progress.")));
}

/**
 * Load the live account. `fillEditors` on the first load (and when the user picks the live
 * account again): the editors take the server's card and snapshot. A refresh only updates the
 * figures and the books, so edits in the editors are never silently thrown away.
 */
async function goLive(token: string, fillEditors = true): Promise<void> {
  try {
    const l = await loadLive(token);
    setBooksAccount(l.account, l.rateCard);
    if (!fillEditors) {
      showLive(l);
      const zone = l.account.timeZone ?? "UTC";
      await Promise.all([refreshBooks(), showAccount(token, l, () => goLive(token, false)), showLimits(token, zone)]);
      badge("live", `Live: account ${l.accountId}`);
      return;
    }
    // The what-if scenario starts on the server's today, and the pre-call check at its now.
    const scenario = { ...presets[0]!.scenario, start: l.asOf.slice(0, 10) };
    fillCard(l.rateCard, l.plan);
    fillScenario(scenario, l.account, true);
    if (!reloadHasEdits()) fillReload(l.account.autoReload, l.account.limits?.minTopUp);
    update({ mode: "live", accountId: l.accountId, rateCard: l.rateCard, rateCardVersions: l.rateCardVersions, plan: l.plan, account: l.account, autoReload: null, scenario });
    fillPrecall(l.asOf);
    const sel = $<HTMLSelectElement>("preset");
    sel.querySelector("option[value=live]")?.remove();
    sel.prepend(new Option(`Live: account ${l.accountId}`, "live", true, true));
    sel.value = "live";
    showLive(l);
    await mountBilling(token, () => goLive(token, false));
    await showAccount(token, l, () => goLive(token, false));
    await showLimits(token, l.account.timeZone ?? "UTC");
    const zone = $("page-zone");
    zone.textContent = `Times in ${l.account.timeZone ?? "UTC"}`;
    zone.hidden = false;
    badge("live", `Live: account ${l.accountId}`);
  } catch (e) {
    if (e instanceof LiveError && (e.status === 401 || e.status === 403)) forget();
    const why = e instanceof LiveError ? `${e.code}: ${e.message}` : "the server is not reachable";
    badge("sample", `Sample data (live data unavailable: ${why})`);
  }
}

async function main(): Promise<void> {
  await initEngine();
  $("engine-version").textContent = `engine ${version()}`;
  const first = presets[0]!;
  init({
    mode: "sample",
    accountId: null,
    rateCard: first.rateCard,
    plan: first.plan,
    account: first.account,
    autoReload: null,
    call: first.call,
    includedSecondsRemaining: null,
    scenario: first.scenario,
  });
  mountCard((p) => {
    applyPreset(p);
    badge("sample", `Sample data: ${p.label}`);
  });
  applyPreset(first);
  subscribe(checkCard);
  mountCalc(subscribe);
  mountPreview(subscribe);
  mountReload(subscribe);
  mountPrecall(subscribe);
  badge("sample", "Sample data (offline)");
  const token = session();
  if (token) await goLive(token);
  $<HTMLSelectElement>("preset").addEventListener("change", (e) => {
    const t = session();
    if ((e.target as HTMLSelectElement).value === "live" && t) void goLive(t);
  });
  $("live-refresh").addEventListener("click", () => {
    const t = session();
    if (t) void goLive(t, false);
  });
  document.body.dataset.ready = "true";
}

main().catch((e: unknown) => {
  badge("error", `The engine failed to load: ${String(e)}`);
});
