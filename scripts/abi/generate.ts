/**
 * `npm run abi`: writes the contracts' ABIs from Hardhat's artifacts into
 * src/anchor/abi.ts as `as const` values, so runtime code (CLI, verifier,
 * indexer) needs no build step and viem infers every type. A test fails when
 * the file no longer matches the artifacts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { abiSource } from "./source.ts";

const out = new URL("../../src/anchor/abi.ts", import.meta.url);
const read = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../artifacts/contracts/${path}`, import.meta.url), "utf8")).abi;
writeFileSync(
  out,
  abiSource({
    processAnchorRegistryAbi: read("ProcessAnchorRegistry.sol/ProcessAnchorRegistry.json"),
    commitRegisterAbi: read("CommitRegister.sol/CommitRegister.json"),
  }),
);
console.log(`wrote ${out.pathname}`);
