import { createHash, verify } from "node:crypto";
import { expect } from "chai";
import { fromBase64Url, toHex } from "../../src/bytes.ts";
import { buildChainscript, ChainBuildError } from "../../src/chainscript/build.ts";
import { jcs } from "../../src/chainscript/jcs.ts";
import { rawCid } from "../../src/evidence/cid.ts";
import { createPacket } from "../../src/evidence/sign.ts";
import { fixedSigner, hashOf, RFC8032_PUBLIC_1, sampleFields } from "../helpers/fixtures.ts";
import { threeStageRun } from "../helpers/run.ts";

const publicKey = {
  key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(RFC8032_PUBLIC_1, "hex")]),
  format: "der",
  type: "spki",
} as const;

describe("buildChainscript", () => {
  it("links entries by sequence and previousHash", async () => {
    const { built, packets } = await threeStageRun();
    const hashes = packets.map((p) => toHex(p.packetHash));
    expect(built.chainscript.entries.map((e) => [e.sequence, e.packetHash, e.previousHash, e.stageId])).to.deep.equal([
      [0, hashes[0], null, "generate"],
      [1, hashes[1], hashes[0], "upscale"],
      [2, hashes[2], hashes[1], "watermark"],
    ]);
    expect(built.chainscript.entries.map((e) => e.timestamp)).to.deep.equal(packets.map((p) => p.packet.timestamp));
  });

  it("sets chainHash to SHA-256 of the concatenated packet hashes", async () => {
    const { built, packets } = await threeStageRun();
    const expected = createHash("sha256")
      .update(Buffer.concat(packets.map((p) => p.packetHash)))
      .digest("hex");
    expect(built.chainscript.chainHash).to.equal(expected);
    expect(toHex(built.chainHash)).to.equal(expected);
  });

  it("signs POP-CHAIN-V1\\0 ‖ chainHash and POP-ENTRY-V1\\0 ‖ JCS(entry without signature)", async () => {
    const { built } = await threeStageRun();
    const chainMessage = Buffer.concat([
      Buffer.from("POP-CHAIN-V1\0"),
      Buffer.from(built.chainscript.chainHash, "hex"),
    ]);
    expect(
      verify(null, chainMessage, publicKey, fromBase64Url(built.chainscript.chainSignature) as Uint8Array),
    ).to.equal(true);
    for (const { eddsaSignature, ...entry } of built.chainscript.entries) {
      const message = Buffer.concat([Buffer.from("POP-ENTRY-V1\0"), Buffer.from(jcs(entry))]);
      expect(verify(null, message, publicKey, fromBase64Url(eddsaSignature) as Uint8Array)).to.equal(true);
    }
  });

  it("stores RFC 8785 bytes and addresses them by their raw CID", async () => {
    const { built } = await threeStageRun();
    const text = new TextDecoder().decode(built.bytes);
    expect(text).to.equal(jcs(JSON.parse(text)));
    expect(text.startsWith('{"chainHash":')).to.equal(true);
    expect(built.cid).to.equal(rawCid(built.bytes));
  });

  it("refuses packets of different tenants", async () => {
    const a = await createPacket(sampleFields(), fixedSigner());
    const b = await createPacket(sampleFields({ tenantId: "someone-else" }), fixedSigner());
    await expectBuildError(
      buildChainscript({
        steps: [
          { bytes: a.bytes, stageId: "a" },
          { bytes: b.bytes, stageId: "b" },
        ],
        signer: fixedSigner(),
      }),
      /Packet 1 belongs to tenant "someone-else"/,
    );
  });

  it("refuses an input asset no earlier entry produced, unless it is declared external", async () => {
    const base = sampleFields();
    const p = await createPacket(
      { ...base, inputs: { ...base.inputs, assetHashes: [hashOf("reference.jpg")] } },
      fixedSigner(),
    );
    const steps = [{ bytes: p.bytes, stageId: "img2img" }];
    await expectBuildError(
      buildChainscript({ steps, signer: fixedSigner() }),
      /Entry 0: input asset [0-9a-f]{64} is neither/,
    );
    const built = await buildChainscript({ steps, signer: fixedSigner(), externalInputs: [hashOf("reference.jpg")] });
    expect(built.chainscript.externalInputs).to.deep.equal([toHex(hashOf("reference.jpg"))]);
  });

  it("refuses bytes that are not a canonical packet", async () => {
    const p = await createPacket(sampleFields(), fixedSigner());
    const broken = Uint8Array.from(p.bytes);
    broken[0] = 0xbf; // indefinite-length map
    await expectBuildError(
      buildChainscript({ steps: [{ bytes: broken, stageId: "x" }], signer: fixedSigner() }),
      /Packet 0 \(stage "x"\) is not a valid packet/,
    );
  });

  it("refuses an empty run", async () => {
    await expectBuildError(buildChainscript({ steps: [], signer: fixedSigner() }), /at least one packet/);
  });
});

async function expectBuildError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error).to.be.instanceOf(ChainBuildError);
  expect((error as Error).message).to.match(message);
}
