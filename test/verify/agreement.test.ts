import { expect } from "chai";
import type { Address, Hex } from "viem";
import { toOnchainId } from "../../src/anchor/ids.ts";
import type { SigningKeyRecord } from "../../src/anchor/registryReads.ts";
import {
  agreed,
  agreeingView,
  askAll,
  MAX_HEAD_SPREAD,
  pinnedBlock,
  RpcDisagreementError,
  RpcUnreachableError,
} from "../../src/verify/agreement.ts";
import { describe as describeError } from "../../src/verify/describe.ts";
import type { RegistryView } from "../../src/verify/registryView.ts";

const TENANT = toOnchainId("studio-aurora");
const KEY = toOnchainId("studio-key");
const SIGNER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const record = (revokedAt: bigint): SigningKeyRecord => ({
  publicKey: `0x${"11".repeat(32)}`,
  validFrom: 0n,
  validUntil: 10n,
  revokedAt,
  revocationRecordedAt: revokedAt,
});

/** Asserts that `action` throws an error of `type` and gives it back. */
async function rejects<E extends Error>(action: () => unknown, type: new (...args: never[]) => E): Promise<E> {
  try {
    await action();
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as E;
  }
  throw new Error(`expected ${type.name}`);
}

/** A view whose every answer is `answers`' and which records the block of each read. */
function view(answers: { count?: bigint; allowed?: boolean; key?: SigningKeyRecord | null }, blocks: unknown[]) {
  const fake: RegistryView = {
    anchorCount: async (_t: Hex, blockNumber) => {
      blocks.push(blockNumber);
      return answers.count ?? 1n;
    },
    isAnchorSigner: async (_t, _s, blockNumber) => {
      blocks.push(blockNumber);
      return answers.allowed ?? true;
    },
    signingKey: async (_t, _k, blockNumber) => {
      blocks.push(blockNumber);
      return answers.key === undefined ? record(0n) : answers.key;
    },
  };
  return fake;
}

describe("agreement of several RPC endpoints", () => {
  describe("agreed", () => {
    it("returns the answer all endpoints gave, comparing bigints by value", () => {
      expect(
        agreed("x", [
          { n: 5n, a: [1n] },
          { n: 5n, a: [1n] },
        ]),
      ).to.deep.equal({ n: 5n, a: [1n] });
      expect(agreed("x", [null])).to.equal(null);
    });

    it("throws RpcDisagreementError naming the read and each endpoint's answer", async () => {
      const error = await rejects(() => agreed("anchorCount(t) at block 9", [3n, 3n, 4n]), RpcDisagreementError);
      expect(error.shortMessage).to.equal("The RPC endpoints disagree about anchorCount(t) at block 9.");
      expect(error.details).to.equal('RPC 1: "3"; RPC 2: "3"; RPC 3: "4"');
      expect(error.retryable).to.equal(false);
    });

    it("tells a missing record from a present one", async () => {
      await rejects(() => agreed("signingKey", [record(0n), null]), RpcDisagreementError);
    });
  });

  describe("askAll", () => {
    it("names the endpoint that did not answer, as the user numbered it", async () => {
      const error = await rejects(
        () =>
          askAll(
            "isAnchorSigner",
            [async () => true, () => Promise.reject(new Error("socket hang up"))],
            ["RPC 1", "RPC 3"],
          ),
        RpcUnreachableError,
      );
      expect(error.shortMessage).to.equal("RPC 3 did not answer isAnchorSigner.");
      expect(error.details).to.equal("socket hang up");
      expect(error.retryable).to.equal(true);
    });

    it("reports a disagreement only once every endpoint answered", async () => {
      expect(await askAll("x", [async () => 2n, async () => 2n])).to.equal(2n);
      await rejects(() => askAll("x", [async () => 2n, async () => 3n]), RpcDisagreementError);
    });
  });

  describe("pinnedBlock", () => {
    it("reads now at the lowest latest block, so that endpoints a few blocks apart agree", () => {
      expect(pinnedBlock([105n, 100n, 103n])).to.equal(100n);
      expect(pinnedBlock([7n])).to.equal(7n);
    });

    it(`allows latest blocks up to ${MAX_HEAD_SPREAD} apart, and calls more a disagreement`, async () => {
      expect(pinnedBlock([1_000n, 1_000n + MAX_HEAD_SPREAD])).to.equal(1_000n);
      const error = await rejects(
        () => pinnedBlock([1_000n + MAX_HEAD_SPREAD + 1n, 1_000n], ["RPC 1", "RPC 2"]),
        RpcDisagreementError,
      );
      expect(error.shortMessage).to.equal(
        `The RPC endpoints' latest blocks lie ${MAX_HEAD_SPREAD + 1n} blocks apart, more than the ${MAX_HEAD_SPREAD} allowed.`,
      );
      expect(error.details).to.equal(`RPC 1: block ${1_000n + MAX_HEAD_SPREAD + 1n}; RPC 2: block 1000`);
    });

    it("cannot pin a block without endpoints", async () => {
      await rejects(() => pinnedBlock([]), RpcUnreachableError);
    });
  });

  describe("describe (one line about a failure, as reports show it)", () => {
    it("gives a project error's short message, with its details when it has some", () => {
      expect(describeError(new RpcUnreachableError("RPC 2 did not answer x."))).to.equal("RPC 2 did not answer x.");
      expect(describeError(new RpcUnreachableError("RPC 2 did not answer x.", { details: "timeout" }))).to.equal(
        "RPC 2 did not answer x. timeout",
      );
    });

    it("gives another error's first line, and anything else as text", () => {
      expect(describeError(new Error("socket hang up\n    at stack"))).to.equal("socket hang up");
      expect(describeError(42)).to.equal("42");
    });
  });

  describe("agreeingView", () => {
    it("reads now at the pinned block from every endpoint, and at a given block as given", async () => {
      const blocks: unknown[] = [];
      const both = agreeingView([view({}, blocks), view({}, blocks)], 77n);
      expect(await both.isAnchorSigner(TENANT, SIGNER)).to.equal(true);
      expect(await both.signingKey(TENANT, KEY)).to.deep.equal(record(0n));
      expect(await both.isAnchorSigner(TENANT, SIGNER, 5n)).to.equal(true);
      expect(await both.signingKey(TENANT, KEY, 5n)).to.deep.equal(record(0n));
      expect(await both.anchorCount(TENANT, 5n)).to.equal(1n);
      expect(blocks).to.deep.equal([77n, 77n, 77n, 77n, 5n, 5n, 5n, 5n, 5n, 5n]);
    });

    it("never lets the first endpoint's answer stand for another's", async () => {
      const liar = view({ count: 1n, allowed: true, key: record(0n) }, []);
      const honest = view({ count: 2n, allowed: false, key: record(5n) }, []);
      const both = agreeingView([liar, honest], 9n, ["RPC 1", "RPC 2"]);
      const signer = await rejects(() => both.isAnchorSigner(TENANT, SIGNER), RpcDisagreementError);
      expect(signer.shortMessage).to.equal(
        `The RPC endpoints disagree about isAnchorSigner(${TENANT}, ${SIGNER}) at block 9.`,
      );
      expect(signer.details).to.equal("RPC 1: true; RPC 2: false");
      const key = await rejects(() => both.signingKey(TENANT, KEY, 3n), RpcDisagreementError);
      expect(key.shortMessage).to.equal(`The RPC endpoints disagree about signingKey(${TENANT}, ${KEY}) at block 3.`);
      const count = await rejects(() => both.anchorCount(TENANT, 3n), RpcDisagreementError);
      expect(count.shortMessage).to.equal(`The RPC endpoints disagree about anchorCount(${TENANT}) at block 3.`);
      const missing = agreeingView([view({ key: null }, []), view({}, [])], 9n);
      await rejects(() => missing.signingKey(TENANT, KEY), RpcDisagreementError);
    });

    it("names the endpoint that failed a read", async () => {
      const failing: RegistryView = { ...view({}, []), anchorCount: () => Promise.reject(new Error("timeout")) };
      const both = agreeingView([view({}, []), failing], 9n, ["RPC 1", "RPC 2"]);
      const error = await rejects(() => both.anchorCount(TENANT, 3n), RpcUnreachableError);
      expect(error.shortMessage).to.equal(`RPC 2 did not answer anchorCount(${TENANT}) at block 3.`);
    });
  });
});
