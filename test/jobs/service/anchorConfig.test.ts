import { expect } from "chai";
import { anchoringFromEnv } from "../../../src/jobs/service/anchorConfig.ts";
import { accounts } from "../../helpers/anchorRun.ts";

const SIGNER_KEY = `0x${"11".repeat(32)}`;
const BASE = { POP_RPC_URL: "http://127.0.0.1:8545", POP_ANCHOR_SIGNER_PRIVATE_KEY: SIGNER_KEY };

describe("receipts service: anchoring settings", () => {
  it("is off, with the missing variable named, when Base or the anchor signer is not configured", () => {
    expect(anchoringFromEnv({})).to.deep.equal({
      enabled: false,
      reason: "POP_RPC_URL (Base) is not set: jobs are not anchored.",
    });
    const noSigner = anchoringFromEnv({ POP_RPC_URL: BASE.POP_RPC_URL });
    expect(noSigner.enabled).to.equal(false);
    expect(noSigner.enabled ? "" : noSigner.reason).to.include("POP_ANCHOR_SIGNER_PRIVATE_KEY");
  });

  it("defaults: 10 jobs or 60 s, the finalized block, the signer relays", () => {
    const config = anchoringFromEnv(BASE);
    if (!config.enabled) throw new Error(config.reason);
    expect(config.settings).to.deep.include({ every: 10, intervalMs: 60_000, finality: "finalized" });
    expect(config.settings.relayer.address).to.equal(config.settings.anchorSigner.address);
    expect(config.settings.registry).to.equal(undefined);
  });

  it("reads every variable", () => {
    const config = anchoringFromEnv({
      ...BASE,
      POP_RELAYER_PRIVATE_KEY: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
      POP_SERVE_ANCHOR_EVERY: "25",
      POP_SERVE_ANCHOR_INTERVAL_MS: "5000",
      POP_SERVE_ANCHOR_FINALITY: "12",
      POP_SERVE_ANCHOR_REGISTRY: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      POP_SERVE_ANCHOR_EXPLORER_URL: "http://127.0.0.1:5100",
    });
    if (!config.enabled) throw new Error(config.reason);
    expect(config.settings).to.deep.include({
      every: 25,
      intervalMs: 5_000,
      finality: 12,
      registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      explorerUrl: "http://127.0.0.1:5100",
    });
    expect(config.settings.relayer.address).to.equal(accounts.relayer.address);
  });

  it("refuses a variable that is set but wrong, naming it and never its value", () => {
    const refused = (env: Record<string, string>) => {
      try {
        anchoringFromEnv({ ...BASE, ...env });
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused({ POP_SERVE_ANCHOR_EVERY: "0" })).to.include("POP_SERVE_ANCHOR_EVERY");
    expect(refused({ POP_SERVE_ANCHOR_FINALITY: "soon" })).to.include("POP_SERVE_ANCHOR_FINALITY");
    expect(refused({ POP_SERVE_ANCHOR_REGISTRY: "0x12" })).to.include("POP_SERVE_ANCHOR_REGISTRY");
    const bad = refused({ POP_ANCHOR_SIGNER_PRIVATE_KEY: "0xnotakey" });
    expect(bad).to.include("POP_ANCHOR_SIGNER_PRIVATE_KEY");
    expect(bad).to.not.include("notakey");
  });
});
