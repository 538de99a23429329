import { createPublicKey, verify as opensslVerify } from "node:crypto";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { expect } from "chai";
import { fromHex, toHex } from "../../src/bytes.ts";
import * as nodeCrypto from "../../src/evidence/crypto/node.ts";
import * as portableCrypto from "../../src/evidence/crypto/portable.ts";
import { SMALL_ORDER_POINTS, strictEd25519Inputs } from "../../src/evidence/crypto/strict.ts";

// Signatures made by hand on the edges where Ed25519 implementations part (decision 033): each must get the
// same answer from every backend the verifier can run on (OpenSSL in Node, noble, the runtime's WebCrypto).
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const G = ed.Point.BASE;
const le = (value: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));
const fromLe = (bytes: Uint8Array) => BigInt(`0x${toHex(Uint8Array.from(bytes).reverse()) || "0"}`);
const mod = (n: bigint) => ((n % L) + L) % L;
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array) =>
  mod(fromLe(sha512(Uint8Array.from([...r, ...a, ...m]))));
const signature = (r: Uint8Array, s: bigint) => Uint8Array.from([...r, ...le(s)]);
const text = (s: string) => new TextEncoder().encode(s);

/** A key whose scalar is known, so that any equation can be met by hand. */
const a = 0x1234567890abcdef1234567890abcdef1234567890abcdefn;
const A = G.multiply(a);
/** A point of order 8. */
const T8 = ed.Point.fromBytes(SMALL_ORDER_POINTS[4] as Uint8Array, false);

interface Edge {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly valid: boolean;
}

function edges(): Edge[] {
  const message = text("an evidence packet's signing message");
  const nonce = 0x42n;
  const R = G.multiply(nonce).toBytes();
  const k = challenge(R, A.toBytes(), message);
  const list: Edge[] = [
    {
      name: "an ordinary signature",
      publicKey: A.toBytes(),
      message,
      signature: signature(R, mod(nonce + k * a)),
      valid: true,
    },
  ];
  // R the identity: [S]B = [k]A with S = k·a. Canonical, and the cofactorless equation holds: noble accepts
  // it, OpenSSL refuses an R of small order.
  const identity = ed.Point.ZERO.toBytes();
  list.push({
    name: "R the identity (small order, canonically encoded)",
    publicKey: A.toBytes(),
    message,
    signature: signature(identity, mod(challenge(identity, A.toBytes(), message) * a)),
    valid: false,
  });
  // A of small order: S = 0 and R the identity meet the equation for any message under the identity key.
  for (const [i, point] of [SMALL_ORDER_POINTS[0], SMALL_ORDER_POINTS[4]].entries())
    list.push({
      name: `a public key of small order (#${i}): any message "verifies"`,
      publicKey: point as Uint8Array,
      message,
      signature: signature(identity, 0n),
      valid: false,
    });
  // A with a torsion part: S = r + k·a meets the cofactored equation, not the cofactorless one unless 8 | k.
  const mixed = A.add(T8).toBytes();
  let m = 0;
  let mixedMessage = text(`mixed ${m}`);
  while (challenge(R, mixed, mixedMessage) % 8n === 0n) mixedMessage = text(`mixed ${++m}`);
  list.push({
    name: "a public key with a torsion part, signed so that only the cofactored equation holds",
    publicKey: mixed,
    message: mixedMessage,
    signature: signature(R, mod(nonce + challenge(R, mixed, mixedMessage) * a)),
    valid: false,
  });
  // R encoded without being canonical: the identity as y = 1 + p, and as x = 0 with the sign bit.
  for (const [name, encoded] of [
    ["y + p", le(1n + P)],
    ["x = 0 with the sign bit", Uint8Array.from([1, ...new Uint8Array(30), 0x80])],
  ] as const)
    list.push({
      name: `R the identity encoded as ${name}`,
      publicKey: A.toBytes(),
      message,
      signature: signature(encoded, mod(challenge(encoded, A.toBytes(), message) * a)),
      valid: false,
    });
  return list;
}

describe("Ed25519 on the edges: every backend gives the same answer (decision 033)", () => {
  const cases = edges();

  it("lists the eight points of order dividing 8, each once, canonically encoded", () => {
    expect(new Set(SMALL_ORDER_POINTS.map((p) => toHex(p))).size).to.equal(8);
    for (const point of SMALL_ORDER_POINTS) expect(ed.Point.fromBytes(point, false).isSmallOrder()).to.equal(true);
    expect(strictEd25519Inputs(A.toBytes(), signature(G.toBytes(), 0n))).to.equal(true);
    expect(strictEd25519Inputs(A.toBytes(), new Uint8Array(64)), "R of order 4").to.equal(false);
  });

  it("has edges that the libraries alone would answer differently (so the cases can fail)", () => {
    const spki = (key: Uint8Array) =>
      createPublicKey({
        key: Buffer.concat([fromHex("302a300506032b6570032100") as Uint8Array, key]),
        format: "der",
        type: "spki",
      });
    const openssl = (e: Edge) => opensslVerify(null, e.message, spki(e.publicKey), e.signature);
    const noble = (e: Edge) => ed.verify(e.signature, e.message, e.publicKey, { zip215: false });
    const mixed = cases.find((e) => e.name.startsWith("a public key with a torsion")) as Edge;
    expect([openssl(mixed), noble(mixed)]).to.deep.equal([false, true]);
    const smallR = cases.find((e) => e.name.startsWith("R the identity (small order")) as Edge;
    expect([openssl(smallR), noble(smallR)]).to.deep.equal([false, true]);
  });

  for (const edge of cases)
    it(`${edge.valid ? "accepts" : "refuses"} ${edge.name}, on every backend`, async () => {
      const check = { publicKey: edge.publicKey, message: edge.message, signature: edge.signature };
      expect(await portableCrypto.webCryptoEd25519(), "Node's WebCrypto has Ed25519").to.not.equal(undefined);
      const answers = {
        "node:crypto": nodeCrypto.verifyEd25519(edge.publicKey, edge.message, edge.signature),
        "node:crypto batch": (await nodeCrypto.verifyEd25519Batch([check]))[0],
        noble: portableCrypto.verifyEd25519(edge.publicKey, edge.message, edge.signature),
        "noble batch": (await portableCrypto.verifyEd25519Batch([check], { webCrypto: false }))[0],
        WebCrypto: (await portableCrypto.verifyEd25519Batch([check]))[0],
      };
      for (const [backend, answer] of Object.entries(answers)) expect(answer, backend).to.equal(edge.valid);
    });
});
