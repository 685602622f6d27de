// `drawdown/edge`: the edge's lease protocol as a state machine, in a module of its own
// (drawdown_edge_bg.wasm), for edge workers. The declarations compile with `lib: ["es2022"]`.
import type { CreditsInput, SecondsInput } from "./types.js";
export { DrawdownError } from "./types.js";

/** What an edge asks its server for and how it behaves. */
export interface EdgeSettings {
  /** The lease's id at the server (one per edge object). */
  leaseId: string;
  /** What the lease holds beyond what live calls hold, pool by pool. */
  credits: CreditsInput;
  /** Plan-included seconds the lease holds beyond live calls. */
  includedSeconds: SecondsInput;
  /** Plan credits the lease holds beyond live calls. */
  planCredits: CreditsInput;
  /** A lease's life, 1 to 3600 s; renewed at half of it. */
  ttlSeconds: SecondsInput;
  /** With no live call for this long the edge gives its lease back. */
  idleSeconds: SecondsInput;
  /** How far a request's `at` may be from the edge's clock (default 5). */
  liveSkewSeconds: SecondsInput;
}

/** What happens to an edge: a platform request, the server's reply to a send (`status` 0:
 * unreachable), or the wake-up it asked for. */
export type EdgeEvent =
  | { kind: "request"; rid: number; request: { method: string; path: string; body: string } }
  | { kind: "reply"; seq: number; status: number; body: string }
  | { kind: "tick" };

/** What one event gives back. Persist `state()` (and the end answers) when `persist`, before
 * the answers leave and the sends go out; wake the machine with a tick at `wakeAt`. */
export interface EdgeStep {
  /** Answers to the platform's requests, by `rid`: HTTP status and body, as the server would answer. */
  answers: { rid: number; status: number; body: unknown; replayed: boolean }[];
  /** Requests to send to the server; feed each reply back as a `reply` event with its `seq`. */
  sends: { seq: number; method: "PUT" | "POST"; path: string; body: unknown }[];
  /** When to wake the machine with a `tick` (ms since the epoch), or never. */
  wakeAt: number | null;
  /** Whether `state()` changed and must be stored before the answers leave. */
  persist: boolean;
  /** End records to store by call id (a retried end replays them); hand them back to `openEdge` as `ended`. */
  endedWrites: [string, unknown][];
  /** End records no longer needed (their ends are billed at the server): delete them. */
  endedForgets: string[];
}

/** The edge's protocol state machine (the Durable Object of the edge example is its shell). */
export interface EdgeHandle {
  /** One event at `now` (ms since the epoch on the runtime's clock). */
  step(now: number, event: EdgeEvent): EdgeStep;
  /** The state to persist, as text. */
  state(): string;
  /** Releases the machine's WebAssembly memory; it must not be used after. */
  free(): void;
}

/** Opens an edge's machine from its settings, its persisted state and the end records kept (`endedWrites`, by call id).
 * @example
 * // import { openEdge } from "drawdown/edge";
 * const settings = { leaseId: "edge-7f3a", credits: "1000", includedSeconds: 3600, planCredits: "0",
 *   ttlSeconds: 300, idleSeconds: 600, liveSkewSeconds: 5 };
 * const edge = openEdge({ settings, state: "" });
 * const step = edge.step(Date.now(), { kind: "tick" });
 * console.log(step.sends.length, step.wakeAt);
 */
export function openEdge(input: { settings: EdgeSettings; state?: string | null; ended?: Record<string, unknown> }): EdgeHandle;

/** The engine's version (the same as the main module's). */
export function version(): string;
/** Instantiates the edge's module (browser; by default it fetches `drawdown_edge_bg.wasm` next
 * to the package's own file); a no-op in Node and workerd, which instantiate at import. */
export function init(input?: string | { readonly href: string } | ArrayBuffer | ArrayBufferView | PromiseLike<unknown> | object): Promise<void>;
/** Instantiates synchronously from a compiled `WebAssembly.Module` or the module's bytes. */
export function initSync(module?: ArrayBuffer | ArrayBufferView | object): void;
