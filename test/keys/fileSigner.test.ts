import { createPrivateKey, generateKeyPairSync, verify } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format, inspect } from "node:util";
import { expect } from "chai";
import { toHex } from "../../src/bytes.ts";
import { BaseError } from "../../src/errors.ts";
import { ed25519PublicKey, FileSigner, signerFromSeed } from "../../src/keys/fileSigner.ts";
import { loadKeyFile, writeKeyFile } from "../../src/keys/keyFile.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { errorText, expectNoSecrets, hexBytes, publicKeyObject, RFC8032_1, RFC8032_2, thrown } from "./secrets.ts";

const FAST = { N: 2 ** 14, r: 8, p: 1 } as const;
const PASSPHRASE = "a long enough passphrase";
const SEED = hexBytes(RFC8032_1.seed);
const KEY_ID = "studio-aurora/signing-2026";

/** Everything a log can make of a value. */
function renderings(value: unknown): string[] {
  return [
    inspect(value),
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true }),
    inspect(value, { customInspect: false, depth: Number.POSITIVE_INFINITY, showHidden: true }),
    inspect({ nested: { deeper: [value] } }, { depth: Number.POSITIVE_INFINITY }),
    format("%s %o %O %j", value, value, value, value),
    JSON.stringify(value),
    JSON.stringify({ signer: value }),
    String(value),
    `${value}`,
    JSON.stringify(Object.entries(value as object)),
    JSON.stringify({ ...(value as object) }),
    inspect(structuredClone(value), { showHidden: true }),
  ];
}

/** A consumer that only knows the Signer interface, as the packet and chainscript code does. */
async function signAndCheck(signer: Signer, message: Uint8Array): Promise<boolean> {
  const signature = await signer.sign(message);
  return verify(null, message, publicKeyObject(signer.publicKey), signature);
}

describe("keys/fileSigner", () => {
  describe("signing", () => {
    it("matches RFC 8032 test vector 1", async () => {
      const signer = signerFromSeed(KEY_ID, SEED);
      expect(toHex(signer.publicKey)).to.equal(RFC8032_1.publicKey);
      expect(toHex(await signer.sign(new Uint8Array(0)))).to.equal(RFC8032_1.signature);
    });

    it("matches RFC 8032 test vector 2", async () => {
      const signer = signerFromSeed("k", hexBytes(RFC8032_2.seed));
      expect(toHex(signer.publicKey)).to.equal(RFC8032_2.publicKey);
      expect(toHex(await signer.sign(hexBytes(RFC8032_2.message)))).to.equal(RFC8032_2.signature);
    });

    it("derives the public key with ed25519PublicKey", () => {
      expect(toHex(ed25519PublicKey(SEED))).to.equal(RFC8032_1.publicKey);
      expect(toHex(ed25519PublicKey(hexBytes(RFC8032_2.seed)))).to.equal(RFC8032_2.publicKey);
      expect(ed25519PublicKey(SEED)).to.be.instanceOf(Uint8Array).and.have.length(32);
    });

    it("agrees with node:crypto's own Ed25519 keys", async () => {
      const { privateKey, publicKey } = generateKeyPairSync("ed25519");
      const jwk = privateKey.export({ format: "jwk" });
      const seed = new Uint8Array(Buffer.from(String(jwk.d), "base64url"));
      const signer = signerFromSeed("generated", seed);
      const raw = publicKey.export({ format: "jwk" }).x;
      expect(Buffer.from(signer.publicKey).toString("base64url")).to.equal(raw);
      const message = new TextEncoder().encode("packet bytes");
      expect(verify(null, message, publicKey, await signer.sign(message))).to.equal(true);
    });

    it("makes deterministic 64-byte signatures that verify, and only for their message", async () => {
      const signer = signerFromSeed(KEY_ID, SEED);
      const publicKey = publicKeyObject(signer.publicKey);
      const message = new TextEncoder().encode("evidence packet #1");
      const signature = await signer.sign(message);
      expect(signature).to.be.instanceOf(Uint8Array).and.have.length(64);
      expect(toHex(await signer.sign(message))).to.equal(toHex(signature));
      expect(verify(null, message, publicKey, signature)).to.equal(true);
      expect(verify(null, new TextEncoder().encode("evidence packet #2"), publicKey, signature)).to.equal(false);
      const bent = Uint8Array.from(signature);
      bent[10] = (bent[10] as number) ^ 1;
      expect(verify(null, message, publicKey, bent)).to.equal(false);
      const otherKey = publicKeyObject(ed25519PublicKey(hexBytes(RFC8032_2.seed)));
      expect(verify(null, message, otherKey, signature)).to.equal(false);
    });

    it("keeps no reference to the caller's seed, which the caller may wipe", async () => {
      const seed = Uint8Array.from(SEED);
      const signer = signerFromSeed(KEY_ID, seed);
      seed.fill(0);
      expect(toHex(signer.publicKey)).to.equal(RFC8032_1.publicKey);
      expect(toHex(await signer.sign(new Uint8Array(0)))).to.equal(RFC8032_1.signature);
    });

    it("can be built from a node:crypto KeyObject", async () => {
      const key = createPrivateKey({
        key: {
          kty: "OKP",
          crv: "Ed25519",
          d: Buffer.from(SEED).toString("base64url"),
          x: Buffer.from(hexBytes(RFC8032_1.publicKey)).toString("base64url"),
        },
        format: "jwk",
      });
      const signer = new FileSigner("from-key-object", key);
      expect(toHex(signer.publicKey)).to.equal(RFC8032_1.publicKey);
      expect(toHex(await signer.sign(new Uint8Array(0)))).to.equal(RFC8032_1.signature);
    });
  });

  describe("the Signer interface", () => {
    it("is implemented by FileSigner, with the key id as a string", async () => {
      const signer: Signer = signerFromSeed(KEY_ID, SEED);
      expect(signer.keyId).to.be.a("string").and.equal(KEY_ID);
      expect(signer.publicKey).to.be.instanceOf(Uint8Array).and.have.length(32);
      expect(await signAndCheck(signer, new TextEncoder().encode("hello"))).to.equal(true);
    });

    it("can be replaced by another implementation (an HSM stand-in)", async () => {
      const { privateKey, publicKey } = generateKeyPairSync("ed25519");
      const raw = Buffer.from(String(publicKey.export({ format: "jwk" }).x), "base64url");
      const hsm: Signer = {
        keyId: "hsm:slot-0/key-7",
        publicKey: new Uint8Array(raw),
        sign: async (message) => {
          const { sign } = await import("node:crypto");
          return new Uint8Array(sign(null, message, privateKey));
        },
      };
      expect(await signAndCheck(hsm, new TextEncoder().encode("hello"))).to.equal(true);
    });

    it("exposes no method or property that yields the private key", () => {
      const signer = signerFromSeed(KEY_ID, SEED);
      const names = new Set<string | symbol>([
        ...Reflect.ownKeys(signer),
        ...Reflect.ownKeys(Object.getPrototypeOf(signer) as object),
      ]);
      names.delete("constructor");
      names.delete(inspect.custom);
      expect([...names].map(String)).to.have.members(["keyId", "publicKey", "sign", "toJSON"]);
    });
  });

  describe("no secret in logs", () => {
    const secrets = { bytes: [SEED] };

    it("prints as its key id and public key with util.inspect", () => {
      const signer = signerFromSeed(KEY_ID, SEED);
      expect(inspect(signer)).to.equal(`FileSigner { keyId: "${KEY_ID}", publicKey: ${RFC8032_1.publicKey} }`);
    });

    it("serialises to JSON as its key id and public key only", () => {
      const signer = signerFromSeed(KEY_ID, SEED);
      expect(JSON.parse(JSON.stringify(signer))).to.deep.equal({ keyId: KEY_ID, publicKey: RFC8032_1.publicKey });
    });

    it("never shows the seed however it is printed", () => {
      const signer = signerFromSeed(KEY_ID, SEED);
      for (const text of renderings(signer)) expectNoSecrets(text, secrets);
      expect(String(signer)).to.equal("[object Object]");
    });

    it("never shows the seed when loaded from a key file, nor the passphrase", async () => {
      const dir = await mkdtemp(join(tmpdir(), "pop-filesigner-test-"));
      try {
        const path = join(dir, "key.json");
        await writeKeyFile(path, { keyId: KEY_ID, seed: SEED, passphrase: PASSPHRASE, scryptParameters: FAST });
        const signer = await loadKeyFile(path, PASSPHRASE);
        expect(signer).to.be.instanceOf(FileSigner);
        for (const text of renderings(signer)) expectNoSecrets(text, { bytes: [SEED], strings: [PASSPHRASE] });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("keeps hostile key ids quoted in inspect output", () => {
      const signer = signerFromSeed('evil" } injected { "', SEED);
      expect(inspect(signer)).to.equal(
        `FileSigner { keyId: "evil\\" } injected { \\"", publicKey: ${RFC8032_1.publicKey} }`,
      );
    });
  });

  describe("bad seeds", () => {
    it("refuses seeds that are not 32 bytes with a clear error that quotes nothing", () => {
      for (const seed of [SEED.subarray(0, 31), Buffer.concat([SEED, SEED]), new Uint8Array(0)]) {
        for (const run of [() => signerFromSeed("k", seed), () => ed25519PublicKey(seed)]) {
          const error = thrown(run);
          expect(error).to.be.instanceOf(BaseError);
          expect((error as Error).message).to.equal("An Ed25519 seed must be a Uint8Array of 32 bytes.");
          expectNoSecrets(errorText(error), { bytes: [SEED.subarray(0, 12)] });
        }
      }
    });

    it("refuses a seed passed as text without quoting it", () => {
      for (const seed of [RFC8032_1.seed, RFC8032_1.seed.slice(0, 32), Buffer.from(SEED).toString("base64url")]) {
        const error = thrown(() => signerFromSeed("k", seed as unknown as Uint8Array));
        expect(error).to.be.instanceOf(BaseError);
        const text = errorText(error);
        expect(text).to.not.include(seed.slice(0, 8));
        expectNoSecrets(text, { bytes: [SEED] });
      }
    });
  });
});
