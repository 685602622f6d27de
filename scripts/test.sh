#!/usr/bin/env bash
# Runs every test of the project, after installing whatever is missing (scripts/setup.sh
# skips what is already there). `.ci/run` runs exactly this.
#   native: unit, vector, CLI and property tests; the vectors through the CLI
#   server:   drawdown serve end to end on SQLite and on a private PostgreSQL (scripts/postgres.sh),
#             a PostgreSQL restart under load, several instances on one database; then again
#             with the machine's clock a year ahead (faketime)
#   openapi:  docs/openapi.json linted (Redocly) and its generated types checked against real answers
#   package:  build pkg/, vectors over it in Node, the handles, TypeScript declarations, native/wasm parity
#   packaging: the packed tarball installed as users install it: Node 20/22/24/26 import and require,
#             Vite dev and build, webpack 5, esbuild, workerd, tsc under bundler/node16/nodenext
#   browser:  the package in a Vite-built page in headless Chromium (playwright-core)
#   www:      the dashboard against the engine, offline and live, a11y, screenshots
#   wasm:     every vector inside the wasm build in Node and in headless Chromium
#   edge:     the edge Worker (wrangler dry-run bundle) in real workerd (miniflare) against drawdown serve
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh

echo "== native tests (unit, vectors, CLI, properties; the server against SQLite and PostgreSQL)"
DRAWDOWN_TEST_POSTGRES=$(bash scripts/postgres.sh) DRAWDOWN_REQUIRE_POSTGRES=1 \
  cargo test --release --features server

echo "== the server's tests again with the machine's clock a year ahead (faketime): time is an input"
# The built test binaries themselves (rustc can hang under faketime); the servers they start
# inherit the moved clock. A test that hard-codes today's date fails here first.
server_tests=$(cargo test --release --features server --no-run --message-format=json 2>/dev/null |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    for (const l of s.split("\n").filter(Boolean)) {
      const m = JSON.parse(l);
      if (m.reason === "compiler-artifact" && m.executable && m.target.kind.includes("test") && /^server/.test(m.target.name)) console.log(m.executable);
    }
  })')
[ -n "$server_tests" ] || { echo "no server test binaries found" >&2; exit 1; }
for t in $server_tests; do
  DRAWDOWN_TEST_POSTGRES=$(bash scripts/postgres.sh) DRAWDOWN_REQUIRE_POSTGRES=1 faketime -f '+365d' "$t"
done

echo "== the OpenAPI document: Redocly lint, and openapi-typescript's types against the server's answers"
node --test tests/openapi/client.test.mjs

echo "== vectors through the CLI"
cargo run --release --quiet --features server --bin drawdown -- vectors tests/vectors

echo "== npm package"
bash scripts/build-pkg.sh
node tests/run-vectors.mjs tests/vectors
node --test tests/js/decimal.test.mjs tests/js/handles.test.mjs tests/js/init.test.mjs tests/js/errors.test.mjs tests/js/docs.test.mjs

echo "== the packed package as users install it (Node 20-26 import/require, Vite dev/build, webpack, esbuild, workerd, TypeScript)"
node --test tests/packaging/packaging.test.mjs

echo "== TypeScript declarations"
npx --no-install tsc -p tests/types
# `any` as a type (after `:`, `<`, `|`, `,`, `=` or `(`), outside comments.
if grep -nE '(:|<|\||,|=|\()\s*any\b' pkg/*.d.ts | grep -vE '^[^:]+:[0-9]+:\s*(\*|//|/\*)'; then
  echo "the package's declarations use \`any\`" >&2
  exit 1
fi

echo "== native/wasm parity (every vector + 100,000 seeded random inputs)"
node tests/parity.mjs 100000

echo "== the package in a Vite-built page in headless Chromium (every vector, byte-identical to native)"
node --test tests/browser/vite.test.mjs

echo "== the dashboard (www/): type-check, then driven in headless Chromium, offline and live"
npx --no-install tsc -p www
node --test tests/browser/dashboard.test.mjs

echo "== vectors inside the wasm build: Node, then headless Chromium"
export DRAWDOWN_NATIVE_CANONICAL="$root/target/parity/vectors.native.jsonl" DRAWDOWN_REQUIRE_PARITY=1
wasm-pack test --node
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome

echo "== the edge Worker in workerd, on leases from drawdown serve"
node --test examples/edge-worker/worker.test.mjs
