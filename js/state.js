// Whether the WebAssembly module is instantiated. Node and workerd entries instantiate it
// synchronously at import; the browser entry on `await init()`.
let ready = false;

export function markReady() {
  ready = true;
}

export function assertReady() {
  if (!ready) {
    const err = new Error("drawdown is not initialised: call `await init()` once before using it");
    err.name = "DrawdownError";
    err.code = "not_initialized";
    err.field = null;
    throw err;
  }
}
