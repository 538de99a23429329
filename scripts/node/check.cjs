// Runs before `npm ci`/`npm install`, `npm start` and `npm test`, on whatever Node the machine has (hence
// CommonJS and nothing newer than ES2015 here). An older Node "installs" without Hardhat's native EDR
// package and fails much later with advice that does not help; this stops at once with the fix.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..", "..");
const range = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node;
const wanted = readFileSync(join(root, ".nvmrc"), "utf8").trim();
const minimum = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range);
if (minimum === null) throw new Error(`package.json engines.node must be ">=MAJOR.MINOR", got "${range}"`);
const need = minimum.slice(1).map((part) => Number(part || 0));
const have = process.versions.node.split(".").map(Number);
let older = false;
for (let i = 0; i < 3; i += 1) {
  if (have[i] !== need[i]) {
    older = have[i] < need[i];
    break;
  }
}
if (older) {
  process.stderr.write(
    `Proof of Process needs Node ${range.replace(">=", "≥ ")}; this is Node ${process.versions.node}.\n` +
      `Fix: \`nvm install\` (or \`fnm use\`, both read .nvmrc: Node ${wanted}), or put Node ${wanted} first on PATH for this shell:\n` +
      `  export PATH="$(npx -y -p node@${wanted} -- sh -c 'dirname "$(command -v node)"'):$PATH"\n` +
      "then run the command again (after an install on an older Node, run `npm ci` again).\n",
  );
  process.exit(1);
}
