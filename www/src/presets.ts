// Sample data for the kinds of platform in the seeds. Rates and plans are the seeds' facts:
// 1 credit = 1 cent (seed 000, Flowyte), voice billed per minute with toll-free, transfer,
// chat and number charges; €0.07 per minute billed per second (seed 001, Flireo); plan
// credits used before the wallet (seed 002); the Starter/Growth/Scale catalogue served by
// `GET /billing/plans`. Every amount is a decimal string, as the engine takes it.
import type { Account, Call, Plan, RateCard } from "drawdown";

export interface Scenario {
  /** First day of the scenario, YYYY-MM-DD (UTC). */
  start: string;
  days: number;
  callsPerDay: number;
  callSeconds: number;
  /** Every n-th call is an inbound toll-free call (0: none). */
  tollFreeEvery: number;
  messagesPerDay: number;
}

export interface Preset {
  id: string;
  label: string;
  rateCard: RateCard;
  plan: Plan | null;
  account: Account;
  call: Call;
  scenario: Scenario;
}

const flowyteCard: RateCard = {
  currency: "USD",
  creditsPerUnit: "100",
  rounding: { mode: "half_up", creditDecimals: 4 },
  voice: { perMinute: "9", increment: "60/60", connectFee: "0" },
  tollFreeSurcharge: { perMinute: "2" },
  transfer: { perMinute: "6", increment: "60/60" },
  chat: { perMessage: "0.5" },
  numbers: { local: { monthly: "150" }, toll_free: { monthly: "500" } },
};

const alerts = {
  info: { threshold: "500" },
  warning: { threshold: "200" },
  critical: { threshold: "50" },
};

const wallet = (prepaid: string, promo: string | null): Account["grants"] => [
  ...(promo === null
    ? []
    : [{ id: "welcome-promo", type: "promotional" as const, remaining: promo, expiresAt: "2026-03-05T00:00:00Z" }]),
  { id: "topup-1", type: "prepaid" as const, remaining: prepaid },
];

const reload = { enabled: true, threshold: "2.00", amount: "10.00", paymentMethod: "pm_card_visa", maxReloadsPerDay: 3 };
const limits = { minTopUp: "10.00", maxTopUp: "1000.00" };
const week: Scenario = { start: "2026-03-02", days: 7, callsPerDay: 4, callSeconds: 185, tollFreeEvery: 3, messagesPerDay: 40 };

export const presets: Preset[] = [
  {
    id: "voice-per-minute",
    label: "Voice agents, per minute (1 credit = 1 cent)",
    rateCard: flowyteCard,
    plan: null,
    account: { timeZone: "America/New_York", grants: wallet("1000", "300"), alerts, autoReload: reload, limits },
    call: { direction: "outbound", tollFree: false, connectedSeconds: 125, transfer: { bridgedSeconds: 45 } },
    scenario: week,
  },
  {
    id: "voice-per-second",
    label: "Voice agents, €0.07/min billed per second",
    rateCard: {
      currency: "EUR",
      creditsPerUnit: "100",
      rounding: { mode: "half_up", creditDecimals: 4 },
      voice: { perMinute: "7", increment: "1/1" },
    },
    plan: null,
    account: { timeZone: "Europe/Berlin", grants: wallet("2000", null), alerts, autoReload: { ...reload, amount: "20.00" }, limits },
    call: { direction: "outbound", tollFree: false, connectedSeconds: 7200 },
    scenario: { ...week, callsPerDay: 6, callSeconds: 97, tollFreeEvery: 0, messagesPerDay: 0 },
  },
  {
    id: "chat-per-message",
    label: "Chat agents, per message",
    rateCard: { currency: "USD", creditsPerUnit: "100", rounding: { mode: "half_up", creditDecimals: 4 }, chat: { perMessage: "0.5" } },
    plan: null,
    account: { timeZone: "UTC", grants: wallet("600", "100"), alerts, autoReload: reload, limits },
    call: { direction: "outbound", tollFree: false, connectedSeconds: 0 },
    scenario: { ...week, callsPerDay: 0, tollFreeEvery: 0, messagesPerDay: 180 },
  },
  {
    id: "toll-free-line",
    label: "Inbound toll-free line with transfers and numbers",
    rateCard: flowyteCard,
    plan: null,
    account: { timeZone: "America/Chicago", grants: wallet("1500", null), alerts, autoReload: reload, limits },
    call: {
      direction: "inbound",
      tollFree: true,
      connectedSeconds: 301,
      transfer: { bridgedSeconds: 120 },
      carrierPassThrough: [{ amount: "0.015", reason: "carrier toll-free termination" }],
    },
    scenario: { ...week, callsPerDay: 5, callSeconds: 240, tollFreeEvery: 1, messagesPerDay: 0 },
  },
  {
    id: "growth-plan",
    label: "Growth plan: 1,000 included minutes and plan credits",
    rateCard: flowyteCard,
    plan: {
      id: "growth",
      name: "Growth",
      monthlyFee: "99.00",
      includedMinutes: 1000,
      overagePerMinute: "7",
      includedCredits: "300",
    },
    account: {
      timeZone: "America/New_York",
      cycle: { start: "2026-03-01T05:00:00Z", end: "2026-04-01T04:00:00Z" },
      includedSecondsRemaining: 1800,
      grants: [
        { id: "plan-2026-03", type: "plan", remaining: "300", expiresAt: "2026-04-01T04:00:00Z" },
        ...(wallet("800", null) ?? []),
      ],
      alerts,
      autoReload: reload,
      limits,
    },
    call: { direction: "outbound", tollFree: false, connectedSeconds: 2000 },
    scenario: { ...week, callsPerDay: 8, callSeconds: 300 },
  },
];
