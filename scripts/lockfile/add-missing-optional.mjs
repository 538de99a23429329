#!/usr/bin/env node
/**
 * The package mirror this project is built against lacks other platforms' native builds
 * (e.g. @biomejs/cli-darwin-arm64), so `npm install` leaves them out of package-lock.json and
 * `npm ci` then refuses the lockfile ("Missing: … from lock file"). This adds a minimal entry
 * (version, optional) for each: `npm ci` accepts the lockfile and skips the ones it cannot
 * fetch, as it does for any optional dependency. Run after every `npm install` that changes
 * the lockfile: `node scripts/lockfile/add-missing-optional.mjs` (test/foundation checks it).
 */
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (lock.packages[`node_modules/${name}`] || lock.packages[`${path}/node_modules/${name}`]) continue;
    lock.packages[`node_modules/${name}`] = {
      version: spec.replace(/^[\^~=]/, ""),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} missing optional platform package(s)`);
