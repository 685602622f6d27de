#!/usr/bin/env bash
# Sets everything up and runs the main job: installs the toolchain pieces, builds the
# engine, its CLI and the npm package (pkg/), checks the contract vectors natively and over
# the package, and prices a sample call.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo build --release --bin drawdown
bash scripts/build-pkg.sh
./target/release/drawdown vectors tests/vectors
node tests/run-vectors.mjs tests/vectors
echo "== quoteCall: 7,200 s at EUR 0.07/min, per-second billing"
./target/release/drawdown eval quoteCall <examples/quote.json
echo
echo "The npm package is in pkg/ (import from pkg/index.js, pkg/node.js or pkg/workerd.js)."
