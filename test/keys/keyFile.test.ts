import { createCipheriv, randomBytes, scryptSync, verify } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { fromBase64Url, toBase64Url, toHex } from "../../src/bytes.ts";
import { BaseError } from "../../src/errors.ts";
import { KeyFileError, MissingPassphraseError } from "../../src/keys/errors.ts";
import { ed25519PublicKey } from "../../src/keys/fileSigner.ts";
import {
  DEFAULT_SCRYPT,
  KEY_FILE_FORMAT,
  type KeyFileContents,
  loadKeyFile,
  openKey,
  PASSPHRASE_VARIABLE,
  passphraseFromEnv,
  sealKey,
  writeKeyFile,
} from "../../src/keys/keyFile.ts";
import {
  encodings,
  errorText,
  expectNoSecrets,
  hexBytes,
  publicKeyObject,
  RFC8032_1,
  rejection,
  thrown,
} from "./secrets.ts";

const FAST = { N: 2 ** 14, r: 8, p: 1 } as const;
const PASSPHRASE = "correct horse battery staple";
const WRONG_PASSPHRASE = "incorrect donkey battery staple";
const SEED = hexBytes(RFC8032_1.seed);
const KEY_ID = "studio-aurora/signing-2026";

/** What no error, log line or file may ever contain. */
const SECRETS = { bytes: [SEED], strings: [PASSPHRASE, WRONG_PASSPHRASE] };

type Json = Record<string, unknown>;

/** A deep, mutable copy of key-file contents, for tampering. */
const mutable = (contents: KeyFileContents): Json & { kdf: Json; cipher: Json } => structuredClone(contents) as never;

/** The same base64url field with its first byte flipped. */
function flipped(base64url: string): string {
  const bytes = fromBase64Url(base64url);
  if (bytes === undefined || bytes.length === 0) expect.fail(`not base64url: ${base64url}`);
  bytes[0] = (bytes[0] as number) ^ 0x01;
  return toBase64Url(bytes);
}

/** The AES key the file's passphrase derives (computed here so the tests can check it never leaks). */
function derivedKey(contents: KeyFileContents, passphrase: string): Uint8Array {
  const { salt, N, r, p } = contents.kdf;
  return scryptSync(passphrase.normalize("NFC"), fromBase64Url(salt) ?? expect.fail("bad salt"), 32, {
    N,
    r,
    p,
    maxmem: 256 * N * r + 1024 * 1024,
  });
}

async function expectKeyFileError(promise: Promise<unknown>, file: string, problem: RegExp): Promise<KeyFileError> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(KeyFileError);
  expect(error).to.be.instanceOf(BaseError);
  const keyFileError = error as KeyFileError;
  expect(keyFileError.name).to.equal("KeyFileError");
  expect(keyFileError.file).to.equal(file);
  expect(keyFileError.message).to.include(`Key file ${file}:`);
  expect(keyFileError.message).to.match(problem);
  expectNoSecrets(errorText(error), SECRETS);
  return keyFileError;
}

describe("keys/keyFile", () => {
  let dir: string;
  let fileCount = 0;
  /** A fresh path in the temporary directory. */
  const newPath = (label = "key") => join(dir, `${label}-${fileCount++}.json`);

  /** RFC 8032 seed, written once with the fast parameters and shared by the read-only tests. */
  let sealedPath: string;
  let sealed: KeyFileContents;
  let sealedText: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-keyfile-test-"));
    sealedPath = newPath("sealed");
    sealed = await writeKeyFile(sealedPath, {
      keyId: KEY_ID,
      seed: SEED,
      passphrase: PASSPHRASE,
      scryptParameters: FAST,
    });
    sealedText = await readFile(sealedPath, "utf8");
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("passphraseFromEnv", () => {
    it("returns the passphrase from POP_KEY_PASSPHRASE", () => {
      expect(PASSPHRASE_VARIABLE).to.equal("POP_KEY_PASSPHRASE");
      expect(passphraseFromEnv({ POP_KEY_PASSPHRASE: PASSPHRASE })).to.equal(PASSPHRASE);
    });

    for (const [label, env] of [
      ["missing", {}],
      ["empty", { POP_KEY_PASSPHRASE: "" }],
    ] as const) {
      it(`throws MissingPassphraseError naming the variable when it is ${label}`, () => {
        const error = thrown(() => passphraseFromEnv(env));
        expect(error).to.be.instanceOf(MissingPassphraseError);
        expect(error).to.be.instanceOf(BaseError);
        const missing = error as MissingPassphraseError;
        expect(missing.name).to.equal("MissingPassphraseError");
        expect(missing.shortMessage).to.include("POP_KEY_PASSPHRASE");
        expect(missing.message).to.include("POP_KEY_PASSPHRASE is not set");
        expect(missing.details).to.include("POP_KEY_PASSPHRASE");
        expect(missing.details).to.include("8 characters");
        expect(missing.retryable).to.equal(false);
      });
    }

    it("reads process.env by default", () => {
      const saved = process.env.POP_KEY_PASSPHRASE;
      try {
        process.env.POP_KEY_PASSPHRASE = PASSPHRASE;
        expect(passphraseFromEnv()).to.equal(PASSPHRASE);
        delete process.env.POP_KEY_PASSPHRASE;
        expect(() => passphraseFromEnv()).to.throw(MissingPassphraseError, /POP_KEY_PASSPHRASE/);
      } finally {
        if (saved === undefined) delete process.env.POP_KEY_PASSPHRASE;
        else process.env.POP_KEY_PASSPHRASE = saved;
      }
    });

    it("feeds loadKeyFile", async () => {
      const signer = await loadKeyFile(sealedPath, passphraseFromEnv({ POP_KEY_PASSPHRASE: PASSPHRASE }));
      expect(toHex(signer.publicKey)).to.equal(RFC8032_1.publicKey);
    });
  });

  describe("round trip", () => {
    it("writes a file that loads back to the same key id and public key", async () => {
      const signer = await loadKeyFile(sealedPath, PASSPHRASE);
      expect(signer.keyId).to.equal(KEY_ID);
      expect(typeof signer.keyId).to.equal("string");
      expect(toHex(signer.publicKey)).to.equal(RFC8032_1.publicKey);
      expect(sealed.keyId).to.equal(KEY_ID);
      expect(sealed.publicKey).to.equal(RFC8032_1.publicKey);
      expect(JSON.parse(sealedText)).to.deep.equal(sealed);
    });

    it("signs like RFC 8032 test vector 1", async () => {
      const signer = await loadKeyFile(sealedPath, PASSPHRASE);
      const signature = await signer.sign(new Uint8Array(0));
      expect(toHex(signature)).to.equal(RFC8032_1.signature);
    });

    it("makes signatures that node:crypto verifies against the public key", async () => {
      const signer = await loadKeyFile(sealedPath, PASSPHRASE);
      const publicKey = publicKeyObject(signer.publicKey);
      for (const message of [new Uint8Array(0), new TextEncoder().encode("evidence packet"), randomBytes(1000)]) {
        const signature = await signer.sign(message);
        expect(signature).to.have.length(64);
        expect(verify(null, message, publicKey, signature)).to.equal(true);
        const other = Uint8Array.from(message.length === 0 ? [0] : message);
        other[0] = (other[0] as number) ^ 0x80;
        expect(verify(null, other, publicKey, signature)).to.equal(false);
      }
    });

    it("generates a fresh random seed when none is given", async () => {
      const path = newPath("random");
      const written = await writeKeyFile(path, { keyId: "fresh", passphrase: PASSPHRASE, scryptParameters: FAST });
      const again = await sealKey({ keyId: "fresh", passphrase: PASSPHRASE, scryptParameters: FAST });
      expect(written.publicKey).to.not.equal(again.publicKey);
      expect(written.publicKey).to.not.equal(RFC8032_1.publicKey);
      const signer = await loadKeyFile(path, PASSPHRASE);
      expect(toHex(signer.publicKey)).to.equal(written.publicKey);
      const message = new TextEncoder().encode("hello");
      expect(verify(null, message, publicKeyObject(signer.publicKey), await signer.sign(message))).to.equal(true);
    });

    it("opens sealed contents in memory with openKey", async () => {
      const contents = await sealKey({
        keyId: "in-memory",
        seed: SEED,
        passphrase: PASSPHRASE,
        scryptParameters: FAST,
      });
      const signer = await openKey(JSON.parse(JSON.stringify(contents)), PASSPHRASE);
      expect(signer.keyId).to.equal("in-memory");
      expect(toHex(await signer.sign(new Uint8Array(0)))).to.equal(RFC8032_1.signature);
    });

    it("keeps any key id string exactly", async () => {
      for (const keyId of ["k", "tenant:aurora/key#2", "ключ-🔑-鍵", " padded "]) {
        const contents = await sealKey({ keyId, seed: SEED, passphrase: PASSPHRASE, scryptParameters: FAST });
        expect(contents.keyId).to.equal(keyId);
        expect((await openKey(contents, PASSPHRASE)).keyId).to.equal(keyId);
      }
    });

    it("uses a fresh salt and IV every time, so equal seeds give unrelated files", async () => {
      const again = await sealKey({ keyId: KEY_ID, seed: SEED, passphrase: PASSPHRASE, scryptParameters: FAST });
      expect(again.publicKey).to.equal(sealed.publicKey);
      expect(again.kdf.salt).to.not.equal(sealed.kdf.salt);
      expect(again.cipher.iv).to.not.equal(sealed.cipher.iv);
      expect(again.ciphertext).to.not.equal(sealed.ciphertext);
      expect(again.cipher.tag).to.not.equal(sealed.cipher.tag);
    });

    it("normalises the passphrase to NFC, so either Unicode form opens the file", async () => {
      const composed = "pass-phrase-caf\u00e9";
      const decomposed = "pass-phrase-cafe\u0301";
      const contents = await sealKey({ keyId: "nfc", seed: SEED, passphrase: decomposed, scryptParameters: FAST });
      expect(toHex((await openKey(contents, composed)).publicKey)).to.equal(RFC8032_1.publicKey);
    });

    it("writes the documented layout", () => {
      expect(Object.keys(sealed)).to.have.members([
        "format",
        "version",
        "keyId",
        "publicKey",
        "kdf",
        "cipher",
        "ciphertext",
      ]);
      expect(sealed.format).to.equal(KEY_FILE_FORMAT);
      expect(sealed.version).to.equal(1);
      expect(sealed.kdf).to.include({ name: "scrypt", ...FAST });
      expect(Object.keys(sealed.kdf)).to.have.members(["name", "salt", "N", "r", "p"]);
      expect(fromBase64Url(sealed.kdf.salt)).to.have.length(16);
      expect(sealed.cipher.name).to.equal("aes-256-gcm");
      expect(fromBase64Url(sealed.cipher.iv)).to.have.length(12);
      expect(fromBase64Url(sealed.cipher.tag)).to.have.length(16);
      expect(fromBase64Url(sealed.ciphertext)).to.have.length(32);
      expect(sealedText.endsWith("}\n")).to.equal(true);
    });

    it("writes the default scrypt parameters (N = 2^17, r = 8, p = 1) when none are given, and reads them back", async () => {
      expect(DEFAULT_SCRYPT).to.deep.equal({ N: 2 ** 17, r: 8, p: 1 });
      const path = newPath("default-cost");
      const written = await writeKeyFile(path, { keyId: "default", seed: SEED, passphrase: PASSPHRASE });
      expect(written.kdf).to.include({ name: "scrypt", N: 2 ** 17, r: 8, p: 1 });
      const onDisk = JSON.parse(await readFile(path, "utf8")) as KeyFileContents;
      expect(onDisk.kdf).to.include({ N: 131072, r: 8, p: 1 });
      // The default cost needs 128 MiB, far above node's 32 MiB scrypt default: the file must still open.
      expect(toHex((await loadKeyFile(path, PASSPHRASE)).publicKey)).to.equal(RFC8032_1.publicKey);
    });
  });

  describe("encryption at rest", () => {
    it("never stores the seed, the passphrase or the derived key in the file", () => {
      expectNoSecrets(sealedText, { ...SECRETS, bytes: [SEED, derivedKey(sealed, PASSPHRASE)] });
      const ciphertext = fromBase64Url(sealed.ciphertext) ?? expect.fail("bad ciphertext");
      expect(toHex(ciphertext)).to.not.equal(RFC8032_1.seed);
      for (const form of encodings(SEED)) expect(sealed.ciphertext).to.not.include(form);
    });

    it("never stores a random seed either", async () => {
      const seed = randomBytes(32);
      const contents = await sealKey({ keyId: "r", seed, passphrase: PASSPHRASE, scryptParameters: FAST });
      const text = JSON.stringify(contents, null, 2);
      expectNoSecrets(text, { bytes: [seed, derivedKey(contents, PASSPHRASE)], strings: [PASSPHRASE] });
      expect(contents.publicKey).to.equal(toHex(ed25519PublicKey(seed)));
    });

    it("creates the file with mode 0600", async function () {
      if (process.platform === "win32") this.skip();
      expect((await stat(sealedPath)).mode & 0o777).to.equal(0o600);
    });

    it("refuses to overwrite an existing file and leaves it untouched", async () => {
      const error = await expectKeyFileError(
        writeKeyFile(sealedPath, { keyId: "intruder", passphrase: PASSPHRASE, scryptParameters: FAST }),
        sealedPath,
        /already exists; refusing to overwrite a key/,
      );
      expect((error.cause as NodeJS.ErrnoException).code).to.equal("EEXIST");
      expect(await readFile(sealedPath, "utf8")).to.equal(sealedText);
    });

    it("refuses to overwrite any existing file, not only key files", async () => {
      const path = newPath("other");
      await writeFile(path, "precious\n");
      await expectKeyFileError(
        writeKeyFile(path, { keyId: "k", seed: SEED, passphrase: PASSPHRASE, scryptParameters: FAST }),
        path,
        /already exists/,
      );
      expect(await readFile(path, "utf8")).to.equal("precious\n");
    });

    it("names the file when its directory does not exist", async () => {
      const path = join(dir, "no-such-dir", "key.json");
      await expectKeyFileError(
        writeKeyFile(path, { keyId: "k", seed: SEED, passphrase: PASSPHRASE, scryptParameters: FAST }),
        path,
        /cannot be written \(ENOENT\)/,
      );
    });
  });

  describe("wrong or missing passphrase", () => {
    it("rejects a wrong passphrase with a KeyFileError that names the file and not the passphrase", async () => {
      const error = await expectKeyFileError(
        loadKeyFile(sealedPath, WRONG_PASSPHRASE),
        sealedPath,
        /the passphrase in POP_KEY_PASSPHRASE is wrong, or the file was modified/,
      );
      expect(error.cause).to.equal(undefined);
      expectNoSecrets(errorText(error), {
        bytes: [derivedKey(sealed, PASSPHRASE), derivedKey(sealed, WRONG_PASSPHRASE)],
      });
    });

    it("rejects passphrases that differ only slightly", async () => {
      for (const passphrase of [`${PASSPHRASE} `, PASSPHRASE.toUpperCase(), PASSPHRASE.slice(0, -1), ""]) {
        const error = await expectKeyFileError(openKey(sealed, passphrase, "k.json"), "k.json", /is wrong/);
        if (passphrase.length > 0) expect(errorText(error)).to.not.include(passphrase);
      }
    });

    it("names (memory) when openKey is given no file name", async () => {
      await expectKeyFileError(openKey(sealed, WRONG_PASSPHRASE), "(memory)", /is wrong/);
    });

    it("reports a missing file as missing", async () => {
      const path = newPath("absent");
      await expectKeyFileError(loadKeyFile(path, PASSPHRASE), path, /does not exist/);
    });
  });

  describe("tamper detection", () => {
    const otherPublicKey = toHex(ed25519PublicKey(randomBytes(32)));
    type Contents = ReturnType<typeof mutable>;
    const tamperings: [string, (c: Contents) => Json][] = [
      ["keyId", (c) => ({ ...c, keyId: "studio-evil/signing-2026" })],
      ["keyId (one character appended)", (c) => ({ ...c, keyId: `${c.keyId}x` })],
      ["publicKey (another key)", (c) => ({ ...c, publicKey: otherPublicKey })],
      ["publicKey (same key in upper case)", (c) => ({ ...c, publicKey: String(c.publicKey).toUpperCase() })],
      ["kdf.N", (c) => ({ ...c, kdf: { ...c.kdf, N: 2 ** 15 } })],
      ["kdf.r", (c) => ({ ...c, kdf: { ...c.kdf, r: 4 } })],
      ["kdf.p", (c) => ({ ...c, kdf: { ...c.kdf, p: 2 } })],
      ["kdf.salt", (c) => ({ ...c, kdf: { ...c.kdf, salt: flipped(String(c.kdf.salt)) } })],
      ["cipher.iv", (c) => ({ ...c, cipher: { ...c.cipher, iv: flipped(String(c.cipher.iv)) } })],
      ["cipher.tag", (c) => ({ ...c, cipher: { ...c.cipher, tag: flipped(String(c.cipher.tag)) } })],
      ["ciphertext", (c) => ({ ...c, ciphertext: flipped(String(c.ciphertext)) })],
    ];

    for (const [field, tamper] of tamperings) {
      it(`detects a modified ${field}`, async () => {
        const contents = tamper(mutable(sealed));
        expect(contents).to.not.deep.equal(sealed);
        const path = newPath("tampered");
        await writeFile(path, JSON.stringify(contents, null, 2), { mode: 0o600 });
        await expectKeyFileError(loadKeyFile(path, PASSPHRASE), path, /is wrong, or the file was modified/);
      });
    }

    it("detects the last ciphertext byte and the last tag byte being modified", async () => {
      for (const name of ["ciphertext", "tag"] as const) {
        const contents = mutable(sealed);
        const source = name === "ciphertext" ? contents : contents.cipher;
        const bytes = fromBase64Url(String(source[name])) ?? expect.fail("bad base64url");
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x80;
        source[name] = toBase64Url(bytes);
        await expectKeyFileError(openKey(contents, PASSPHRASE, "t.json"), "t.json", /file was modified/);
      }
    });

    it("detects a ciphertext spliced in from another file with the same passphrase", async () => {
      const other = await sealKey({ keyId: KEY_ID, passphrase: PASSPHRASE, scryptParameters: FAST });
      const c = mutable(sealed);
      for (const contents of [
        { ...c, ciphertext: other.ciphertext },
        { ...c, cipher: other.cipher },
        { ...c, kdf: other.kdf },
      ]) {
        await expectKeyFileError(openKey(contents, PASSPHRASE, "s.json"), "s.json", /file was modified/);
      }
    });

    /** Seals SEED by hand, as the format specifies, under any header public key. */
    function sealByHand(publicKey: string) {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const header = {
        format: KEY_FILE_FORMAT,
        version: 1,
        keyId: "hand-made",
        publicKey,
        kdf: { name: "scrypt", salt: toBase64Url(salt), ...FAST },
      } as const;
      const { format, version, keyId, kdf } = header;
      const aad = JSON.stringify([format, version, keyId, publicKey, kdf.name, kdf.salt, kdf.N, kdf.r, kdf.p]);
      const cipher = createCipheriv("aes-256-gcm", scryptSync(PASSPHRASE, salt, 32, { ...FAST, maxmem: 2 ** 26 }), iv);
      cipher.setAAD(Buffer.from(aad));
      const ciphertext = Buffer.concat([cipher.update(SEED), cipher.final()]);
      return {
        ...header,
        cipher: { name: "aes-256-gcm", iv: toBase64Url(iv), tag: toBase64Url(cipher.getAuthTag()) },
        ciphertext: toBase64Url(ciphertext),
      };
    }

    it("opens a file sealed by hand as the format specifies", async () => {
      const signer = await openKey(sealByHand(RFC8032_1.publicKey), PASSPHRASE);
      expect(toHex(await signer.sign(new Uint8Array(0)))).to.equal(RFC8032_1.signature);
    });

    it("refuses a file whose public key does not belong to the encrypted seed", async () => {
      // Forged by someone who knows the passphrase: authentic AES-GCM, but the header names another key.
      await expectKeyFileError(
        openKey(sealByHand(otherPublicKey), PASSPHRASE, "forged.json"),
        "forged.json",
        /the public key does not match the private key/,
      );
    });
  });

  describe("malformed files", () => {
    const valid = () => mutable(sealed);

    async function expectMalformed(contents: unknown, problem: RegExp) {
      await expectKeyFileError(openKey(contents, PASSPHRASE, "bad.json"), "bad.json", problem);
    }

    it("rejects a file that is not JSON, naming the file", async () => {
      const path = newPath("not-json");
      await writeFile(path, "format = pop-ed25519-key\n");
      await expectKeyFileError(loadKeyFile(path, PASSPHRASE), path, /is not JSON/);
    });

    it("does not quote a non-JSON file, which may hold a plaintext seed or passphrase", async () => {
      for (const text of [
        toBase64Url(SEED),
        Buffer.from(SEED).toString("base64"),
        `${RFC8032_1.seed.toUpperCase()}\n`,
        `${PASSPHRASE}\n`,
        `POP_KEY_PASSPHRASE=${PASSPHRASE}\n`,
        `{"seed": ${RFC8032_1.seed}}`,
      ]) {
        const path = newPath("plaintext");
        await writeFile(path, text);
        const error = await expectKeyFileError(loadKeyFile(path, PASSPHRASE), path, /is not JSON/);
        const shown = errorText(error);
        // Not even a prefix: JSON.parse's own message quotes the first characters of its input.
        expect(shown).to.not.include(text.trim().slice(0, 8));
        expect(shown.toLowerCase()).to.not.include(RFC8032_1.seed.slice(0, 8));
      }
    });

    it("rejects JSON that is not a key file", async () => {
      for (const contents of [null, 42, "pop-ed25519-key", [], [sealed], {}]) {
        await expectMalformed(contents, /not a pop-ed25519-key file/);
      }
      await expectMalformed({ ...valid(), format: "pop-secp256k1-key" }, /not a pop-ed25519-key file/);
      await expectMalformed({ ...valid(), format: undefined }, /not a pop-ed25519-key file/);
    });

    it("rejects other versions", async () => {
      for (const version of [0, 2, "1", 1.5, null]) {
        await expectMalformed({ ...valid(), version }, new RegExp(`unsupported version ${String(version)}`));
      }
      const { version: _, ...withoutVersion } = valid();
      await expectMalformed(withoutVersion, /unsupported version undefined/);
    });

    it("rejects a missing or non-string key id", async () => {
      for (const keyId of [undefined, 7, null, ["a"]]) {
        await expectMalformed({ ...valid(), keyId }, /"keyId" is missing or not a string/);
      }
    });

    it("rejects a public key of the wrong length or not hex", async () => {
      await expectMalformed({ ...valid(), publicKey: 5 }, /"publicKey" is missing or not a string/);
      for (const publicKey of [
        RFC8032_1.publicKey.slice(2),
        `${RFC8032_1.publicKey}00`,
        "",
        `${RFC8032_1.publicKey.slice(1)}g`,
        toBase64Url(hexBytes(RFC8032_1.publicKey)),
      ]) {
        await expectMalformed({ ...valid(), publicKey }, /"publicKey" is not 32 bytes of hex/);
      }
    });

    it("rejects other algorithms", async () => {
      const c = valid();
      await expectMalformed({ ...c, kdf: { ...c.kdf, name: "pbkdf2" } }, /only scrypt with aes-256-gcm/);
      await expectMalformed({ ...c, kdf: undefined }, /only scrypt with aes-256-gcm/);
      await expectMalformed({ ...c, kdf: "scrypt" }, /only scrypt with aes-256-gcm/);
      await expectMalformed({ ...c, cipher: { ...c.cipher, name: "aes-128-gcm" } }, /only scrypt with aes-256-gcm/);
      await expectMalformed({ ...c, cipher: { ...c.cipher, name: "chacha20-poly1305" } }, /only scrypt/);
      await expectMalformed({ ...c, cipher: null }, /only scrypt with aes-256-gcm/);
    });

    it("rejects scrypt parameters out of the accepted range", async () => {
      const c = valid();
      const outOfRange: Json[] = [
        { N: 2 ** 13 },
        { N: 2 ** 21 },
        { N: 3 * 2 ** 14 },
        { N: 2 ** 14 + 1 },
        { N: "16384" },
        { N: undefined },
        { N: 0 },
        { N: -(2 ** 14) },
        { r: 0 },
        { r: 33 },
        { r: 8.5 },
        { r: "8" },
        { r: null },
        { p: 0 },
        { p: 5 },
        { p: 1.5 },
        { N: 2 ** 20, r: 8 }, // 1 GiB: more memory than a key file may demand
        { N: 2 ** 18, r: 32 },
        { p: true },
      ];
      for (const change of outOfRange) {
        await expectMalformed(
          { ...c, kdf: { ...c.kdf, ...change } },
          /the scrypt parameters are out of the accepted range/,
        );
      }
    });

    it("rejects salt, IV, tag and ciphertext of the wrong length or encoding", async () => {
      const c = valid();
      const b64 = (length: number) => toBase64Url(randomBytes(length));
      const cases: [Json, RegExp][] = [
        [{ kdf: { ...c.kdf, salt: b64(15) } }, /"kdf\.salt" is not 16 bytes of base64url/],
        [{ kdf: { ...c.kdf, salt: b64(17) } }, /"kdf\.salt" is not 16 bytes of base64url/],
        [{ kdf: { ...c.kdf, salt: `${c.kdf.salt}==` } }, /"kdf\.salt" is not 16 bytes of base64url/],
        [{ kdf: { ...c.kdf, salt: undefined } }, /"kdf\.salt" is missing or not a string/],
        [{ cipher: { ...c.cipher, iv: b64(16) } }, /"cipher\.iv" is not 12 bytes of base64url/],
        [{ cipher: { ...c.cipher, iv: randomBytes(12).toString("hex") } }, /"cipher\.iv" is not 12 bytes/],
        [{ cipher: { ...c.cipher, tag: b64(12) } }, /"cipher\.tag" is not 16 bytes of base64url/],
        [{ cipher: { ...c.cipher, tag: 0 } }, /"cipher\.tag" is missing or not a string/],
        [{ ciphertext: b64(31) }, /"ciphertext" is not 32 bytes of base64url/],
        [{ ciphertext: b64(48) }, /"ciphertext" is not 32 bytes of base64url/],
        [{ ciphertext: Buffer.from(randomBytes(32)).toString("base64") }, /"ciphertext" is not 32 bytes/],
        [{ ciphertext: undefined }, /"ciphertext" is missing or not a string/],
      ];
      for (const [change, problem] of cases) await expectMalformed({ ...c, ...change }, problem);
    });

    it("names the file on disk for structural problems too", async () => {
      const path = newPath("bad-version");
      await writeFile(path, JSON.stringify({ ...valid(), version: 2 }));
      await expectKeyFileError(loadKeyFile(path, PASSPHRASE), path, /unsupported version 2/);
    });
  });

  describe("input validation when sealing", () => {
    it("refuses a passphrase shorter than 8 characters without quoting it", async () => {
      for (const passphrase of ["", "hunter2", "Xq7#kZ", "1234567"]) {
        const error = await expectKeyFileError(
          sealKey({ keyId: "k", seed: SEED, passphrase, scryptParameters: FAST }),
          "(new)",
          /the passphrase must have at least 8 characters/,
        );
        if (passphrase.length > 0) expect(error.message).to.not.include(passphrase);
      }
    });

    it("accepts a passphrase of exactly 8 characters", async () => {
      const contents = await sealKey({ keyId: "k", seed: SEED, passphrase: "12345678", scryptParameters: FAST });
      expect(toHex((await openKey(contents, "12345678")).publicKey)).to.equal(RFC8032_1.publicKey);
    });

    it("creates no file when the passphrase is too short", async () => {
      const path = newPath("short");
      await expectKeyFileError(
        writeKeyFile(path, { keyId: "k", passphrase: "hunter2", scryptParameters: FAST }),
        "(new)",
        /at least 8 characters/,
      );
      await expectKeyFileError(loadKeyFile(path, PASSPHRASE), path, /does not exist/);
    });

    it("refuses an empty or blank key id", async () => {
      for (const keyId of ["", "   ", "\t\n"]) {
        await expectKeyFileError(
          sealKey({ keyId, seed: SEED, passphrase: PASSPHRASE, scryptParameters: FAST }),
          "(new)",
          /the key id must not be empty/,
        );
      }
    });

    it("refuses a seed that is not 32 bytes without quoting it", async () => {
      for (const seed of [SEED.subarray(0, 31), Buffer.concat([SEED, Buffer.from([0])]), new Uint8Array(0)]) {
        const error = await expectKeyFileError(
          sealKey({ keyId: "k", seed, passphrase: PASSPHRASE, scryptParameters: FAST }),
          "(new)",
          new RegExp(`the seed must be 32 bytes, got ${seed.length}`),
        );
        expectNoSecrets(errorText(error), { bytes: [SEED.subarray(0, 16)] });
      }
    });

    it("refuses a seed passed as text (a JavaScript caller's mistake) without quoting it", async () => {
      for (const seed of [RFC8032_1.seed, RFC8032_1.seed.slice(0, 32), toBase64Url(SEED)]) {
        const error = await expectKeyFileError(
          sealKey({ keyId: "k", seed: seed as unknown as Uint8Array, passphrase: PASSPHRASE, scryptParameters: FAST }),
          "(new)",
          /the seed must be a Uint8Array, got string/,
        );
        expect(errorText(error)).to.not.include(seed.slice(0, 8));
      }
    });

    it("refuses scrypt parameters it could not open again, before writing anything", async () => {
      const path = newPath("weak");
      for (const scryptParameters of [
        { N: 2 ** 10, r: 8, p: 1 },
        { N: 2 ** 14, r: 8.5, p: 1 },
        { N: 2 ** 14, r: 8, p: 0 },
        { N: 3 * 2 ** 14, r: 8, p: 1 },
      ]) {
        await expectKeyFileError(
          writeKeyFile(path, { keyId: "k", seed: SEED, passphrase: PASSPHRASE, scryptParameters }),
          "(new)",
          /the scrypt parameters are out of the accepted range/,
        );
      }
      await expectKeyFileError(loadKeyFile(path, PASSPHRASE), path, /does not exist/);
    });

    it("writes only N, r and p of the scrypt parameters", async () => {
      const scryptParameters = { ...FAST, maxmem: 1, secret: PASSPHRASE } as typeof FAST;
      const contents = await sealKey({ keyId: "k", seed: SEED, passphrase: PASSPHRASE, scryptParameters });
      expect(Object.keys(contents.kdf)).to.have.members(["name", "salt", "N", "r", "p"]);
      expect(JSON.stringify(contents)).to.not.include(PASSPHRASE);
    });
  });
});
