import { readFile, writeFile } from "node:fs/promises";
import { expect } from "chai";
import { type Hex, keccak256, toBytes } from "viem";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { anchorMessage, deployRegistry, sign } from "./helpers.ts";

/**
 * Whole-transaction gasUsed of the registry's hot paths, compared with the
 * committed snapshot (snapshots/gas.json): more gas than the snapshot fails the
 * build. `npm run gas:snapshot` rewrites the snapshot after a deliberate change.
 */
const SNAPSHOT = new URL("../../snapshots/gas.json", import.meta.url);
const TARGETS = { singleAnchor: 80_000, batchOf20PerAnchor: 55_000, certificateExtra: 35_000 };

interface GasFigures {
  singleAnchor: number;
  batchOf20PerAnchor: number;
  certificateExtra: number;
  /** The OP-stack L1 data gas of the single anchor (Fjord estimate of its compressed size × 16). */
  l1GasUsed: number;
  /** Its L1 data fee at the simulated L1 block values (see L1_BLOCK below). */
  l1DataFeeWei: string;
}

/**
 * The simulation's L1Block predeploy reports zero fee scalars, so every L1 fee
 * would read 0. Slot 3 is set to OP Mainnet's Ecotone scalars (base 5227, blob
 * 1014213, as EDR's genesis holds them); the L1 base and blob fees stay the
 * simulation's 10 gwei, far above real blob prices, so the fee is an upper figure.
 */
const L1_BLOCK = "0x4200000000000000000000000000000000000015";
const L1_SCALARS_SLOT3 = `0x${((5227n << 96n) | (1014213n << 64n) | 1n).toString(16).padStart(64, "0")}`;

describe("gas", () => {
  let measured: GasFigures;

  before(async () => {
    // Fixed key and ids: calldata cost depends on zero bytes, so every input is the same on every run.
    const d = await deployRegistry(keccak256(toBytes("gas snapshot signer")));
    await d.connection.provider.request({
      method: "hardhat_setStorageAt",
      params: [L1_BLOCK, "0x3", L1_SCALARS_SLOT3],
    });
    const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint; hash: string } | null> }>) => {
      const receipt = await (await tx).wait();
      return receipt as { gasUsed: bigint; hash: string };
    };
    let n = 0;
    const signed = async (overrides = {}) => {
      n += 1;
      const ids = { chainId: toOnchainId(`gas-chain-${n}`), chainHash: keccak256(toBytes(`gas-hash-${n}`)) };
      const message = anchorMessage(d.signer.address, { ...ids, ...overrides });
      return { message, signature: await sign(d.signer, d.domain, message) };
    };
    const relayed = d.registry.connect(d.relayer);

    // The tenant's first anchor pays for its count's first write; measure the second and later.
    const first = await signed();
    await gasOf(relayed.anchor(first.message, first.signature));
    const second = await signed();
    const single = await gasOf(relayed.anchor(second.message, second.signature));

    const withCertificate = await signed({ recipient: d.other.address as Hex, amount: 1n });
    const certified = await gasOf(relayed.anchor(withCertificate.message, withCertificate.signature));

    const batch = await Promise.all(Array.from({ length: 20 }, () => signed()));
    const batched = await gasOf(
      relayed.anchorBatch(
        batch.map((b) => b.message),
        batch.map((b) => b.signature),
      ),
    );

    // The OP-stack L1 data cost of the single anchor, as the op simulation reports it in the receipt.
    const rawReceipt = (await d.connection.provider.request({
      method: "eth_getTransactionReceipt",
      params: [single.hash],
    })) as { l1Fee?: Hex; l1GasUsed?: Hex };
    measured = {
      singleAnchor: Number(single.gasUsed),
      batchOf20PerAnchor: Math.ceil(Number(batched.gasUsed) / 20),
      certificateExtra: Number(certified.gasUsed - single.gasUsed),
      l1GasUsed: Number(rawReceipt.l1GasUsed ?? 0),
      l1DataFeeWei: BigInt(rawReceipt.l1Fee ?? "0x0").toString(),
    };
    console.log(`      measured: ${JSON.stringify(measured)}`);
    if (process.env.GAS_SNAPSHOT === "write") await writeFile(SNAPSHOT, `${JSON.stringify(measured, null, 2)}\n`);
    await d.connection.close();
  });

  it("meets the targets", () => {
    expect(measured.singleAnchor, "single signed anchor").to.be.at.most(TARGETS.singleAnchor);
    expect(measured.batchOf20PerAnchor, "per anchor in a batch of 20").to.be.at.most(TARGETS.batchOf20PerAnchor);
    expect(measured.certificateExtra, "extra for a certificate").to.be.at.most(TARGETS.certificateExtra);
  });

  it("does not use more gas than the committed snapshot", async () => {
    const snapshot = JSON.parse(await readFile(SNAPSHOT, "utf8")) as GasFigures;
    for (const key of ["singleAnchor", "batchOf20PerAnchor", "certificateExtra"] as const) {
      expect(measured[key], `${key} regressed: ${measured[key]} > snapshot ${snapshot[key]}`).to.be.at.most(
        snapshot[key],
      );
    }
  });

  it("reports the L1 data gas and fee from the OP simulation", () => {
    expect(measured.l1GasUsed).to.be.greaterThan(16 * 100); // an anchor carries well over 100 bytes
    expect(BigInt(measured.l1DataFeeWei)).to.be.greaterThan(0n);
  });
});
