// What both pages share in their header: the engine's version and where the figures come from.
import { version } from "drawdown";
import { $ } from "./dom";

export function badge(mode: string, text: string): void {
  const b = $("source-badge");
  b.dataset.mode = mode;
  b.textContent = text;
}

export function showEngineVersion(): void {
  $("engine-version").textContent = `engine ${version()}`;
}

/** The account's zone, named once per page (issue 30: one time zone). */
export function showZone(zone: string): void {
  const z = $("page-zone");
  z.textContent = `Times in ${zone}`;
  z.hidden = false;
}
