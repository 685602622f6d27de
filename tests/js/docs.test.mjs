// The package's declarations as documentation (issue 27): every exported member has a doc
// comment, and every `@example` in them compiles (tsc --strict, lib es2022) against the
// declarations as shipped, so a hover never shows code that no longer type-checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const declarations = ["pkg/index.d.ts", "pkg/types.d.ts", "pkg/edge.d.ts"].map((f) => [f, readFileSync(join(root, f), "utf8")]);

/** Lines that declare a member (a field, a method, an export) with no doc comment above. */
function undocumented(file, text) {
  const lines = text.split("\n");
  const member = /^\s+(readonly\s+)?[\w]+\??\s*[:(]|^export (declare )?(function|interface|type|class|const)\b/;
  const out = [];
  lines.forEach((line, i) => {
    if (!member.test(line)) return;
    const above = (lines[i - 1] ?? "").trim();
    if (!(above.endsWith("*/") || above.startsWith("*") || above.startsWith("/**"))) out.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return out;
}

test("every exported member of the declarations has a doc comment", () => {
  const missing = declarations.flatMap(([file, text]) => undocumented(file, text));
  assert.deepEqual(missing, []);
});

/** The code of each `@example` block: the comment lines after the tag, up to the next tag or
 * the comment's end, without their leading ` * `. */
function examples(text) {
  const out = [];
  for (const m of text.matchAll(/@example\n([\s\S]*?)(?=\n\s*\*\s*@|\n\s*\*\/)/g)) {
    out.push(m[1].split("\n").map((l) => l.replace(/^\s*\*\s?/, "")).join("\n"));
  }
  return out;
}

test("every @example in the declarations compiles against them", () => {
  const blocks = declarations.flatMap(([, text]) => examples(text));
  assert.ok(blocks.length >= 14, `${blocks.length} examples`);
  const names = new Set();
  const edgeNames = new Set();
  for (const [file, text] of declarations) {
    for (const m of text.matchAll(/^export (?:declare )?(?:function|class) (\w+)/gm)) {
      if (file.endsWith("edge.d.ts")) edgeNames.add(m[1]);
      else names.add(m[1]);
    }
  }
  // `drawdown/edge`'s own `init`, `initSync` and `version` are the main entry's namesakes.
  const edgeOnly = [...edgeNames].filter((n) => !names.has(n));
  // What the examples may take as given: a card, an account snapshot, a form's value.
  const prelude = `import { ${[...names].join(", ")}, type RateCard, type Account } from "../../pkg/index.js";
import { ${edgeOnly.join(", ")} } from "../../pkg/edge.js";
declare const rateCard: RateCard;
declare const account: Account;
declare const form: { limit: string };
declare const console: { log(...values: unknown[]): void };
declare const input: Parameters<typeof quoteCall>[0];
`;
  const body = blocks.map((code, i) => `// example ${i}\nexport function example${i}(): void {\n${code}\n}\n`).join("\n");
  const dir = join(root, "target/doc-examples");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "examples.ts"), prelude + body);
  const config = {
    compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "es2022", moduleResolution: "bundler", lib: ["es2022"], types: [], noUnusedLocals: false },
    files: ["examples.ts"],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
  try {
    execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", dir], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`an @example does not compile (target/doc-examples/examples.ts):\n${e.stdout}${e.stderr}`);
  }
});

test("hovers point only at what ships: no spec section numbers, no source paths", () => {
  for (const [file, text] of declarations) {
    const stray = text.match(/SEMANTICS \d+|\bsrc\/[\w/.]+|\bdocs\/[\w/.]+/g);
    assert.equal(stray, null, `${file} points at ${stray}`);
  }
});
