// Drops a .wasm file's custom sections (`name`, `producers`, `target_features`): nothing
// reads them at run time, and every byte ships to browsers and edge workers.
// Usage: node scripts/strip-custom-sections.mjs FILE
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const bytes = readFileSync(file);
const kept = [bytes.subarray(0, 8)]; // magic and version
let at = 8;
const leb = () => {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return value;
};
while (at < bytes.length) {
  const start = at;
  const id = bytes[at++];
  const size = leb();
  const end = at + size;
  if (end > bytes.length) throw new Error(`${file}: section runs past the end`);
  if (id !== 0) kept.push(bytes.subarray(start, end));
  at = end;
}
const out = Buffer.concat(kept);
new WebAssembly.Module(out); // still a valid module
writeFileSync(file, out);
