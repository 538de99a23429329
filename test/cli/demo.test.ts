import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { DEMO_ROLES, DEV_KEYS, demoAccounts } from "../../scripts/demo/accounts.ts";
import { type AdviceContext, nextSteps } from "../../scripts/demo/advice.ts";
import { parseDemoOptions } from "../../scripts/demo/options.ts";
import { UsageError } from "../../src/cli/errors.ts";

const script = new URL("../../scripts/demo.ts", import.meta.url).pathname;
const tsx = new URL("../../node_modules/tsx/dist/cli.mjs", import.meta.url).pathname;

/** Runs `npm start` (the script under tsx) with `args`; every port is free (0) unless `args` or `env` say otherwise. */
function startDemo(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsx, script, ...args],
      {
        env: {
          ...process.env,
          POP_KEY_PASSPHRASE: "",
          POP_BASE_PORT: "0",
          POP_NUMBERS_PORT: "0",
          POP_GATEWAY_PORT: "0",
          ...env,
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function thrown(work: () => unknown): UsageError {
  try {
    work();
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  return expect.fail("no error was thrown");
}

describe("npm start (the example pipeline)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-demo-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("anchors the example through the pipeline on free ports, verifies it, names the accounts' roles and, with --exit, advises nothing for the stopped chains", async () => {
    const { code, stdout, stderr } = await startDemo(["--exit"], { POP_DEMO_DIR: dir });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.match(/^verification \(4-step protocol, RPC \+ gateway only\): valid$/m);
    expect(stdout).to.match(/^anchored .*manifest\.jsonl: 3 packets, chain [0-9a-f-]{36}$/m);
    expect(stdout).to.match(/^ {2}tx 0x[0-9a-f]{64}, block \d+, gas \d+$/m);
    // Free ports, not the defaults a running `npm start` holds.
    const base = /^local Base {4}http:\/\/127\.0\.0\.1:(\d+) /m.exec(stdout)?.[1];
    expect(base).to.be.a("string").and.not.equal("8545");
    // What happened, in sentences.
    expect(stdout).to.match(/^ {2}signed 3 evidence packets with Ed25519 key demo-key$/m);
    expect(stdout).to.match(/^ {2}stored the chainscript and its packets in the local store /m);
    expect(stdout).to.match(/^ {2}anchor transaction sent to local Base$/m);
    expect(stdout).to.not.match(/^ {2}recorded [a-z]+$/m);
    // Who is who, and that the keys are public.
    expect(stdout).to.include("Hardhat's public development keys: for local chains only");
    for (const { role, label } of DEMO_ROLES)
      expect(stdout).to.match(new RegExp(`^ {2}${label} +${demoAccounts[role].address} `, "m"));
    // The chains are gone: no command that would need them, and the way to keep them.
    expect(stdout).to.include("have stopped (--exit)");
    expect(stdout).to.include("without --exit to keep them running");
    for (const stale of ["npx pop verify", "npx pop anchor", "npm run indexer", "Ctrl-C", "Try,"])
      expect(stdout, stale).to.not.include(stale);
    const receipt = JSON.parse(await readFile(join(dir, "run", "manifest.receipt.json"), "utf8"));
    expect(receipt.packetCids).to.have.length(3);
    expect(stdout).to.include(receipt.transaction.hash);
  });

  describe("a port it cannot take", () => {
    let busy: Server;
    let port: number;
    before(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
      port = (busy.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => busy.close(() => resolve())));

    for (const [name, option, variable, what] of [
      ["base", "--base-port", "POP_BASE_PORT", "the local Base chain"],
      ["gateway", "--gateway-port", "POP_GATEWAY_PORT", "the gateway"],
    ] as const) {
      it(`is one sentence naming the port and ${option}, exit 2, before anything starts (${name})`, async () => {
        const viaOption = await startDemo([option, String(port), "--exit"], { POP_DEMO_DIR: dir });
        const viaVariable = await startDemo(["--exit"], { POP_DEMO_DIR: dir, [variable]: String(port) });
        for (const { code, stdout, stderr } of [viaOption, viaVariable]) {
          expect(code, stderr).to.equal(2);
          expect(stdout).to.equal("");
          expect(stderr).to.equal(
            `Port ${port} on 127.0.0.1 for ${what} is in use (another node, or another npm start?): ` +
              `choose another with ${option} <port> or ${variable}, or stop what runs there.\n`,
          );
        }
      });
    }
  });

  it("refuses a port that is not one, naming the option or variable, exit 2", async () => {
    const option = await startDemo(["--numbers-port", "70000"], { POP_DEMO_DIR: dir });
    expect(option.code).to.equal(2);
    expect(option.stderr).to.equal(
      `--numbers-port must be a port number from 0 to 65535 (0 takes a free port), not "70000".\n`,
    );
    const variable = await startDemo([], { POP_DEMO_DIR: dir, POP_BASE_PORT: "85a45" });
    expect(variable.code).to.equal(2);
    expect(variable.stderr).to.match(/^POP_BASE_PORT \(or --base-port\) must be a port number .*"85a45"\.\n$/);
  });
});

describe("npm start's options", () => {
  it("takes each port from its option, else its variable, else the default", () => {
    expect(parseDemoOptions([], {})).to.deep.equal({
      ports: { base: 8545, numbers: 8546, gateway: 8547 },
      exit: false,
      help: false,
    });
    const env = { POP_BASE_PORT: "9545", POP_NUMBERS_PORT: "9546", POP_GATEWAY_PORT: "" };
    expect(parseDemoOptions(["--base-port", "0", "--exit"], env)).to.deep.equal({
      ports: { base: 0, numbers: 9546, gateway: 8547 },
      exit: true,
      help: false,
    });
    expect(parseDemoOptions(["--gateway-port=65535"], {}).ports.gateway).to.equal(65535);
  });

  it("refuses what is not a port, two listeners on one port and unknown options, naming them", () => {
    // parseArgs itself refuses "-1" (it looks like an option), also naming the option.
    expect(thrown(() => parseDemoOptions(["--base-port", "-1"], {})).message).to.include("'--base-port'");
    for (const value of ["65536", "1.5", "0x1f", "", "port"])
      expect(thrown(() => parseDemoOptions(["--base-port", value], {})).message).to.match(
        /^--base-port must be a port/,
      );
    expect(thrown(() => parseDemoOptions([], { POP_GATEWAY_PORT: "99999" })).message).to.match(/^POP_GATEWAY_PORT/);
    expect(thrown(() => parseDemoOptions(["--numbers-port", "8545"], {})).message).to.match(
      /^--base-port and --numbers-port are both 8545/,
    );
    expect(() => parseDemoOptions(["--base-port", "0", "--numbers-port", "0"], {})).to.not.throw();
    expect(thrown(() => parseDemoOptions(["--port", "1"], {})).message).to.match(/'--port'/);
  });
});

describe("npm start's advice", () => {
  const context: AdviceContext = {
    tenantId: "studio-aurora",
    chainId: "4f1c4f36-2d5e-4d8b-9a53-0b1c2d3e4f50",
    keyId: "demo-key",
    urls: { base: "http://127.0.0.1:9545", numbers: "http://127.0.0.1:9546", gateway: "http://127.0.0.1:9547" },
    paths: {
      runDir: ".pop/demo/run",
      asset: ".pop/demo/run/outputs/a.png",
      key: ".pop/demo/demo.key",
      state: ".pop/demo/state",
      store: ".pop/demo/store",
    },
    passphraseShown: "local demo only",
  };

  it("uses the URLs the chains and the gateway listen on in every command", () => {
    const advice = nextSteps(context, false);
    expect(advice).to.include("npx pop verify --tenant studio-aurora");
    expect(advice).to.include("--rpc http://127.0.0.1:9545 --gateway http://127.0.0.1:9547");
    expect(advice).to.include("--network local --rpc http://127.0.0.1:9545");
    expect(advice).to.include("PONDER_RPC_URL_31337=http://127.0.0.1:9545 PONDER_RPC_URL_31338=http://127.0.0.1:9546");
    expect(advice).to.include("POP_GATEWAYS=http://127.0.0.1:9547 npm run indexer");
    expect(advice).to.include(`POP_RELAYER_PRIVATE_KEY=${DEV_KEYS[3]}`);
    expect(advice).to.not.match(/:854[5-7]\b/);
    expect(advice).to.include("Ctrl-C stops them");
  });

  it("after --exit, says the chains are stopped and how to keep them, and gives no command that needs them", () => {
    const advice = nextSteps(context, true);
    expect(advice).to.include("without --exit");
    expect(advice).to.not.match(/npx pop|npm run|127\.0\.0\.1|Ctrl-C/);
  });
});
