#!/usr/bin/env bash
# Builds the npm package in pkg/: the core compiled to WebAssembly, wasm-bindgen's ESM glue
# (web target, no weak refs: workerd lacks FinalizationRegistry), wasm-opt for size, the
# per-environment entries from js/, and package.json stamped from pkg.json
# (scripts/stamp-manifest.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
# Panic locations name source files; shorten their paths (registry, toolchain, checkout)
# so the .wasm carries `rust_decimal-1.43.0/src/...` rather than `/root/.cargo/...`.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
remap="--remap-path-prefix=$PWD/="
for d in "$cargo_home"/registry/src/*/; do remap="$remap --remap-path-prefix=$d="; done
sysroot=$(rustc --print sysroot)
rustc_hash=$(rustc -vV | sed -n 's/^commit-hash: //p')
remap="$remap --remap-path-prefix=/rustc/$rustc_hash/= --remap-path-prefix=$sysroot/lib/rustlib/src/rust/="
# Opt-level "s" inlines only below LLVM's size threshold (75); at 125 the 100,000-item
# summary preview's time in wasm fell from 70 to 60 ms for 1.8 KB gzipped (opt-level 3:
# 50 ms for 42 KB, over the ceiling). BENCHMARKS.md has the measurements.
inline="-Cllvm-args=-inline-threshold=125"
# Two modules: the main one (every operation and handle) and the edge's state machine alone
# (the `edge` feature), which only an edge worker imports (`drawdown/edge`); each under the
# ceiling. Built one after the other: one crate, two feature sets, the dependencies shared.
out=target/wasm32-unknown-unknown/wasm-release/drawdown.wasm
rm -rf pkg && mkdir -p pkg target/wasm-opt target/wasm-edge
RUSTFLAGS="$remap $inline" cargo build --lib --target wasm32-unknown-unknown --profile wasm-release --features edge
cp "$out" target/wasm-edge/drawdown_edge.wasm
RUSTFLAGS="$remap $inline" cargo build --lib --target wasm32-unknown-unknown --profile wasm-release
# wasm-opt runs before wasm-bindgen: Debian's binaryen 108 mis-rewrites the externref table
# that wasm-bindgen sets up (init then fails in V8), but optimises the plain module fine.
# --low-memory-unused lets it fold address arithmetic into loads' offsets (-3.3 KB gzipped):
# it may assume the first 1 KB of memory is never addressed. It is not: rustc lays the stack
# out first (`__stack_pointer` starts at 1 MiB and grows down, the data above it), so only
# a stack 1,023 KB deep would reach it (serde_json stops nesting at 128 levels), and lld
# never places data below 1 KB (its --global-base) in either layout.
opt() {
  wasm-opt -O3 --low-memory-unused --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue "$1" -o "$2"
}
opt "$out" target/wasm-opt/drawdown.wasm
opt target/wasm-edge/drawdown_edge.wasm target/wasm-opt/drawdown_edge.wasm
wasm-bindgen --target web --out-dir pkg --out-name drawdown target/wasm-opt/drawdown.wasm
wasm-bindgen --target web --out-dir pkg --out-name drawdown_edge target/wasm-opt/drawdown_edge.wasm
node scripts/strip-custom-sections.mjs pkg/drawdown_bg.wasm
node scripts/strip-custom-sections.mjs pkg/drawdown_edge_bg.wasm
cp js/*.js js/index.d.ts js/types.d.ts js/edge.d.ts pkg/
# wasm-bindgen types its raw exports with `any`; nothing public uses them, but keep the package any-free.
sed -i "s/: any/: unknown/g" pkg/drawdown.d.ts pkg/drawdown_bg.wasm.d.ts pkg/drawdown_edge.d.ts pkg/drawdown_edge_bg.wasm.d.ts
# The raw handle classes declare `[Symbol.dispose]`, which needs TypeScript's esnext lib;
# the public handles (js/api.js) are typed without it, so the declarations compile on es2022.
sed -i '/\[Symbol\.dispose\]()/d' pkg/drawdown.d.ts pkg/drawdown_edge.d.ts
# The CommonJS entry, for what cannot load an ES module by `require` (Jest, TypeScript's
# node16 in a CommonJS project): the Node entry and what it imports in one file (esbuild,
# already a dev dependency), finding the .wasm from `__dirname`. Its declarations are the
# ES ones in one file without imports (a CommonJS declaration may not import an ES one).
node_modules/.bin/esbuild pkg/node.js --bundle --platform=node --format=cjs --target=node20 \
  --define:import.meta.url=undefined --log-level=warning --outfile=pkg/node.cjs
node scripts/cjs-declarations.mjs pkg/types.d.ts pkg/index.d.ts > pkg/index.d.cts
cp js/README.md pkg/README.md
cp LICENSE pkg/LICENSE
node scripts/stamp-manifest.mjs "$version" pkg/package.json
over=0
for f in pkg/drawdown_bg.wasm pkg/drawdown_edge_bg.wasm; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  echo "$f: $raw bytes, $gz bytes gzipped (limit 300000)"
  if [ "$gz" -gt 300000 ]; then
    echo "$f is over 300,000 bytes gzipped" >&2
    over=1
  fi
done
exit $over
