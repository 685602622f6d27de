// Small DOM helpers shared by the panels: typed lookups, building elements, and showing an
// engine error (a DrawdownError's `field` path) next to the input it concerns.
import { isDrawdownError } from "drawdown";

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

export const input = (id: string) => $<HTMLInputElement>(id);
export const select = (id: string) => $<HTMLSelectElement>(id);

/** Trimmed text of an input, or null when empty. */
export function text(id: string): string | null {
  const v = input(id).value.trim();
  return v === "" ? null : v;
}

/** A whole number from a number input, or null when empty. Not money: counts and seconds. */
export function int(id: string): number | null {
  const v = input(id).value.trim();
  if (v === "") return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : NaN;
}

export function setValue(id: string, value: string | number | null | undefined): void {
  input(id).value = value === null || value === undefined ? "" : String(value);
}

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** A figure for a <dl>: term, shown text, and the engine's exact value in data-value. */
export function figure(dl: HTMLElement, term: string, shown: string, exact: string, key: string): void {
  dl.append(el("div", {}, el("dt", {}, term), el("dd", { "data-key": key, "data-value": exact }, shown)));
}

/** Clear the error marks a panel put on its inputs. */
export function clearMarks(root: HTMLElement, message: HTMLElement): void {
  for (const i of root.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  for (const m of root.querySelectorAll(".field-err")) m.remove();
  message.replaceChildren();
}

/** Plain words for the engine's codes; the code and its path stay under "Details". */
const PLAIN: Record<string, string> = {
  invalid_decimal: "Enter a number such as 9 or 0.5 (digits and one point, no commas or currency signs).",
  negative_amount: "This cannot be negative.",
  invalid_vat_id: "This VAT ID does not match its country's format or check digits.",
  invalid_country: "Enter the country as its two-letter code, such as FR or DE.",
  invalid_money_precision: "This currency takes at most two decimals (or none for yen and the like).",
  missing_field: "This field is needed.",
  invalid_increment: "Write the billing increment as first/next seconds, such as 60/60 or 1/1.",
  invalid_currency: "Choose one of the listed currencies.",
  missing_rate: "The rate card has no price for this; fill in the rate it needs.",
  invalid_instant: "Write the time as 2026-03-10T12:00:00Z.",
  instant_out_of_range: "Use a date from the year 2000 on.",
  invalid_value: "This value is not accepted here.",
  invalid_duration: "Enter whole seconds, zero or more.",
  arithmetic_overflow: "This number is too large to compute exactly; use a smaller one.",
};

/** Words beside a field as it is typed (none: `null`); the field is marked invalid while
 * there are any. */
export function sayAt(field: HTMLElement, slot: HTMLElement, words: string | null): void {
  slot.replaceChildren(...(words ? [el("span", { class: "error" }, words)] : []));
  if (words) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
}

/** An engine code in plain words (its own message where none is written here). */
export function plainWords(code: string, message: string): string {
  return /out of range/.test(message) ? "This number is too large: amounts go up to 10^15 (a million billion)." : (PLAIN[code] ?? message);
}

/** The code, path and message of a failure, folded away for developers. */
export function devDetails(code: string, field: string | null | undefined, message: string): HTMLElement {
  return el("details", { class: "dev" }, el("summary", {}, "Details for developers"), el("code", {}, `${code}${field ? ` (${field})` : ""}: ${message}`));
}

/** Hand `blob` to the browser as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function labelOf(i: HTMLElement): string {
  const l = (i as HTMLInputElement).labels?.[0]?.textContent?.trim();
  return l ? `${l}: ` : "";
}

/**
 * Show a failure: a DrawdownError marks the input whose data-field is its `field` (the
 * longest matching prefix), and the panel's message gives code and text. Returns the code.
 */
export function showError(root: HTMLElement, message: HTMLElement, err: unknown): string {
  if (!isDrawdownError(err)) {
    message.textContent = `Unexpected failure: ${String(err)}`;
    return "unexpected";
  }
  const field = err.field ?? "";
  let best: HTMLElement | null = null;
  for (const i of root.querySelectorAll<HTMLElement>("[data-field]")) {
    const f = i.dataset.field ?? "";
    if ((field === f || field.startsWith(`${f}.`)) && f.length > (best?.dataset.field?.length ?? -1)) best = i;
  }
  const plain = plainWords(err.code, err.message);
  if (best) {
    best.setAttribute("aria-invalid", "true");
    const id = `${best.id}-err`;
    const note = el("p", { class: "field-msg field-err", id, "data-code": err.code }, el("span", { class: "error" }, plain));
    best.insertAdjacentElement("afterend", note);
    const described = (best.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    if (!described.includes(id)) best.setAttribute("aria-describedby", [...described, id].join(" "));
  }
  message.replaceChildren(el("span", {}, `${best ? labelOf(best) : ""}${plain}`), devDetails(err.code, field, err.message));
  message.dataset.code = err.code;
  return err.code;
}

/**
 * Phone first (issue 30, point 5): each cell of a `table.stack` carries its column's header as
 * `data-label`, which the stylesheet shows beside the value when rows stack as cards below
 * 600 px. Rows are rendered by many panels; one observer labels them all as they arrive.
 */
export function labelStackedTables(root: ParentNode = document): void {
  const label = (table: HTMLTableElement) => {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent?.trim() ?? "");
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => {
        if (!cell.hasAttribute("data-label") && heads[i] !== undefined) cell.setAttribute("data-label", heads[i]!);
      });
    }
  };
  for (const table of root.querySelectorAll<HTMLTableElement>("table.stack")) {
    label(table);
    new MutationObserver(() => label(table)).observe(table, { childList: true, subtree: true });
  }
}
