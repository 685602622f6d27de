#!/usr/bin/env node
// Runs vector files over the built npm package (pkg/, Node entry): one line per failing
// vector, then `N passed, N failed`. Usage: node tests/run-vectors.mjs [DIR|FILE]...
import * as dd from "../pkg/node.js";
import { mismatch, readVectors, runCanonical, vectorFiles } from "./js/common.mjs";

const dirs = process.argv.slice(2);
if (dirs.length === 0) dirs.push(new URL("./vectors", import.meta.url).pathname);

let passed = 0;
let failed = 0;
for (const dir of dirs) {
  for (const file of vectorFiles(dir)) {
    let vectors;
    try {
      vectors = readVectors(file);
    } catch (e) {
      console.log(`FAIL ${file}: ${e.message}`);
      failed++;
      continue;
    }
    vectors.forEach((v, i) => {
      const name = v.name ?? `#${i}`;
      let why = null;
      try {
        const out = JSON.parse(runCanonical(dd, v.op, v.input));
        const thrown = Object.keys(out).length === 1 && "error" in out ? out.error : null;
        if (v.expect !== undefined && v.expectError === undefined) {
          why = thrown ? `unexpected error ${JSON.stringify(thrown)}` : mismatch(v.expect, out);
        } else if (v.expectError !== undefined && v.expect === undefined) {
          why = thrown ? mismatch(v.expectError, thrown, "error") : `expected an error, got ${JSON.stringify(out)}`;
        } else {
          why = "vector needs exactly one of `expect` and `expectError`";
        }
      } catch (e) {
        why = `threw ${e && e.stack ? e.stack : e}`;
      }
      if (why) {
        console.log(`FAIL ${file} :: ${name}: ${why}`);
        failed++;
      } else {
        passed++;
      }
    });
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
