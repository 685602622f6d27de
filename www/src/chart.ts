// The balance-over-time chart: credits stacked by source (plan credits, then each grant in
// the order the engine lists them), a lane of included minutes, alert-state bands behind and
// a marker at every reload. The values are the engine's exact strings; Number() below only
// places pixels, and every mark carries the exact value in its <title> and data-value.
import type { AlertState } from "drawdown";
import { credits, duration, when } from "./format";

export interface Point {
  t: number;
  /** Exact remaining per source id, already zero where the grant is not active at t. */
  values: Map<string, string>;
  includedSeconds: number;
}

export interface ChartData {
  points: Point[];
  sources: { id: string; label: string }[];
  bands: { from: number; to: number; state: AlertState }[];
  reloads: { t: number; credits: string; label: string }[];
  showIncluded: boolean;
  timeZone: string;
}

const NS = "http://www.w3.org/2000/svg";
export const palette = ["#2f6f4f", "#3b6fb6", "#b5651d", "#7a4fa3", "#1f8a8a", "#a33b5b", "#6b7a1f", "#555"];

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...kids: (Node | string)[]) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...kids);
  return e;
}

const title = (s: string) => svg("title", {}, s);

export function drawChart(host: HTMLElement, legend: HTMLElement, d: ChartData): void {
  const W = 720;
  const laneTop = 10;
  const creditsH = 200;
  const inclH = d.showIncluded ? 56 : 0;
  const gap = d.showIncluded ? 24 : 0;
  const left = 64;
  const right = 12;
  const H = laneTop + creditsH + gap + inclH + 28;
  const t0 = d.points[0]?.t ?? 0;
  const t1 = Math.max(d.points[d.points.length - 1]?.t ?? 1, t0 + 1);
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const totals = d.points.map((p) => d.sources.reduce((s, src) => s + Number(p.values.get(src.id) ?? "0"), 0));
  const maxC = Math.max(1, ...totals);
  const y = (v: number) => laneTop + creditsH - (v / maxC) * creditsH;

  const root = svg("svg", {
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-labelledby": "chart-title",
    class: "chart-svg",
  });
  root.append(svg("title", { id: "chart-title" }, "Spendable credits over time, stacked by source, with reloads and alert states"));

  // Alert bands behind everything.
  for (const b of d.bands) {
    if (b.state === "ok") continue;
    root.append(
      svg(
        "rect",
        { x: x(b.from), y: laneTop, width: Math.max(1, x(b.to) - x(b.from)), height: creditsH, class: `band band-${b.state}`, "data-state": b.state },
        title(`alert state ${b.state} from ${when(new Date(b.from).toISOString(), d.timeZone)}`),
      ),
    );
  }

  // Stacked step areas, bottom source first.
  const base = d.points.map(() => 0);
  d.sources.forEach((src, k) => {
    const top = d.points.map((p, i) => base[i]! + Number(p.values.get(src.id) ?? "0"));
    let path = "";
    d.points.forEach((p, i) => {
      const next = d.points[i + 1]?.t ?? t1;
      path += `${i === 0 ? "M" : "L"}${x(p.t)},${y(top[i]!)}L${x(next)},${y(top[i]!)}`;
    });
    for (let i = d.points.length - 1; i >= 0; i--) {
      const next = d.points[i + 1]?.t ?? t1;
      path += `L${x(next)},${y(base[i]!)}L${x(d.points[i]!.t)},${y(base[i]!)}`;
    }
    const last = d.points[d.points.length - 1]?.values.get(src.id) ?? "0";
    root.append(
      svg("path", { d: `${path}Z`, fill: palette[k % palette.length]!, class: "area", "data-source": src.id, "data-value": last },
        title(`${src.label}: ${credits(last)} credits at the end`)),
    );
    top.forEach((v, i) => (base[i] = v));
  });

  // Axes.
  root.append(
    svg("line", { x1: left, x2: W - right, y1: y(0), y2: y(0), class: "axis" }),
    svg("text", { x: left - 6, y: y(0) + 4, class: "tick", "text-anchor": "end" }, "0"),
    svg("text", { x: left - 6, y: y(maxC) + 4, class: "tick", "text-anchor": "end" }, credits(String(Math.round(maxC)))),
    svg("text", { x: left, y: H - 6, class: "tick" }, when(new Date(t0).toISOString(), d.timeZone)),
    svg("text", { x: W - right, y: H - 6, class: "tick", "text-anchor": "end" }, when(new Date(t1).toISOString(), d.timeZone)),
  );

  // Included minutes lane.
  if (d.showIncluded) {
    const top = laneTop + creditsH + gap;
    const maxS = Math.max(1, ...d.points.map((p) => p.includedSeconds));
    const yi = (s: number) => top + inclH - (s / maxS) * inclH;
    let path = `M${x(t0)},${yi(0)}`;
    d.points.forEach((p, i) => {
      const next = d.points[i + 1]?.t ?? t1;
      path += `L${x(p.t)},${yi(p.includedSeconds)}L${x(next)},${yi(p.includedSeconds)}`;
    });
    path += `L${x(t1)},${yi(0)}Z`;
    const last = d.points[d.points.length - 1]?.includedSeconds ?? 0;
    root.append(
      svg("text", { x: left - 6, y: top + 10, class: "tick", "text-anchor": "end" }, "min"),
      svg("path", { d: path, class: "area included", "data-source": "included_minutes", "data-value": String(last) },
        title(`Included minutes: ${duration(last)} left at the end`)),
      svg("line", { x1: left, x2: W - right, y1: yi(0), y2: yi(0), class: "axis" }),
    );
  }

  // Reload markers on top.
  for (const r of d.reloads) {
    const g = svg("g", { class: "reload", "data-credits": r.credits },
      svg("line", { x1: x(r.t), x2: x(r.t), y1: laneTop, y2: laneTop + creditsH, class: "reload-line" }),
      svg("path", { d: `M${x(r.t) - 6},${laneTop}L${x(r.t) + 6},${laneTop}L${x(r.t)},${laneTop + 9}Z`, class: "reload-mark" }),
      title(r.label));
    root.append(g);
  }
  host.replaceChildren(root);

  legend.replaceChildren(
    ...d.sources.map((s, k) => item(palette[k % palette.length]!, s.label)),
    ...(d.showIncluded ? [item("var(--included)", "included minutes (lower lane)")] : []),
    item("var(--reload)", "▼ auto-reload"),
    item("var(--info)", "info"),
    item("var(--warning)", "warning"),
    item("var(--alarm)", "in alarm"),
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
