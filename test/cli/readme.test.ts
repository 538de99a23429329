import { execFile } from "node:child_process";
import { access, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { expect } from "chai";
import { TEST_NODE_FLAGS } from "../helpers/node.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

function run(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: options.cwd, env: options.env ?? process.env }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Every .ts file under `dir`, recursively. */
async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".ts")).map((e) => join(e.parentPath, e.name));
}

describe("README", () => {
  it("documents every pop command and every environment variable the code reads (README and its docs/ pages)", async () => {
    // The README is the front door; reference tables live in docs/ by topic.
    const pages = (await readdir(join(root, "docs"))).filter((name) => name.endsWith(".md"));
    const readme = (
      await Promise.all(
        [join(root, "README.md"), ...pages.map((name) => join(root, "docs", name))].map((f) => readFile(f, "utf8")),
      )
    ).join("\n");
    const { main } = await import("../../src/cli/main.ts");
    const write = process.stdout.write;
    let help = "";
    process.stdout.write = ((chunk: string) => {
      help += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      await main(["--help"]);
    } finally {
      process.stdout.write = write;
    }
    const commands = [...help.matchAll(/^ {2}(pop [a-z-]+(?: [a-z-]+)?)/gm)].map((m) => m[1] as string);
    expect(commands).to.include("pop anchor");
    for (const command of commands) expect(readme, command).to.include(`\`${command}`);
    const code = await Promise.all(
      [
        ...(await sources(join(root, "src"))),
        ...(await sources(join(root, "indexer"))),
        join(root, "scripts/demo.ts"),
        ...(await sources(join(root, "scripts/demo"))),
      ].map((f) => readFile(f, "utf8")),
    );
    // PONDER_DATABASE is Ponder's global (globalThis) holding its query builders, not a variable.
    const notVariables = new Set(["PONDER_DATABASE"]);
    const variables = new Set(
      code.flatMap((text) =>
        [...text.matchAll(/\b(POP_[A-Z0-9_]+|PONDER_[A-Z0-9_]+|DATABASE_URL)\b/g)]
          .map((m) => m[1] as string)
          .filter((name) => !notVariables.has(name)),
      ),
    );
    expect(variables.size).to.be.greaterThan(10);
    for (const variable of variables) expect(readme, variable).to.include(variable as string);
  });

  it("runs `npx pop` from the project root with no build step", async () => {
    // Whichever npx is on PATH; `node` resolves to the running (≥ 22.13) Node first.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
    const result = await run("npx", ["--no-install", "pop", "--help"], { cwd: root, env });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include("pop chain verify");
  });

  it("has a quickstart that runs as pasted, again and again, leaving the shell where it was and the tree clean", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const block = readme.split("### Make and verify a chain on your machine")[1]?.split("```sh")[1]?.split("```")[0];
    expect(block, "the quickstart recipe has a sh block").to.be.a("string");
    const dir = await mkdtemp(join(tmpdir(), "pop-readme-"));
    try {
      // `npx pop` resolves to this checkout's bin; everything else runs exactly as written.
      const prelude = `set -e\nnpx() { if [ "$1" = pop ]; then shift; "${process.execPath}" ${TEST_NODE_FLAGS.join(" ")} "${join(root, "bin/pop.js")}" "$@"; else command npx "$@"; fi; }\n`;
      const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
      // Twice in one shell: the second run must not trip over the first one's key and packets.
      const script = `${prelude}${block}\n${block}\necho "cwd: $PWD"`;
      const result = await run("bash", ["-c", script], { cwd: dir, env });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout.match(/^verdict: valid$/gm)).to.have.length(2);
      expect(result.stdout.match(/^exit code: 0$/gm)).to.have.length(2);
      expect(result.stdout).to.include(`cwd: ${dir}`);
      // Everything it wrote is under .pop/, which git and the linters ignore.
      expect(await readdir(dir)).to.deep.equal([".pop"]);
      const ignored = (await readFile(join(root, ".gitignore"), "utf8")).split("\n");
      expect(ignored).to.include(".pop/");
      expect(JSON.parse(await readFile(join(root, "biome.json"), "utf8")).files.includes).to.include("!**/.pop");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is a front door: at most 250 lines, tables at most 120 characters wide, links that resolve inside the repository", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    expect(readme.split("\n").length).to.be.at.most(250);
    const wide = readme.split("\n").filter((line) => line.startsWith("|") && line.length > 120);
    expect(wide).to.deep.equal([]);
    expect(readme).to.include("```mermaid");
    const pages = (await readdir(join(root, "docs"), { recursive: true }))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `docs/${name}`);
    for (const page of ["README.md", ...pages]) {
      const text = await readFile(join(root, page), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target as string)) continue;
        const path = resolve(dirname(join(root, page)), (target as string).split("#")[0] as string);
        expect(
          path.startsWith(`${root}/`) || path === root,
          `${page} links outside the repository: ${target}`,
        ).to.equal(true);
        await access(path).catch(() => expect.fail(`${page} links to a missing file: ${target}`));
      }
    }
  });
});
