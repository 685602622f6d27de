// How an input crosses into either module: as JSON text, Dates marked so the engine refuses
// them at their own field; a handle opened with its errors adopted. Shared by the main API
// (api.js) and the edge's (edge-api.js).
import { adopt } from "./error.js";

// Instants are RFC 3339 strings; the types refuse a `Date`, and so does the runtime: while
// the module reads an input, a `Date` in it writes itself as the engine's mark for one
// (`calendar::JS_DATE`), which the engine refuses with `invalid_instant` at the Date's own
// field. Where `Date.prototype` is frozen (a hardened realm), Dates write themselves as usual.
const JS_DATE = "\u0000Date";
const dateToJSON = Date.prototype.toJSON;
const markable = Object.getOwnPropertyDescriptor(Date.prototype, "toJSON")?.writable === true && !Object.isFrozen(Date.prototype);
function markDate() {
  return JS_DATE;
}

/** `f`, reading its inputs with Dates marked. */
export function readingDates(f) {
  if (!markable) return f;
  return function (a, b, c, d) {
    Date.prototype.toJSON = markDate;
    try {
      return f.call(this, a, b, c, d);
    } finally {
      Date.prototype.toJSON = dateToJSON;
    }
  };
}

/** JSON.stringify of an input, Dates marked. */
export const toJson = readingDates((v) => JSON.stringify(v));

/** `new Class(...args)`, its errors adopted (a handle reads its input once, Dates marked). */
export const open = readingDates((Class, a, b, c) => {
  try {
    return new Class(a, b, c);
  } catch (e) {
    throw adopt(e);
  }
});

/** Frees a handle's WebAssembly memory with `using` (where `Symbol.dispose` exists) or `free()`. */
export const dispose = typeof Symbol.dispose === "symbol" ? Symbol.dispose : null;
