// The package's data types. Self-contained: nothing here needs the DOM library, Node's types
// or wasm-bindgen's declarations, so they compile with `lib: ["es2022"]` alone.
//
// Units, everywhere: *money* is in the rate card's `currency` (ISO 4217, e.g. dollars for
// USD); *credits* are the wallet's unit (`creditsPerUnit` credits buy one unit of money);
// *seconds* and *counts* are whole numbers; a rate "per minute" is credits for 60 seconds.
// Amounts cross as decimal strings, never JavaScript numbers.

/** An exact decimal amount as the engine writes it: a string such as `"12.3456"`. */
export type Decimal = string;
/**
 * An exact decimal amount as input: a string such as `"0.07"` or `"1000"`. Numbers are not
 * accepted here on purpose: `0.07` is already inexact as a JavaScript number. (The engine
 * does read whole numbers up to 2^53 - 1 for JSON callers, but these types ask for strings.)
 */
export type DecimalInput = string;
/** An RFC 3339 instant with an offset: `"2026-03-01T10:00:00Z"`, `"2026-03-01T12:00:00+02:00"`. */
export type Instant = string;
/** An IANA time zone name: `"America/New_York"`, `"Asia/Singapore"`, `"UTC"`. */
export type TimeZone = string;
/** A billing increment `"first/next"` in seconds: `"60/60"` (per minute), `"1/1"` (per second), `"30/6"`. */
export type Increment = string;
/** A whole number of seconds, 0 to 315,360,000 (ten years), as the engine answers it. */
export type Seconds = number & { readonly [unit]: "seconds" };
/** A whole count (messages, numbers, minutes, reloads), 0 to 315,360,000, as the engine answers it. */
export type Count = number & { readonly [unit]: "count" };

// Units the compiler checks (issue 27): what the engine answers carries its unit, and an
// input field takes a plain value or one of its own unit, never another's. So
// `formatMoney(quote.totalCredits, "USD")` does not compile (18 credits are $0.18, not $18),
// while `{ remaining: "100" }` and `{ connectedSeconds: 60 }` need nothing. `asCredits`,
// `asMoney`, `asSeconds` and `asCount` check a value read from elsewhere and give it its unit.
declare const unit: unique symbol;
/** Credits (the wallet's unit), as the engine answers them: a decimal string. */
export type Credits = Decimal & { readonly [unit]: "credits" };
/** Money in the rate card's currency (dollars for USD), as the engine answers it: a decimal string. */
export type Money = Decimal & { readonly [unit]: "money" };
/** Credits as input: a decimal string such as `"250"`, or a value of `Credits`; not `Money`. */
export type CreditsInput = DecimalInput & { readonly [unit]?: "credits" };
/** Money as input: a decimal string such as `"10.00"`, or a value of `Money`; not `Credits`. */
export type MoneyInput = DecimalInput & { readonly [unit]?: "money" };
/** Seconds as input: a whole number such as `60`, or a value of `Seconds`; not a `Count`. */
export type SecondsInput = number & { readonly [unit]?: "seconds" };
/** A count as input: a whole number such as `12`, or a value of `Count`; not `Seconds`. */
export type CountInput = number & { readonly [unit]?: "count" };

/** The ISO 4217 currencies the engine knows, each with its minor units (USD 2, JPY 0, BHD 3). */
export type Currency =
  | "AED" | "ARS" | "AUD" | "BGN" | "BHD" | "BIF" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY"
  | "COP" | "CZK" | "DJF" | "DKK" | "EGP" | "EUR" | "GBP" | "GHS" | "GNF" | "HKD" | "HUF"
  | "IDR" | "ILS" | "INR" | "IQD" | "ISK" | "JOD" | "JPY" | "KES" | "KMF" | "KRW" | "KWD"
  | "LYD" | "MAD" | "MXN" | "MYR" | "NGN" | "NOK" | "NZD" | "OMR" | "PEN" | "PHP" | "PKR"
  | "PLN" | "PYG" | "QAR" | "RON" | "RSD" | "RWF" | "SAR" | "SEK" | "SGD" | "THB" | "TND"
  | "TRY" | "TWD" | "UAH" | "UGX" | "USD" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" | "ZAR";

/** How amounts are rounded, once, at the end of each line. */
export type RoundingMode = "half_up" | "half_even" | "up" | "down";
/** What a charge line is for. */
export type Channel = "voice" | "chat" | "transfer_minute" | "number";
/** Which allowance a line can draw from before credits: plan minutes, messages, or none. */
export type Bucket = "ai_minutes" | "messages" | "none";
/** Every charge line's code. */
export type LineCode =
  | "voice.ai_minutes"
  | "voice.included_minutes"
  | "voice.connect_fee"
  | "voice.toll_free_surcharge"
  | "voice.carrier_pass_through"
  | "transfer_minute"
  | "chat.message"
  | "number.rental";
/** Kinds of credit grant, which set the burn order. */
export type GrantType = "prepaid" | "promotional" | "committed" | "plan";
/** `inbound`: someone called the agent; `outbound`: the agent called out. */
export type CallDirection = "inbound" | "outbound";
/** Balance-alert states, from healthy to critical. */
export type AlertState = "ok" | "info" | "warning" | "in_alarm";
/** Whether a level fires as the balance falls below or rises above its threshold. */
export type AlertDirection = "below" | "above";
/** What an agent does when the plan's allowance is spent: stop, or draw the wallet. */
export type OnPlanExhausted = "stop" | "use_balance";

/** Every `code` a `DrawdownError` carries. */
export type DrawdownErrorCode =
  | "alert_thresholds_unordered"
  | "arithmetic_overflow"
  | "at_out_of_window"
  | "duplicate_id"
  | "hold_expired"
  | "instant_out_of_range"
  | "internal"
  | "invalid_count"
  | "invalid_country"
  | "invalid_currency"
  | "invalid_cycle"
  | "invalid_decimal"
  | "invalid_duration"
  | "invalid_enum"
  | "invalid_id"
  | "invalid_grant_window"
  | "invalid_increment"
  | "invalid_input"
  | "invalid_instant"
  | "invalid_json"
  | "invalid_money_precision"
  | "invalid_text"
  | "invalid_time_zone"
  | "invalid_type"
  | "invalid_value"
  | "invalid_vat_id"
  | "missing_field"
  | "missing_rate"
  | "negative_amount"
  | "no_pending_reload"
  | "payload_too_large"
  | "stale_request"
  | "not_initialized"
  | "init_failed"
  | "handle_freed"
  | "too_many_periods"
  | "unknown_call"
  | "unknown_field"
  | "unknown_op";

/** Every `code` the server answers besides the engine's (the server's OpenAPI document names them as `ErrorCode`). */
export type ServerErrorCode =
  | DrawdownErrorCode
  | "account_exists"
  | "account_not_found"
  | "credits_spent"
  | "amount_out_of_range"
  | "call_ended"
  | "card_declined"
  | "dashboard_session_required"
  | "duplicate_usage"
  | "headers_too_large"
  | "idempotency_key_required"
  | "idempotency_key_reused"
  | "insufficient_scope"
  | "invalid_body"
  | "invalid_date"
  | "invalid_date_range"
  | "invalid_query"
  | "invalid_request"
  | "invalid_ttl"
  | "invalid_webhook_url"
  | "invoice_not_found"
  | "method_not_allowed"
  | "no_invoice"
  | "no_randomness"
  | "not_found"
  | "payment_cancelled"
  | "payment_method_in_use"
  | "payment_method_not_found"
  | "payment_not_found"
  | "payment_not_pending"
  | "payment_not_settled"
  | "request_timeout"
  | "store_unavailable"
  | "tax_not_configured"
  | "too_many_attempts"
  | "too_many_items"
  | "unauthorized"
  | "unknown_plan"
  | "unsupported_media_type"
  | "version_in_effect"
  | "version_not_found";

/** Every code an auto-reload finding carries (`validateAutoReload`). */
export type FindingCode =
  | "missing_field"
  | "invalid_decimal"
  | "invalid_type"
  | "invalid_max_reloads"
  | "invalid_money_precision"
  | "invalid_currency"
  | "negative_amount"
  | "arithmetic_overflow"
  | "payment_method_required"
  | "negative_threshold"
  | "amount_not_positive"
  | "amount_below_min_top_up"
  | "amount_above_max_top_up"
  | "not_checked_against_rate_card"
  | "exceeds_wallet_max"
  | "threshold_below_max_call_cost"
  | "reloads_exceed_daily_max";

/** What a call or message costs, in credits, and what credits cost, in money. */
export interface RateCard {
  /** The currency money is in: top-ups, reloads, `totalMoney`. */
  currency: Currency;
  /** Credits one unit of money buys (`"100"`: 1 credit = $0.01). */
  creditsPerUnit: DecimalInput;
  /** Rounding of each line: `mode` (default `half_up`) to `creditDecimals` places (default 4, at most 12). */
  rounding?: { mode?: RoundingMode; creditDecimals?: number };
  /** AI voice minutes. */
  voice?: {
    /** Credits per minute of billable time. */
    perMinute: CreditsInput;
    /** How connected seconds become billable seconds (default `"1/1"`). */
    increment?: Increment;
    /** Credits per connected call (default none). */
    connectFee?: CreditsInput;
  };
  /** The surcharge on inbound calls to toll-free numbers; there is no default. */
  tollFreeSurcharge?: {
    /** Credits per minute of the call's billable time. */
    perMinute: CreditsInput;
    /** The increment its billable seconds are rounded up to (default `"60/60"`). */
    increment?: Increment;
  };
  /** Transferred (bridged) minutes. */
  transfer?: {
    /** Credits per minute bridged. */
    perMinute: CreditsInput;
    /** The increment its billable seconds are rounded up to (default `"60/60"`). */
    increment?: Increment;
  };
  /** Chat messages. */
  chat?: {
    /** Credits per message. */
    perMessage: CreditsInput;
  };
  /** Phone-number rentals by kind (`local`, `toll_free`, ...). */
  numbers?: Record<string, {
    /** Credits per number per month. */
    monthly: CreditsInput;
  }>;
  /** The card's version number (a price version; the server's version 1 is the first card). */
  version?: CountInput | null;
  /** When this version takes effect, as one of `rateCardVersions`: usage from this instant on is
   * priced by it. */
  effectiveFrom?: Instant | null;
}

/** Later versions of a rate card, each with its `effectiveFrom`, in order: every item is priced
 * by the version in force at its instant (the card itself before the first). A version changes
 * prices only: the same currency, `creditsPerUnit` and `rounding` (else `invalid_value` at
 * `rateCardVersions[i].currency`, ...). At most 100. */
export type RateCardVersions = RateCard[];

/** A subscription plan: included minutes and credits each cycle, and the overage rate. */
export interface Plan {
  /** The plan's id (`"starter"`, `"growth"`). */
  id: string;
  /** The plan's name for people. */
  name?: string | null;
  /** Money per cycle (what the platform bills for the plan; not drawn from credits). */
  monthlyFee?: MoneyInput | null;
  /** Included voice minutes per cycle (a count of minutes). */
  includedMinutes?: CountInput;
  /** Credits per minute past the included minutes (default: the card's `voice.perMinute`). */
  overagePerMinute?: CreditsInput | null;
  /** Plan credits granted each cycle. */
  includedCredits?: CreditsInput | null;
  /** The most unused plan credits carried into the next cycle. */
  rolloverCap?: CreditsInput | null;
  /** The version of the plan's terms (the server's catalogue keeps every version). */
  version?: CountInput | null;
  /** When these terms took effect. */
  effectiveFrom?: Instant | null;
}

/** Credits an account holds, of one kind, with its validity window. */
export interface Grant {
  /** The grant's id, unique in the account (`"promo-2026"`, `"reload-1"`). */
  id: string;
  /** Its kind, which sets the burn order: plan credits first, then promotional, then prepaid. */
  type: GrantType;
  /** Credits left. */
  remaining: CreditsInput;
  /** Lower burns first within its kind (default 50). */
  priority?: number;
  /** Not spendable before this instant. */
  effectiveAt?: Instant | null;
  /** Not spendable from this instant. */
  expiresAt?: Instant | null;
  /** When it was granted (information only). */
  createdAt?: Instant | null;
}

/** An agent's spending policy (seed 002). */
export interface AgentPolicy {
  /** What the agent does once the plan's allowance is spent (default `use_balance`). */
  onPlanExhausted?: OnPlanExhausted;
  /** Credits the agent may spend per cycle. */
  monthlyLimit?: CreditsInput | null;
  /** Credits the agent has spent this cycle. */
  spentThisCycle?: CreditsInput | null;
}

/** Auto-reload as an account holds it. */
export interface AutoReloadSettings {
  /** Whether reloads happen at all. */
  enabled: boolean;
  /** Money: reload when the available wallet falls to or below this. */
  threshold: MoneyInput;
  /** Money per reload. */
  amount: MoneyInput;
  /** The payment method reloads charge; without one there is no reload. */
  paymentMethod?: string | null;
  /** Reloads per local day of the account's time zone (default unlimited). */
  maxReloadsPerDay?: CountInput | null;
}

/**
 * Auto-reload settings as a form holds them while a person fills it in: any field may be
 * empty, missing or malformed (`""`, `"1,000"`, `"$10"`, `5.5`), and `validateAutoReload`
 * reports a finding on each such field, all at once. Money in the account's currency.
 */
export interface AutoReloadForm {
  /** Whether reloads happen at all. */
  enabled?: boolean | null;
  /** Money: the balance that triggers a reload. Anything a form holds; findings say what is wrong. */
  threshold?: string | number | null;
  /** Money per reload. */
  amount?: string | number | null;
  /** Seed 000's name for `threshold` (money). */
  thresholdUsd?: string | number | null;
  /** Seed 000's name for `amount` (money). */
  amountUsd?: string | number | null;
  /** The payment method reloads charge (a provider's id such as `"pm_card_visa"`). */
  paymentMethod?: string | null;
  /** Reloads per local day. */
  maxReloadsPerDay?: string | number | null;
}

/** One alert level. */
export interface AlertLevel {
  /** Credits. */
  threshold: CreditsInput;
  /** `below` (default): the level is reached at or below the threshold; `above`: at or above. */
  direction?: AlertDirection;
}

/** Balance alerts, each level with a threshold in credits. */
export interface AlertSettings {
  /** The first, mildest level (credits). */
  info?: AlertLevel | null;
  /** The middle level (credits). */
  warning?: AlertLevel | null;
  /** The most urgent level (credits). */
  critical?: AlertLevel | null;
  /** The state the account is in now (default: computed from the opening balance). */
  state?: AlertState | null;
}

/** An account snapshot: the state a preview, check or live call starts from. */
export interface Account {
  /** The account's time zone: cycles and daily reload limits follow its calendar (default UTC). */
  timeZone?: TimeZone;
  /** The subscription plan, if any: its included minutes and credits renew each cycle. */
  plan?: Plan | null;
  /** The current billing cycle. */
  cycle?: { start: Instant; end: Instant; anchor?: Instant | null } | null;
  /** Plan-included seconds left this cycle (default: the plan's whole allowance). */
  includedSecondsRemaining?: SecondsInput | null;
  /** The credits the account holds, each with its kind and validity window. */
  grants?: Grant[];
  /** Credits owed (usage no credit covered). */
  owed?: CreditsInput | null;
  /** Agents' policies by agent id. */
  agents?: Record<string, AgentPolicy>;
  /** Auto-reload settings (money): reloads land as prepaid grants. */
  autoReload?: AutoReloadSettings | null;
  /** Balance-alert levels (credits). */
  alerts?: AlertSettings | null;
  /** Top-up limits, in money. */
  limits?: {
    /** Smallest top-up (money). */
    minTopUp?: MoneyInput | null;
    /** Largest top-up (money). */
    maxTopUp?: MoneyInput | null;
    /** The most the wallet may hold (money). */
    maxBalance?: CreditsInput | null;
  } | null;
  /** Calls in progress and what each may still spend (`startCall`, `extendCall`). */
  holds?: Hold[];
  /** End of the local day `reloadsToday` counts within. */
  reloadDayEnds?: Instant | null;
  /** Auto-reloads so far in that local day. */
  reloadsToday?: CountInput | null;
  /** A reload charged but not yet paid (a ledger's state). */
  pendingReload?: Grant | null;
  /** Limits on inbound toll-free traffic, which callers do not pay for and the wallet does. */
  inboundLimits?: InboundLimits | null;
  /** Ended inbound toll-free seconds by local hour and number: what the limits count (the engine keeps it at each end). */
  inboundUsage?: InboundHour[];
}

/** One number's own inbound toll-free limits. */
export interface NumberLimits {
  /** Live inbound toll-free calls at once. */
  maxConcurrentCalls?: CountInput | null;
  /** Connected minutes in one local hour (live holds counted). */
  maxMinutesPerHour?: CountInput | null;
  /** Connected minutes in one local day (live holds counted). */
  maxMinutesPerDay?: CountInput | null;
}

/** Limits on inbound toll-free traffic against artificial traffic inflation: calls and minutes past them are rejected. */
export interface InboundLimits extends NumberLimits {
  /** Limits of one number, by its id, besides the account's. */
  perNumber?: Record<string, NumberLimits>;
  /** Per number: an hour may not pass `ratio` times the average of the same hour of the week over the last 4 weeks, nor `floorMinutes` if more. */
  surge?: { ratio: DecimalInput; floorMinutes: CountInput } | null;
  /** Only in an edge's copy of the account: its lease's share of the account's limits. */
  leaseShare?: InboundShare | null;
}

/** What an edge's lease may grant of inbound toll-free traffic, in every window the lease lives in. */
export interface InboundShare {
  /** Calls at once (absent: no limit on them). */
  calls?: CountInput;
  /** The account's limit that binds `calls`. */
  callsLimit?: string;
  /** Connected seconds in all (absent: no limit on them). */
  seconds?: SecondsInput;
  /** The account's limit that binds `seconds`. */
  secondsLimit?: string;
  /** Each number's seconds (`""`: calls naming none; `"*"`: any number not listed, together), with the limit that binds them. */
  numbers?: Record<string, { seconds: SecondsInput; limit: string }>;
}

/** Connected seconds of ended inbound toll-free calls in one local hour, to one number (none: calls naming no number). */
export interface InboundHour {
  /** The local hour's first instant. */
  hour: Instant;
  /** The number the calls rang (none: calls that named no number). */
  numberId?: string | null;
  /** Their connected seconds in that hour. */
  seconds: SecondsInput;
}

/** What a call in progress may still spend, by pool. */
export interface Hold {
  /** The call's id (or the lease's). */
  id: string;
  /** A live call's hold, or an edge's lease. */
  kind: "call" | "lease";
  /** The agent taking the call; its cycle limit counts the hold. */
  agentId?: string | null;
  /** A call's direction; a lease has none. */
  direction?: CallDirection;
  /** An inbound call to a toll-free number (priced with the surcharge). */
  tollFree?: boolean;
  /** When the call started, at the granting runtime's clock. */
  startedAt: Instant;
  /** Seconds granted so far; the platform must not let the call run past them when `finalQuota`. */
  grantedSeconds: SecondsInput;
  /** Plan-included seconds set aside. */
  includedSeconds: SecondsInput;
  /** Plan credits set aside. */
  planCredits: CreditsInput;
  /** Wallet credits set aside. */
  credits: CreditsInput;
  /** The hold stops counting here (grantedSeconds plus a grace after startedAt). */
  validUntil: Instant;
  /** A lease's share of the inbound toll-free limits, counted as held. */
  inbound?: InboundShare;
  /** The toll-free number an inbound call rang. */
  numberId?: string;
  /** A lease's: the number of the edge's request that last set it. */
  sequence?: number;
}

/** One call, as `quoteCall` prices it. */
export interface Call {
  /** `inbound` (someone called the agent) or `outbound` (the agent called). */
  direction: CallDirection;
  /** The caller dialled a toll-free number (inbound only adds the surcharge). */
  tollFree?: boolean;
  /** Seconds the AI agent was connected. */
  connectedSeconds: SecondsInput;
  /** A transfer to a person: every bridged second is billed at the transfer rate. */
  transfer?: { bridgedSeconds: SecondsInput } | null;
  /** Carrier costs passed through at cost: `amount` is money, up to 6 decimals (`"0.013"`). */
  carrierPassThrough?: { amount: MoneyInput; reason?: string | null }[];
}

/** One priced line. */
export interface ChargeLine {
  /** What the line charges (`voice.ai_minutes`, `voice.toll_free_surcharge`, `chat.message`, ...). */
  code: LineCode;
  /** `voice`, `chat`, `numbers` or `carrier`. */
  channel: Channel;
  /** How much: seconds, messages, numbers, or money for a pass-through. */
  quantity: Decimal;
  /** What `quantity` counts: `second`, `message`, `call`, `number`, or a currency code. */
  unit: string;
  /** Credits per minute (voice, transfer), per message, per number-month, per call (connect
   * fee), or credits per unit of money (pass-through). */
  rate: Credits;
  /** Credits, rounded once with the card's rounding. */
  credits: Credits;
  /** The reporting bucket the line adds to (`ai_minutes`, `transfer_minutes`, ...). */
  bucket: Bucket;
  /** The increment the seconds were billed in. */
  increment?: Increment;
  /** A pass-through's reason. */
  reason?: string;
}

/** `quoteCall`'s input: the card, an optional plan, and the call. */
export interface QuoteInput {
  /** The prices (credits) and the currency (money). */
  rateCard: RateCard;
  /** A plan: its included minutes and overage rate apply to the call. */
  plan?: Plan | null;
  /** Plan-included seconds left (default: the plan's whole allowance). */
  includedSecondsRemaining?: SecondsInput | null;
  /** The call to price. */
  call: Call;
}

/** `openAccount`'s input: a rate card and an account snapshot, read and checked once. */
export interface OpenAccountInput {
  /** The prices (credits) and the currency (money). */
  rateCard: RateCard;
  /** Later versions of the card: the handle's previews price each item by the one in force at
   * its instant (`GET /billing/account` answers them as `rateCardVersions`). */
  rateCardVersions?: RateCardVersions;
  /** The account snapshot the handle starts from. */
  account: Account;
}

/** `createPricer`'s input: a rate card and, optionally, a plan, read and checked once. */
export interface PricerInput {
  /** The prices (credits) and the currency (money). */
  rateCard: RateCard;
  /** A plan: its included minutes and overage rate apply to every quote. */
  plan?: Plan | null;
}

/** A priced call. */
export interface Quote {
  /** The priced lines, in the order the engine writes them. */
  lines: ChargeLine[];
  /** Credits: the sum of the lines. */
  totalCredits: Credits;
  /** `totalCredits` as money, rounded to the currency's minor units. */
  totalMoney: { amount: Money; currency: Currency };
}

/** One usage item: a call, a chat exchange, or a number rental. */
export type Usage =
  | { id: string; at: Instant; kind: "call"; agentId?: string | null; call: Call }
  | {
      /** The item's id, unique in its account (a retried item is not charged twice). */
      id: string;
      /** When it happened (RFC 3339 with an offset). */
      at: Instant;
      /** What it is. */
      kind: "chat";
      /** The agent it belongs to: its policy and cycle limit apply. */
      agentId?: string | null;
      /** Messages in the exchange. */
      messages: CountInput;
    }
  | {
      /** The item's id, unique in its account (a retried item is not charged twice). */
      id: string;
      /** When it happened (RFC 3339 with an offset). */
      at: Instant;
      /** What it is. */
      kind: "number";
      /** A key of the card's `numbers`. */
      numberKind: string;
      /** Numbers rented (default 1). */
      count?: CountInput | null;
      /** Charge every monthly period that starts before this instant (default: the first only). */
      through?: Instant | null;
      /** Charge a first partial period by days, up to the cycle's anchor day. */
      prorate?: boolean;
    };

/** `previewDrawdown`'s input: the card, the account snapshot, and the usage to draw down. */
export interface PreviewInput {
  /** The prices (credits) and the currency (money). */
  rateCard: RateCard;
  /** Later versions of the card: each item is priced by the one in force at its instant. */
  rateCardVersions?: RateCardVersions;
  /** The account snapshot the usage draws down. */
  account: Account;
  /** The usage items, drawn down in time order whatever their order here. */
  usage?: Usage[];
  /** The instant of the opening balance when there is no usage. */
  asOf?: Instant | null;
  /** How much the answer says (default `lines`). */
  detail?: PreviewDetail;
}

/**
 * `previewDrawdown`'s level of detail: every line with its allocations (`lines`), the lines
 * without allocations (`summary`), or the lines plus `timeline`, the balances after each
 * item in columns (`timeline`), so a chart needs one call.
 */
export type PreviewDetail = "lines" | "summary" | "timeline";

/** Where some of a line's cost came from. */
export interface Allocation {
  /** `"included_minutes"`, `"plan_credits"`, or a grant id. */
  source: string;
  /** The plan grant drawn, for `plan_credits`. */
  grantId?: string;
  /** Credits drawn. */
  credits?: Credits;
  /** Included seconds drawn. */
  seconds?: Seconds;
}

/** A charge line with how it was drawn. */
export interface DrawnLine extends ChargeLine {
  /** Where the line's credits came from; left out with `detail: "summary"`. */
  allocations?: Allocation[];
  /** Credits no pool covered (they became owed). */
  uncovered: Credits;
}

/** One usage item after the drawdown. */
export interface PreviewItem {
  /** The usage item's id. */
  id: string;
  /** The item's instant, in UTC. */
  at: Instant;
  /** A number rental's period (0 is the first). */
  period?: number;
  /** `charged`, or `refused` (a `stop` agent with the plan spent, or an agent past its limit). */
  status: "charged" | "refused";
  /** Why an item was refused. */
  reason?: "plan_exhausted" | "agent_limit_reached";
  /** The item's priced lines, each with where its credits came from. */
  lines: DrawnLine[];
}

/** An auto-reload a preview triggered (it lands at once in a preview). */
export interface ReloadEvent {
  /** The reload grant's id (`reload-1`, ...), found in `accountAfter.grants`. */
  id: string;
  /** The instant of the item that set it off. */
  at: Instant;
  /** Money charged. */
  amount: Money;
  /** Credits granted. */
  credits: Credits;
  /** How many reload amounts at once (enough to lift the balance over the threshold). */
  multiple: number;
  /** Credits of the reload that paid what was owed. */
  settledOwed: Credits;
}

/** A change of alert state. */
export interface AlertEvent {
  /** The instant of the item that crossed the level. */
  at: Instant;
  /** The state before. */
  from: AlertState;
  /** The state after. */
  to: AlertState;
  /** Credits: the balance that changed it. */
  balance: Credits;
}

/** What usage does to an account. Credits throughout. */
export interface Preview {
  /** Each usage item, drawn down in time order. */
  items: PreviewItem[];
  /** The auto-reloads the usage set off (money charged, credits granted). */
  reloads: ReloadEvent[];
  /** The alert levels the balance crossed. */
  alerts: AlertEvent[];
  /** Each grant's credits left after the usage. */
  grants: { id: string; remaining: Credits }[];
  /** Plan-included seconds left after the usage. */
  includedSecondsRemaining: Seconds;
  /** Credits owed after the usage. */
  owed: Credits;
  /** Spendable credits before the first item (wallet grants less what is owed). */
  balanceBefore: Credits;
  /** Spendable credits after the last item. */
  balanceAfter: Credits;
  /** Credits each agent has spent this cycle, after the usage. */
  agentSpend: Record<string, Credits>;
  /** The account after the usage: the snapshot to continue from (what a ledger would hold). */
  accountAfter: Account;
  /** With `detail: "timeline"`: the balances after each item, in columns aligned with `items`. */
  timeline?: Timeline;
}

/** The balances after each item, one entry per item. */
export interface Timeline {
  /** Each item's instant. */
  at: Instant[];
  /** Spendable credits (wallet grants less what is owed). */
  balance: Credits[];
  /** Credits owed. */
  owed: Credits[];
  /** Plan-included seconds left. */
  includedSecondsRemaining: Seconds[];
  /** Each grant's remaining credits; `null` before the grant exists (a reload landing later). */
  grants: Record<string, (Credits | null)[]>;
}

/** A pre-call check's call. */
export interface CallRequest {
  /** `inbound` or `outbound`. */
  direction: CallDirection;
  /** An inbound call to a toll-free number (the surcharge applies). */
  tollFree?: boolean;
  /** The agent that takes the call: its policy and cycle limit apply. */
  agentId?: string | null;
  /** The toll-free number an inbound call rings: its own inbound limits apply. */
  numberId?: string | null;
  /** When the call would start. */
  at: Instant;
  /** The most seconds the platform would allow anyway; the answer is no longer. */
  requestedMaxSeconds?: SecondsInput | null;
}

/** `authorizeCall`'s input: the card, the account snapshot, and the call to check. */
export interface AuthorizeInput {
  /** The prices (credits) and the currency (money). */
  rateCard: RateCard;
  /** The account snapshot, with any live calls' holds. */
  account: Account;
  /** The call to check. */
  call: CallRequest;
}

/** Every code a pre-call check or quota answers with. */
export type AuthorizationCode = "ok" | "insufficient_credits" | "plan_exhausted" | "agent_limit_reached" | "inbound_limit";

/** The pre-call check. */
export interface Authorization {
  /** Whether the call may start. */
  allowed: boolean;
  /** `ok`, or why not. */
  code: AuthorizationCode;
  /** Seconds the call may run: exactly, so a call of `maxSeconds` never overdraws. */
  maxSeconds: Seconds;
  /** Credits available to this call (plan credits and/or wallet, within the agent's limit). */
  availableCredits: Credits;
  /** Plan-included seconds available to it. */
  includedSeconds: Seconds;
  /** 402 when refused for want of credits. */
  httpStatus?: 402;
  /** Why the call was refused, in words. */
  error?: { code: Exclude<AuthorizationCode, "ok">; message: string };
  /** What to do with a refused inbound call. */
  action?: "reject_inbound";
  /** The inbound limit that bounds `maxSeconds` or refused the call: its field under `inboundLimits` (`maxMinutesPerHour`, `perNumber.tf-1.maxConcurrentCalls`, `surge`). */
  limit?: string;
}

/** A live call to start. */
export interface StartCall extends CallRequest {
  /** The call's id: extensions and the end name it. */
  id: string;
  /** Seconds asked for now (default 300). */
  quotaSeconds?: SecondsInput | null;
  /** How long the hold outlives its grant (default 60). */
  graceSeconds?: SecondsInput | null;
}

/** `startCall`'s input: the card, the account snapshot, and the call to start. */
export interface StartCallInput {
  /** The prices (credits) and the currency (money). */
  rateCard: RateCard;
  /** The account snapshot, with any live calls' holds. */
  account: Account;
  /** The call to start. */
  call: StartCall;
}

/** `extendCall`'s input: the card, the account snapshot holding the call, and now. */
export interface ExtendCallInput {
  /** The prices (credits) and the currency (money). */
  rateCard: RateCard;
  /** The account snapshot holding the call's hold. */
  account: Account;
  /** The live call's id. */
  callId: string;
  /** Now, at the granting runtime's clock. */
  at: Instant;
  /** Seconds asked for now (default 300). */
  quotaSeconds?: SecondsInput | null;
}

/** A quota: what `startCall` and `extendCall` grant. `account` carries the hold. */
export interface QuotaGrant {
  /** Whether the call may go on (a refused start holds nothing). */
  allowed: boolean;
  /** `ok`, or why not. */
  code: AuthorizationCode;
  /** Seconds the call may run in all, from its start. */
  grantedSeconds: Seconds;
  /** The pools, not the quota, set the grant: end the call at `grantedSeconds`. */
  finalQuota: boolean;
  /** The hold lapses here unless extended or ended (granted seconds plus the grace). */
  validUntil: Instant | null;
  /** The call's hold as the account now carries it. */
  hold: Hold | null;
  /** The account snapshot with the hold: keep it for the next extend or end. */
  account: Account;
  /** 402 when refused for want of credits. */
  httpStatus?: 402;
  /** Why the call was refused, in words. */
  error?: { code: Exclude<AuthorizationCode, "ok">; message: string };
  /** What to do with a refused inbound call. */
  action?: "reject_inbound";
  /** The inbound limit that cut or refused the grant: its field under `inboundLimits`. */
  limit?: string;
  /** The auto-reload the hold triggered (it counts against the available wallet); its grant is in `account`. */
  reloads: ReloadEvent[];
}

/** How a live call ended. */
export interface EndCall {
  /** Seconds the AI agent was connected, in all. */
  connectedSeconds: SecondsInput;
  /** A transfer to a person: every bridged second is billed at the transfer rate. */
  transfer?: { bridgedSeconds: SecondsInput } | null;
  /** Carrier costs passed through at cost (money, up to 6 decimals). */
  carrierPassThrough?: { amount: MoneyInput; reason?: string | null }[];
  /** Only for a call that holds nothing: what it was. */
  direction?: CallDirection | null;
  /** Only for a call that holds nothing: to a toll-free number. */
  tollFree?: boolean | null;
  /** Only for a call that holds nothing: its agent. */
  agentId?: string | null;
  /** Only for a call that holds nothing: the toll-free number it rang. */
  numberId?: string | null;
  /** Only for a call that holds nothing: when it started. */
  startedAt?: Instant | null;
}

/** `endCall`'s input: the card, the account snapshot holding the call, its end and how it went. */
export interface EndCallInput {
  /** The prices (credits) and the currency (money). */
  rateCard: RateCard;
  /** The account snapshot holding the call's hold. */
  account: Account;
  /** The live call's id. */
  callId: string;
  /** When the call ended. */
  at: Instant;
  /** How the call ended. */
  call: EndCall;
}

/** The billed call; `account` is the snapshot after it, the hold released. */
export interface CallEnd {
  /** The call billed as a usage item, lines and allocations as `previewDrawdown` gives them. */
  item: PreviewItem;
  /** Seconds past the grant (all of them for a call that held nothing); charged too. */
  overrunSeconds: Seconds;
  /** Spendable credits after the call. */
  balanceAfter: Credits;
  /** The account after the call, its hold released. */
  account: Account;
}

/** `validateAutoReload`'s input: the form, and what its findings weigh it against. */
export interface ValidateAutoReloadInput {
  /** The form as a person filled it in (money). */
  settings: AutoReloadForm;
  /** For currency precision and for money-to-credits (call-cost and daily-spend warnings). */
  rateCard?: RateCard | null;
  /** For its top-up limits. */
  account?: Account | null;
  /** What the warnings weigh the settings against. */
  context?: {
    /** The longest call the platform allows. */
    maxCallSeconds?: SecondsInput | null;
    /** Credits the account spends on a typical day. */
    expectedDailySpend?: CreditsInput | null;
  } | null;
}

/** An ISO 3166-1 alpha-2 country code in upper case (`"DE"`; Greece is `"GR"`, its VAT IDs say `EL`). */
export type Country = string;

/** Where a top-up is taxed. */
export type TaxTreatment = "domestic" | "reverse_charge" | "destination" | "outside_scope";

/** One member state's standard VAT rate from an instant on. */
export interface VatRatePeriod {
  /** The member state. */
  country: Country;
  /** From when the rate applies (a member state's rates change at 00:00 local time). */
  validFrom: Instant;
  /** A percentage: `"19"`, `"25.5"`. */
  standard: DecimalInput;
}

/** `quoteTopUp`'s input: the card (currency), the net amount (money), the instant, seller and customer. */
export interface QuoteTopUpInput {
  /** Its currency is the top-up's; `creditsPerUnit` turns the net amount into credits. */
  rateCard: RateCard;
  /** The net amount, money in the card's currency with at most its minor-unit decimals; VAT comes on top. */
  amount: MoneyInput;
  /** When the payment is made: the rate in force then applies. */
  at: Instant;
  /** The platform: established in an EU member state, with its VAT ID. */
  seller: { country: Country; vatId: string };
  /** The buyer. A VAT ID in another member state gives reverse charge only once verified (VIES). */
  customer: { country: Country; vatId?: string | null; vatIdVerified?: boolean };
  /** A rate table in place of the shipped one (the table built into the module: each member state's standard rate and when it changed). */
  rates?: VatRatePeriod[] | null;
}

/** A top-up's price with VAT: money net, tax and gross, and the credits the net buys. */
export interface TopUpQuote {
  /** The card's currency: `net`, `tax` and `gross` are in it. */
  currency: Currency;
  /** Money: what the credits cost before VAT. */
  net: Money;
  /** The VAT rate applied, a percentage (`"19"`; `"0"` for reverse charge and outside scope). */
  taxRate: Decimal;
  /** Money: net x taxRate / 100, rounded half-up once to the currency's minor unit. */
  tax: Money;
  /** Money: net + tax, what the customer is charged. */
  gross: Money;
  /** Credits the top-up buys: net x creditsPerUnit (VAT buys none). */
  credits: Credits;
  /** Where the top-up is taxed: at home, by the buyer (reverse charge), where the buyer is, or not in the EU's scope. */
  treatment: TaxTreatment;
  /** The member state whose rate applied; absent for reverse charge and outside scope. */
  taxCountry?: Country;
  /** The treatment's wording for the invoice ("Reverse charge: ..." with both VAT IDs). */
  note: string;
}

/** `forecastRunway`'s input: the card, the snapshot at `at`, and the usage of a past period to repeat. */
export interface ForecastRunwayInput {
  /** Prices the basis, as in `previewDrawdown`. */
  rateCard: RateCard;
  /** Later versions of the card: a change scheduled ahead prices the forecast from its instant. */
  rateCardVersions?: RateCardVersions;
  /** The snapshot the forecast starts from (credits). */
  account: Account;
  /** Where the forecast starts; every basis item is before it. */
  at: Instant;
  /** Usage items as `previewDrawdown` reads them, spanning less than `basisDays`. Each repeats
   * every `basisDays` x 86,400 seconds; a number rental repeats monthly on its own day. */
  basis: Usage[];
  /** The basis's period in days, 1 to 366 (default 7). */
  basisDays?: CountInput | null;
  /** How far ahead, in days, 1 to 731 (default 90). */
  horizonDays?: CountInput | null;
}

/** A grant that expires within the horizon with credits left, or plan credits a renewal forfeits. */
export interface ExpiringGrant {
  /** When it expires (for plan credits, the renewal). */
  at: Instant;
  /** Credits left unused then. */
  credits: Credits;
  /** The grant's id. */
  grantId: string;
}

/** The spendable balance (credits) at an instant. */
export interface BalancePoint {
  /** Every 86,400 seconds from `at`; the charges at that very instant come after it. */
  at: Instant;
  /** Spendable credits (every active non-plan grant less what is owed). */
  balance: Credits;
}

/** `forecastRunway`'s answer: when the wallet runs short, the reloads on the way and what expires unused. */
export interface Runway {
  /** Balance alert transitions on the way, as `previewDrawdown` reports them. */
  alerts: AlertEvent[];
  /** One point a day of the horizon, the last at its end. */
  balanceAt: BalancePoint[];
  /** Spendable credits at `at`. */
  balanceBefore: Credits;
  /** Grants (and plan credits) that expire within the horizon with credits left, in time order. */
  expiringUnused: ExpiringGrant[];
  /** Credits owed at the horizon's end (what no credit covered). */
  owed: Credits;
  /** Money all the reloads cost, in the card's currency. */
  reloadMoney: Money;
  /** The auto-reloads expected, as `previewDrawdown` reports them. */
  reloads: ReloadEvent[];
  /** Each cycle renewal within the horizon. */
  renewals: Instant[];
  /** The first charge the wallet and plan allowances could not cover in full; `null`: none within the horizon. */
  runsOutAt: Instant | null;
}

/** One problem with one field. */
export interface Finding {
  /** The field's path, e.g. `settings.threshold`. */
  field: string;
  /** What is wrong (a stable code). */
  code: FindingCode;
  /** What is wrong, in words. */
  message: string;
}

/** Every field's findings at once. */
export interface ReloadValidation {
  /** No errors (warnings may remain). */
  valid: boolean;
  /** What makes the settings unusable, every field at once. */
  errors: Finding[];
  /** What works but may surprise (a threshold below one call's cost, ...). */
  warnings: Finding[];
}

/** `evaluateAlerts`'s input: the levels, the state before, and the balance (credits). */
export interface EvaluateAlertsInput {
  /** The levels (credits). */
  settings: AlertSettings;
  /** The state before (default: computed from the balance, so nothing changed). */
  previousState?: AlertState;
  /** Credits. */
  balance: CreditsInput;
}

/** The alert state a balance is in, and whether it changed. */
export interface AlertEvaluation {
  /** The state the balance is in. */
  state: AlertState;
  /** The state before. */
  previousState: AlertState;
  /** Whether the state changed (send the alert). */
  changed: boolean;
}

/** Every error drawdown throws, for `instanceof` as well as `isDrawdownError`: a JS Error
 * with a stable code and the field it concerns.
 * @example
 * try { quoteCall(input); } catch (e) { if (e instanceof DrawdownError) console.log(e.code, e.field); }
 */
export declare class DrawdownError extends Error {
  /** Made by the package; you do not need to make one. */
  constructor(message: string, code: DrawdownErrorCode, field?: string | null, options?: { cause?: unknown });
  /** Always `"DrawdownError"`. */
  readonly name: "DrawdownError";
  /** The stable code: switch on it, not on the message. */
  readonly code: DrawdownErrorCode;
  /** The input's path, e.g. `rateCard.voice.perMinute` or `usage[3].at`; `null` for the whole input. */
  readonly field: string | null;
}
