#!/usr/bin/env node
// Writes the npm package's manifest: pkg.json with the crate's version, and `repository`
// and `homepage` from the project's public git address. That address is never written by
// hand here: it is `DRAWDOWN_REPOSITORY` when set, else the `origin` remote when that is a
// public https or ssh address (a clone of a local path is not). Without one the manifest
// has neither, and its `prepublishOnly` refuses to publish.
// Usage: node scripts/stamp-manifest.mjs VERSION OUT   (scripts/build-pkg.sh runs it)
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `https://host/owner/name` for a public git address, or `null`. */
export function publicAddress(remote) {
  const text = (remote ?? "").trim();
  const ssh = /^(?:ssh:\/\/)?git@([\w.-]+)[:/]([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/.exec(text);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  const https = /^(?:git\+)?https:\/\/(?:[^@/]+@)?([\w.-]+(?::\d+)?)\/([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/.exec(text);
  return https ? `https://${https[1]}/${https[2]}` : null;
}

/** The manifest for `version`, with the address's fields when there is one. */
export function manifest(base, version, address) {
  const out = { ...base, version };
  if (address) {
    out.repository = { type: "git", url: `git+${address}.git` };
    out.homepage = `${address}#readme`;
  }
  out.scripts = {
    ...base.scripts,
    // npm runs this before `npm publish`, never on install.
    prepublishOnly:
      "node -e \"const m=require('./package.json');if(!m.repository||!m.homepage){console.error('drawdown: no repository/homepage in package.json; build with DRAWDOWN_REPOSITORY=https://host/owner/name or from a clone whose origin is public');process.exit(1)}\"",
  };
  return out;
}

function originRemote() {
  try {
    return execFileSync("git", ["remote", "get-url", "origin"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null; // no git, or no origin
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [version, out] = process.argv.slice(2);
  const given = process.env.DRAWDOWN_REPOSITORY;
  const address = publicAddress(given ?? originRemote());
  if (given && !address) {
    console.error(`DRAWDOWN_REPOSITORY=${given} is not an https or ssh git address`);
    process.exit(1);
  }
  const base = JSON.parse(readFileSync("pkg.json", "utf8"));
  writeFileSync(out, JSON.stringify(manifest(base, version, address), null, 2) + "\n");
  if (!address) console.log("pkg/package.json: no public git address, so no repository or homepage (npm publish will refuse)");
}
