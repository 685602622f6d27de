#!/usr/bin/env bash
# Runs every test of the project: native unit, vector, CLI and property tests, and the
# vector files through the `drawdown` binary. `.ci/run` calls this after installing tools.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== native tests (unit, vectors, CLI, properties)"
cargo test --release

echo "== vectors through the CLI"
cargo run --release --quiet --bin drawdown -- vectors tests/vectors
