// The balance-over-time chart: credits stacked by source (plan credits, then each grant in
// the order the engine lists them), the spendable balance as a line, what is owed as a region
// below zero, alert thresholds as labelled lines, reloads as markers, and the included
// minutes in a lane of their own with their own scale. Axes have round ticks, gridlines and
// units; the x axis marks local days in the account's time zone, which is named. The chart
// is drawn at the width it is shown (so text keeps its size on a phone). The values are the
// engine's exact strings; Number() below only places pixels, and every mark carries the exact
// value in its <title> or data-value.
import type { Account, RateCard } from "drawdown";
import { credits, minutes, money, worthIn } from "./format";

export interface Point {
  t: number;
  /** Exact remaining per source id, already zero where the grant is not active at t. */
  values: Map<string, string>;
  includedSeconds: number;
  /** Spendable balance (wallet grants less what is owed) and credits owed, exact. */
  balance: string;
  owed: string;
}

export interface ChartData {
  points: Point[];
  sources: { id: string; label: string }[];
  thresholds: { level: string; credits: string }[];
  reloads: { t: number; credits: string; label: string }[];
  showIncluded: boolean;
  timeZone: string;
  /** "100 credits = $1.00": what a credit is worth, for the axis's unit. */
  unit: string;
  /** A credit tick's worth in money, shown on the right-hand axis ("" to leave it out). */
  worth?: (credits: string) => string;
}

/** What a chart takes from the account and its card: alert thresholds as lines, the unit
 * and the money axis. The preview's chart and the ledger's both draw them. */
export function accountAxes(account: Account, card: RateCard): Pick<ChartData, "thresholds" | "unit" | "worth" | "timeZone"> {
  const thresholds = (["info", "warning", "critical"] as const).flatMap((level) => {
    const l = account.alerts?.[level];
    return l ? [{ level, credits: String(l.threshold) }] : [];
  });
  const cpu = String(card.creditsPerUnit);
  return {
    thresholds,
    unit: `${credits(cpu)} credits = ${money("1", card.currency)}`,
    worth: worthIn(cpu, card.currency),
    timeZone: account.timeZone ?? "UTC",
  };
}

const NS = "http://www.w3.org/2000/svg";
export const palette = ["#2f6f4f", "#3b6fb6", "#b5651d", "#7a4fa3", "#1f8a8a", "#a33b5b", "#6b7a1f", "#555"];
/** Narrowest the chart is drawn; a phone scrolls nothing, the plot just gets narrower. */
const MIN_WIDTH = 300;
const CREDITS_H = 220;
const INCLUDED_H = 70;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...kids: (Node | string)[]) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...kids);
  return e;
}

const title = (s: string) => svg("title", {}, s);

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function ticks(lo: number, hi: number, count: number): number[] {
  const span = Math.max(hi - lo, 1);
  const raw = span / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  if (out[out.length - 1]! < hi) out.push(out[out.length - 1]! + step);
  return out;
}

/** Local midnights in `zone` between t0 and t1, every `every` days. */
function days(t0: number, t1: number, zone: string, every: number): number[] {
  const dayOf = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
  const out: number[] = [];
  let last = "";
  // Walk hour by hour near each boundary: exact at DST changes without a zone table here.
  for (let t = t0 - (t0 % 3_600_000); t <= t1 && out.length < 400; t += 3_600_000) {
    const d = dayOf.format(t);
    if (d !== last) {
      if (last !== "") out.push(t);
      last = d;
      t += 20 * 3_600_000; // the next midnight is at least 23 hours away
    }
  }
  return out.filter((_, i) => i % every === 0);
}

/** The chart's geometry: its size, the time and credit scales and their ticks. */
interface Frame {
  W: number;
  H: number;
  narrow: boolean;
  left: number;
  right: number;
  top: number;
  gap: number;
  inclH: number;
  t0: number;
  t1: number;
  xAxisY: number;
  maxOwed: number;
  yTicks: number[];
  x: (t: number) => number;
  y: (v: number) => number;
}

function frame(host: HTMLElement, d: ChartData): Frame {
  const W = Math.max(MIN_WIDTH, Math.round(host.clientWidth || 720));
  const narrow = W < 480;
  const left = narrow ? 46 : 64;
  const right = d.worth ? (narrow ? 44 : 60) : 12;
  const top = 24;
  const gap = d.showIncluded ? 34 : 0;
  const inclH = d.showIncluded ? INCLUDED_H : 0;
  const t0 = d.points[0]?.t ?? 0;
  const t1 = Math.max(d.points[d.points.length - 1]?.t ?? 1, t0 + 1);
  const stackTop = d.points.map((p) => d.sources.reduce((s, src) => s + Number(p.values.get(src.id) ?? "0"), 0));
  const maxOwed = Math.max(0, ...d.points.map((p) => Number(p.owed)));
  const maxT = Math.max(0, ...d.thresholds.map((t) => Number(t.credits)));
  const yTicks = ticks(-maxOwed, Math.max(1, ...stackTop, maxT), narrow ? 4 : 6);
  const lo = yTicks[0]!;
  const hi = yTicks[yTicks.length - 1]!;
  return {
    W, H: top + CREDITS_H + gap + inclH + 40, narrow, left, right, top, gap, inclH, t0, t1,
    xAxisY: top + CREDITS_H, maxOwed, yTicks,
    x: (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right),
    y: (v) => top + CREDITS_H - ((v - lo) / (hi - lo)) * CREDITS_H,
  };
}

/** A step line through the points' values, on the credits scale or the one given. */
function step(f: Frame, d: ChartData, values: number[], yOf = f.y): string {
  let path = "";
  d.points.forEach((p, i) => {
    const next = d.points[i + 1]?.t ?? f.t1;
    path += `${i === 0 ? "M" : "L"}${f.x(p.t)},${yOf(values[i]!)}L${f.x(next)},${yOf(values[i]!)}`;
  });
  return path;
}

/** Gridlines, the credits axis (and money beside it), and the day gridlines. */
function drawAxes(root: SVGElement, f: Frame, d: ChartData, all: number[]): void {
  for (const v of f.yTicks) {
    const exact = String(Number(v.toFixed(10)));
    root.append(
      svg("line", { x1: f.left, x2: f.W - f.right, y1: f.y(v), y2: f.y(v), class: v === 0 ? "axis" : "grid" }),
      svg("text", { x: f.left - 6, y: f.y(v) + 4, class: "tick", "text-anchor": "end", "data-tick": exact }, credits(exact)),
    );
    const worth = d.worth?.(exact);
    if (worth) root.append(svg("text", { x: f.W - f.right + 6, y: f.y(v) + 4, class: "tick", "data-money": worth }, worth));
  }
  root.append(svg("text", { x: 4, y: 12, class: "unit" }, "credits"));
  if (d.worth) root.append(svg("text", { x: f.W - 4, y: 12, class: "unit", "text-anchor": "end" }, "money"));
  for (const t of all) root.append(svg("line", { x1: f.x(t), x2: f.x(t), y1: f.top, y2: f.xAxisY, class: "grid" }));
}

/** Stacked step areas, bottom source first; what is owed below zero. */
function drawSources(root: SVGElement, f: Frame, d: ChartData): void {
  const base = d.points.map(() => 0);
  d.sources.forEach((src, k) => {
    const stacked = d.points.map((p, i) => base[i]! + Number(p.values.get(src.id) ?? "0"));
    let path = step(f, d, stacked);
    for (let i = d.points.length - 1; i >= 0; i--) {
      const next = d.points[i + 1]?.t ?? f.t1;
      path += `L${f.x(next)},${f.y(base[i]!)}L${f.x(d.points[i]!.t)},${f.y(base[i]!)}`;
    }
    const last = d.points[d.points.length - 1]?.values.get(src.id) ?? "0";
    root.append(
      svg("path", { d: `${path}Z`, fill: palette[k % palette.length]!, class: "area", "data-source": src.id, "data-value": last },
        title(`${src.label}: ${credits(last)} credits at the end`)),
    );
    stacked.forEach((v, i) => (base[i] = v));
  });
  if (f.maxOwed > 0) {
    const owed = d.points.map((p) => -Number(p.owed));
    const path = `${step(f, d, owed)}L${f.x(f.t1)},${f.y(0)}L${f.x(f.t0)},${f.y(0)}Z`;
    const last = d.points[d.points.length - 1]!.owed;
    root.append(svg("path", { d: path, class: "area owed", "data-source": "owed", "data-value": last }, title(`Owed: ${credits(last)} credits at the end`)));
  }
}

/** The spendable balance as a line over the areas, and the alert thresholds: labelled
 * dashed lines (they are settings, not data). */
function drawBalance(root: SVGElement, f: Frame, d: ChartData): void {
  const lastBalance = d.points[d.points.length - 1]?.balance ?? "0";
  root.append(
    svg("path", { d: step(f, d, d.points.map((p) => Number(p.balance))), class: "balance-line", "data-source": "balance", "data-value": lastBalance },
      title(`Spendable balance: ${credits(d.points[0]?.balance ?? "0")} at the start, ${credits(lastBalance)} at the end`)),
  );
  for (const th of d.thresholds) {
    const yy = f.y(Number(th.credits));
    root.append(
      svg("g", { class: `threshold threshold-${th.level}`, "data-level": th.level, "data-value": th.credits },
        svg("line", { x1: f.left, x2: f.W - f.right, y1: yy, y2: yy }),
        svg("text", { x: f.W - f.right - 2, y: yy - 3, "text-anchor": "end", class: "tick halo" }, `${th.level} ${credits(th.credits)}`),
        title(`Alert threshold ${th.level}: ${credits(th.credits)} credits`)),
    );
  }
}

/** Days on the x axis, in the account's zone, as many as fit. */
function drawDays(root: SVGElement, f: Frame, d: ChartData, all: number[]): void {
  const perLabel = f.narrow ? 70 : 90;
  const every = Math.max(1, Math.ceil((all.length * perLabel) / (f.W - f.left - f.right)));
  const dayFmt = new Intl.DateTimeFormat("en-US", { timeZone: d.timeZone, month: "short", day: "numeric" });
  all.forEach((t, i) => {
    if (i % every === 0) root.append(svg("text", { x: f.x(t), y: f.xAxisY + 14, class: "tick", "text-anchor": "middle", "data-day": t }, dayFmt.format(t)));
  });
}

/** Included minutes: their own lane and scale, under the credits. */
function drawIncluded(root: SVGElement, f: Frame, d: ChartData): void {
  const laneTop = f.xAxisY + f.gap;
  const maxS = Math.max(60, ...d.points.map((p) => p.includedSeconds));
  const mTicks = ticks(0, maxS / 60, 2);
  const mHi = mTicks[mTicks.length - 1]! * 60;
  const yi = (s: number) => laneTop + f.inclH - (s / mHi) * f.inclH;
  const path = `M${f.x(f.t0)},${yi(0)}${step(f, d, d.points.map((p) => p.includedSeconds), yi).replace(/^M/, "L")}L${f.x(f.t1)},${yi(0)}Z`;
  const last = d.points[d.points.length - 1]?.includedSeconds ?? 0;
  for (const m of mTicks) {
    root.append(
      svg("line", { x1: f.left, x2: f.W - f.right, y1: yi(m * 60), y2: yi(m * 60), class: m === 0 ? "axis" : "grid" }),
      svg("text", { x: f.left - 6, y: yi(m * 60) + 4, class: "tick", "text-anchor": "end" }, String(m)),
    );
  }
  root.append(
    svg("text", { x: 4, y: laneTop - 4, class: "unit" }, "included minutes"),
    svg("path", { d: path, class: "area included", "data-source": "included_minutes", "data-value": String(last) },
      title(`Included minutes: ${minutes(last)} left at the end`)),
  );
}

/** Reload markers, on top of everything. */
function drawReloads(root: SVGElement, f: Frame, d: ChartData): void {
  for (const r of d.reloads) {
    root.append(
      svg("g", { class: "reload", "data-credits": r.credits },
        svg("line", { x1: f.x(r.t), x2: f.x(r.t), y1: f.top, y2: f.xAxisY, class: "reload-line" }),
        svg("path", { d: `M${f.x(r.t) - 6},${f.top}L${f.x(r.t) + 6},${f.top}L${f.x(r.t)},${f.top + 9}Z`, class: "reload-mark" }),
        title(r.label)),
    );
  }
}

export function drawChart(host: HTMLElement, legend: HTMLElement, d: ChartData): void {
  const f = frame(host, d);
  const root = svg("svg", { viewBox: `0 0 ${f.W} ${f.H}`, width: f.W, height: f.H, role: "img", "aria-labelledby": "chart-title", class: "chart-svg" });
  root.append(svg("title", { id: "chart-title" }, "Credits over time by source, the spendable balance, what is owed below zero, alert thresholds and reloads"));
  const all = days(f.t0, f.t1, d.timeZone, 1);
  drawAxes(root, f, d, all);
  drawSources(root, f, d);
  drawBalance(root, f, d);
  drawDays(root, f, d, all);
  if (d.showIncluded) drawIncluded(root, f, d);
  root.append(svg("text", { x: f.W - f.right, y: f.H - 6, class: "unit", "text-anchor": "end" }, `Days in ${d.timeZone} · ${d.unit}`));
  drawReloads(root, f, d);
  host.replaceChildren(root);
  legend.replaceChildren(
    ...d.sources.map((s, k) => item(palette[k % palette.length]!, s.label)),
    item("var(--fg)", "spendable balance (line)"),
    ...(f.maxOwed > 0 ? [item("var(--owed)", "owed (below zero)")] : []),
    ...(d.showIncluded ? [item("var(--included)", "included minutes (lower lane)")] : []),
    ...(d.reloads.length ? [item("var(--reload)", "▼ auto-reload")] : []),
    ...(d.thresholds.length ? [item("var(--warn)", "alert thresholds (dashed)")] : []),
  );
}

function item(color: string, label: string): HTMLElement {
  const s = document.createElement("span");
  s.className = "key";
  const sw = document.createElement("i");
  sw.style.background = color;
  s.append(sw, label);
  return s;
}

