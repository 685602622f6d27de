#!/usr/bin/env bash
# Sets everything up and runs the main job: builds the engine and its CLI, checks the
# contract vectors, and prices a sample call.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --bin drawdown
./target/release/drawdown vectors tests/vectors
echo "== quoteCall: 7,200 s at EUR 0.07/min, per-second billing"
./target/release/drawdown eval quoteCall <examples/quote.json
