import { expect } from "chai";
import { localStoreWarning } from "../../src/cli/anchorWarnings.ts";
import type { ContentProvider } from "../../src/storage/provider.ts";

const provider = (name: string) => ({ name }) as ContentProvider;
const base = {
  storeDir: undefined,
  rpcUrl: "http://127.0.0.1:8545",
  registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  runs: [{ tenantId: "studio-aurora", chainId: "b081c072-e85c-4537-b810-6e4e64215bbb" }],
} as const;

describe("the local-store warning of pop anchor", () => {
  it("names pop gateway and one pop verify per run when every provider is the local store", () => {
    const warning = localStoreWarning({ ...base, providers: [provider("local")] });
    expect(warning?.message).to.include("local store .pop/store");
    expect(warning?.commands).to.deep.equal([
      "npx pop gateway --port 8080",
      `npx pop verify --tenant studio-aurora --chain-id ${base.runs[0].chainId} --rpc http://127.0.0.1:8545 --registry ${base.registry} --gateway http://127.0.0.1:8080`,
    ]);
  });

  it("is absent when a provider other than the local store holds the run", () => {
    expect(localStoreWarning({ ...base, providers: [provider("local"), provider("pinata")] })).to.equal(undefined);
    expect(localStoreWarning({ ...base, providers: [provider("kubo")] })).to.equal(undefined);
  });

  it("quotes a store directory the shell would split, and never prints an RPC URL that may hold an API key", () => {
    const warning = localStoreWarning({
      ...base,
      providers: [provider("local")],
      storeDir: "my store/it's",
      rpcUrl: "https://base-mainnet.g.alchemy.com/v2/SECRETKEY",
    });
    expect(warning?.commands[0]).to.equal(`POP_STORE_DIR='my store/it'\\''s' npx pop gateway --port 8080`);
    expect(warning?.commands.join("\n")).to.not.include("SECRETKEY");
    expect(warning?.commands[1]).to.include("--rpc '<your RPC URL>'");
  });
});
