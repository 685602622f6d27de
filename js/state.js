// Whether the WebAssembly module is instantiated. Node and workerd entries instantiate it
// synchronously at import; the browser entry on `await init()`.
import { DrawdownError } from "./error.js";

let ready = false;

export function markReady() {
  ready = true;
}

export function assertReady() {
  if (!ready) {
    throw new DrawdownError("drawdown is not initialised: call `await init()` once before using it", "not_initialized");
  }
}
