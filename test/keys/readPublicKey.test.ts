import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { toHex } from "../../src/bytes.ts";
import { KeyFileError } from "../../src/keys/errors.ts";
import { sealKey } from "../../src/keys/keyFile.ts";
import { readPublicKey } from "../../src/keys/readPublicKey.ts";

const RFC8032_SEED = Uint8Array.from(
  Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex"),
);
const RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

describe("readPublicKey", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-public-key-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function file(name: string, contents: unknown): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, typeof contents === "string" ? contents : JSON.stringify(contents));
    return path;
  }

  it("reads the key id and public key of a key file without its passphrase", async () => {
    const sealed = await sealKey({
      keyId: "studio-key",
      seed: RFC8032_SEED,
      passphrase: "correct horse battery staple",
      scryptParameters: { N: 2 ** 14, r: 8, p: 1 },
    });
    const { keyId, publicKey } = await readPublicKey(await file("studio.key", sealed));
    expect(keyId).to.equal("studio-key");
    expect(toHex(publicKey)).to.equal(RFC8032_PUBLIC);
  });

  for (const [name, contents, problem] of [
    ["not JSON", "{", "is not JSON"],
    ["another format", { format: "pem" }, "not a pop-ed25519-key file"],
    ["no key id", { format: "pop-ed25519-key", keyId: " ", publicKey: RFC8032_PUBLIC }, '"keyId" is missing or empty'],
    ["a short public key", { format: "pop-ed25519-key", keyId: "k", publicKey: "abcd" }, '"publicKey" is not 32 bytes'],
  ] as const) {
    it(`rejects ${name}, naming the file`, async () => {
      const path = await file(`${name}.key`, contents);
      const error = await readPublicKey(path).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(KeyFileError);
      expect((error as Error).message)
        .to.include(path)
        .and.include(problem);
    });
  }

  it("says when the file does not exist", async () => {
    const error = await readPublicKey(join(dir, "missing.key")).catch((e: unknown) => e);
    expect((error as Error).message).to.include("does not exist");
  });
});
