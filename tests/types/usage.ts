// Type-checks the package's declarations against real use (tsc --strict, no emit).
// Lines marked @ts-expect-error must stay errors: the types reject what the engine rejects.
import {
  init,
  quoteCall,
  previewDrawdown,
  authorizeCall,
  validateAutoReload,
  evaluateAlerts,
  startCall,
  extendCall,
  endCall,
  quoteTopUp,
  forecastRunway,
  evalCanonical,
  canonical,
  createPricer,
  openAccount,
  addDecimals,
  compareDecimals,
  formatMoney,
  formatCredits,
  subtractDecimals,
  asCredits,
  asMoney,
  asSeconds,
  errorDocument,
  isDrawdownError,
  DrawdownError,
  version,
  type RateCard,
  type Account,
  type Quote,
  type Preview,
  type Authorization,
  type ReloadValidation,
  type AlertEvaluation,
  type AlertState,
  type DrawdownErrorCode,
  type TopUpQuote,
  type TaxTreatment,
  type FindingCode,
  type Runway,
  type Credits,
  type Money,
} from "../../pkg/index.js";

const rateCard: RateCard = {
  currency: "USD",
  creditsPerUnit: "100",
  rounding: { mode: "half_up", creditDecimals: 4 },
  voice: { perMinute: "9", increment: "60/60" },
  numbers: { local: { monthly: "150" } },
};

export async function demo(): Promise<string> {
  await init();
  const q: Quote = quoteCall({ rateCard, call: { direction: "inbound", tollFree: true, connectedSeconds: 120 } });
  const credits: string = q.totalCredits;
  const firstCode: "voice.ai_minutes" | string = q.lines[0].code;

  const p: Preview = previewDrawdown({
    rateCard,
    account: { grants: [{ id: "w", type: "prepaid", remaining: "1000" }] },
    usage: [
      { id: "c", at: "2026-03-10T12:00:00Z", kind: "call", call: { direction: "outbound", connectedSeconds: 84 } },
      { id: "n", at: "2026-03-10T12:00:00Z", kind: "number", numberKind: "local", prorate: true },
    ],
  });
  const owed: string = p.owed;
  const spend: Record<string, string> = p.agentSpend;

  const a: Authorization = authorizeCall({
    rateCard,
    account: { grants: [] },
    call: { direction: "outbound", at: "2026-03-10T12:00:00Z" },
  });
  const status: 402 | undefined = a.httpStatus;
  const max: number = a.maxSeconds;

  const r: ReloadValidation = validateAutoReload({ settings: { enabled: true, threshold: "20", amount: "50", paymentMethod: "pm" } });
  const e: AlertEvaluation = evaluateAlerts({ settings: { critical: { threshold: "100" } }, balance: "5" });
  const state: AlertState = e.state;

  try {
    // @ts-expect-error direction must be inbound or outbound
    quoteCall({ rateCard, call: { direction: "sideways", connectedSeconds: 1 } });
  } catch (err: unknown) {
    if (isDrawdownError(err)) {
      const code: string = err.code;
      const field: string | null = err.field;
      const documented: string | undefined = errorDocument(err).error.field;
      return `${code} ${field} ${documented} ${credits} ${firstCode} ${owed} ${spend} ${status} ${max} ${r.valid} ${state}`;
    }
  }
  // @ts-expect-error a quote needs a call
  quoteCall({ rateCard });
  return evalCanonical("quoteCall", "{}") + canonical(quoteCall({ rateCard, call: { direction: "outbound", connectedSeconds: 60 } })) + version();
}

/** A live call as a platform runs it (SEMANTICS 11): the types carry the hold through. */
export function liveCall(rateCard: RateCard): string {
  const account = { grants: [{ id: "w", type: "prepaid" as const, remaining: "1000" }] };
  const at = "2026-03-10T12:00:00Z";
  const start = startCall({ rateCard, account, call: { id: "c1", direction: "outbound", at, quotaSeconds: 300 } });
  const held: string | undefined = start.hold?.credits;
  const more = extendCall({ rateCard, account: start.account, callId: "c1", at, quotaSeconds: 60 });
  const reloaded: number = more.reloads.length;
  const end = endCall({ rateCard, account: more.account, callId: "c1", at, call: { connectedSeconds: more.grantedSeconds } });
  // @ts-expect-error an end says how long the call was connected
  endCall({ rateCard, account, callId: "c1", at, call: {} });
  return `${held} ${reloaded} ${end.overrunSeconds} ${end.balanceAfter} ${end.item.lines.length} ${end.account.holds?.length}`;
}

/** Inbound toll-free limits (SEMANTICS 18): a pumped number is rejected, with the limit named. */
export function inboundLimits(rateCard: RateCard, account: Account, at: string): string {
  const limited: Account = {
    ...account,
    inboundLimits: { maxConcurrentCalls: 20, perNumber: { "tf-1": { maxMinutesPerHour: 60 } }, surge: { ratio: "3", floorMinutes: 10 } },
  };
  const start = startCall({ rateCard, account: limited, call: { id: "c2", direction: "inbound", tollFree: true, numberId: "tf-1", at } });
  const why: string | undefined = start.code === "inbound_limit" ? start.limit : undefined;
  // @ts-expect-error a surge rule names its ratio as a decimal string
  startCall({ rateCard, account: { inboundLimits: { surge: { ratio: 3, floorMinutes: 10 } } }, call: { id: "c3", direction: "inbound", at } });
  return `${why} ${start.account.inboundUsage?.length}`;
}

/** Prepared handles (issue 14): read the card and account once, call many times. */
export function prepared(rateCard: RateCard): string {
  const pricer = createPricer({ rateCard });
  const quote: Quote = pricer.quoteCall({ direction: "inbound", tollFree: true, connectedSeconds: 84 }, { includedSecondsRemaining: 30 });
  pricer.free();
  const account = { grants: [{ id: "w", type: "prepaid" as const, remaining: "1000" }] };
  const opened = openAccount({ rateCard, account });
  const at = "2026-03-10T12:00:00Z";
  const check: Authorization = opened.authorizeCall({ direction: "outbound", at });
  const usage = [{ id: "u1", at, kind: "chat" as const, messages: 3 }];
  const chart = opened.previewDrawdown(usage, { detail: "timeline" });
  const balances: string[] | undefined = chart.timeline?.balance;
  const after = opened.apply(usage, { detail: "summary" }).accountAfter;
  const started = opened.startCall({ id: "c1", direction: "outbound", at });
  const ended = opened.endCall("c1", at, { connectedSeconds: started.grantedSeconds });
  // @ts-expect-error a detail is lines, summary or timeline
  opened.previewDrawdown(usage, { detail: "everything" });
  const left = opened.snapshot().grants?.length;
  opened.free();
  return `${quote.totalCredits} ${check.maxSeconds} ${balances?.length} ${after.grants?.length} ${ended.overrunSeconds} ${left}`;
}

/** Sums and display without a JavaScript number on the money path (issue 14, point 8). */
export function display(q: Quote): string {
  const total: string = addDecimals(q.totalCredits, q.lines[0]?.credits ?? "0");
  const order: -1 | 0 | 1 = compareDecimals(total, "0");
  // @ts-expect-error amounts are decimal strings, never numbers
  addDecimals(0.1, "0.2");
  return `${formatMoney(q.totalMoney.amount, q.totalMoney.currency, "en-US")} ${order}`;
}

/** Issue 14, point 5: units and unions say what the engine accepts and answers. */
export function truthful(rateCard: RateCard): string {
  // @ts-expect-error a float could slip in: amounts are decimal strings
  const card: RateCard = { ...rateCard, voice: { perMinute: 0.07 } };
  // @ts-expect-error currencies are the ISO 4217 codes the engine knows
  const unknown: RateCard = { ...rateCard, currency: "usd" };
  const p: Preview = previewDrawdown({ rateCard, account: { grants: [] }, usage: [] });
  const reloadIds: string[] = p.reloads.map((r) => r.id);
  const r: ReloadValidation = validateAutoReload({ settings: { threshold: "", amount: "$10", maxReloadsPerDay: "5.5" } });
  const codes: FindingCode[] = r.errors.map((f) => f.code);
  try {
    quoteCall({ rateCard, call: { direction: "inbound", tollFree: true, connectedSeconds: 60 } });
  } catch (e: unknown) {
    if (isDrawdownError(e)) {
      const code: DrawdownErrorCode = e.code;
      // @ts-expect-error codes are a closed set
      const wrong: typeof code = "no_such_code";
      return `${code} ${wrong} ${reloadIds} ${codes} ${card.currency} ${unknown.currency}`;
    }
  }
  return "";
}

/** Issue 15: the VAT on a top-up, as the billing page shows it while the user types. */
export function topUpTotal(rateCard: RateCard, amount: string): string {
  const q: TopUpQuote = quoteTopUp({
    rateCard,
    amount,
    at: "2026-11-30T10:00:00Z",
    seller: { country: "DE", vatId: "DE136695976" },
    customer: { country: "FR", vatId: "FR40303265045", vatIdVerified: true },
  });
  const t: TaxTreatment = q.treatment;
  // @ts-expect-error the net amount is a decimal string
  quoteTopUp({ rateCard, amount: 10, at: "2026-11-30T10:00:00Z", seller: { country: "DE", vatId: "x" }, customer: { country: "FR" } });
  return `${q.gross} ${q.currency} ${t} ${q.taxCountry ?? ""}`;
}

/** Issue 28: when the credits run out at last week's rate, and what expires unused. */
export function runway(rateCard: RateCard): string {
  const r: Runway = forecastRunway({
    rateCard,
    account: { grants: [{ id: "w", type: "prepaid", remaining: "1000" }] },
    at: "2026-03-10T00:00:00Z",
    basis: [{ id: "c", at: "2026-03-05T10:00:00Z", kind: "call", call: { direction: "outbound", connectedSeconds: 600 } }],
    horizonDays: 30,
  });
  const out: string | null = r.runsOutAt;
  const money: Money = r.reloadMoney;
  const unused: Credits[] = r.expiringUnused.map((e) => e.credits);
  // @ts-expect-error a reload's money is not credits
  const wrong: Credits = r.reloadMoney;
  // @ts-expect-error days are a count, not text
  forecastRunway({ rateCard, account: { grants: [] }, at: "2026-03-10T00:00:00Z", basis: [], horizonDays: "30" });
  return `${out} ${money} ${unused.join()} ${wrong} ${r.balanceAt[0]?.balance ?? ""}`;
}

/** Issue 28: a price change on a date, in a preview and a handle. */
export function versions(rateCard: RateCard): string {
  const later: RateCard[] = [{ ...rateCard, version: 2, effectiveFrom: "2026-03-01T00:00:00Z" }];
  const account = { grants: [] };
  const p = previewDrawdown({ rateCard, rateCardVersions: later, account, usage: [] });
  const h = openAccount({ rateCard, rateCardVersions: later, account });
  h.free();
  // @ts-expect-error versions are rate cards, not instants
  previewDrawdown({ rateCard, rateCardVersions: ["2026-03-01T00:00:00Z"], account });
  return p.balanceAfter;
}

/** Issue 27: a runtime class, as stripe-node's, for `instanceof`. */
export function codeOf(rateCard: RateCard): DrawdownErrorCode | null {
  try {
    quoteCall({ rateCard, call: { direction: "outbound", connectedSeconds: 60 } });
    return null;
  } catch (e: unknown) {
    if (e instanceof DrawdownError) {
      const field: string | null = e.field;
      return field === null ? e.code : e.code;
    }
    throw e;
  }
}

/** Issue 27: units the compiler checks. Credits are not money (18 credits are $0.18), and
 * seconds are not a count; plain literals go anywhere their unit does. */
export function units(rateCard: RateCard): string {
  const q = quoteCall({ rateCard, call: { direction: "outbound", connectedSeconds: 61 } });
  const shown = formatMoney(q.totalMoney.amount, "USD") + formatCredits(q.totalCredits);
  // @ts-expect-error credits where money goes: $18.00 for 18 credits
  formatMoney(q.totalCredits, "USD");
  // @ts-expect-error money where credits go
  formatCredits(q.totalMoney.amount);
  const total = addDecimals(q.totalCredits, q.lines[0].credits);
  // @ts-expect-error a sum of credits is credits
  formatMoney(total, "USD");
  const left = subtractDecimals(asMoney("10.00"), q.totalMoney.amount);
  formatMoney(left, "USD");
  formatMoney("12.50", "USD");
  const a = openAccount({ rateCard, account: { grants: [{ id: "w", type: "prepaid", remaining: asCredits("100") }] } });
  const check = a.authorizeCall({ direction: "outbound", at: "2026-03-01T12:00:00Z" });
  a.startCall({ id: "c", direction: "outbound", at: "2026-03-01T12:00:00Z", quotaSeconds: check.maxSeconds });
  a.free();
  const reload = { enabled: true, threshold: "5.00", amount: "10.00", paymentMethod: "pm_1" };
  openAccount({ rateCard, account: { autoReload: reload } }).free();
  // @ts-expect-error an auto-reload threshold is money, not the credits a check answers
  openAccount({ rateCard, account: { autoReload: { ...reload, threshold: check.availableCredits } } }).free();
  const messages = asSeconds(60);
  // @ts-expect-error seconds are not a count of messages
  previewDrawdown({ rateCard, account: {}, usage: [{ id: "m", at: "2026-03-01T12:00:00Z", kind: "chat", messages }] });
  return shown;
}
