// Inbound toll-free limits (SEMANTICS 18; seed 000: toll-free numbers are limited against
// artificial traffic inflation): this hour's and today's inbound toll-free minutes against the
// limits, number by number, the calls the limits rejected, and the limits to edit, every
// problem the server finds shown beside its own field.
import type { InboundLimits, NumberLimits } from "drawdown";
import { $, el, figure, input, plainWords } from "./dom";
import { minutes, when } from "./format";
import { LiveError, get, send } from "./live";

interface Counted {
  from: string;
  to: string;
  seconds: number;
  perNumber: Record<string, number>;
}

interface Overview {
  inboundLimits: InboundLimits | null;
  hour: Counted;
  day: Counted;
  refused: { callId: string; at: string; numberId?: string; limit: string }[];
}

/** The account-wide fields: their input ids by the field the server names. */
const FIELDS: Record<string, string> = {
  maxConcurrentCalls: "il-conc",
  maxMinutesPerHour: "il-hour",
  maxMinutesPerDay: "il-day",
  "surge.ratio": "il-ratio",
  "surge.floorMinutes": "il-floor",
  surge: "il-ratio",
};
const NUMBER_FIELDS: [keyof NumberLimits, string][] = [
  ["maxConcurrentCalls", "calls at once"],
  ["maxMinutesPerHour", "minutes an hour"],
  ["maxMinutesPerDay", "minutes a day"],
];

let token = "";
let zone = "UTC";
let editing = false;

/** A count as typed: a whole number, or the text itself so the server names what is wrong
 * (`invalid_count` at its field); empty is no limit. */
function count(value: string): number | string | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

function limitWords(limit: number | null | undefined, used: number): string {
  return limit == null ? `${minutes(used)} (no limit)` : `${minutes(used)} of ${limit} min`;
}

function showFigures(o: Overview): void {
  const dl = $("il-figures");
  dl.replaceChildren();
  const l = o.inboundLimits;
  figure(dl, `This hour (from ${when(o.hour.from, zone)})`, limitWords(l?.maxMinutesPerHour, o.hour.seconds), String(o.hour.seconds), "hourSeconds");
  figure(dl, "Today", limitWords(l?.maxMinutesPerDay, o.day.seconds), String(o.day.seconds), "daySeconds");
  figure(dl, "Calls rejected (latest 100)", String(o.refused.length), String(o.refused.length), "refused");
}

function numberRow(id: string, l: NumberLimits, o: Overview | null): HTMLTableRowElement {
  const cells = NUMBER_FIELDS.map(([f, words]) =>
    el("td", {}, el("input", { inputmode: "numeric", autocomplete: "off", "data-number": id, "data-field": f, value: String(l[f] ?? ""), placeholder: "no limit", "aria-label": `${words} for ${id}` })),
  );
  const hour = o?.hour.perNumber[id] ?? 0;
  const day = o?.day.perNumber[id] ?? 0;
  return el(
    "tr",
    { "data-number": id },
    el("th", { scope: "row" }, id),
    el("td", { class: "num", "data-value": String(hour) }, minutes(hour)),
    el("td", { class: "num", "data-value": String(day) }, minutes(day)),
    ...cells,
    el("td", { class: "field-msg", "data-msg": id }),
  );
}

function showNumbers(o: Overview): void {
  const limited = o.inboundLimits?.perNumber ?? {};
  const ids = [...new Set([...Object.keys(limited), ...Object.keys(o.hour.perNumber), ...Object.keys(o.day.perNumber)])].sort();
  const body = $("il-numbers").querySelector("tbody")!;
  body.replaceChildren(...ids.map((id) => numberRow(id, limited[id] ?? {}, o)));
  if (!ids.length) body.append(el("tr", {}, el("td", { colspan: "7" }, "No toll-free traffic yet and no number limited: add one below.")));
}

function showRefused(o: Overview): void {
  const body = $("il-refused").querySelector("tbody")!;
  body.replaceChildren(
    ...o.refused.map((r) => el("tr", { "data-limit": r.limit }, el("td", {}, when(r.at, zone)), el("td", {}, r.callId), el("td", {}, r.numberId ?? "(none named)"), el("td", {}, r.limit))),
  );
  if (!o.refused.length) body.append(el("tr", {}, el("td", { colspan: "4" }, "No call has been rejected.")));
}

function fillForm(l: InboundLimits | null): void {
  input("il-conc").value = String(l?.maxConcurrentCalls ?? "");
  input("il-hour").value = String(l?.maxMinutesPerHour ?? "");
  input("il-day").value = String(l?.maxMinutesPerDay ?? "");
  input("il-ratio").value = l?.surge?.ratio ?? "";
  input("il-floor").value = String(l?.surge?.floorMinutes ?? "");
}

/** The limits as the form says them; fields left empty are no limit. */
function typed(): Record<string, unknown> {
  const out: Record<string, unknown> = {
    maxConcurrentCalls: count(input("il-conc").value),
    maxMinutesPerHour: count(input("il-hour").value),
    maxMinutesPerDay: count(input("il-day").value),
  };
  const ratio = input("il-ratio").value.trim();
  const floor = count(input("il-floor").value);
  if (ratio !== "" || floor !== undefined) out.surge = { ratio: ratio === "" ? undefined : ratio, floorMinutes: floor };
  const perNumber: Record<string, Record<string, unknown>> = {};
  for (const i of $("il-numbers").querySelectorAll<HTMLInputElement>("input[data-number]")) {
    const entry = (perNumber[i.dataset.number!] ??= {});
    entry[i.dataset.field!] = count(i.value);
  }
  const limited = Object.entries(perNumber).filter(([, l]) => Object.values(l).some((v) => v !== undefined));
  if (limited.length) out.perNumber = Object.fromEntries(limited);
  return out;
}

/** The input a problem's field names, and where its message goes. */
function slotFor(field: string): { box: HTMLElement | null; msg: HTMLElement } {
  const m = /^perNumber\.(.+)\.(maxConcurrentCalls|maxMinutesPerHour|maxMinutesPerDay|perNumber|surge)$/.exec(field);
  if (m) {
    const row = $("il-numbers").querySelector<HTMLElement>(`tr[data-number="${CSS.escape(m[1])}"]`);
    const box = row?.querySelector<HTMLElement>(`input[data-field="${m[2]}"]`) ?? null;
    return { box, msg: row?.querySelector<HTMLElement>("[data-msg]") ?? $("il-msg") };
  }
  if (field === "perNumber") return { box: input("il-new"), msg: $("il-msg") };
  const id = FIELDS[field];
  return id ? { box: input(id), msg: $(`${id}-msg`) } : { box: null, msg: $("il-msg") };
}

function clearProblems(): void {
  for (const i of $("il-form").querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  for (const m of $("inbound").querySelectorAll(".field-msg")) m.replaceChildren();
}

/** Every problem beside its field (the server sends them all at once, in `errors`). */
function showProblems(e: unknown): void {
  if (!(e instanceof LiveError)) {
    $("il-msg").replaceChildren(el("span", { class: "error", "data-code": "unreachable" }, "The server could not be reached. Nothing was changed; try again."));
    return;
  }
  const all = (e.body as { errors?: { code: string; field?: string; message: string }[] } | null)?.errors;
  for (const p of all ?? [{ code: e.code, field: e.field ?? undefined, message: e.message }]) {
    const { box, msg } = slotFor(p.field ?? "");
    box?.setAttribute("aria-invalid", "true");
    msg.append(el("span", { class: "error", "data-code": p.code, "data-field": p.field ?? "" }, plainWords(p.code, p.message)));
  }
}

async function save(): Promise<void> {
  clearProblems();
  try {
    await send("PUT", "/billing/limits/inbound", token, typed());
    editing = false;
    $("il-msg").replaceChildren(el("span", { class: "ok" }, "Limits saved."));
    await load();
  } catch (e) {
    showProblems(e);
  }
}

async function load(): Promise<void> {
  const o = await get<Overview>("/billing/limits/inbound", token);
  showFigures(o);
  showRefused(o);
  if (editing) return;
  fillForm(o.inboundLimits);
  showNumbers(o);
}

let mounted = false;

/** Show the account's inbound limits; called on every load and refresh of the live account. */
export async function showLimits(session: string, timeZone: string): Promise<void> {
  token = session;
  zone = timeZone;
  $("inbound").hidden = false;
  if (!mounted) {
    mounted = true;
    $("il-form").addEventListener("input", () => (editing = true));
    $("il-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void save();
    });
    $("il-add").addEventListener("click", () => {
      const id = input("il-new").value.trim();
      if (!id || $("il-numbers").querySelector(`tr[data-number="${CSS.escape(id)}"]`)) return;
      const body = $("il-numbers").querySelector("tbody")!;
      body.querySelector("td[colspan]")?.parentElement?.remove();
      body.append(numberRow(id, {}, null));
      input("il-new").value = "";
      editing = true;
    });
  }
  await load();
}
