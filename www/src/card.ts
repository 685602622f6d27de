// The rate card and plan editor: presets for the platforms in the seeds, and every field
// of the contract's RateCard and Plan. Empty fields leave that charge out of the card.
import type { Currency, Plan, RateCard, RoundingMode } from "drawdown";
import { $, input, int, select, setValue, text } from "./dom";
import { presets, type Preset } from "./presets";
import { state, update } from "./state";

export function fillCard(card: RateCard, plan: Plan | null): void {
  select("rc-currency").value = card.currency;
  if (select("rc-currency").value !== card.currency) {
    select("rc-currency").append(new Option(card.currency));
    select("rc-currency").value = card.currency;
  }
  setValue("rc-cpu", card.creditsPerUnit);
  select("rc-mode").value = card.rounding?.mode ?? "half_up";
  setValue("rc-dec", card.rounding?.creditDecimals ?? 4);
  setValue("rc-voice", card.voice?.perMinute);
  setValue("rc-inc", card.voice?.increment);
  setValue("rc-connect", card.voice?.connectFee);
  setValue("rc-tf", card.tollFreeSurcharge?.perMinute);
  setValue("rc-transfer", card.transfer?.perMinute);
  setValue("rc-chat", card.chat?.perMessage);
  setValue("rc-local", card.numbers?.["local"]?.monthly);
  setValue("rc-tfn", card.numbers?.["toll_free"]?.monthly);
  input("pl-on").checked = plan !== null;
  setValue("pl-name", plan?.name);
  setValue("pl-fee", plan?.monthlyFee);
  setValue("pl-min", plan?.includedMinutes);
  setValue("pl-over", plan?.overagePerMinute);
  setValue("pl-credits", plan?.includedCredits);
  planFieldsEnabled();
}

function planFieldsEnabled(): void {
  const on = input("pl-on").checked;
  for (const id of ["pl-name", "pl-fee", "pl-min", "pl-over", "pl-credits"]) input(id).disabled = !on;
}

/** Read the editor into the contract's shapes; numbers the engine validates stay strings. */
export function readCard(base: RateCard): { rateCard: RateCard; plan: Plan | null } {
  const numbers: NonNullable<RateCard["numbers"]> = { ...(base.numbers ?? {}) };
  for (const [id, kind] of [["rc-local", "local"], ["rc-tfn", "toll_free"]] as const) {
    const v = text(id);
    if (v === null) delete numbers[kind];
    else numbers[kind] = { monthly: v };
  }
  const voice = text("rc-voice");
  const inc = text("rc-inc");
  const connect = text("rc-connect");
  const tf = text("rc-tf");
  const transfer = text("rc-transfer");
  const chat = text("rc-chat");
  const dec = int("rc-dec");
  const rateCard: RateCard = {
    currency: select("rc-currency").value as Currency, // the select lists known currencies only
    creditsPerUnit: text("rc-cpu") ?? "",
    rounding: { mode: select("rc-mode").value as RoundingMode, ...(dec === null ? {} : { creditDecimals: dec }) },
    ...(voice === null ? {} : { voice: { perMinute: voice, ...(inc ? { increment: inc } : {}), ...(connect ? { connectFee: connect } : {}) } }),
    ...(tf === null ? {} : { tollFreeSurcharge: { perMinute: tf, ...(base.tollFreeSurcharge?.increment ? { increment: base.tollFreeSurcharge.increment } : {}) } }),
    ...(transfer === null ? {} : { transfer: { perMinute: transfer, ...(base.transfer?.increment ? { increment: base.transfer.increment } : {}) } }),
    ...(chat === null ? {} : { chat: { perMessage: chat } }),
    ...(Object.keys(numbers).length ? { numbers } : {}),
  };
  let plan: Plan | null = null;
  if (input("pl-on").checked) {
    const minutes = int("pl-min");
    plan = {
      id: state().plan?.id ?? "custom",
      name: text("pl-name"),
      monthlyFee: text("pl-fee"),
      includedMinutes: minutes ?? 0,
      overagePerMinute: text("pl-over"),
      includedCredits: text("pl-credits"),
      rolloverCap: state().plan?.rolloverCap ?? null,
    };
  }
  return { rateCard, plan };
}

export function mountCard(onPreset: (p: Preset) => void): void {
  const sel = select("preset");
  for (const p of presets) sel.append(new Option(p.label, p.id));
  sel.addEventListener("change", () => {
    const p = presets.find((x) => x.id === sel.value);
    if (p) onPreset(p);
  });
  $("card-form").addEventListener("input", () => {
    planFieldsEnabled();
    update({ ...readCard(state().rateCard), rateCardVersions: [] });
  });
}
