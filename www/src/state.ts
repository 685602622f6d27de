// The page's one source of truth: what the editors hold, and who redraws when it changes.
// Panels read it and call the engine; nothing here does arithmetic on amounts.
import type { Account, AutoReloadSettings, Call, Plan, RateCard } from "drawdown";
import type { Scenario } from "./presets";

export interface AppState {
  /** "sample": offline presets; "live": the account the dashboard session belongs to. */
  mode: "sample" | "live";
  accountId: string | null;
  rateCard: RateCard;
  /** The live card's later versions (price changes scheduled or in force): previews price each
   * item by the one in force at its instant. Editing the card leaves them out (a what-if). */
  rateCardVersions?: RateCard[];
  plan: Plan | null;
  /** The opening account snapshot (grants, cycle, alerts, limits...), plan aside. */
  account: Account;
  /** Auto-reload settings from the form when they validate (else the account's own). */
  autoReload: AutoReloadSettings | null;
  call: Call;
  includedSecondsRemaining: number | null;
  scenario: Scenario;
}

type Listener = (s: AppState) => void;

let current: AppState | null = null;
const listeners: Listener[] = [];
let queued = false;

export function state(): AppState {
  if (!current) throw new Error("state used before it was set");
  return current;
}

/** Replace parts of the state; listeners run once per turn of the event loop. */
export function update(patch: Partial<AppState>): void {
  current = { ...state(), ...patch };
  if (queued) return;
  queued = true;
  queueMicrotask(() => {
    queued = false;
    for (const l of listeners) l(state());
  });
}

export function init(s: AppState): void {
  current = s;
}

export function subscribe(l: Listener): void {
  listeners.push(l);
}

/** The account as the engine takes it: the plan and the reload settings in force folded in. */
export function engineAccount(s: AppState): Account {
  return { ...s.account, plan: s.plan, autoReload: s.autoReload ?? s.account.autoReload ?? null };
}
