// The pricing lab for the platform's developers: rate card, call cost, drawdown what-if,
// auto-reload check and pre-call check, all computed in the browser by the engine. It reads
// the live account (when the page has a session) as a starting point and never writes to it:
// this page sends nothing but GETs.
import { init as initEngine, quoteCall } from "drawdown";
import { fillCall as fillCalc, mountCalc } from "./calc";
import { fillCard, mountCard } from "./card";
import { $, clearMarks, showError } from "./dom";
import { LiveError, forget, loadLive, session } from "./live";
import { badge, showEngineVersion, showZone } from "./page";
import { fillPrecall, mountPrecall } from "./precall";
import { fillScenario, mountPreview } from "./preview";
import { presets, type Preset } from "./presets";
import { fillReload, mountReload } from "./reload";
import { init, state, subscribe, update } from "./state";

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

/** The account's card, plan and snapshot copied into the editors (a copy: edits stay here). */
async function fromAccount(token: string): Promise<void> {
  try {
    const l = await loadLive(token);
    // The what-if scenario starts on the server's today, and the pre-call check at its now.
    const scenario = { ...presets[0]!.scenario, start: l.asOf.slice(0, 10) };
    fillCard(l.rateCard, l.plan);
    fillScenario(scenario, l.account, true);
    fillReload(l.account.autoReload, l.account.limits?.minTopUp);
    update({ mode: "live", accountId: l.accountId, rateCard: l.rateCard, rateCardVersions: l.rateCardVersions, plan: l.plan, account: l.account, autoReload: null, scenario });
    fillPrecall(l.asOf);
    const sel = $<HTMLSelectElement>("preset");
    sel.querySelector("option[value=live]")?.remove();
    sel.prepend(new Option(`Account ${l.accountId} (a copy)`, "live", true, true));
    sel.value = "live";
    showZone(l.account.timeZone ?? "UTC");
    badge("live", `A copy of account ${l.accountId}: edits here change nothing on it`);
  } catch (e) {
    if (e instanceof LiveError && (e.status === 401 || e.status === 403)) forget();
    const why = e instanceof LiveError ? `${e.code}: ${e.message}` : "the server is not reachable";
    badge("sample", `Sample data (the account could not be read: ${why})`);
  }
}

async function main(): Promise<void> {
  await initEngine();
  showEngineVersion();
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
  badge("sample", "Sample data");
  const token = session();
  if (token) await fromAccount(token);
  $<HTMLSelectElement>("preset").addEventListener("change", (e) => {
    const t = session();
    if ((e.target as HTMLSelectElement).value === "live" && t) void fromAccount(t);
  });
  document.body.dataset.ready = "true";
}

main().catch((e: unknown) => {
  badge("error", `The engine failed to load: ${String(e)}`);
});
