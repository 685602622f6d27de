// The package's one error class. The engine's errors are made in Rust (an `Error` named
// DrawdownError with `code` and `field`); the API adopts them into this class where they
// cross into JavaScript, so `e instanceof DrawdownError` holds for every failure.

/** Every failure of the package: a stable `code` (`DrawdownErrorCode`) and the input field
 * it concerns (`null` when it concerns the whole input), as the server's error documents
 * carry them. */
export class DrawdownError extends Error {
  constructor(message, code, field = null, options) {
    super(message, options);
    this.name = "DrawdownError";
    this.code = code;
    this.field = field;
  }
}

/** The glue's words for a handle whose memory is gone (freed, or poisoned by a panic). */
const FREED = /null pointer passed to rust|recursive use of an object detected/;

/** `e` as a DrawdownError: the module's own errors gain the class; a call on a freed
 * handle gets a code and words of the domain. Anything else is not ours and passes. */
export function adopt(e) {
  if (e instanceof DrawdownError || !(e instanceof Error)) return e;
  if (e.name === "DrawdownError") return Object.setPrototypeOf(e, DrawdownError.prototype);
  if (FREED.test(e.message)) {
    return new DrawdownError(
      "this handle was freed (free() or the end of its `using` block); open a new one",
      "handle_freed",
      null,
      { cause: e },
    );
  }
  return e;
}

/** `f`, with every error it throws adopted. Up to six parameters the wrapper passes them
 * by name (no rest array on a prepared quote's hot path). */
export function adopting(f) {
  if (f.length > 6) {
    return function (...args) {
      try {
        return f.apply(this, args);
      } catch (e) {
        throw adopt(e);
      }
    };
  }
  return function (a, b, c, d, e, g) {
    try {
      return f.call(this, a, b, c, d, e, g);
    } catch (err) {
      throw adopt(err);
    }
  };
}
