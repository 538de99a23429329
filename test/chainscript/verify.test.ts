import { expect } from "chai";
import fc from "fast-check";
import { toBase64Url, toHex } from "../../src/bytes.ts";
import { buildChainscript } from "../../src/chainscript/build.ts";
import type { Chainscript } from "../../src/chainscript/chainscript.ts";
import { jcs } from "../../src/chainscript/jcs.ts";
import { type ChainVerificationReport, verifyChainscript } from "../../src/chainscript/verify.ts";
import { cidFromSha256 } from "../../src/evidence/cid.ts";
import { createPacket } from "../../src/evidence/sign.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import { fixedSigner, RFC8032_PUBLIC_1, sampleFields } from "../helpers/fixtures.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

const key = Buffer.from(RFC8032_PUBLIC_1, "hex");
const onlyKey = (keyId: string) => (keyId === "studio-key-2026" ? key : undefined);
const encode = (chainscript: unknown) => new TextEncoder().encode(jcs(chainscript));
const verifyRun = (run: Run, bytes = run.built.bytes, store: ReadonlyMap<string, Uint8Array> = run.store) =>
  verifyChainscript({ bytes, packets: store, resolveKey: onlyKey, threads: 1 });

function statusOf(report: ChainVerificationReport, id: string) {
  return report.checks.find((check) => check.id === id)?.status;
}

/** Re-serialises a modified copy of the run's chainscript. */
function edit(run: Run, change: (c: { -readonly [K in keyof Chainscript]: Chainscript[K] }) => void): Uint8Array {
  const copy = structuredClone(run.built.chainscript) as { -readonly [K in keyof Chainscript]: Chainscript[K] };
  change(copy);
  return encode(copy);
}

describe("verifyChainscript", () => {
  let run: Run;
  before(async () => {
    run = await threeStageRun();
  });

  it("accepts an untouched run and names every check it passed", async () => {
    const report = await verifyChainscript({
      bytes: run.built.bytes,
      packets: run.store,
      resolveKey: onlyKey,
      cid: run.built.cid,
    });
    expect(report.verdict).to.equal("valid");
    expect(report.firstFailure).to.equal(undefined);
    expect(report.checks.map((c) => [c.id, c.status])).to.deep.equal([
      ["chainscript.cid", "pass"],
      ["chainscript.format", "pass"],
      ["chainscript.canonical", "pass"],
      ["entries.sequence", "pass"],
      ["entries.unique", "pass"],
      ["entries.previousHash", "pass"],
      ["entries.time", "skip"],
      ["chain.hash", "pass"],
      ["chain.key", "pass"],
      ["chain.signature", "pass"],
      ["entries.signature", "pass"],
      ["packets.available", "pass"],
      ["packets.integrity", "pass"],
      ["packets.canonical", "pass"],
      ["packets.binding", "pass"],
      ["packets.time", "skip"],
      ["packets.key", "pass"],
      ["packets.signature", "pass"],
      ["lineage", "pass"],
    ]);
    expect(report.checks.find((c) => c.id === "packets.signature")?.checked).to.equal(3);
  });

  it("reports the optional CID check as skipped, not the verdict as incomplete, when no CID is given", async () => {
    const report = await verifyRun(run);
    expect(report.verdict).to.equal("valid");
    expect(statusOf(report, "chainscript.cid")).to.equal("skip");
  });

  const tampers: [
    string,
    (run: Run) => { bytes?: Uint8Array; store?: Map<string, Uint8Array> },
    string,
    number | undefined,
  ][] = [
    [
      "a changed packet byte",
      (r) => {
        const store = new Map(r.store);
        const cid = r.built.chainscript.entries[1]?.packetCid as string;
        const bytes = Uint8Array.from(store.get(cid) as Uint8Array);
        bytes[40] = (bytes[40] as number) ^ 1;
        store.set(cid, bytes);
        return { store };
      },
      "packets.integrity",
      1,
    ],
    [
      "a changed stage id",
      (r) => ({ bytes: edit(r, (c) => ((c.entries[2] as { stageId: string }).stageId = "upscale")) }),
      "entries.signature",
      2,
    ],
    [
      "a changed entry timestamp",
      (r) => ({ bytes: edit(r, (c) => ((c.entries[0] as { timestamp: number }).timestamp += 1)) }),
      "entries.signature",
      0,
    ],
    [
      "two entries in another order",
      (r) => ({
        bytes: edit(r, (c) => (c.entries = [c.entries[1], c.entries[0], c.entries[2]] as Chainscript["entries"])),
      }),
      "entries.sequence",
      0,
    ],
    ["a changed tenant", (r) => ({ bytes: edit(r, (c) => (c.tenantId = "studio-borealis")) }), "packets.binding", 0],
    [
      "another chain's signature",
      (r) => ({ bytes: edit(r, (c) => (c.chainSignature = r.built.chainscript.entries[0]?.eddsaSignature as string)) }),
      "chain.signature",
      undefined,
    ],
    ["a wrong chainHash", (r) => ({ bytes: edit(r, (c) => (c.chainHash = "00".repeat(32))) }), "chain.hash", undefined],
    [
      "bytes that are not JCS",
      (r) => ({ bytes: new TextEncoder().encode(JSON.stringify(r.built.chainscript, null, 2)) }),
      "chainscript.canonical",
      undefined,
    ],
    [
      "bytes that are not JSON",
      () => ({ bytes: new TextEncoder().encode("{not json") }),
      "chainscript.format",
      undefined,
    ],
    [
      "an unknown signing key",
      (r) => ({ bytes: edit(r, (c) => (c.signingKeyId = "stolen-key")) }),
      "chain.key",
      undefined,
    ],
  ];
  for (const [name, tamper, check, entry] of tampers) {
    it(`rejects ${name} and names ${check} as the first failure`, async () => {
      const changed = tamper(run);
      const report = await verifyRun(run, changed.bytes, changed.store);
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure?.check).to.equal(check);
      expect(report.firstFailure?.entry).to.equal(entry);
      expect(report.firstFailure?.message).to.be.a("string").and.not.equal("");
    });
  }

  it("rejects a packet signed by a key the tenant never registered", async () => {
    const rogue = signerFromSeed("studio-key-2026", new Uint8Array(32).fill(9));
    const forged = await threeStageRun(fixedSigner(), rogue);
    const report = await verifyRun(forged);
    expect(report.verdict).to.equal("invalid");
    expect(report.firstFailure).to.deep.include({ check: "packets.signature", entry: 0 });
    expect(report.checks.find((c) => c.id === "packets.signature")?.failed).to.equal(3);
  });

  it("rejects a packet whose key id resolves to no key", async () => {
    const other = await threeStageRun(fixedSigner(), signerFromSeed("retired-key", new Uint8Array(32).fill(3)));
    const report = await verifyRun(other);
    expect(report.firstFailure).to.deep.include({ check: "packets.key", entry: 0 });
  });

  it("rejects broken lineage when a declared external input is removed", async () => {
    const base = sampleFields();
    const reference = new Uint8Array(32).fill(0xab);
    const p = await createPacket({ ...base, inputs: { ...base.inputs, assetHashes: [reference] } }, fixedSigner());
    const built = await buildChainscript({
      steps: [{ bytes: p.bytes, stageId: "img2img" }],
      signer: fixedSigner(),
      externalInputs: [reference],
    });
    const { externalInputs: _removed, ...rest } = built.chainscript;
    const report = await verifyChainscript({
      bytes: encode(rest),
      packets: new Map([[cidFromSha256(p.packetHash), p.bytes]]),
      resolveKey: onlyKey,
    });
    expect(report.firstFailure).to.deep.include({ check: "lineage", entry: 0 });
    expect(report.firstFailure?.message).to.include(toHex(reference));
  });

  it("rejects a packet of another tenant placed in the chain", async () => {
    const intruder = await createPacket(sampleFields({ tenantId: "studio-borealis" }), fixedSigner());
    const store = new Map(run.store);
    const bytes = edit(run, (c) => {
      const entries = [...c.entries];
      const { eddsaSignature: _s, ...entry } = entries[0] as Chainscript["entries"][number];
      entries[0] = {
        ...entry,
        packetHash: toHex(intruder.packetHash),
        packetCid: cidFromSha256(intruder.packetHash),
        eddsaSignature: toBase64Url(new Uint8Array(64)),
      };
      c.entries = entries;
    });
    store.set(cidFromSha256(intruder.packetHash), intruder.bytes);
    const report = await verifyRun(run, bytes, store);
    expect(report.verdict).to.equal("invalid");
    expect(report.checks.find((c) => c.id === "packets.binding")?.failures[0]).to.deep.equal({
      entry: 0,
      message: `the packet's tenant is "studio-borealis", the chain's "studio-aurora"`,
    });
  });

  it("calls a run with a missing packet incomplete, not invalid", async () => {
    const store = new Map(run.store);
    store.delete(run.built.chainscript.entries[2]?.packetCid as string);
    const report = await verifyRun(run, run.built.bytes, store);
    expect(report.verdict).to.equal("incomplete");
    expect(report.firstFailure).to.deep.include({ check: "packets.available", entry: 2 });
    expect(statusOf(report, "lineage")).to.equal("skip");
  });

  it("skips every later check when the chainscript cannot be read", async () => {
    const report = await verifyRun(run, new TextEncoder().encode("[]"));
    expect(report.checks.filter((c) => c.status === "skip").map((c) => c.id)).to.have.length(18);
  });

  it("maps signature results from worker threads back to the right entries in a long chain", async () => {
    const signer = fixedSigner();
    const rogue = signerFromSeed("studio-key-2026", new Uint8Array(32).fill(5));
    const packets = [];
    for (let i = 0; i < 400; i++) {
      const fields = sampleFields({ packetId: crypto.randomUUID(), timestamp: 1_767_225_600_000 + i });
      packets.push(await createPacket(fields, i === 123 || i === 377 ? rogue : signer));
    }
    const built = await buildChainscript({
      steps: packets.map((p, i) => ({ bytes: p.bytes, stageId: `item-${i}` })),
      signer,
    });
    const store = new Map(packets.map((p) => [cidFromSha256(p.packetHash), p.bytes]));
    const report = await verifyChainscript({ bytes: built.bytes, packets: store, resolveKey: onlyKey, threads: 2 });
    const signatures = report.checks.find((c) => c.id === "packets.signature");
    expect(signatures?.failures.map((f) => f.entry)).to.deep.equal([123, 377]);
    expect(signatures?.checked).to.equal(400);
    expect(statusOf(report, "entries.signature")).to.equal("pass");
  });

  it("detects every single-byte change to a chainscript known by its CID", async () => {
    const bytes = run.built.bytes;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, change) => {
        const tampered = Uint8Array.from(bytes);
        tampered[at] = (tampered[at] as number) ^ change;
        const report = await verifyChainscript({
          bytes: tampered,
          packets: run.store,
          resolveKey: onlyKey,
          cid: run.built.cid,
          threads: 1,
        });
        expect(report.verdict).to.not.equal("valid");
      }),
      { seed: 99, numRuns: 300 },
    );
  });

  it("detects every change to a chainscript's signed content even without its CID", async () => {
    const bytes = run.built.bytes;
    const text = new TextDecoder().decode(bytes);
    // chainId and externalInputs are bound by the content address only (see docs/decisions/003).
    const chainIdAt = text.indexOf(run.built.chainscript.chainId);
    for (let at = 0; at < bytes.length; at++) {
      if (at >= chainIdAt && at < chainIdAt + 36) continue;
      const tampered = Uint8Array.from(bytes);
      tampered[at] = (tampered[at] as number) ^ 0x01;
      const report = await verifyRun(run, tampered);
      expect(report.verdict, `byte ${at} (${text[at]})`).to.not.equal("valid");
    }
  });
});
