// The edge's API (`drawdown/edge`) over its own WebAssembly module (drawdown_edge_bg.wasm):
// the edge's state machine alone, so that the main module, which browsers load, does not carry
// it. Its entries (edge.js, edge-node.js, edge-workerd.js) instantiate the module.
import * as raw from "./drawdown_edge.js";
import { adopting, DrawdownError } from "./error.js";
import { dispose, open, toJson } from "./input.js";

for (const key of Object.getOwnPropertyNames(raw.EdgeMachine.prototype)) {
  const d = Object.getOwnPropertyDescriptor(raw.EdgeMachine.prototype, key);
  if (key !== "constructor" && typeof d.value === "function") raw.EdgeMachine.prototype[key] = adopting(d.value);
}

let ready = false;

export function markEdgeReady() {
  ready = true;
}

function assertReady() {
  if (!ready) {
    throw new DrawdownError("drawdown/edge is not initialised: call `await init()` once before using it", "not_initialized");
  }
}

/** The edge's protocol (SEMANTICS 12): the core's state machine, fed events with the
 * runtime's clock, giving answers, sends, a wake-up and the state to persist. */
class EdgeHandle {
  #m;
  constructor(m) {
    this.#m = m;
  }
  step(now, event) {
    switch (event.kind) {
      case "request": {
        const { method, path, body } = event.request;
        return this.#m.request(now, event.rid, method, path, body ?? "");
      }
      case "reply":
        return this.#m.reply(now, event.seq, event.status, event.body ?? "");
      case "tick":
        return this.#m.tick(now);
      default:
        throw new DrawdownError(`unknown edge event kind \`${event.kind}\``, "invalid_enum", "kind");
    }
  }
  state() {
    return this.#m.state();
  }
  /** Frees the handle's memory; freeing it again does nothing. */
  free() {
    if (this.#m.__wbg_ptr !== 0) this.#m.free();
  }
}
if (dispose) EdgeHandle.prototype[dispose] = EdgeHandle.prototype.free;

/** Opens an edge's state machine from its settings, what it persisted (`state`, text) and
 * the end answers it kept; throws DrawdownError for settings or state it cannot read. */
export function openEdge({ settings, state = "", ended = {} }) {
  assertReady();
  return new EdgeHandle(open(raw.EdgeMachine, toJson(settings), state ?? "", toJson(ended)));
}

/** The engine's version (the same as the main module's). */
export function version() {
  assertReady();
  return raw.version();
}

export { DrawdownError } from "./error.js";
