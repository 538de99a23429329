import { readFileSync } from "node:fs";
import { expect } from "chai";
import { recoverTypedDataAddress } from "viem";
import { certificateId } from "../../src/anchor/certificate.ts";
import { type AnchorMessage, anchorDigest, anchorTypedData } from "../../src/anchor/eip712.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { buildChainscript } from "../../src/chainscript/build.ts";
import type { Chainscript } from "../../src/chainscript/chainscript.ts";
import { verifyChainscript } from "../../src/chainscript/verify.ts";
import { encodeCanonical } from "../../src/evidence/cbor/encode.ts";
import { MalformedCborError, NonCanonicalEncodingError } from "../../src/evidence/cbor/errors.ts";
import { Tagged } from "../../src/evidence/cbor/types.ts";
import { cidFromSha256, contentCid } from "../../src/evidence/cid.ts";
import { decodePacket, encodePacket, preparePacketSigning } from "../../src/evidence/codec.ts";
import { CHAIN_CONTEXT, ENTRY_CONTEXT, PACKET_CONTEXT } from "../../src/evidence/context.ts";
import { InvalidPacketError } from "../../src/evidence/errors.ts";
import type { PacketFields } from "../../src/evidence/sign.ts";
import { createPacket, verifyPacket } from "../../src/evidence/sign.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import {
  type AnchorJson,
  anchorStructHash,
  bytes,
  canonicalJson,
  cborgDecodeLenient,
  cborgEncode,
  concat,
  domainSeparator,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  fromTyped,
  hex,
  type Json,
  keccak_256,
  rawCid,
  sha256,
  Tag,
  typedDataDigest,
  unixfsCid,
  utf8,
} from "./independent.ts";

const read = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../spec/vectors/${name}`, import.meta.url), "utf8")) as T;

interface Key {
  name: string;
  keyId: string;
  seed: string;
  publicKey: string;
}
const { keys, rfc8032Test1 } = read<{ keys: Key[]; rfc8032Test1: { message: string; signature: string } }>("keys.json");
const keyNamed = (name: string): Key => {
  const key = keys.find((k) => k.name === name);
  if (key === undefined) throw new Error(`spec/vectors/keys.json has no ${name}`);
  return key;
};
const publicKeyOf = (keyId: string): Uint8Array | undefined => {
  const key = keys.find((k) => k.keyId === keyId);
  return key === undefined ? undefined : bytes(key.publicKey);
};

interface PacketJson {
  version: "1.0";
  packetId: string;
  tenantId: string;
  processId: string;
  timestamp: number;
  inputs: { promptHash: string; modelId: string; seed: string; parameters: Json; assetHashes?: string[] };
  execution: { durationMs: number; deviceClass: string; pipelineHash: string; gpuUtilization?: number };
  outputs: { assetHash: string; assetSize: number; mimeType: string; resolutionW?: number; resolutionH?: number };
  signingKeyId: string;
  signature: string;
}

/** The packet's CBOR data model from its JSON form, built with the test's own types (docs/spec.md field table). */
function packetValue(p: PacketJson, withSignature: boolean): Record<string, unknown> {
  const { inputs, execution, outputs } = p;
  const value: Record<string, unknown> = {
    version: p.version,
    packetId: new Tag(37, bytes(p.packetId.replaceAll("-", ""))),
    tenantId: p.tenantId,
    processId: p.processId,
    timestamp: new Tag(1, p.timestamp / 1000),
    inputs: {
      promptHash: bytes(inputs.promptHash),
      modelId: inputs.modelId,
      seed: BigInt(inputs.seed),
      parameters: fromTyped(inputs.parameters),
      ...(inputs.assetHashes === undefined ? {} : { assetHashes: inputs.assetHashes.map(bytes) }),
    },
    execution: { ...execution, pipelineHash: bytes(execution.pipelineHash) },
    outputs: { ...outputs, assetHash: bytes(outputs.assetHash) },
    signingKeyId: p.signingKeyId,
  };
  if (withSignature) value.signature = bytes(p.signature);
  return value;
}

/** What createPacket takes, from the same JSON form. */
function packetFields(p: PacketJson): PacketFields {
  const { signingKeyId: _keyId, signature: _signature, version: _version, ...value } = packetValue(p, false);
  return {
    ...value,
    packetId: p.packetId,
    timestamp: p.timestamp,
    inputs: { ...(value.inputs as object), seed: BigInt(p.inputs.seed) },
  } as unknown as PacketFields;
}

/** Integers as cborg returns them: numbers up to 2^53 − 1, bigints beyond. */
function safeIntegers(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (value instanceof Tag) return new Tag(value.tag, safeIntegers(value.value));
  if (Array.isArray(value)) return value.map(safeIntegers);
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, safeIntegers(v)]));
  }
  return value;
}

describe("spec/vectors (docs/spec.md)", () => {
  describe("keys.json", () => {
    for (const key of keys) {
      it(`${key.name}: the public key is the seed's, by the project's signer and by @noble/ed25519`, () => {
        expect(hex(signerFromSeed(key.keyId, bytes(key.seed)).publicKey)).to.equal(key.publicKey);
        expect(hex(ed25519PublicKey(bytes(key.seed)))).to.equal(key.publicKey);
      });
    }

    it("key-1 signs RFC 8032 TEST 1's empty message to the RFC's signature", async () => {
      const key = keyNamed("key-1");
      const signature = await signerFromSeed(key.keyId, bytes(key.seed)).sign(bytes(rfc8032Test1.message));
      expect(hex(signature)).to.equal(rfc8032Test1.signature);
    });
  });

  describe("contexts.json", () => {
    const { contexts } = read<{ contexts: { label: string; hex: string }[] }>("contexts.json");

    it("lists the project's three contexts, each the ASCII label and a zero byte", () => {
      expect(contexts.map((c) => c.hex)).to.deep.equal([PACKET_CONTEXT, ENTRY_CONTEXT, CHAIN_CONTEXT].map(hex));
      for (const c of contexts) expect(c.hex).to.equal(hex(concat(utf8(c.label), Uint8Array.of(0))));
    });
  });

  describe("timestamps.json", () => {
    const { timestamps } = read<{ timestamps: { ms: number; iso: string; cbor: string }[] }>("timestamps.json");
    const minimal = read<{ valid: { name: string; packet: PacketJson }[] }>("packets.json").valid[0] as {
      packet: PacketJson;
    };

    for (const t of timestamps) {
      it(`${t.ms} ms (${t.iso}) is Tag 1 ${t.cbor}, and a packet reads it back`, async () => {
        expect(hex(encodeCanonical(new Tagged(1, t.ms / 1000)))).to.equal(t.cbor);
        expect(hex(cborgEncode(new Tag(1, t.ms / 1000)))).to.equal(t.cbor);
        expect(new Date(t.ms).toISOString()).to.equal(t.iso);
        const key = keyNamed("key-1");
        const fields = { ...packetFields(minimal.packet), timestamp: t.ms };
        const signed = await createPacket(fields, signerFromSeed(key.keyId, bytes(key.seed)));
        expect(hex(signed.bytes)).to.include(`6974696d657374616d70${t.cbor}`);
        expect(decodePacket(signed.bytes).packet.timestamp).to.equal(t.ms);
      });
    }
  });

  describe("packets.json", () => {
    interface Valid {
      name: string;
      key: string;
      packet: PacketJson;
      signingMessage: string;
      cbor: string;
      packetHash: string;
      packetCid: string;
    }
    interface Invalid {
      name: string;
      key: string;
      cbor: string;
      error: { kind: "malformed-cbor" | "non-canonical" | "invalid-field" | "bad-signature"; field?: string };
      laxSignatureValid: boolean;
    }
    const { valid, invalid } = read<{ valid: Valid[]; invalid: Invalid[] }>("packets.json");

    it("has the valid and invalid cases docs/spec.md promises", () => {
      expect(valid.map((v) => v.name)).to.include.members([
        "minimal",
        "all-optional-fields",
        "fractional-timestamp",
        "seed-uint64-max",
        "float-widths",
        "nested-parameters",
      ]);
      expect(invalid.map((v) => v.name)).to.include.members([
        "non-shortest-integer",
        "unsorted-keys",
        "indefinite-length-map",
        "duplicate-key",
        "wrong-tag-for-uuid",
        "uuid-version-1",
        "float-for-integer",
        "trailing-bytes",
        "bad-signature",
      ]);
    });

    describe("valid", () => {
      for (const v of valid) {
        describe(v.name, () => {
          const cbor = bytes(v.cbor);
          const key = keyNamed(v.key);

          it("decodes strictly to the stated packet and re-encodes to the same bytes", () => {
            const decoded = decodePacket(cbor);
            expect(hex(encodePacket(decoded.packet))).to.equal(v.cbor);
            expect(hex(decoded.signingMessage)).to.equal(v.signingMessage);
            expect(decoded.packet.signingKeyId).to.equal(key.keyId);
            expect(decoded.packet).to.deep.equal({
              ...packetFields(v.packet),
              version: "1.0",
              signingKeyId: v.packet.signingKeyId,
              signature: bytes(v.packet.signature),
            });
          });

          it("is what createPacket makes from its fields with its key (Ed25519 is deterministic)", async () => {
            const signed = await createPacket(packetFields(v.packet), signerFromSeed(key.keyId, bytes(key.seed)));
            expect(hex(signed.bytes)).to.equal(v.cbor);
            expect(hex(preparePacketSigning(signed.packet).message)).to.equal(v.signingMessage);
          });

          it("reads, with cborg, as the same data model", () => {
            expect(safeIntegers(cborgDecodeLenient(cbor))).to.deep.equal(safeIntegers(packetValue(v.packet, true)));
          });

          it("is cborg's RFC 8949 deterministic encoding of the same data model", () => {
            expect(hex(cborgEncode(packetValue(v.packet, true)))).to.equal(v.cbor);
            expect(v.signingMessage).to.equal(
              hex(concat(utf8("POP-PACKET-V1\0"), cborgEncode(packetValue(v.packet, false)))),
            );
          });

          it("has the stated packetHash, packetCid and signature", () => {
            expect(hex(sha256(cbor))).to.equal(v.packetHash);
            expect(rawCid(cbor)).to.equal(v.packetCid);
            expect(cidFromSha256(bytes(v.packetHash))).to.equal(v.packetCid);
            const message = bytes(v.signingMessage);
            expect(hex(ed25519Sign(message, bytes(key.seed)))).to.equal(v.packet.signature);
            expect(verifyPacket(cbor, bytes(key.publicKey)).valid).to.equal(true);
          });
        });
      }
    });

    describe("invalid", () => {
      const errorClass = {
        "malformed-cbor": MalformedCborError,
        "non-canonical": NonCanonicalEncodingError,
        "invalid-field": InvalidPacketError,
      } as const;

      for (const v of invalid) {
        it(`${v.name}: fails with ${v.error.kind}${v.error.field === undefined ? "" : ` (${v.error.field})`}`, () => {
          const cbor = bytes(v.cbor);
          const key = keyNamed(v.key);
          const verification = verifyPacket(cbor, bytes(key.publicKey));
          expect(verification.valid).to.equal(false);
          if (v.error.kind === "bad-signature") {
            expect(() => decodePacket(cbor)).not.to.throw();
            if (!verification.valid) expect(verification.reason).to.match(/signature/);
            return;
          }
          let error: unknown;
          try {
            decodePacket(cbor);
          } catch (caught) {
            error = caught;
          }
          expect(error).to.be.instanceOf(errorClass[v.error.kind]);
          if (v.error.field !== undefined) expect((error as InvalidPacketError).field).to.equal(v.error.field);
        });

        if (v.laxSignatureValid) {
          it(`${v.name}: a reader that skipped the rule would find the signature valid`, () => {
            const lenient = cborgDecodeLenient(bytes(v.cbor)) as Record<string, unknown>;
            const { signature, ...unsigned } = lenient;
            const message = concat(utf8("POP-PACKET-V1\0"), cborgEncode(unsigned));
            expect(ed25519Verify(signature as Uint8Array, message, bytes(keyNamed(v.key).publicKey))).to.equal(true);
          });
        }
      }
    });
  });

  describe("chainscripts.json", () => {
    interface ChainVector {
      name: string;
      packets: { cid: string; cbor: string }[];
      chainscript: string;
      cid: string;
      expected: {
        verdict: string;
        firstFailure?: string;
        failedChecks: string[];
        chainHash?: string;
        chainSigningMessage?: string;
        entrySigningMessages?: string[];
      };
    }
    const { chainscripts } = read<{ chainscripts: ChainVector[] }>("chainscripts.json");

    it("has the valid and invalid cases docs/spec.md promises", () => {
      expect(chainscripts.map((c) => c.name)).to.include.members([
        "three-stages",
        "external-inputs",
        "wrong-chain-hash",
        "wrong-previous-hash",
        "not-jcs-whitespace",
        "bad-entry-signature",
      ]);
    });

    for (const v of chainscripts) {
      const text = utf8(v.chainscript);
      const failure = v.expected.firstFailure === undefined ? "" : `, first failing check ${v.expected.firstFailure}`;

      it(`${v.name}: the verifier says ${v.expected.verdict}${failure}`, async () => {
        const report = await verifyChainscript({
          bytes: text,
          cid: v.cid,
          packets: new Map(v.packets.map((p) => [p.cid, bytes(p.cbor)])),
          resolveKey: publicKeyOf,
          threads: 1,
        });
        expect(report.verdict).to.equal(v.expected.verdict);
        expect(report.firstFailure?.check).to.equal(v.expected.firstFailure);
        expect(report.checks.filter((c) => c.status === "fail").map((c) => c.id)).to.deep.equal(
          v.expected.failedChecks,
        );
        expect(await contentCid(text)).to.equal(v.cid);
        expect(rawCid(text)).to.equal(v.cid);
      });

      if (v.expected.verdict !== "valid") continue;

      it(`${v.name}: hashes, signing messages and signatures check out independently`, () => {
        const chain = JSON.parse(v.chainscript) as Chainscript;
        expect(canonicalJson(JSON.parse(v.chainscript) as Json)).to.equal(v.chainscript);
        const chainKey = publicKeyOf(chain.signingKeyId) as Uint8Array;
        const packetHashes = chain.entries.map((e) => bytes(e.packetHash));
        expect(hex(sha256(concat(...packetHashes)))).to.equal(chain.chainHash);
        expect(chain.chainHash).to.equal(v.expected.chainHash);
        const chainMessage = concat(utf8("POP-CHAIN-V1\0"), bytes(chain.chainHash));
        expect(hex(chainMessage)).to.equal(v.expected.chainSigningMessage);
        expect(ed25519Verify(Buffer.from(chain.chainSignature, "base64url"), chainMessage, chainKey)).to.equal(true);
        chain.entries.forEach((e, i) => {
          const packet = v.packets.find((p) => p.cid === e.packetCid);
          expect(hex(sha256(bytes(packet?.cbor ?? "")))).to.equal(e.packetHash);
          expect(rawCid(bytes(packet?.cbor ?? ""))).to.equal(e.packetCid);
          expect(e.previousHash).to.equal(i === 0 ? null : chain.entries[i - 1]?.packetHash);
          const json =
            `{"packetCid":${JSON.stringify(e.packetCid)},"packetHash":"${e.packetHash}",` +
            `"previousHash":${e.previousHash === null ? "null" : `"${e.previousHash}"`},"sequence":${e.sequence},` +
            `"stageId":${JSON.stringify(e.stageId)},"timestamp":${e.timestamp}}`;
          const message = concat(utf8("POP-ENTRY-V1\0"), utf8(json));
          expect(hex(message)).to.equal(v.expected.entrySigningMessages?.[i]);
          expect(ed25519Verify(Buffer.from(e.eddsaSignature, "base64url"), message, chainKey)).to.equal(true);
        });
      });

      it(`${v.name}: buildChainscript makes the same bytes from the same packets and key`, async () => {
        const chain = JSON.parse(v.chainscript) as Chainscript;
        const key = keys.find((k) => k.keyId === chain.signingKeyId) as Key;
        const built = await buildChainscript({
          steps: chain.entries.map((e) => ({
            bytes: bytes(v.packets.find((p) => p.cid === e.packetCid)?.cbor ?? ""),
            stageId: e.stageId,
          })),
          signer: signerFromSeed(key.keyId, bytes(key.seed)),
          chainId: chain.chainId,
          ...(chain.externalInputs === undefined ? {} : { externalInputs: chain.externalInputs.map(bytes) }),
        });
        expect(new TextDecoder().decode(built.bytes)).to.equal(v.chainscript);
        expect(built.cid).to.equal(v.cid);
      });
    }
  });

  describe("anchors.json", () => {
    interface AnchorVectors {
      onchainIds: { text: string; utf8: string; id: string }[];
      eip712: {
        anchorType: string;
        anchorTypeHash: string;
        domainType: string;
        domainTypeHash: string;
        domains: { name: string; version: string; chainId: number; verifyingContract: string; separator: string }[];
        signerAddress: string;
        anchors: {
          chainscript: string;
          domain: { chainId: number; verifyingContract: `0x${string}` };
          message: AnchorJson;
          structHash: string;
          digest: string;
          signature: `0x${string}`;
        }[];
      };
      certificates: { tenantId: string; chainId: string; id: string }[];
    }
    const vectors = read<AnchorVectors>("anchors.json");
    const { eip712 } = vectors;
    const chains = read<{ chainscripts: { name: string; chainscript: string; cid: string }[] }>(
      "chainscripts.json",
    ).chainscripts;
    const message = (m: AnchorJson): AnchorMessage =>
      ({ ...m, amount: BigInt(m.amount), deadline: BigInt(m.deadline) }) as AnchorMessage;

    it("on-chain ids are keccak256 of the UTF-8 text", () => {
      for (const { text, utf8: encoded, id } of vectors.onchainIds) {
        expect(hex(utf8(text))).to.equal(encoded);
        expect(`0x${hex(keccak_256(utf8(text)))}`).to.equal(id);
        expect(toOnchainId(text)).to.equal(id);
      }
    });

    it("the Anchor type string is the contract's, and the type hashes are keccak256 of the strings", () => {
      const contract = readFileSync(new URL("../../contracts/ProcessAnchorRegistry.sol", import.meta.url), "utf8");
      expect(contract).to.include(`keccak256(\n        "${eip712.anchorType}"`);
      expect(`0x${hex(keccak_256(utf8(eip712.anchorType)))}`).to.equal(eip712.anchorTypeHash);
      expect(`0x${hex(keccak_256(utf8(eip712.domainType)))}`).to.equal(eip712.domainTypeHash);
    });

    it("domain separators are computed by hand from name, version, chainId and verifyingContract", () => {
      for (const d of eip712.domains) {
        expect(d.name).to.equal("ProcessAnchorRegistry");
        expect(d.version).to.equal("1");
        expect(`0x${hex(domainSeparator(d))}`).to.equal(d.separator);
      }
    });

    for (const a of eip712.anchors) {
      it(`${a.chainscript}: struct hash, digest and signature (by hand, and by src/anchor/eip712.ts)`, async () => {
        const chain = chains.find((c) => c.name === a.chainscript);
        const chainscript = JSON.parse(chain?.chainscript ?? "{}") as Chainscript;
        expect(a.message.tenantId).to.equal(toOnchainId(chainscript.tenantId));
        expect(a.message.chainId).to.equal(toOnchainId(chainscript.chainId));
        expect(a.message.chainHash).to.equal(`0x${chainscript.chainHash}`);
        expect(a.message.ipfsCid).to.equal(chain?.cid);
        const domain = eip712.domains.find((d) => d.chainId === a.domain.chainId);
        const structHash = anchorStructHash(eip712.anchorType, a.message);
        expect(`0x${hex(structHash)}`).to.equal(a.structHash);
        expect(`0x${hex(typedDataDigest(bytes(domain?.separator ?? ""), structHash))}`).to.equal(a.digest);
        expect(anchorDigest(a.domain, message(a.message))).to.equal(a.digest);
        const recovered = await recoverTypedDataAddress({
          ...anchorTypedData(a.domain, message(a.message)),
          signature: a.signature,
        });
        expect(recovered).to.equal(eip712.signerAddress);
        expect(a.message.signer).to.equal(eip712.signerAddress);
      });
    }

    it("certificate ids are uint256(keccak256(tenantId ‖ chainId))", () => {
      for (const c of vectors.certificates) {
        const expected = BigInt(`0x${hex(keccak_256(concat(bytes(c.tenantId), bytes(c.chainId))))}`);
        expect(expected.toString()).to.equal(c.id);
        expect(certificateId(c.tenantId as `0x${string}`, c.chainId as `0x${string}`).toString()).to.equal(c.id);
      }
    });
  });

  describe("cids.json", () => {
    interface CidVector {
      content: { text: string } | { pattern: "i mod 251"; length: number };
      cid: string;
      blocks: number;
      rootLinks: number;
      rootBlock?: string;
    }
    const { cids } = read<{ cids: CidVector[] }>("cids.json");
    const content = (c: CidVector["content"]): Uint8Array => {
      if ("text" in c) return utf8(c.text);
      const out = new Uint8Array(c.length);
      for (let i = 0; i < out.length; i++) out[i] = i % 251;
      return out;
    };

    for (const v of cids) {
      const label = "text" in v.content ? JSON.stringify(v.content.text) : `${v.content.length} bytes of i mod 251`;
      it(`${label}: ${v.cid}, by contentCid and by a hand-built UnixFS DAG`, async () => {
        const data = content(v.content);
        expect(await contentCid(data)).to.equal(v.cid);
        const independent = unixfsCid(data);
        expect(independent.cid).to.equal(v.cid);
        expect(independent.blocks).to.equal(v.blocks);
        if (v.rootBlock !== undefined) expect(hex(independent.rootBlock ?? new Uint8Array())).to.equal(v.rootBlock);
      });
    }
  });

  describe("docs/spec.md", () => {
    /** The hex of an annotated block (comments after #) that follows `<!-- name -->`. */
    const annotatedHex = (name: string): string | undefined => {
      const spec = readFileSync(new URL("../../docs/spec.md", import.meta.url), "utf8");
      const block = new RegExp(`<!-- ${name} -->\\s*\`\`\`text\\n([\\s\\S]*?)\`\`\``).exec(spec)?.[1];
      return block
        ?.split("\n")
        .map((line) => line.replace(/#.*$/, "").replace(/\s+/g, ""))
        .join("");
    };

    it("the UnixFS example is the root block of 262145 bytes in cids.json", () => {
      const vector = read<{ cids: { content: { length?: number }; rootBlock?: string }[] }>("cids.json").cids.find(
        (c) => c.content.length === 262_145,
      );
      expect(annotatedHex("unixfs-example")).to.equal(vector?.rootBlock);
    });

    it("the worked example is the minimal packet's encoding, byte for byte", () => {
      const minimal = read<{ valid: { name: string; cbor: string }[] }>("packets.json").valid.find(
        (v) => v.name === "minimal",
      );
      expect(annotatedHex("worked-example")).to.equal(minimal?.cbor);
    });
  });
});
