import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { pop } from "../helpers/pop.ts";

describe("pop serve", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-serve-cli-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("keys create prints a key once with its id, and keys revoke revokes it by id", async () => {
    const env = { POP_STATE_DIR: join(dir, "state") };
    const created = await pop(dir, ["serve", "keys", "create", "--tenant", "fleet-north", "--json"], env);
    expect(created.code, created.stderr).to.equal(0);
    const { id, key, tenant } = JSON.parse(created.stdout);
    expect(tenant).to.equal("fleet-north");
    expect(key).to.match(/^pop_sk_/);
    const revoked = await pop(dir, ["serve", "keys", "revoke", id, "--json"], env);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(JSON.parse(revoked.stdout)).to.include({ id, tenant: "fleet-north" });
    const unknown = await pop(dir, ["serve", "keys", "revoke", "key_0000"], env);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("No API key has the id");
  });

  it("keys create without --tenant is a usage error", async () => {
    const result = await pop(dir, ["serve", "keys", "create"], { POP_STATE_DIR: join(dir, "state") });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("--tenant");
  });

  it("refuses an unknown committer before opening anything, naming the variable", async () => {
    const result = await pop(dir, ["serve", "--tenant", "t", "--key", "k.json"], {
      POP_NUMBERS_COMMITTER: "carrier-pigeon",
    });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("POP_NUMBERS_COMMITTER");
  });
});
