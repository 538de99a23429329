import { expect } from "chai";
import { type Address, type Hex, hexToBytes } from "viem";
import { toOnchainId } from "../../src/anchor/ids.ts";
import type { SigningKeyRecord } from "../../src/anchor/registryReads.ts";
import type { KeyResolution } from "../../src/chainscript/verify.ts";
import { keyRejection, registryKeyResolver } from "../../src/verify/keys.ts";
import type { RegistryView } from "../../src/verify/registryView.ts";

const PUBLIC_KEY: Hex = `0x${"d7".repeat(32)}`;
const TENANT = toOnchainId("studio-aurora");
const ANCHOR_BLOCK = 40n;
const ANCHORED_AT = 2_000n; // the anchor's block time, unix seconds

/** A record valid over [1000, 3000) s, optionally revoked effective `revokedAt`, recorded at `recordedAt`. */
const key = (revocation?: { revokedAt: bigint; recordedAt: bigint }): SigningKeyRecord => ({
  publicKey: PUBLIC_KEY,
  validFrom: 1_000n,
  validUntil: 3_000n,
  revokedAt: revocation?.revokedAt ?? 0n,
  revocationRecordedAt: revocation?.recordedAt ?? 0n,
});

/** A registry holding one key id's record at the anchor's block and now, recording every read. */
function registryWith(atAnchor: SigningKeyRecord | null, current: SigningKeyRecord | null) {
  const reads: { keyId: Hex; blockNumber: bigint | undefined }[] = [];
  const view: RegistryView = {
    anchorCount: async () => 1n,
    isAnchorSigner: async (_tenant: Hex, _signer: Address) => true,
    signingKey: async (tenantId, keyId, blockNumber) => {
      reads.push({ keyId, blockNumber });
      if (tenantId !== TENANT || keyId !== toOnchainId("studio-key")) return null;
      if (blockNumber === ANCHOR_BLOCK) return atAnchor;
      if (blockNumber === undefined) return current;
      throw new Error(`unexpected read at block ${blockNumber}`);
    },
  };
  return { view, reads };
}

const resolve = (view: RegistryView, atMs: number, keyId = "studio-key") =>
  registryKeyResolver(view, { tenantId: TENANT, blockNumber: ANCHOR_BLOCK, anchoredAt: ANCHORED_AT })(keyId, atMs);

const rejection = (resolved: KeyResolution) =>
  resolved instanceof Uint8Array || resolved === undefined ? undefined : resolved.rejected;

describe("the key rule", () => {
  describe("keyRejection (registry seconds)", () => {
    it("accepts from validFrom, not a second before", () => {
      expect(keyRejection(key(), 1_000n, ANCHORED_AT)).to.equal(undefined);
      expect(keyRejection(key(), 999n, ANCHORED_AT)).to.match(/valid only from 1970-01-01T00:16:40/);
    });

    it("accepts until the second before validUntil, not at validUntil", () => {
      expect(keyRejection(key(), 2_999n, ANCHORED_AT)).to.equal(undefined);
      expect(keyRejection(key(), 3_000n, ANCHORED_AT)).to.match(/valid only until 1970-01-01T00:50:00/);
    });

    it("after a revocation, accepts only what was signed before its effective time", () => {
      const revoked = key({ revokedAt: 1_500n, recordedAt: 2_500n });
      expect(keyRejection(revoked, 1_499n, ANCHORED_AT)).to.equal(undefined);
      expect(keyRejection(revoked, 1_500n, ANCHORED_AT)).to.match(/revoked the key from 1970-01-01T00:25:00/);
    });

    it("after a revocation, accepts only anchors older than its recording, not one of the same second", () => {
      const recordedAfter = key({ revokedAt: 1_500n, recordedAt: ANCHORED_AT + 1n });
      expect(keyRejection(recordedAfter, 1_400n, ANCHORED_AT)).to.equal(undefined);
      const recordedWith = key({ revokedAt: 1_500n, recordedAt: ANCHORED_AT });
      expect(keyRejection(recordedWith, 1_400n, ANCHORED_AT)).to.match(/not older than the key's revocation/);
      const recordedBefore = key({ revokedAt: 1_500n, recordedAt: ANCHORED_AT - 1n });
      expect(keyRejection(recordedBefore, 1_400n, ANCHORED_AT)).to.match(/not older than the key's revocation/);
    });

    it("names the time of a record whose dates are beyond what a Date holds", () => {
      const far = { ...key(), validFrom: 2n ** 62n };
      expect(keyRejection(far, 1_000n, ANCHORED_AT)).to.include(`${2n ** 62n} (unix seconds)`);
    });
  });

  describe("registryKeyResolver (packet milliseconds)", () => {
    it("gives the public key of a key registered at the anchor and valid now", async () => {
      const { view } = registryWith(key(), key());
      expect(await resolve(view, 1_000_000)).to.deep.equal(hexToBytes(PUBLIC_KEY));
    });

    it("takes a packet's milliseconds to the registry's second at every boundary", async () => {
      const revoked = key({ revokedAt: 1_500n, recordedAt: 2_500n });
      const { view } = registryWith(key(), revoked);
      expect(rejection(await resolve(view, 999_999))).to.match(/valid only from/);
      expect(await resolve(view, 1_000_000)).to.be.instanceOf(Uint8Array);
      expect(await resolve(view, 1_499_999)).to.be.instanceOf(Uint8Array);
      expect(rejection(await resolve(view, 1_500_000))).to.match(/revoked the key/);
      const { view: plain } = registryWith(key(), key());
      expect(await resolve(plain, 2_999_999)).to.be.instanceOf(Uint8Array);
      expect(rejection(await resolve(plain, 3_000_000))).to.match(/valid only until/);
    });

    it("judges by the key's current record: a revocation recorded after the anchor, effective before the packet, counts", async () => {
      // At the anchor's block the key was not revoked yet; the tenant found the theft later and back-dated it.
      const { view } = registryWith(key(), key({ revokedAt: 1_200n, recordedAt: 2_600n }));
      expect(await resolve(view, 1_100_000)).to.be.instanceOf(Uint8Array);
      expect(rejection(await resolve(view, 1_300_000))).to.match(/revoked the key from/);
    });

    it("rejects a key the tenant registered only after the anchor", async () => {
      const { view } = registryWith(null, key());
      expect(rejection(await resolve(view, 1_100_000))).to.equal(
        `the tenant had not registered the key at the anchor's block ${ANCHOR_BLOCK}`,
      );
    });

    it("rejects a key whose current record is missing (an endpoint contradicting itself)", async () => {
      const { view } = registryWith(key(), null);
      expect(rejection(await resolve(view, 1_100_000))).to.match(/no longer returns a record/);
    });

    it("reads each key once, at the anchor's block and now, whatever the number of packets", async () => {
      const { view, reads } = registryWith(key(), key());
      const resolver = registryKeyResolver(view, {
        tenantId: TENANT,
        blockNumber: ANCHOR_BLOCK,
        anchoredAt: ANCHORED_AT,
      });
      await Promise.all([resolver("studio-key", 1_100_000), resolver("studio-key", 1_200_000)]);
      expect(await resolver("other-key", 1_100_000)).to.deep.equal({
        rejected: `the tenant had not registered the key at the anchor's block ${ANCHOR_BLOCK}`,
      });
      expect(reads).to.deep.equal([
        { keyId: toOnchainId("studio-key"), blockNumber: ANCHOR_BLOCK },
        { keyId: toOnchainId("studio-key"), blockNumber: undefined },
        { keyId: toOnchainId("other-key"), blockNumber: ANCHOR_BLOCK },
        { keyId: toOnchainId("other-key"), blockNumber: undefined },
      ]);
    });
  });
});
