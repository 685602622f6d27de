#!/usr/bin/env bash
# Sets everything up and runs the main job: installs the toolchain pieces, builds the
# engine, its CLI and the npm package (pkg/), checks the contract vectors natively and over
# the package, prices a sample call, then starts the authoritative server with its
# embedded SQLite store (drawdown.db) and a demo account, serving the dashboard at /.
# DRAWDOWN_ADDR (default 127.0.0.1:8080) and DATABASE_URL change where it listens and stores.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo build --release --features server --bin drawdown
bash scripts/build-pkg.sh
./target/release/drawdown vectors tests/vectors
node tests/run-vectors.mjs tests/vectors
echo "== quoteCall: 7,200 s at EUR 0.07/min, per-second billing"
./target/release/drawdown eval quoteCall <examples/quote.json
echo
echo "The npm package is in pkg/ (import from pkg/index.js, pkg/node.js or pkg/workerd.js)."
echo "== the dashboard (www/ -> www/dist)"
npx --no-install vite build -c www/vite.config.mjs
echo "== drawdown serve (Ctrl-C stops it)"
exec ./target/release/drawdown serve --addr "${DRAWDOWN_ADDR:-127.0.0.1:8080}" \
  --database-url "${DATABASE_URL:-sqlite:drawdown.db}" --static www/dist --demo
