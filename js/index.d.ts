// The package's public API. Every type is in ./types.d.ts, which needs no DOM library or
// Node types: the declarations compile with `lib: ["es2022"]` alone.
import type {
  Account,
  AuthorizeInput,
  Authorization,
  AlertEvaluation,
  CallEnd,
  CallRequest,
  Call,
  Count,
  CountInput,
  Credits,
  CreditsInput,
  Currency,
  Decimal,
  DrawdownError,
  EndCall,
  EndCallInput,
  EvaluateAlertsInput,
  ExtendCallInput,
  Instant,
  OpenAccountInput,
  Preview,
  PreviewDetail,
  PreviewInput,
  PricerInput,
  QuotaGrant,
  Quote,
  QuoteInput,
  QuoteTopUpInput,
  ForecastRunwayInput,
  Runway,
  ReloadValidation,
  Money,
  MoneyInput,
  Seconds,
  SecondsInput,
  StartCall,
  StartCallInput,
  TopUpQuote,
  Usage,
  ValidateAutoReloadInput,
} from "./types.js";

/** Every data type of the package (./types.d.ts). */
export type * from "./types.js";
/** The class of every error the package throws (`e instanceof DrawdownError`). */
export { DrawdownError } from "./types.js";

/** Operation names accepted by `evalCanonical`. */
export type OperationName =
  | "quoteCall"
  | "previewDrawdown"
  | "authorizeCall"
  | "validateAutoReload"
  | "evaluateAlerts"
  | "startCall"
  | "extendCall"
  | "endCall"
  | "quoteTopUp"
  | "forecastRunway";

/** Prices one call: its charge lines and total, in credits and in the card's money.
 * @throws {DrawdownError} `missing_field`, `missing_rate` (an inbound toll-free call on a card
 * without `tollFreeSurcharge`), `invalid_decimal`, `invalid_duration`, `invalid_increment`, ...
 * @example
 * const q = quoteCall({ rateCard, call: { direction: "outbound", connectedSeconds: 61 } });
 * q.totalCredits;        // "18.0000": two started minutes at 9 credits
 * q.totalMoney.amount;   // "0.18" (USD, 100 credits a dollar)
 */
export function quoteCall(input: QuoteInput): Quote;
/** Draws usage down an account snapshot (credits): each item's lines and where their credits
 * came from, the reloads and alerts it sets off, the balances, and `accountAfter`.
 * @throws {DrawdownError} `invalid_instant`, `duplicate_id`, `invalid_count`, `too_many_periods`, `negative_amount`, ...
 * @example
 * const p = previewDrawdown({ rateCard, account, usage: [
 *   { id: "u1", at: "2026-03-10T12:00:00Z", kind: "chat", messages: 12 } ] });
 * p.balanceAfter; // spendable credits after the usage
 */
export function previewDrawdown(input: PreviewInput): Preview;
/** The pre-call check: whether a call may start, and the exact seconds it may run.
 * @throws {DrawdownError} `invalid_instant`, `missing_field`, ...; a refusal is an answer, not an error.
 * @example
 * const c = authorizeCall({ rateCard, account, call: { direction: "outbound", at: "2026-03-10T12:00:00Z" } });
 * if (c.allowed) console.log(`up to ${c.maxSeconds} s`);
 */
export function authorizeCall(input: AuthorizeInput): Authorization;
/** Checks auto-reload settings as a form holds them (money): every error and warning with its
 * field, at once. It does not throw on a half-filled form.
 * @example
 * const v = validateAutoReload({ settings: { enabled: true, threshold: "ten", amount: "25" }, rateCard });
 * v.errors[0].field; // "settings.threshold"
 */
export function validateAutoReload(input: ValidateAutoReloadInput): ReloadValidation;
/** The balance-alert state a balance (credits) is in, and whether it changed.
 * @throws {DrawdownError} `invalid_decimal`, `alert_thresholds_unordered`.
 * @example
 * const a = evaluateAlerts({ settings: { warning: { threshold: "500" } }, previousState: "ok", balance: "420" });
 * a.changed; // true: now "warning"
 */
export function evaluateAlerts(input: EvaluateAlertsInput): AlertEvaluation;
/** Starts a live call: its first quota in seconds, and `account` holding the call's cost.
 * Keep `account` for the call's extends and end.
 * @throws {DrawdownError} `duplicate_id` (a live call with that id), `invalid_instant`, ...
 * @example
 * const g = startCall({ rateCard, account, call: { id: "c1", direction: "outbound", at: "2026-03-10T12:00:00Z" } });
 * if (g.allowed) console.log(g.grantedSeconds, g.validUntil);
 */
export function startCall(input: StartCallInput): QuotaGrant;
/** The next quota of a live call, pricing the whole call once.
 * @throws {DrawdownError} `unknown_call`, `hold_expired`, `invalid_instant`.
 * @example
 * const next = extendCall({ rateCard, account, callId: "c1", at: "2026-03-10T12:04:00Z" });
 * next.grantedSeconds; // seconds from the call's start, in all
 */
export function extendCall(input: ExtendCallInput): QuotaGrant;
/** Ends a live call: the call billed as the usage item `previewDrawdown` would give, and
 * `account` with the hold released.
 * @throws {DrawdownError} `unknown_call` (for a call without a hold, say its direction), `invalid_duration`.
 * @example
 * const e = endCall({ rateCard, account, callId: "c1", at: "2026-03-10T12:05:35Z", call: { connectedSeconds: 95 } });
 * e.item.lines[0].credits; // the call's credits
 */
export function endCall(input: EndCallInput): CallEnd;
/** What a credit top-up costs with VAT, as an EU seller charges it: money net, tax and gross,
 * and the credits the net buys.
 * @throws {DrawdownError} `invalid_country`, `invalid_vat_id`, `missing_rate`, `invalid_money_precision`.
 * @example
 * const t = quoteTopUp({ rateCard, amount: "10.00", at: "2026-11-30T10:00:00Z",
 *   seller: { country: "DE", vatId: "DE136695976" }, customer: { country: "FR" } });
 * t.gross; // money the customer pays
 */
export function quoteTopUp(input: QuoteTopUpInput): TopUpQuote;
/** When the credits run out at the rate the account actually spends: the basis (past usage
 * items, credits by the card) repeated every `basisDays` from `at` through the same drawdown
 * as `previewDrawdown`, for `horizonDays` (renewals, expiries, auto-reloads and alerts as they
 * would happen). Exact: it is `previewDrawdown` over the repeated usage.
 * @throws {DrawdownError} `invalid_value` (`basisDays`, `horizonDays`, a basis item at or after
 * `at`, a basis longer than `basisDays`), `invalid_instant`, `missing_field`, ...
 * @example
 * const r = forecastRunway({ rateCard, account, at: "2026-03-10T00:00:00Z", horizonDays: 30,
 *   basis: [{ id: "c1", at: "2026-03-05T10:00:00Z", kind: "call",
 *             call: { direction: "outbound", connectedSeconds: 600 } }] });
 * r.runsOutAt;      // the first charge the wallet could not cover, or null
 * r.reloadMoney;    // money the auto-reloads on the way cost
 * r.expiringUnused; // grants that expire with credits left
 */
export function forecastRunway(input: ForecastRunwayInput): Runway;
/** A rate card and plan read and checked once; each quote then reads only its call.
 * Free it with `free()`, or `using` where `Symbol.dispose` exists. */
export interface Pricer {
  /** The call's lines and totals: what `quoteCall({ rateCard, plan, includedSecondsRemaining, call })` answers. */
  quoteCall(call: Call, options?: QuoteOptions): Quote;
  /** Releases the handle's WebAssembly memory; the handle must not be used after. */
  free(): void;
}

/** `Pricer.quoteCall`'s options. */
export interface QuoteOptions {
  /** Plan-included seconds left (default: the plan's whole allowance). */
  includedSecondsRemaining?: SecondsInput | null;
}

/** `AccountHandle.previewDrawdown`'s and `apply`'s options. */
export interface PreviewOptions {
  /** How much the answer says (default `lines`); `summary` is the fast one for many items. */
  detail?: PreviewDetail;
  /** The instant of the opening balance when there is no usage. */
  asOf?: Instant | null;
}

/** `AccountHandle.extendCall`'s options. */
export interface ExtendOptions {
  /** Seconds asked for now (default 300). */
  quotaSeconds?: SecondsInput | null;
}

/** Reads `{ rateCard, plan? }` once; each `quoteCall` then reads only its call (about 0.6 us).
 * @throws {DrawdownError} as `quoteCall` would for a bad card or plan.
 * @example
 * const pricer = createPricer({ rateCard });
 * pricer.quoteCall({ direction: "inbound", tollFree: true, connectedSeconds: 84 }).totalCredits;
 * pricer.free();
 */
export function createPricer(input: PricerInput): Pricer;

/** A rate card and account snapshot read and checked once. `authorizeCall` and
 * `previewDrawdown` leave the account as it is; `apply` and the live-call operations move
 * it on, as the server's ledger does. Every answer is what the one-shot operation answers
 * for the same account. Free it with `free()`, or `using` where `Symbol.dispose` exists. */
export interface AccountHandle {
  /** The pre-call check on the account as it stands. */
  authorizeCall(call: CallRequest): Authorization;
  /** What `usage` would do; the account stays as it is. */
  previewDrawdown(usage: Usage[], options?: PreviewOptions): Preview;
  /** `previewDrawdown`, after which the account is the preview's `accountAfter`. */
  apply(usage: Usage[], options?: PreviewOptions): Preview;
  /** Starts a live call; the account then holds its cost. */
  startCall(call: StartCall): QuotaGrant;
  /** The next quota of a live call. */
  extendCall(callId: string, at: Instant, options?: ExtendOptions): QuotaGrant;
  /** Ends a live call; the account is billed for it and the hold released. */
  endCall(callId: string, at: Instant, call: EndCall): CallEnd;
  /** The account as it stands: the snapshot to save, or to open again. */
  snapshot(): Account;
  /** Releases the handle's WebAssembly memory; the handle must not be used after. */
  free(): void;
}

/** Reads `{ rateCard, account }` once; its methods then read only their own input.
 * @throws {DrawdownError} as the one-shot operations would for a bad card or account.
 * @example
 * const a = openAccount({ rateCard, account });
 * a.authorizeCall({ direction: "outbound", at: "2026-03-10T12:00:00Z" }).maxSeconds;
 * const saved = a.snapshot();
 * a.free();
 */
export function openAccount(input: OpenAccountInput): AccountHandle;

/** The exact sum of decimal strings, with as many decimals as the most precise term
 * (`addDecimals("1.50", "2")` is `"3.50"`). No JavaScript number touches the amounts.
 * Throws DrawdownError `invalid_decimal` for anything but a decimal string. */
export function addDecimals(...values: Credits[]): Credits;
/** Money added to money is money. */
export function addDecimals(...values: Money[]): Money;
/** Amounts of no one unit: a plain decimal string. */
export function addDecimals(...values: Decimal[]): Decimal;
/** `a - b`, exactly, with as many decimals as the more precise of the two. */
export function subtractDecimals(a: Credits, b: Credits): Credits;
/** Money less money is money. */
export function subtractDecimals(a: Money, b: Money): Money;
/** Amounts of no one unit: a plain decimal string. */
export function subtractDecimals(a: Decimal, b: Decimal): Decimal;
/** -1, 0 or 1 as `a` is less than, equal to or greater than `b` (`"1.50"` equals `"1.5"`). */
export function compareDecimals(a: Decimal, b: Decimal): -1 | 0 | 1;
/** An amount of money in `currency` (ISO 4217) for people, in `locale`'s style; never
 * rounded: every decimal it has is shown, and at least the currency's own.
 * @throws {DrawdownError} `invalid_decimal`.
 * @example
 * formatMoney(quoteCall({ rateCard, call: { direction: "outbound", connectedSeconds: 60 } }).totalMoney.amount, "USD", "en-US");
 */
export function formatMoney(amount: MoneyInput, currency: Currency, locale?: string): string;
/** An amount of credits for people, in `locale`'s style, without trailing zeros.
 * @throws {DrawdownError} `invalid_decimal`.
 * @example
 * formatCredits("22.5000", "en-US"); // "22.5"
 */
export function formatCredits(credits: CreditsInput, locale?: string): string;
/** `value` as credits, checked to be a decimal string (a form's, a database's). Throws
 * DrawdownError `invalid_decimal`.
 * @example const limit = asCredits(form.limit); // then `formatMoney(limit, "USD")` does not compile */
export function asCredits(value: string): Credits;
/** `value` as money in the card's currency, checked to be a decimal string. Throws `invalid_decimal`. */
export function asMoney(value: string): Money;
/** `value` as seconds, checked to be whole, 0 to 315,360,000. Throws `invalid_duration`. */
export function asSeconds(value: number): Seconds;
/** `value` as a count, checked to be whole, 0 to 315,360,000. Throws `invalid_count`. */
export function asCount(value: number): Count;

/** Canonical JSON of an output: keys sorted by code point, no whitespace; the bytes the native build prints. */
export function canonical(value: unknown): string;
/** Any operation over JSON text; canonical JSON text out (`{"error":{...}}` on failure). */
export function evalCanonical(op: OperationName, inputJson: string): string;
/** The engine version. */
export function version(): string;
/** The `{ error: { code, field?, message } }` document the native CLI and server answer with. */
export function errorDocument(err: DrawdownError): { error: { code: DrawdownError["code"]; field?: string; message: string } };
/** Type guard for errors thrown by drawdown. */
export function isDrawdownError(value: unknown): value is DrawdownError;
/**
 * Where `init` finds the WebAssembly module: its URL (a string or `URL`), a fetch
 * `Response` or a promise of one, its bytes, or a compiled `WebAssembly.Module`. Typed
 * structurally, so the declarations need no DOM library.
 */
export type InitInput = string | { readonly href: string } | ArrayBuffer | ArrayBufferView | PromiseLike<unknown> | object;

/** Instantiates the WebAssembly module (browser; by default it fetches `drawdown_bg.wasm`
 * next to the package's own file); a no-op in Node and workerd. Idempotent once it has
 * succeeded. Never throws synchronously: a failed attempt rejects with a `DrawdownError`
 * whose code is `init_failed` (its `cause` the underlying error), and a later call with a
 * working source tries again. */
export function init(input?: InitInput): Promise<void>;
/** Instantiates synchronously from a compiled `WebAssembly.Module` or the module's bytes;
 * a no-op in Node and workerd. */
export function initSync(module?: ArrayBuffer | ArrayBufferView | object): void;
