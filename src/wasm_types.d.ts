/** A decimal amount as a string ("12.3456"). Safe integers are accepted on input. */
export type Decimal = string;
/** Decimal input: a decimal string, or an integer |n| <= 2^53 - 1. Fractions must be strings. */
export type DecimalInput = string | number;
/** An RFC 3339 instant with an offset ("2026-03-01T10:00:00Z"). */
export type Instant = string;
/** An IANA time zone name ("Asia/Singapore"). */
export type TimeZone = string;
/** A billing increment "first/next" in seconds ("60/60", "1/1", "30/6"). */
export type Increment = string;

export type RoundingMode = "half_up" | "half_even" | "up" | "down";
export type Channel = "voice" | "chat" | "transfer_minute" | "number";
export type Bucket = "ai_minutes" | "messages" | "none";
export type LineCode =
  | "voice.ai_minutes"
  | "voice.included_minutes"
  | "voice.connect_fee"
  | "voice.toll_free_surcharge"
  | "voice.carrier_pass_through"
  | "transfer_minute"
  | "chat.message"
  | "number.rental";
export type GrantType = "prepaid" | "promotional" | "committed" | "plan";
export type CallDirection = "inbound" | "outbound";
export type AlertState = "ok" | "info" | "warning" | "in_alarm";
export type AlertDirection = "below" | "above";
export type OnPlanExhausted = "stop" | "use_balance";

export interface RateCard {
  currency: string;
  creditsPerUnit: DecimalInput;
  rounding?: { mode?: RoundingMode; creditDecimals?: number };
  voice?: { perMinute: DecimalInput; increment?: Increment; connectFee?: DecimalInput };
  tollFreeSurcharge?: { perMinute: DecimalInput; increment?: Increment };
  transfer?: { perMinute: DecimalInput; increment?: Increment };
  chat?: { perMessage: DecimalInput };
  numbers?: Record<string, { monthly: DecimalInput }>;
}

export interface Plan {
  id: string;
  name?: string | null;
  monthlyFee?: DecimalInput | null;
  includedMinutes?: number;
  overagePerMinute?: DecimalInput | null;
  includedCredits?: DecimalInput | null;
  rolloverCap?: DecimalInput | null;
}

export interface Grant {
  id: string;
  type: GrantType;
  remaining: DecimalInput;
  priority?: number;
  effectiveAt?: Instant | null;
  expiresAt?: Instant | null;
  createdAt?: Instant | null;
}

export interface AgentPolicy {
  onPlanExhausted?: OnPlanExhausted;
  monthlyLimit?: DecimalInput | null;
  spentThisCycle?: DecimalInput | null;
}

export interface AutoReloadSettings {
  enabled: boolean;
  threshold: DecimalInput;
  amount: DecimalInput;
  paymentMethod?: string | null;
  maxReloadsPerDay?: number | null;
}

/**
 * Auto-reload settings as a form holds them while a person fills it in: any field may be
 * empty, missing or malformed (`""`, `"1,000"`, `"$10"`, `5.5`), and `validateAutoReload`
 * reports a finding on each such field, all at once. Money in the account currency.
 */
export interface AutoReloadForm {
  enabled?: boolean | null;
  threshold?: DecimalInput | null;
  amount?: DecimalInput | null;
  /** Seed 000's name for `threshold`. */
  thresholdUsd?: DecimalInput | null;
  /** Seed 000's name for `amount`. */
  amountUsd?: DecimalInput | null;
  paymentMethod?: string | null;
  maxReloadsPerDay?: number | null;
}

export interface AlertLevel {
  threshold: DecimalInput;
  direction?: AlertDirection;
}

export interface AlertSettings {
  info?: AlertLevel | null;
  warning?: AlertLevel | null;
  critical?: AlertLevel | null;
  state?: AlertState | null;
}

export interface Account {
  timeZone?: TimeZone;
  plan?: Plan | null;
  cycle?: { start: Instant; end: Instant } | null;
  includedSecondsRemaining?: number | null;
  grants?: Grant[];
  owed?: DecimalInput | null;
  agents?: Record<string, AgentPolicy>;
  autoReload?: AutoReloadSettings | null;
  alerts?: AlertSettings | null;
  limits?: { minTopUp?: DecimalInput | null; maxTopUp?: DecimalInput | null; maxBalance?: DecimalInput | null } | null;
  /** Calls in progress and what each may still spend (`startCall`, `extendCall`). */
  holds?: Hold[];
}

/** What a call in progress may still spend, by pool. Credits (not money). */
export interface Hold {
  id: string;
  kind: "call" | "lease";
  agentId?: string | null;
  /** A call's direction; a lease (SEMANTICS 12) has none. */
  direction?: CallDirection;
  tollFree?: boolean;
  startedAt: Instant;
  /** Seconds granted so far; the platform must not let the call run past them when `finalQuota`. */
  grantedSeconds: number;
  /** Plan-included seconds set aside. */
  includedSeconds: number;
  /** Plan credits set aside. */
  planCredits: Decimal;
  /** Wallet credits set aside. */
  credits: Decimal;
  /** The hold stops counting here (grantedSeconds plus a grace after startedAt). */
  validUntil: Instant;
}

export interface Call {
  direction: CallDirection;
  tollFree?: boolean;
  connectedSeconds: number;
  transfer?: { bridgedSeconds: number } | null;
  carrierPassThrough?: { amount: DecimalInput; reason?: string | null }[];
}

export interface ChargeLine {
  code: LineCode;
  channel: Channel;
  quantity: Decimal;
  unit: string;
  rate: Decimal;
  credits: Decimal;
  bucket: Bucket;
  increment?: Increment;
  reason?: string;
}

export interface QuoteInput {
  rateCard: RateCard;
  plan?: Plan | null;
  includedSecondsRemaining?: number | null;
  call: Call;
}

/** `openAccount`'s input: a rate card and an account snapshot, read and checked once. */
export interface OpenAccountInput {
  rateCard: RateCard;
  account: Account;
}

/** `createPricer`'s input: a rate card and, optionally, a plan, read and checked once. */
export interface PricerInput {
  rateCard: RateCard;
  plan?: Plan | null;
}

export interface Quote {
  lines: ChargeLine[];
  totalCredits: Decimal;
  totalMoney: { amount: Decimal; currency: string };
}

export type Usage =
  | { id: string; at: Instant; kind: "call"; agentId?: string | null; call: Call }
  | { id: string; at: Instant; kind: "chat"; agentId?: string | null; messages: number }
  | {
      id: string;
      at: Instant;
      kind: "number";
      numberKind: string;
      count?: number | null;
      through?: Instant | null;
      prorate?: boolean;
    };

export interface PreviewInput {
  rateCard: RateCard;
  account: Account;
  usage?: Usage[];
  asOf?: Instant | null;
  /** How much the answer says: every line with its allocations (`lines`, the default), the
   * lines without allocations (`summary`), or the lines plus `timeline` (`timeline`). */
  detail?: PreviewDetail;
}

/** `previewDrawdown`'s level of detail. */
export type PreviewDetail = "lines" | "summary" | "timeline";

export interface Allocation {
  /** "included_minutes", "plan_credits", or a grant id. */
  source: string;
  grantId?: string;
  credits?: Decimal;
  seconds?: number;
}

export interface DrawnLine extends ChargeLine {
  /** Where the line's credits came from; left out with `detail: "summary"`. */
  allocations?: Allocation[];
  /** Credits no pool covered (they became owed). */
  uncovered: Decimal;
}

export interface PreviewItem {
  id: string;
  at: Instant;
  period?: number;
  status: "charged" | "refused";
  reason?: "plan_exhausted" | "agent_limit_reached";
  lines: DrawnLine[];
}

export interface Preview {
  items: PreviewItem[];
  reloads: { at: Instant; amount: Decimal; credits: Decimal; multiple: number; settledOwed: Decimal }[];
  alerts: { at: Instant; from: AlertState; to: AlertState; balance: Decimal }[];
  grants: { id: string; remaining: Decimal }[];
  includedSecondsRemaining: number;
  owed: Decimal;
  balanceBefore: Decimal;
  balanceAfter: Decimal;
  agentSpend: Record<string, Decimal>;
  /** The account after the usage: the snapshot to continue from (what a ledger would hold). */
  accountAfter: Account;
  /** With `detail: "timeline"`: the balances after each item, in columns aligned with `items`. */
  timeline?: Timeline;
}

/** The balances after each item, one entry per item (credits as decimal strings). */
export interface Timeline {
  at: Instant[];
  /** Spendable wallet credits (less what is owed). */
  balance: Decimal[];
  /** Credits owed. */
  owed: Decimal[];
  /** Plan-included seconds left. */
  includedSecondsRemaining: number[];
  /** Each grant's remaining credits; `null` before the grant exists (a reload landing later). */
  grants: Record<string, (Decimal | null)[]>;
}

export interface AuthorizeInput {
  rateCard: RateCard;
  account: Account;
  call: {
    direction: CallDirection;
    tollFree?: boolean;
    agentId?: string | null;
    at: Instant;
    requestedMaxSeconds?: number | null;
  };
}

export type AuthorizationCode = "ok" | "insufficient_credits" | "plan_exhausted" | "agent_limit_reached";

export interface Authorization {
  allowed: boolean;
  code: AuthorizationCode;
  maxSeconds: number;
  availableCredits: Decimal;
  includedSeconds: number;
  httpStatus?: 402;
  error?: { code: Exclude<AuthorizationCode, "ok">; message: string };
  action?: "reject_inbound";
}

export interface StartCallInput {
  rateCard: RateCard;
  account: Account;
  call: {
    id: string;
    direction: CallDirection;
    tollFree?: boolean;
    agentId?: string | null;
    at: Instant;
    /** Seconds asked for now (default 300). */
    quotaSeconds?: number | null;
    requestedMaxSeconds?: number | null;
    /** How long the hold outlives its grant (default 60). */
    graceSeconds?: number | null;
  };
}

export interface ExtendCallInput {
  rateCard: RateCard;
  account: Account;
  callId: string;
  at: Instant;
  quotaSeconds?: number | null;
}

/** A quota: what `startCall` and `extendCall` grant. `account` carries the hold. */
export interface QuotaGrant {
  allowed: boolean;
  code: AuthorizationCode;
  grantedSeconds: number;
  /** The pools, not the quota, set the grant: end the call at `grantedSeconds`. */
  finalQuota: boolean;
  validUntil: Instant | null;
  hold: Hold | null;
  account: Account;
  httpStatus?: 402;
  error?: { code: Exclude<AuthorizationCode, "ok">; message: string };
  action?: "reject_inbound";
  /** The auto-reload the hold triggered (it counts against the available wallet); its grant is in `account`. */
  reloads: Preview["reloads"];
}

export interface EndCallInput {
  rateCard: RateCard;
  account: Account;
  callId: string;
  at: Instant;
  call: {
    connectedSeconds: number;
    transfer?: { bridgedSeconds: number } | null;
    carrierPassThrough?: { amount: DecimalInput; reason?: string | null }[];
    /** Only for a call that holds nothing: what it was. */
    direction?: CallDirection | null;
    tollFree?: boolean | null;
    agentId?: string | null;
    startedAt?: Instant | null;
  };
}

/** The billed call; `account` is the snapshot after it, the hold released. */
export interface CallEnd {
  item: PreviewItem;
  /** Seconds past the grant (all of them for a call that held nothing); charged too. */
  overrunSeconds: number;
  balanceAfter: Decimal;
  account: Account;
}

export interface ValidateAutoReloadInput {
  settings: AutoReloadForm;
  rateCard?: RateCard | null;
  account?: Account | null;
  context?: { maxCallSeconds?: number | null; expectedDailySpend?: DecimalInput | null } | null;
}

export interface Finding {
  field: string;
  code: string;
  message: string;
}

export interface ReloadValidation {
  valid: boolean;
  errors: Finding[];
  warnings: Finding[];
}

export interface EvaluateAlertsInput {
  settings: AlertSettings;
  previousState?: AlertState;
  balance: DecimalInput;
}

export interface AlertEvaluation {
  state: AlertState;
  previousState: AlertState;
  changed: boolean;
}

/** Every error drawdown throws: a JS Error with a stable snake_case code and the field path. */
export interface DrawdownError extends Error {
  name: "DrawdownError";
  code: string;
  field: string | null;
}
