// Live data from `drawdown serve` with a dashboard session (seed 000: the dashboard acts for
// one account). The session comes from the link the server prints (`/#session=...`) and is
// kept in sessionStorage for the tab; it is sent as `Authorization: Session <token>`.
import type { Account, Hold, Plan, RateCard } from "drawdown";

/** A call in progress at the server (`GET /calls?state=live`) and what it holds. */
export interface LiveCall {
  id: string;
  state: "live" | "ended" | "expired";
  startedAt: string;
  hold: Hold | null;
}

export interface Live {
  accountId: string;
  /** The server's clock when it answered (RFC 3339). */
  asOf: string;
  rateCard: RateCard;
  /** The card's later versions in force (`GET /billing/account`). */
  rateCardVersions: RateCard[];
  account: Account;
  plan: Plan | null;
  wallet: {
    balance: string;
    balanceMoney: { amount: string; currency: string };
    owed: string;
    /** Credits set aside by live calls' holds, and what is left to start calls with. */
    held: string;
    available: string;
    planCredits: string;
    includedSecondsRemaining: number;
    alertState: string | null;
  };
  usage: { usage: { channel: string; unit: string; quantity: string; credits: string }[]; summary: { totalCredits: string; totalMoney: { amount: string; currency: string } } };
  calls: LiveCall[];
  subscription: Subscription;
  /** When the credits run out at the rate of the last 7 days (`GET /billing/forecast`);
   * `null` when the server could not say. */
  forecast: LiveForecast | null;
}

/** The runway forecast's answer, as the account panel shows it (SEMANTICS 17). */
export interface LiveForecast {
  runsOutAt: string | null;
  reloads: { at: string; amount: string; credits: string }[];
  reloadMoney: string;
  expiringUnused: { grantId: string; at: string; credits: string }[];
  basisItems: number;
}

/** A cycle's plan fee (SEMANTICS 16), as `GET /billing/subscription` answers it. */
export interface PlanFee {
  paymentId: string;
  status: "settled" | "pending" | "failed" | "cancelled";
  cycleStart: string;
  net: string;
  gross: string;
  withheld?: { includedSeconds: number; planCredits: [string, string][] };
}

/** Whether the current cycle's fee is paid (`past_due` while it is not). */
export interface Subscription {
  status: "active" | "past_due";
  fee: PlanFee | null;
}

const KEY = "drawdown.session";

/** The session from the URL fragment (then removed from the address bar) or the tab's storage. */
export function session(): string | null {
  const m = /(?:^|[#&])session=([^&]+)/.exec(location.hash);
  if (m) {
    const token = decodeURIComponent(m[1]!);
    try {
      sessionStorage.setItem(KEY, token);
    } catch {
      /* storage may be disabled; the token still works for this load */
    }
    history.replaceState(null, "", location.pathname + location.search);
    return token;
  }
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export class LiveError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field the server names (`amount`, `vatId`), if any. */
    readonly field: string | null = null,
    /** The whole answer (a validation report, for instance). */
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

async function get<T>(path: string, token: string): Promise<T> {
  const r = await fetch(path, { headers: { authorization: `Session ${token}`, accept: "application/json" } });
  const body = (await r.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!r.ok) throw new LiveError(r.status, body?.error?.code ?? "http_error", body?.error?.message ?? `HTTP ${r.status}`);
  return body as T;
}

/** A write (or a quote) with the session; a failure throws LiveError with the server's code and field. */
export async function send<T>(method: string, path: string, token: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const headers: Record<string, string> = { authorization: `Session ${token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = (await r.json().catch(() => null)) as { error?: { code: string; message: string; field?: string } } | null;
  if (!r.ok) {
    const e = answer?.error;
    throw new LiveError(r.status, e?.code ?? "http_error", e?.message ?? `HTTP ${r.status}`, e?.field ?? null, answer);
  }
  return answer as T;
}

export { get };

export async function loadLive(token: string): Promise<Live> {
  const [inputs, wallet, usage, calls, subscription, forecast] = await Promise.all([
    get<{ accountId: string; asOf: string; rateCard: RateCard; rateCardVersions?: RateCard[]; account: Account }>("/billing/account", token),
    get<Live["wallet"]>("/billing/wallet", token),
    get<Live["usage"]>("/billing/usage", token),
    get<{ calls: LiveCall[] }>("/calls?state=live", token),
    get<Subscription>("/billing/subscription", token),
    get<LiveForecast>("/billing/forecast", token).catch(() => null),
  ]);
  const { plan, ...account } = inputs.account;
  return { accountId: inputs.accountId, asOf: inputs.asOf, rateCard: inputs.rateCard, rateCardVersions: inputs.rateCardVersions ?? [], account, plan: plan ?? null, wallet, usage, calls: calls.calls, subscription, forecast };
}

export function forget(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* nothing to forget */
  }
}
