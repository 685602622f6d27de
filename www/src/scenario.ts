// A usage scenario as the contract's Usage events: calls spread over a working day, a day's
// chat messages, and a monthly number rental when the card rents numbers. Only times and
// counts are computed here (whole milliseconds and whole seconds); amounts stay strings.
import type { RateCard, Usage } from "drawdown";
import type { Scenario } from "./presets";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function usageFor(s: Scenario, card: RateCard): Usage[] {
  const start = Date.parse(`${s.start}T00:00:00Z`);
  if (!Number.isFinite(start)) return [];
  const out: Usage[] = [];
  if (card.numbers?.["local"]) {
    out.push({ id: "number-local", at: iso(start + 8 * HOUR), kind: "number", numberKind: "local" });
  }
  let n = 0;
  for (let d = 0; d < s.days; d++) {
    const day = start + d * DAY;
    const gap = s.callsPerDay > 0 ? Math.floor((9 * HOUR) / s.callsPerDay) : 0;
    for (let i = 0; i < s.callsPerDay; i++) {
      n += 1;
      const tollFree = s.tollFreeEvery > 0 && n % s.tollFreeEvery === 0;
      out.push({
        id: `call-${n}`,
        at: iso(day + 9 * HOUR + i * gap),
        kind: "call",
        agentId: "agent-1",
        call: { direction: tollFree ? "inbound" : "outbound", tollFree, connectedSeconds: s.callSeconds },
      });
    }
    if (s.messagesPerDay > 0) {
      out.push({ id: `chat-${d + 1}`, at: iso(day + 13 * HOUR + 30 * 60_000), kind: "chat", agentId: "agent-1", messages: s.messagesPerDay });
    }
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** `YYYY-MM-DDTHH:MM:SSZ` of a whole-second instant; the date part is formatted once per day
 * (a scenario of 100,000 calls spends its time here otherwise). */
let dayCache = { day: NaN, text: "" };
function iso(ms: number): string {
  const day = Math.floor(ms / DAY);
  if (day !== dayCache.day) dayCache = { day, text: new Date(day * DAY).toISOString().slice(0, 11) };
  const s = Math.floor((ms - day * DAY) / 1000);
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  return `${dayCache.text}${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}Z`;
}
