// The auto-reload settings form: validateAutoReload on every keystroke (SEMANTICS 7), each
// error and warning shown under the field it names. Settings that validate feed the preview.
import { isDrawdownError, validateAutoReload, type AutoReloadSettings, type Finding, type ValidateAutoReloadInput } from "drawdown";
import { $, el, input, int, setValue, text } from "./dom";
import { state, update, type AppState } from "./state";

const fieldInput: Record<string, string> = {
  "settings.enabled": "ar-on",
  "settings.threshold": "ar-threshold",
  "settings.amount": "ar-amount",
  "settings.paymentMethod": "ar-pm",
  "settings.maxReloadsPerDay": "ar-max",
  "context.maxCallSeconds": "ar-callmax",
  "context.expectedDailySpend": "ar-daily",
};

/** Fill the form; an account without settings gets a disabled suggestion (its minimum top-up). */
export function fillReload(r: AutoReloadSettings | null | undefined, minTopUp?: string | number | null): void {
  input("ar-on").checked = r?.enabled ?? false;
  setValue("ar-threshold", r?.threshold ?? "5.00");
  setValue("ar-amount", r?.amount ?? minTopUp ?? "10.00");
  setValue("ar-pm", r?.paymentMethod);
  setValue("ar-max", r?.maxReloadsPerDay);
  if (document.getElementById("ar-callmax")) {
    setValue("ar-callmax", 1800);
    setValue("ar-daily", null);
  }
}

/** The settings the form holds, as `PUT /billing/wallet/auto-reload` takes them. */
export function readSettings(): AutoReloadSettings {
  return read().settings;
}

/** The form now equals what the server holds. */
export function markReloadSaved(): void {
  reloadDirty = false;
}

/** The form holds edits not saved to the server (live mode). */
export function reloadHasEdits(): boolean {
  return reloadDirty;
}

let reloadDirty = false;

function read(): { settings: AutoReloadSettings; context: NonNullable<ValidateAutoReloadInput["context"]> } {
  return {
    settings: {
      enabled: input("ar-on").checked,
      threshold: text("ar-threshold") ?? "",
      amount: text("ar-amount") ?? "",
      paymentMethod: text("ar-pm"),
      maxReloadsPerDay: int("ar-max"),
    },
    // The lab checks against a call length and a daily spend; the portal has no such fields.
    context: document.getElementById("ar-callmax") ? { maxCallSeconds: int("ar-callmax"), expectedDailySpend: text("ar-daily") } : {},
  };
}

function inputFor(field: string): HTMLInputElement | null {
  for (const [f, id] of Object.entries(fieldInput)) if (field === f || field.startsWith(`${f}.`)) return input(id);
  return null;
}

/** A finding, or a thrown error shown as one (its code is then a `DrawdownErrorCode`). */
function mark(f: Pick<Finding, "field" | "message"> & { code: string }, kind: "error" | "warning"): HTMLElement {
  const i = inputFor(f.field);
  if (i) {
    if (kind === "error") i.setAttribute("aria-invalid", "true");
    const slot = document.getElementById(`${i.id}-msg`);
    if (slot) slot.append(el("span", { class: kind, "data-code": f.code }, `${kind === "error" ? "Error" : "Warning"}: ${f.message}`));
  }
  return el("li", { class: kind, "data-code": f.code, "data-field": f.field }, `${kind}: ${f.code} — ${f.message} (${f.field})`);
}

/** Validate what the form holds; returns the settings when they are valid. */
export function validate(s: AppState): AutoReloadSettings | null {
  const { settings, context } = read();
  const form = $("reload-form");
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  for (const m of form.querySelectorAll(".field-msg")) m.replaceChildren();
  const list = $("reload-findings");
  const summary = $("reload-summary");
  list.replaceChildren();
  try {
    const v = validateAutoReload({ settings, rateCard: s.rateCard, account: { ...s.account, plan: s.plan }, context });
    list.append(...v.errors.map((f) => mark(f, "error")), ...v.warnings.map((f) => mark(f, "warning")));
    summary.dataset.valid = String(v.valid);
    summary.textContent = v.valid
      ? v.warnings.length ? `Valid, with ${v.warnings.length} warning${v.warnings.length > 1 ? "s" : ""}.` : "Valid."
      : `${v.errors.length} error${v.errors.length > 1 ? "s" : ""}: these settings would be refused.`;
    return v.valid ? settings : null;
  } catch (e) {
    // A value that is not a decimal at all fails the whole call (invalid_decimal, SEMANTICS 7).
    summary.dataset.valid = "false";
    if (isDrawdownError(e)) {
      list.append(mark({ field: e.field ?? "", code: e.code, message: e.message }, "error"));
      summary.textContent = "1 error: these settings would be refused.";
    } else summary.textContent = String(e);
    return null;
  }
}

export function mountReload(subscribe: (f: (s: AppState) => void) => void): void {
  $("reload-form").addEventListener("input", () => {
    reloadDirty = true;
    document.getElementById("ar-save-msg")?.replaceChildren();
    update({ autoReload: validate(state()) });
  });
  // The rate card (currency, credits) and limits change what is valid: re-check on change.
  subscribe((s) => void validate(s));
  update({ autoReload: validate(state()) });
}
