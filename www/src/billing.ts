// The billing page's actions against `drawdown serve` with the dashboard session (seed 000:
// "top-up, auto-reload and plan changes are completed through the dashboard session"; seed
// 001: billing details, invoices with PDF download): adding credits with the tax quote shown
// as the user types, the billing profile with its VIES check, invoices, and the ledger with a
// CSV export. Amounts stay the server's decimal strings; nothing here does arithmetic on them.
import { addDecimals } from "drawdown";
import type { Account, RateCard } from "drawdown";
import { accountAxes, drawChart, type Point } from "./chart";
import { countries } from "./countries";
import { $, devDetails, download, el, figure, input, plainWords, text } from "./dom";
import { credits, money, when } from "./format";
import { LiveError, get, send } from "./live";
import { markReloadSaved, readSettings } from "./reload";

interface TopUpQuote {
  credits: string;
  currency: string;
  gross: string;
  net: string;
  note: string;
  tax: string;
  taxCountry?: string;
  taxRate: string;
  treatment: "domestic" | "reverse_charge" | "destination" | "outside_scope";
}

interface TopUpAnswer {
  paymentId: string;
  clientSecret: string;
  status: "settled" | "pending";
  amount: string;
  gross: string;
  credits: string;
  tax: TopUpQuote | null;
}

interface Profile {
  companyName: string | null;
  address: string[];
  country: string | null;
  vatId: string | null;
  vatIdStatus: "unchecked" | "valid" | "invalid" | "unavailable";
  vatIdVerified: boolean;
  vatCheck: { checkedAt: string; provider: string; result: string; consultationNumber: string | null } | null;
}

interface InvoiceDoc {
  id: string;
  number: string | null;
  kind?: "invoice" | "credit_note";
  issuedAt: string;
  currency: string;
  net?: string;
  tax?: string;
  gross?: string;
  amount?: string;
  treatment?: string;
  refersTo?: string;
  pdf?: string;
}

interface LedgerEntry {
  seq: number;
  at: string;
  kind: string;
  reference: string | null;
  credits: string;
  balanceAfter: string;
}

/** The server's own codes; the engine's are `plainWords`'s. */
const PLAIN: Record<string, string> = {
  amount_out_of_range: "This amount is outside your account's top-up limits.",
  tax_not_configured: "The platform has not configured VAT: top-ups are charged without it.",
  dashboard_session_required: "Sign in to the dashboard again: this needs a dashboard session.",
  unauthorized: "Your dashboard session has ended. Open the dashboard link again.",
  store_unavailable: "The server is busy or restarting. Nothing was changed; try again in a moment.",
  card_declined: "The card was declined. Check the number and expiry, or use another card.",
  payment_method_in_use: "Auto-recharge charges this card. Choose another card for it, or turn it off, first.",
  payment_method_not_found: "Choose one of your saved cards (add one under Payment methods).",
};

const TREATMENT: Record<TopUpQuote["treatment"], string> = {
  domestic: "VAT of the seller's country",
  reverse_charge: "No VAT charged",
  destination: "VAT of your country",
  outside_scope: "No EU VAT: outside the EU",
};

let token = "";
/** The account's zone, alert thresholds, unit and money axis, for the books' chart. */
let axes: ReturnType<typeof accountAxes> = { thresholds: [], unit: "", timeZone: "UTC" };
let changed: () => Promise<void> = async () => {};
/** The top-up quote on screen, and the key its payment is sent under (a retry reuses it). */
let shown: { amount: string; quote: TopUpQuote | null; key: string } | null = null;
let quoteSeq = 0;
let quoteTimer: ReturnType<typeof setTimeout> | undefined;
let ledger: LedgerEntry[] = [];
/** The profile form holds edits not saved yet: a refresh must not overwrite them. */
let profileDirty = false;

/** A failure beside its field: plain words, and the code and message on demand. */
export function problem(slot: HTMLElement, e: unknown, field?: HTMLElement | null): void {
  slot.replaceChildren();
  if (e instanceof LiveError) {
    field?.setAttribute("aria-invalid", "true");
    slot.append(el("span", { class: "error", "data-code": e.code }, PLAIN[e.code] ?? plainWords(e.code, e.message)), devDetails(e.code, e.field, e.message));
  } else {
    slot.append(el("span", { class: "error", "data-code": "unreachable" }, "The server could not be reached. Nothing was changed; try again."));
  }
}

function clear(slot: HTMLElement, field?: HTMLElement | null): void {
  slot.replaceChildren();
  field?.removeAttribute("aria-invalid");
}

// ---- adding credits --------------------------------------------------------------------------

function showQuote(q: TopUpQuote): void {
  const dl = $("tu-quote");
  dl.replaceChildren();
  figure(dl, "Credits", credits(q.credits), q.credits, "credits");
  figure(dl, "Price", money(q.net, q.currency), q.net, "net");
  figure(dl, `VAT ${q.taxRate}%${q.taxCountry ? ` (${q.taxCountry})` : ""}`, money(q.tax, q.currency), q.tax, "tax");
  figure(dl, "Total charged", money(q.gross, q.currency), q.gross, "gross");
  $("tu-note").textContent = `${TREATMENT[q.treatment]}. ${q.note}`;
  $("tu-submit").textContent = `Pay ${money(q.gross, q.currency)}`;
}

async function quoteNow(): Promise<void> {
  const amount = text("tu-amount") ?? "";
  const slot = $("tu-amount-msg");
  const seq = ++quoteSeq;
  const button = $<HTMLButtonElement>("tu-submit");
  button.disabled = true;
  if (amount === "") {
    clear(slot, input("tu-amount"));
    $("tu-quote").replaceChildren();
    $("tu-note").textContent = "";
    shown = null;
    return;
  }
  try {
    const q = await send<TopUpQuote>("POST", "/billing/wallet/topup/quote", token, { amount });
    if (seq !== quoteSeq) return; // the user typed on; a newer quote is coming
    clear(slot, input("tu-amount"));
    showQuote(q);
    if (shown?.amount !== amount) shown = { amount, quote: q, key: crypto.randomUUID() };
    button.disabled = false;
  } catch (e) {
    if (seq !== quoteSeq) return;
    if (e instanceof LiveError && e.code === "tax_not_configured") {
      // Charged net: the amount is the total.
      clear(slot, input("tu-amount"));
      $("tu-quote").replaceChildren();
      $("tu-note").textContent = PLAIN.tax_not_configured!;
      if (shown?.amount !== amount) shown = { amount, quote: null, key: crypto.randomUUID() };
      button.disabled = false;
      return;
    }
    $("tu-quote").replaceChildren();
    $("tu-note").textContent = "";
    problem(slot, e, input("tu-amount"));
    shown = null;
  }
}

async function topUp(): Promise<void> {
  if (!shown) return;
  const result = $("tu-result");
  const button = $<HTMLButtonElement>("tu-submit");
  button.disabled = true;
  result.replaceChildren(el("span", {}, "Paying…"));
  try {
    const a = await send<TopUpAnswer>("POST", "/billing/wallet/topup", token, { amount: shown.amount }, shown.key);
    const currency = a.tax?.currency ?? "";
    const paid = currency ? money(a.gross, currency) : a.gross;
    result.replaceChildren(
      el(
        "span",
        { class: "ok", "data-status": a.status, "data-payment": a.paymentId },
        a.status === "settled"
          ? `Paid ${paid}: ${credits(a.credits)} credits added to the wallet.`
          : `Payment of ${paid} started: the credits land when the provider confirms it (payment ${a.paymentId}).`,
      ),
    );
    shown = null;
    input("tu-amount").value = "";
    $("tu-quote").replaceChildren();
    $("tu-note").textContent = "";
    await changed();
    if (a.status === "pending") await awaitConfirmation(a, paid);
  } catch (e) {
    problem(result, e, input("tu-amount"));
    button.disabled = false;
  }
}

/** How often, and how long, a pending payment is asked after. */
const CONFIRM_POLL_MS = 1000;
const CONFIRM_POLLS = 600;

/** A pending payment: the provider confirms it with the client secret on its side (a card
 * form, 3-D Secure); the page asks the server until it has settled, then shows the credits. */
async function awaitConfirmation(a: TopUpAnswer, paid: string): Promise<void> {
  const result = $("tu-result");
  for (let i = 0; i < CONFIRM_POLLS; i++) {
    await new Promise((r) => setTimeout(r, CONFIRM_POLL_MS));
    const p = await get<{ status: string }>(`/billing/payments/${encodeURIComponent(a.paymentId)}`, token).catch(() => null);
    if (p?.status === "settled") {
      result.replaceChildren(el("span", { class: "ok", "data-status": "settled", "data-payment": a.paymentId },
        `Payment of ${paid} confirmed: ${credits(a.credits)} credits added to the wallet.`));
      await changed();
      return;
    }
    if (p && p.status !== "pending") return;
  }
}

// ---- the billing profile ---------------------------------------------------------------------

const VAT_STATUS: Record<Profile["vatIdStatus"], string> = {
  unchecked: "Not checked.",
  valid: "Verified with VIES: reverse charge applies to purchases from another EU country.",
  invalid: "VIES says this VAT ID is not valid: VAT is charged at your country's rate.",
  unavailable: "VIES did not answer: VAT is charged at your country's rate until a later save verifies the ID.",
};

/** The country list once: every code the server takes, by name (a free-text country was
 * refused only on save). */
function fillCountries(): void {
  const sel = $<HTMLSelectElement>("bp-country");
  if (sel.options.length) return;
  sel.append(new Option("Choose a country", ""), ...countries(navigator.language || "en").map((c) => new Option(c.name, c.code)));
}

function fillProfile(p: Profile): void {
  profileDirty = false;
  fillCountries();
  input("bp-name").value = p.companyName ?? "";
  $<HTMLTextAreaElement>("bp-address").value = p.address.join("\n");
  $<HTMLSelectElement>("bp-country").value = p.country ?? "";
  input("bp-vat").value = p.vatId ?? "";
  const status = $("bp-vat-status");
  status.dataset.status = p.vatId ? p.vatIdStatus : "none";
  status.textContent = p.vatId
    ? `${VAT_STATUS[p.vatIdStatus]}${p.vatCheck ? ` (checked ${when(p.vatCheck.checkedAt, axes.timeZone)})` : ""}`
    : "";
}

async function saveProfile(): Promise<void> {
  const msg = $("bp-msg");
  const fields: Record<string, string> = { country: "bp-country", vatId: "bp-vat", companyName: "bp-name", address: "bp-address" };
  for (const id of Object.values(fields)) $(id).removeAttribute("aria-invalid");
  const body = {
    companyName: text("bp-name") ?? undefined,
    address: $<HTMLTextAreaElement>("bp-address").value.split("\n").map((l) => l.trim()).filter(Boolean),
    country: (text("bp-country") ?? "").toUpperCase(),
    vatId: text("bp-vat") ?? undefined,
  };
  msg.replaceChildren(el("span", {}, "Saving…"));
  try {
    const p = await send<Profile>("PUT", "/billing/profile", token, body);
    fillProfile(p);
    msg.replaceChildren(el("span", { class: "ok" }, "Billing details saved."));
    void quoteNow();
  } catch (e) {
    const field = e instanceof LiveError && e.field ? document.getElementById(fields[e.field] ?? "") : null;
    problem(msg, e, field);
  }
}

// ---- invoices and the ledger -------------------------------------------------------------------

async function downloadPdf(doc: InvoiceDoc): Promise<void> {
  const r = await fetch(doc.pdf!, { headers: { authorization: `Session ${token}` } });
  if (!r.ok) throw new LiveError(r.status, "http_error", `HTTP ${r.status}`);
  download(await r.blob(), `${doc.number}.pdf`);
}

function invoiceRow(d: InvoiceDoc): HTMLTableRowElement {
  const amount = d.gross ?? d.amount ?? "0";
  const pdf = d.pdf
    ? el("button", { type: "button", class: "link", "data-pdf": d.id, "aria-label": `Download ${d.number} as PDF` }, "PDF")
    : el("span", { class: "muted" }, "—");
  if (d.pdf) pdf.addEventListener("click", () => void downloadPdf(d).catch((e: unknown) => problem($("inv-msg"), e)));
  const kind = d.kind === "credit_note" ? `Credit note for ${d.refersTo ?? ""}` : "Invoice";
  return el(
    "tr",
    { "data-number": d.number ?? "" },
    el("td", {}, d.number ?? "(unnumbered)"),
    el("td", {}, when(d.issuedAt, axes.timeZone)),
    el("td", {}, kind),
    el("td", { class: "num", "data-value": d.tax ?? "0" }, d.tax ? money(d.tax, d.currency) : "—"),
    el("td", { class: "num", "data-value": amount }, money(amount, d.currency)),
    el("td", {}, pdf),
  );
}

async function loadInvoices(): Promise<void> {
  const { invoices } = await get<{ invoices: InvoiceDoc[] }>("/billing/invoices", token);
  const body = $("inv-table").querySelector("tbody")!;
  body.replaceChildren(...invoices.slice().reverse().map(invoiceRow));
  if (!invoices.length) body.append(el("tr", {}, el("td", { colspan: "6" }, "No invoices yet: every payment gets one.")));
}

/** A ledger entry's kind in words; `adjustment` is what a late event moved when the books
 *  were re-drawn in time order (SEMANTICS 15). */
const KIND_WORDS: Record<string, string> = {
  adjustment: "adjustment (late usage re-drawn)",
  expiry_reversal: "expiry given back",
  plan_change: "plan change",
  plan_fee: "plan fee",
  topup: "top-up",
};

/** The whole ledger, page by page (at most `MAX_LEDGER_PAGES` of 1,000 entries). */
const MAX_LEDGER_PAGES = 20;
async function loadLedger(): Promise<void> {
  const all: LedgerEntry[] = [];
  let after = 0;
  for (let page = 0; page < MAX_LEDGER_PAGES; page++) {
    const r = await get<{ entries: LedgerEntry[]; next: number | null }>(`/billing/ledger?after=${after}&limit=1000`, token);
    all.push(...r.entries);
    if (r.entries.length < 1000 || r.next === null) break;
    after = r.next;
  }
  ledger = all;
  const body = $("ledger-table").querySelector("tbody")!;
  body.replaceChildren(
    ...all
      .slice(-50)
      .reverse()
      .map((e) =>
        el(
          "tr",
          { "data-kind": e.kind, "data-seq": String(e.seq) },
          el("td", {}, when(e.at, axes.timeZone)),
          el("td", {}, KIND_WORDS[e.kind] ?? e.kind),
          el("td", {}, e.reference ?? ""),
          el("td", { class: "num", "data-value": e.credits }, credits(e.credits)),
          el("td", { class: "num", "data-value": e.balanceAfter }, credits(e.balanceAfter)),
        ),
      ),
  );
  if (!all.length) body.append(el("tr", {}, el("td", { colspan: "5" }, "No entries yet.")));
}

/** RFC 4180 CSV of the ledger as the server keeps it (amounts exactly as stored). */
export function ledgerCsv(entries: LedgerEntry[]): string {
  const cell = (v: string | number | null) => {
    const s = v === null ? "" : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = "seq,at,kind,reference,credits,balance_after";
  const rows = entries.map((e) => [e.seq, e.at, e.kind, e.reference, e.credits, e.balanceAfter].map(cell).join(","));
  return [head, ...rows].join("\r\n") + "\r\n";
}

function exportCsv(): void {
  download(new Blob([ledgerCsv(ledger)], { type: "text/csv" }), "ledger.csv");
}

/** The wallet balance over time, from the ledger's `balanceAfter` (the server's books). */
function drawLedger(): void {
  const host = $("ledger-chart");
  if (!ledger.length) {
    host.replaceChildren(el("p", { class: "muted" }, "No ledger entries yet."));
    return;
  }
  const points: Point[] = ledger.map((e) => ({
    t: Date.parse(e.at),
    values: new Map([["balance", e.balanceAfter.startsWith("-") ? "0" : e.balanceAfter]]),
    includedSeconds: 0,
    balance: e.balanceAfter,
    owed: e.balanceAfter.startsWith("-") ? e.balanceAfter.slice(1) : "0",
  }));
  points.sort((a, b) => a.t - b.t);
  const reloads = ledger
    .filter((e) => e.kind === "reload" || e.kind === "topup")
    .map((e) => ({ t: Date.parse(e.at), credits: e.credits, label: `${e.kind === "reload" ? "Auto-reload" : "Top-up"} ${when(e.at, axes.timeZone)}: +${credits(e.credits)} credits` }));
  drawChart(host, $("ledger-legend"), {
    points,
    sources: [{ id: "balance", label: "wallet balance (ledger)" }],
    ...axes,
    reloads,
    showIncluded: false,
  });
}

/** Seed 000's day-by-day breakdown: credits per local day and channel (`/billing/usage/items`). */
async function loadUsageDays(): Promise<void> {
  const r = await get<{ timeZone: string; items: { date: string; channel: string; credits: string }[] }>("/billing/usage/items", token);
  const channels = [...new Set(r.items.map((i) => i.channel))].sort();
  const byDay = new Map<string, Map<string, string>>();
  for (const i of r.items) {
    const day = byDay.get(i.date) ?? new Map<string, string>();
    day.set(i.channel, addDecimals(day.get(i.channel) ?? "0", i.credits));
    byDay.set(i.date, day);
  }
  const table = $("usage-days");
  table.querySelector("caption")!.textContent = `Usage by day (${r.timeZone}), credits`;
  table.querySelector("thead")!.replaceChildren(
    el("tr", {}, el("th", { scope: "col" }, "Day"), ...channels.map((c) => el("th", { scope: "col", class: "num" }, c.replace("_", " "))), el("th", { scope: "col", class: "num" }, "Total")),
  );
  const body = table.querySelector("tbody")!;
  body.replaceChildren(
    ...[...byDay]
      .sort(([a], [b]) => (a < b ? 1 : -1))
      .map(([date, per]) => {
        const total = addDecimals(...channels.map((c) => per.get(c) ?? "0"));
        return el(
          "tr",
          { "data-day": date },
          el("td", {}, date),
          ...channels.map((c) => el("td", { class: "num", "data-channel": c, "data-value": per.get(c) ?? "0" }, credits(per.get(c) ?? "0"))),
          el("td", { class: "num", "data-value": total }, credits(total)),
        );
      }),
  );
  if (!byDay.size) body.append(el("tr", {}, el("td", { colspan: String(channels.length + 2) }, "No usage in the last 366 days.")));
}

/** Re-read what a payment or usage changes: invoices, the ledger and its chart, usage by day. */
export async function refreshBooks(): Promise<void> {
  await Promise.all([loadInvoices(), loadLedger(), loadUsageDays()]);
  drawLedger();
}

/** The account facts the books' chart and the top-up form need. */
export function setBooksAccount(account: Account, card: RateCard): void {
  axes = accountAxes(account, card);
  $("tu-limits").textContent = topUpLimits(account, card.currency);
}

/** The account's top-up limits in words, stated before anyone types (the server refuses
 * the quote of an amount outside them, `amount_out_of_range`). */
function topUpLimits(account: Account, currency: string): string {
  const min = account.limits?.minTopUp;
  const max = account.limits?.maxTopUp;
  if (min && max) return `From ${money(min, currency)} to ${money(max, currency)} per top-up.`;
  if (min) return `At least ${money(min, currency)} per top-up.`;
  if (max) return `At most ${money(max, currency)} per top-up.`;
  return "";
}

let mounted = false;

/** Show the billing panel for the session; `onChanged` refreshes the figures and the books. */
export async function mountBilling(session: string, onChanged: () => Promise<void>): Promise<void> {
  token = session;
  changed = onChanged;
  $("billing").hidden = false;
  if (!mounted) {
    mounted = true;
    input("tu-amount").addEventListener("input", () => {
      clearTimeout(quoteTimer);
      $<HTMLButtonElement>("tu-submit").disabled = true;
      quoteTimer = setTimeout(() => void quoteNow(), 250);
    });
    $("tu-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void topUp();
    });
    $("bp-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void saveProfile();
    });
    $("bp-form").addEventListener("input", () => {
      profileDirty = true;
    });
    $("ledger-csv").addEventListener("click", exportCsv);
    $("ar-save").addEventListener("click", () => void saveReload());
  }
  $("ar-save").hidden = false;
  const [profile] = await Promise.all([get<Profile>("/billing/profile", token), refreshBooks()]);
  if (!profileDirty) fillProfile(profile);
}

// ---- auto-reload -------------------------------------------------------------------------------

/** Save the auto-reload form (seed 000: a session flow); the server validates it again. */
async function saveReload(): Promise<void> {
  const msg = $("ar-save-msg");
  msg.replaceChildren(el("span", {}, "Saving…"));
  try {
    await send("PUT", "/billing/wallet/auto-reload", token, readSettings());
    msg.replaceChildren(el("span", { class: "ok" }, "Auto-reload saved."));
    markReloadSaved();
    await changed();
  } catch (e) {
    const report = e instanceof LiveError ? (e.body as { errors?: { message: string }[] } | null) : null;
    if (report?.errors?.length) {
      msg.replaceChildren(el("span", { class: "error", "data-code": "invalid_settings" }, `Not saved: ${report.errors.map((f) => f.message).join(" ")}`));
    } else problem(msg, e);
  }
}
