import { expect } from "chai";
import { packetFileSource } from "../../src/chainscript/packetFiles.ts";
import { verifyChainscript } from "../../src/chainscript/verify.ts";
import { RFC8032_PUBLIC_1 } from "../helpers/fixtures.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

const key = Buffer.from(RFC8032_PUBLIC_1, "hex");

describe("packetFileSource (a run's packets as files)", () => {
  let run: Run;
  before(async () => {
    run = await threeStageRun();
  });
  const files = (bytes: readonly (Uint8Array | undefined)[]) =>
    bytes.flatMap((b, i) => (b === undefined ? [] : [{ name: `dir/p${i}.cbor`, bytes: b }]));
  const verify = (source: ReturnType<typeof packetFileSource>) =>
    verifyChainscript({ bytes: run.built.bytes, packets: source, resolveKey: () => key, threads: 1 });
  /** Packet `i`'s bytes with one byte of its output hash changed: still a packet, of the same tenant, process and time. */
  const tampered = (i: number) => {
    const bytes = Buffer.from(run.packets[i]?.bytes as Uint8Array);
    const at = bytes.indexOf(Buffer.from(run.packets[i]?.packet.outputs.assetHash as Uint8Array));
    bytes[at] = (bytes[at] as number) ^ 1;
    return new Uint8Array(bytes);
  };

  it("finds each entry's packet by content, whatever its file is called", async () => {
    const report = await verify(packetFileSource(files(run.packets.map((p) => p.bytes).reverse())));
    expect(report.verdict).to.equal("valid");
  });

  it("offers a tampered copy for its entry, so the chain is invalid under packets.integrity rather than incomplete", async () => {
    const report = await verify(packetFileSource(files([run.packets[0]?.bytes, tampered(1), run.packets[2]?.bytes])));
    expect(report.verdict).to.equal("invalid");
    expect(report.firstFailure).to.deep.include({ check: "packets.integrity", entry: 1 });
    expect(report.firstFailure?.message).to.include(
      "the packet for entry 1 (packetId 0f8fad5b-d9cb-469f-a165-708677289501) in dir/p1.cbor does not match the chainscript's entries[1].packetHash",
    );
    expect(report.checks.find((c) => c.id === "packets.available")).to.deep.include({ status: "pass", failed: 0 });
  });

  it("lets the intact packet win over a tampered copy of it, and leaves an entry no file claims missing", async () => {
    const both = [
      { name: "dir/a-copy.cbor", bytes: tampered(1) },
      ...files([run.packets[0]?.bytes, run.packets[1]?.bytes, run.packets[2]?.bytes]),
    ];
    expect((await verify(packetFileSource(both))).verdict).to.equal("valid");
    const report = await verify(packetFileSource(files([run.packets[0]?.bytes, undefined, run.packets[2]?.bytes])));
    expect(report.verdict).to.equal("incomplete");
    expect(report.firstFailure).to.deep.include({ check: "packets.available", entry: 1 });
  });

  it("takes a file named after the entry's packetHash or packetCid as its packet, whatever it holds", async () => {
    const entry = run.built.chainscript.entries[2];
    for (const name of [`dir/${entry?.packetHash}.cbor`, `dir/${entry?.packetCid}`]) {
      const source = packetFileSource([
        ...files([run.packets[0]?.bytes, run.packets[1]?.bytes]),
        { name, bytes: new TextEncoder().encode("not a packet") },
      ]);
      const report = await verify(source);
      expect(report.firstFailure).to.deep.include({ check: "packets.integrity", entry: 2 });
      expect(report.firstFailure?.message).to.match(new RegExp(`^the packet for entry 2 in ${name} does not match`));
    }
  });
});
