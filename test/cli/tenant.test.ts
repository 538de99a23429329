import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, getAddress, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { pop, type PopResult as Result } from "../helpers/pop.ts";

const PASSPHRASE = "correct horse battery staple";
const REGISTRAR_KEY = DEV_KEYS[0] as Hex;
const ADMIN_KEY = DEV_KEYS[1] as Hex;
const OTHER_KEY = DEV_KEYS[2] as Hex;
const ADMIN = privateKeyToAccount(ADMIN_KEY).address;
const OTHER = privateKeyToAccount(OTHER_KEY).address;
const SIGNER = privateKeyToAccount(DEV_KEYS[3] as Hex).address;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe("pop tenant, signer and key (command line against a local Base JSON-RPC chain)", () => {
  let chain: LocalChain;
  let dir: string;
  let network: string[];
  let keyFile: { keyId: string; publicKey: string };

  /** `pop` sending from `key`'s account to the local chain's registry. */
  const as = (key: Hex, args: string[]) => pop(dir, [...args, ...network], { POP_ADMIN_PRIVATE_KEY: key });

  /** A result that succeeded, parsed from --json. */
  function ok(result: Result): Record<string, unknown> {
    expect(result.code, result.stderr).to.equal(0);
    for (const key of [REGISTRAR_KEY, ADMIN_KEY, OTHER_KEY]) {
      expect(result.stdout + result.stderr).to.not.include(key.slice(2));
    }
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  before(async () => {
    chain = await startLocalBase();
    network = ["--rpc", chain.url, "--registry", chain.registry, "--json"];
    dir = await mkdtemp(join(tmpdir(), "pop-tenant-"));
    const generated = await pop(
      dir,
      ["keys", "generate", "--key-id", "studio-key-1", "--out", "studio.key", "--scrypt-log-n", "14"],
      {
        POP_KEY_PASSPHRASE: PASSPHRASE,
      },
    );
    expect(generated.code, generated.stderr).to.equal(0);
    keyFile = JSON.parse(await readFile(join(dir, "studio.key"), "utf8"));
  });
  after(async () => {
    await chain?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("registers a tenant, allows a signer, registers and revokes a key without its passphrase, and shows it all", async () => {
    const registered = ok(await as(REGISTRAR_KEY, ["tenant", "register", "studio-aurora", "--admin", ADMIN]));
    expect(registered).to.include({ tenantId: "studio-aurora", admin: ADMIN, registry: getAddress(chain.registry) });
    expect(registered.from).to.equal(privateKeyToAccount(REGISTRAR_KEY).address);
    expect(registered.transaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(registered.gasUsed).to.be.a("number").above(21_000);

    // The RPC URL from the environment instead of --rpc.
    const added = ok(
      await pop(dir, ["signer", "add", "studio-aurora", SIGNER, "--registry", chain.registry, "--json"], {
        POP_ADMIN_PRIVATE_KEY: ADMIN_KEY,
        POP_RPC_URL: chain.url,
      }),
    );
    expect(added).to.include({ signer: SIGNER, allowed: true });

    // No POP_KEY_PASSPHRASE anywhere: the public key is read in clear.
    const key = ok(await as(ADMIN_KEY, ["key", "register", "studio-aurora", "--key", "studio.key"]));
    expect(key).to.include({ tenantId: "studio-aurora", keyId: "studio-key-1", publicKey: keyFile.publicKey });
    const validFrom = new Date(key.validFrom as string);
    const validUntil = new Date(key.validUntil as string);
    // The default start is the chain's time when the command ran: the block before the registration's
    // (nothing else sends transactions here), compared with the chain, never with this machine's clock.
    const client = createPublicClient({ transport: http(chain.url) });
    const before = await client.getBlock({ blockNumber: BigInt(key.blockNumber as number) - 1n });
    expect(validFrom.getTime()).to.equal(Number(before.timestamp) * 1000);
    expect(validUntil.getUTCFullYear()).to.equal(validFrom.getUTCFullYear() + 1);
    expect(validUntil.toISOString().slice(4)).to.equal(validFrom.toISOString().slice(4));

    const shown = ok(
      await as(ADMIN_KEY, ["tenant", "show", "studio-aurora", "--signer", SIGNER, "--key-id", "studio-key-1"]),
    );
    expect(shown).to.deep.include({
      tenantId: "studio-aurora",
      registered: true,
      admin: ADMIN,
      pendingAdmin: null,
      anchorCount: 0,
      signers: { [SIGNER]: true },
      keys: {
        "studio-key-1": {
          publicKey: keyFile.publicKey,
          validFrom: key.validFrom,
          validUntil: key.validUntil,
          revokedAt: null,
          revocationRecordedAt: null,
        },
      },
    });

    const revoked = ok(await as(ADMIN_KEY, ["key", "revoke", "studio-aurora", "studio-key-1"]));
    expect(revoked.revokedAt).to.match(ISO);
    ok(await as(ADMIN_KEY, ["signer", "remove", "studio-aurora", SIGNER]));

    const after = ok(
      await pop(dir, ["tenant", "show", "studio-aurora", "--signer", SIGNER, "--key-id", "studio-key-1", ...network]),
    );
    expect(after.signers).to.deep.equal({ [SIGNER]: false });
    expect((after.keys as Record<string, Record<string, unknown>>)["studio-key-1"]).to.include({
      revokedAt: revoked.revokedAt,
    });
  });

  it("registers a key with a validity window given in ISO 8601 and unix seconds", async () => {
    ok(await as(REGISTRAR_KEY, ["tenant", "register", "studio-borealis", "--admin", ADMIN]));
    const key = ok(
      await as(ADMIN_KEY, [
        "key",
        "register",
        "studio-borealis",
        "--key",
        "studio.key",
        "--valid-from",
        "2026-01-01",
        "--valid-until",
        "1798761600",
      ]),
    );
    expect(key).to.include({ validFrom: "2026-01-01T00:00:00Z", validUntil: "2027-01-01T00:00:00Z" });
  });

  it("exits 2 with the contract's error as a plain sentence when the sender is not the tenant's admin", async () => {
    ok(await as(REGISTRAR_KEY, ["tenant", "register", "studio-cygnus", "--admin", ADMIN]));
    const result = await as(OTHER_KEY, ["signer", "add", "studio-cygnus", SIGNER]);
    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal("");
    expect(result.stderr).to.include(`pop: ${OTHER} is not the admin of tenant "studio-cygnus".`);
    expect(result.stderr).to.not.include(OTHER_KEY.slice(2));
  });

  it("exits 2 with InvalidRevocationTime's sentence for a revocation in the future", async () => {
    ok(await as(REGISTRAR_KEY, ["tenant", "register", "studio-draco", "--admin", ADMIN]));
    ok(await as(ADMIN_KEY, ["key", "register", "studio-draco", "--key", "studio.key"]));
    const result = await as(ADMIN_KEY, ["key", "revoke", "studio-draco", "studio-key-1", "--at", "2100-01-01"]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(
      /The revocation time 2100-01-01T00:00:00Z is in the future \(block time \S+; the key is valid from \S+\)\./,
    );
  });

  it("exits 2 naming POP_ADMIN_PRIVATE_KEY when it is not set", async () => {
    const result = await pop(dir, ["tenant", "register", "studio-eridanus", "--admin", ADMIN, ...network]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("POP_ADMIN_PRIVATE_KEY is not set");
  });

  it("exits 2 without echoing a malformed POP_ADMIN_PRIVATE_KEY", async () => {
    const result = await pop(dir, ["signer", "add", "studio-aurora", SIGNER, ...network], {
      POP_ADMIN_PRIVATE_KEY: "0x1234-not-a-key",
    });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("POP_ADMIN_PRIVATE_KEY is not a private key");
    expect(result.stderr).to.not.include("not-a-key");
  });

  it("exits 2 when neither --rpc nor POP_RPC_URL is given", async () => {
    const result = await pop(dir, ["tenant", "show", "studio-aurora"]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("Missing --rpc (or POP_RPC_URL)");
  });

  it("exits 2 when no --registry is given and the chain has no recorded deployment", async () => {
    const result = await pop(dir, ["tenant", "show", "studio-aurora", "--rpc", chain.url]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("No --registry given, and no deployment for chain 31337");
  });

  it("exits 2 for a time that is neither ISO 8601 nor unix seconds", async () => {
    const result = await as(ADMIN_KEY, ["key", "revoke", "studio-aurora", "studio-key-1", "--at", "yesterday"]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("--at must be unix seconds or an ISO 8601 time");
  });
});
