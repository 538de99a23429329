import { randomBytes } from "node:crypto";
import * as ed from "@noble/ed25519";
import { expect } from "chai";
import fc from "fast-check";
import { backend as defaultBackend } from "#crypto";
import { fromHex, toHex } from "../../src/bytes.ts";
import * as nodeCrypto from "../../src/evidence/crypto/node.ts";
import * as portableCrypto from "../../src/evidence/crypto/portable.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";

const hex = (text: string) => fromHex(text) as Uint8Array;

/** RFC 8032 §7.1 test vectors 1, 2, 3 and SHA(abc). */
const RFC8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
  {
    seed: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
    publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    message:
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    signature:
      "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
  },
];

const backends = [
  ["node:crypto", nodeCrypto],
  ["@noble/ed25519", portableCrypto],
] as const;

describe("crypto backends", () => {
  it("selects node:crypto through the #crypto import in Node", () => {
    expect(defaultBackend).to.equal("node:crypto");
  });

  for (const [name, backend] of backends) {
    describe(name, () => {
      for (const [i, vector] of RFC8032.entries()) {
        it(`verifies RFC 8032 test ${i + 1} and rejects it with one bit changed`, () => {
          const message = hex(vector.message);
          const signature = hex(vector.signature);
          expect(backend.verifyEd25519(hex(vector.publicKey), message, signature)).to.equal(true);
          const flipped = Uint8Array.from(signature);
          flipped[5] = (flipped[5] as number) ^ 1;
          expect(backend.verifyEd25519(hex(vector.publicKey), message, flipped)).to.equal(false);
        });
      }

      it("rejects signatures and keys of the wrong length instead of throwing", () => {
        const v = RFC8032[0] as (typeof RFC8032)[number];
        expect(backend.verifyEd25519(hex(v.publicKey).subarray(1), new Uint8Array(), hex(v.signature))).to.equal(false);
        expect(backend.verifyEd25519(hex(v.publicKey), new Uint8Array(), hex(v.signature).subarray(1))).to.equal(false);
      });

      it("rejects a signature whose S is not reduced mod L (RFC 8032 §5.1.7)", () => {
        const v = RFC8032[0] as (typeof RFC8032)[number];
        const signature = hex(v.signature);
        // S + L: the same point equation holds, but RFC 8032 requires S < L.
        const L = 2n ** 252n + 27742317777372353535851937790883648493n;
        const s = BigInt(`0x${toHex(signature.subarray(32).reverse())}`) + L;
        const sBytes = hex(s.toString(16).padStart(64, "0")).reverse();
        const malleable = Uint8Array.from([...signature.subarray(0, 32), ...sBytes]);
        expect(backend.verifyEd25519(hex(v.publicKey), new Uint8Array(), malleable)).to.equal(false);
      });

      it("hashes SHA-256 known answers", () => {
        expect(toHex(backend.sha256(new TextEncoder().encode("abc")))).to.equal(
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        );
        expect(toHex(backend.sha256(new Uint8Array()))).to.equal(
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        );
      });
    });
  }

  it("signs RFC 8032 vectors byte for byte with the file signer", async () => {
    for (const vector of RFC8032) {
      const signer = signerFromSeed("k", hex(vector.seed));
      expect(toHex(signer.publicKey)).to.equal(vector.publicKey);
      expect(toHex(await signer.sign(hex(vector.message)))).to.equal(vector.signature);
    }
  });

  it("agrees across backends: node:crypto signatures verify with noble and the reverse", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 600 }),
        async (seed, message) => {
          const signer = signerFromSeed("k", seed); // node:crypto
          const nodeSignature = await signer.sign(message);
          const nobleSignature = ed.sign(message, seed);
          expect(toHex(nodeSignature)).to.equal(toHex(nobleSignature));
          expect(portableCrypto.verifyEd25519(signer.publicKey, message, nodeSignature)).to.equal(true);
          expect(nodeCrypto.verifyEd25519(signer.publicKey, message, nobleSignature)).to.equal(true);
          expect(toHex(nodeCrypto.sha256(message))).to.equal(toHex(portableCrypto.sha256(message)));
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it("verifies a batch on worker threads with the same answers as one by one", async () => {
    const signer = signerFromSeed("k", randomBytes(32));
    const checks = await Promise.all(
      Array.from({ length: 1200 }, async (_, i) => {
        const message = randomBytes(100 + (i % 50));
        return { publicKey: signer.publicKey, message, signature: await signer.sign(message) };
      }),
    );
    const broken = new Set([0, 17, 599, 600, 1199]);
    for (const i of broken) (checks[i] as { message: Uint8Array }).message = randomBytes(10);
    const results = await nodeCrypto.verifyEd25519Batch(checks, { threads: 2 });
    expect(results).to.have.length(1200);
    expect(results.map((ok, i) => (ok ? -1 : i)).filter((i) => i >= 0)).to.deep.equal([...broken]);
  });
});
