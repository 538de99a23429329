import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { TEST_NODE_FLAGS } from "../helpers/node.ts";

const POP = new URL("../../bin/pop.js", import.meta.url).pathname;
const PASSPHRASE = "correct horse battery staple";
const RFC8032_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `pop` executable in `cwd`; `args` is split on spaces (no argument here contains one). */
function pop(
  cwd: string,
  command: string,
  options: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<Result> {
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, POP_KEY_PASSPHRASE: PASSPHRASE, ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = execFile(
      process.execPath,
      [...TEST_NODE_FLAGS, POP, ...command.trim().split(/\s+/)],
      { cwd, env },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? "");
  });
}

const fields = (overrides: Record<string, unknown> = {}) => ({
  tenantId: "studio-aurora",
  processId: "sdxl-batch-v3",
  inputs: {
    promptHash: "5b2f6a0d1e8c7f9a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809102",
    modelId: "stabilityai/sdxl-base-1.0@462165984030",
    seed: 42,
    parameters: { cfg: 7.5, steps: 30 },
  },
  execution: { durationMs: 4210, deviceClass: "H100", pipelineHash: "0c".repeat(32) },
  outputs: { assetHash: "9f".repeat(32), assetSize: 1874223, mimeType: "image/png" },
  ...overrides,
});

describe("pop (command line)", function () {
  // Each test runs several `pop` processes; on a loaded machine each can take seconds to start.
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-cli-"));
    const imported = await pop(
      dir,
      "keys import --key-id studio-key --seed-hex - --out studio.key --scrypt-log-n 14 --json",
      {
        input: `${RFC8032_SEED}\n`,
      },
    );
    expect(imported.code, imported.stderr).to.equal(0);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("stops quietly when the reader of its output has gone (pop … | head -1), without an EPIPE stack", async () => {
    const child = spawn(process.execPath, [...TEST_NODE_FLAGS, POP, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    // The reading end closes before pop has started, so its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));
    expect(stderr).to.equal("");
    expect(code).to.equal(0);
  });

  it("keeps V8's compiled code across runs, in the system's temporary directory unless NODE_COMPILE_CACHE names one", async () => {
    const temporary = join(dir, "tmp");
    await mkdir(temporary);
    const result = await pop(dir, "packet inspect nope.cbor", {
      env: { NODE_COMPILE_CACHE: undefined, TMPDIR: temporary },
    });
    expect(result.code).to.equal(2);
    expect(await readdir(join(temporary, "node-compile-cache"))).to.not.be.empty;
  });

  it("imports a seed from stdin and prints the key id and public key, at the scrypt cost asked", async () => {
    const key = JSON.parse(await readFile(join(dir, "studio.key"), "utf8"));
    expect(key).to.include({ keyId: "studio-key", publicKey: RFC8032_PUBLIC });
    expect(key.kdf).to.include({ N: 2 ** 14, r: 8, p: 1 });
    expect(JSON.stringify(key)).to.not.include(RFC8032_SEED);
  });

  it("generates a key and prints it as JSON, at the default scrypt cost when none is asked", async () => {
    const result = await pop(dir, `keys generate --key-id fresh --out fresh.key --json`);
    expect(result.code, result.stderr).to.equal(0);
    const printed = JSON.parse(result.stdout);
    expect(Object.keys(printed)).to.deep.equal(["keyId", "publicKey"]);
    expect(printed.publicKey).to.match(/^[0-9a-f]{64}$/);
    expect(JSON.parse(await readFile(join(dir, "fresh.key"), "utf8")).kdf).to.include({ N: 2 ** 17, r: 8, p: 1 });
  });

  it("creates, inspects and verifies a packet, keeping a 64-bit seed exact", async () => {
    await writeFile(
      join(dir, "big-seed.json"),
      JSON.stringify(fields()).replace('"seed":42', '"seed":18446744073709551615'),
    );
    const created = await pop(dir, `packet create --in big-seed.json --key studio.key --out big.cbor --json`);
    expect(created.code, created.stderr).to.equal(0);
    const { packetHash, packetCid, size } = JSON.parse(created.stdout);
    expect(packetHash).to.match(/^[0-9a-f]{64}$/);
    expect(packetCid).to.match(/^bafkrei/);
    expect(size).to.equal((await readFile(join(dir, "big.cbor"))).length);

    const inspected = await pop(dir, `packet inspect big.cbor`);
    expect(JSON.parse(inspected.stdout).inputs.seed).to.equal("18446744073709551615");
    expect(JSON.parse(inspected.stdout).signingKeyId).to.equal("studio-key");

    const verified = await pop(dir, `packet verify big.cbor --public-key ${RFC8032_PUBLIC} --json`);
    expect(verified.code).to.equal(0);
    expect(JSON.parse(verified.stdout)).to.include({ valid: true, packetHash, packetCid });
  });

  it("exits 1 for a packet that does not verify", async () => {
    await writeFile(join(dir, "f.json"), JSON.stringify(fields()));
    await pop(dir, `packet create --in f.json --key studio.key --out t.cbor`);
    const bytes = await readFile(join(dir, "t.cbor"));
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 1;
    await writeFile(join(dir, "t.cbor"), bytes);
    const result = await pop(dir, `packet verify t.cbor --public-key ${RFC8032_PUBLIC}`);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.include("valid: false");
  });

  it("builds and verifies a chainscript, exits 2 when a packet is missing and 1 when the chain was edited", async () => {
    await mkdir(join(dir, "run"));
    for (const [i, asset] of ["aa", "bb"].entries()) {
      await writeFile(
        join(dir, `s${i}.json`),
        JSON.stringify(fields({ outputs: { assetHash: asset.repeat(32), assetSize: 10, mimeType: "image/png" } })),
      );
      const made = await pop(dir, `packet create --in s${i}.json --key studio.key --out run/s${i}.cbor`);
      expect(made.code, made.stderr).to.equal(0);
    }
    const built = await pop(
      dir,
      `chain build --key studio.key --out chain.json --stage generate --stage upscale --json run/s0.cbor run/s1.cbor`,
    );
    expect(built.code, built.stderr).to.equal(0);
    const { chainId, chainHash, cid } = JSON.parse(built.stdout);
    expect(chainId).to.match(/^[0-9a-f-]{36}$/);
    expect(chainHash).to.match(/^[0-9a-f]{64}$/);

    const ok = await pop(
      dir,
      `chain verify chain.json --packets run --public-key ${RFC8032_PUBLIC} --cid ${cid} --json`,
    );
    expect(ok.code, ok.stdout).to.equal(0);
    expect(JSON.parse(ok.stdout)).to.include({ verdict: "valid", chainId, entries: 2 });

    const human = await pop(dir, `chain verify chain.json --packets run --public-key studio-key=${RFC8032_PUBLIC}`);
    expect(human.stdout).to.match(/^verdict: valid$/m);
    expect(human.stdout).to.include("✔ packets.signature");

    const s1 = await readFile(join(dir, "run/s1.cbor"));
    await rm(join(dir, "run/s1.cbor"));
    const missing = await pop(dir, `chain verify chain.json --packets run --public-key ${RFC8032_PUBLIC}`);
    expect(missing.code).to.equal(2);
    expect(missing.stdout).to.match(/^verdict: incomplete$/m);

    await writeFile(join(dir, "run/s1.cbor"), s1);
    const chain = await readFile(join(dir, "chain.json"), "utf8");
    await writeFile(join(dir, "edited.json"), chain.replace('"stageId":"upscale"', '"stageId":"upscale-v2"'));
    const edited = await pop(dir, `chain verify edited.json --packets run --public-key ${RFC8032_PUBLIC} --json`);
    expect(edited.code).to.equal(1);
    expect(JSON.parse(edited.stdout).firstFailure).to.deep.include({ check: "entries.signature", entry: 1 });
  });

  it("calls a chain whose packet file was tampered with invalid under packets.integrity, naming the file; a missing one stays incomplete", async () => {
    await mkdir(join(dir, "tampered"));
    for (const [i, asset] of ["cc", "dd"].entries()) {
      await writeFile(
        join(dir, `t${i}.json`),
        JSON.stringify(fields({ outputs: { assetHash: asset.repeat(32), assetSize: 10, mimeType: "image/png" } })),
      );
      const made = await pop(dir, `packet create --in t${i}.json --key studio.key --out tampered/t${i}.cbor`);
      expect(made.code, made.stderr).to.equal(0);
    }
    const built = await pop(dir, `chain build --key studio.key --out tampered.json tampered/t0.cbor tampered/t1.cbor`);
    expect(built.code, built.stderr).to.equal(0);
    // Beside the packets: a note and another run's packet (of the same process, dated otherwise), which claim no entry.
    await writeFile(join(dir, "tampered/notes.txt"), "packets of the tampered run");
    expect((await pop(dir, `packet create --in t0.json --key studio.key --out tampered/other.cbor`)).code).to.equal(0);
    const verify = async () => {
      const result = await pop(
        dir,
        `chain verify tampered.json --packets tampered --public-key ${RFC8032_PUBLIC} --json`,
      );
      return { code: result.code, report: JSON.parse(result.stdout) };
    };
    expect(await verify()).to.deep.include({ code: 0 });

    const original = await readFile(join(dir, "tampered/t1.cbor"));
    const packetId = JSON.parse((await pop(dir, "packet inspect tampered/t1.cbor")).stdout).packetId as string;
    // One byte of the output's hash changed: still a well-formed packet, no longer the one the chain names.
    const edited = Buffer.from(original);
    edited[edited.indexOf(Buffer.alloc(32, 0xdd))] = 0xde;
    const editedHash = createHash("sha256").update(edited).digest("hex");
    const entryHash = createHash("sha256").update(original).digest("hex");
    await writeFile(join(dir, "tampered/t1.cbor"), edited);
    const tampered = await verify();
    expect(tampered.code).to.equal(1);
    expect(tampered.report).to.deep.include({ verdict: "invalid" });
    expect(tampered.report.firstFailure).to.deep.equal({
      check: "packets.integrity",
      entry: 1,
      message: `the packet for entry 1 (packetId ${packetId}) in tampered/t1.cbor does not match the chainscript's entries[1].packetHash: the bytes hash to ${editedHash}, the entry says ${entryHash}`,
    });

    // Under another name it still claims the entry by what it says (tenant, process, the entry's time).
    await rm(join(dir, "tampered/t1.cbor"));
    await writeFile(join(dir, "tampered/renamed.bin"), edited);
    const renamed = await verify();
    expect(renamed.code).to.equal(1);
    expect(renamed.report.firstFailure.message).to.include("in tampered/renamed.bin does not match");

    // Not a packet at all, but named after the entry's packetHash: it claims the entry by its name.
    await rm(join(dir, "tampered/renamed.bin"));
    await writeFile(join(dir, `tampered/${entryHash}.cbor`), "not a packet");
    const named = await verify();
    expect(named.code).to.equal(1);
    expect(named.report.firstFailure).to.deep.include({ check: "packets.integrity", entry: 1 });
    expect(named.report.firstFailure.message).to.match(/^the packet for entry 1 in tampered\/[0-9a-f]{64}\.cbor does/);

    // Nothing claims entry 1 any more: missing, so incomplete, not invalid.
    await rm(join(dir, `tampered/${entryHash}.cbor`));
    const missing = await verify();
    expect(missing.code).to.equal(2);
    expect(missing.report).to.deep.include({ verdict: "incomplete" });
    expect(missing.report.firstFailure).to.deep.include({ check: "packets.available", entry: 1 });
  });

  it("hashes real output and input files into the packet", async () => {
    await writeFile(join(dir, "summary.md"), "# Summary\nThe contract renews yearly.\n");
    await writeFile(join(dir, "contract.pdf"), "%PDF-1.7 not really");
    await writeFile(join(dir, "doc.json"), JSON.stringify(fields({ outputs: {} })));
    const made = await pop(
      dir,
      `packet create --in doc.json --key studio.key --out doc.cbor --output-file summary.md --input-file contract.pdf`,
    );
    expect(made.code, made.stderr).to.equal(0);
    const packet = JSON.parse((await pop(dir, `packet inspect doc.cbor`)).stdout);
    expect(packet.outputs).to.deep.equal({
      mimeType: "text/markdown",
      assetHash: createHash("sha256").update("# Summary\nThe contract renews yearly.\n").digest("hex"),
      assetSize: 38,
    });
    expect(packet.inputs.assetHashes).to.deep.equal([createHash("sha256").update("%PDF-1.7 not really").digest("hex")]);
  });

  describe("on bad input", () => {
    it("exits 2 naming --scrypt-log-n when it is outside 14 to 20, and writes no key", async () => {
      for (const given of ["13", "21", "17.5", "many"]) {
        const result = await pop(dir, `keys generate --key-id k --out weak.key --scrypt-log-n ${given}`);
        expect(result.code, given).to.equal(2);
        expect(result.stderr).to.include(`--scrypt-log-n must be an integer from 14 to 20, got "${given}"`);
      }
      expect(existsSync(join(dir, "weak.key"))).to.equal(false);
    });

    it("exits 2 naming POP_KEY_PASSPHRASE when it is not set", async () => {
      const result = await pop(dir, `keys generate --key-id k --out k2.key`, {
        env: { POP_KEY_PASSPHRASE: undefined },
      });
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include("POP_KEY_PASSPHRASE is not set");
    });

    it("exits 2 without echoing a wrong passphrase", async () => {
      const result = await pop(dir, `packet create --in f.json --key studio.key --out x.cbor`, {
        env: { POP_KEY_PASSPHRASE: "a very wrong passphrase" },
      });
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include("studio.key").and.include("wrong");
      expect(result.stderr).to.not.include("a very wrong passphrase");
    });

    const badFields: [string, Record<string, unknown>, string][] = [
      [
        "an invalid hash",
        { assetHash: "abcd", assetSize: 1, mimeType: "image/png" },
        '"outputs.assetHash": must be 32 bytes, got 2',
      ],
      [
        "a negative size",
        { assetHash: "ab".repeat(32), assetSize: -1, mimeType: "image/png" },
        '"outputs.assetSize": must not be negative',
      ],
    ];
    for (const [name, outputs, message] of badFields) {
      it(`exits 2 naming the field of ${name}`, async () => {
        await writeFile(join(dir, "bad.json"), JSON.stringify(fields({ outputs })));
        const result = await pop(dir, `packet create --in bad.json --key studio.key --out bad.cbor`);
        expect(result.code).to.equal(2);
        expect(result.stderr).to.include(message);
      });
    }

    it("refuses to overwrite an output without --force", async () => {
      const result = await pop(dir, `packet create --in f.json --key studio.key --out t.cbor`);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include("already exists");
    });

    it("exits 2 for an unknown command or option, with usage", async () => {
      const unknown = await pop(dir, `packet sign`);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.include('Unknown command "pop packet sign"');
      const option = await pop(dir, `packet verify x.cbor --pubkey 00`);
      expect(option.code).to.equal(2);
      expect(option.stderr).to.include("--pubkey").and.include("Usage: pop packet verify");
    });

    it("exits 2 for a public key that is not 32 bytes of hex", async () => {
      const result = await pop(dir, `packet verify t.cbor --public-key xyz`);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include("--public-key must be 64 hex digits");
    });

    it("exits 2 when a file does not exist", async () => {
      const result = await pop(dir, `packet inspect nope.cbor`);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include("Cannot read packet nope.cbor: no such file");
    });
  });
});
