import { expect } from "chai";
import fc from "fast-check";
import { jcs } from "../../src/chainscript/jcs.ts";
import { canonicalArtifactBytes, signArtifact } from "../../src/jobs/artifact/sign.ts";
import { verifyJobArtifact } from "../../src/jobs/artifact/verify.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import { artifactOf, copy, TENANT } from "./artifactFixtures.ts";

const encode = (value: unknown) => new TextEncoder().encode(jcs(value));
const status = (report: Awaited<ReturnType<typeof verifyJobArtifact>>, id: string) =>
  report.checks.find((check) => check.id === id)?.status;

describe("jobs: artifacts", () => {
  describe("a completed job's artifact", () => {
    it("carries the results the JobCompleted packet signs, and verifies offline under its embedded key", async () => {
      const { artifact, bytes } = await artifactOf();
      expect(artifact.format).to.equal("pop-job-artifact/1");
      expect(artifact.job).to.include({ tenantId: TENANT, executor: "worker-7" });
      expect(artifact.results?.status).to.equal("succeeded");
      expect(artifact.proof.packets.map((p) => p.eventType)).to.deep.equal(["JobSubmitted", "JobCompleted"]);
      expect(artifact.signature).to.include({ algorithm: "Ed25519", context: "POP-ARTIFACT-V1" });
      const report = await verifyJobArtifact(bytes);
      expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
      for (const id of [
        "artifact.encoding",
        "packets.integrity",
        "packets.signature",
        "artifact.summary",
        "artifact.signature",
      ])
        expect(status(report, id), id).to.equal("pass");
      // Online checks were not asked for: skipped, without making the verdict incomplete.
      expect(status(report, "numbers.commits")).to.equal("skip");
      expect(report.notes.join(" "))
        .to.match(/Not anchored yet/)
        .and.match(/not checked: give a Base RPC/);
    });

    it("of a job still running has no results and verifies", async () => {
      const { artifact, bytes } = await artifactOf({ completed: false });
      expect(artifact.results).to.equal(null);
      expect((await verifyJobArtifact(bytes)).verdict).to.equal("valid");
    });

    it("tolerates one trailing newline but no other byte outside the RFC 8785 form (pretty-printing is caught)", async () => {
      const { artifact, bytes } = await artifactOf();
      expect((await verifyJobArtifact(new Uint8Array([...bytes, 0x0a]))).verdict).to.equal("valid");
      const pretty = await verifyJobArtifact(new TextEncoder().encode(JSON.stringify(artifact, null, 2)));
      expect(pretty.verdict).to.equal("invalid");
      expect(pretty.firstFailure).to.include({ check: "artifact.encoding" });
      expect(pretty.firstFailure?.message).to.match(/^byte 1 differs/);
    });

    it("given as a parsed object, checks its content and says its bytes were not checked", async () => {
      const { artifact } = await artifactOf();
      const report = await verifyJobArtifact(copy(artifact));
      expect(report.verdict).to.equal("valid");
      expect(report.notes[0]).to.match(/given as a JSON value/);
    });
  });

  describe("a changed artifact", () => {
    it("names a changed result by its field (the packets sign it) and fails the signature", async () => {
      const { artifact } = await artifactOf();
      const changed = copy(artifact);
      (changed.results as { exitCode: number }).exitCode = 1;
      const report = await verifyJobArtifact(encode(changed));
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure).to.include({ check: "artifact.summary", field: "results.exitCode" });
      expect(status(report, "artifact.signature")).to.equal("fail");
    });

    it("names a changed packet CID", async () => {
      const { artifact } = await artifactOf();
      const changed = copy(artifact);
      const other = changed.proof.packets[0]?.cid as string;
      (changed.proof.packets[1] as { cid: string }).cid = other;
      const report = await verifyJobArtifact(encode(changed));
      expect(report.firstFailure).to.include({ check: "packets.integrity", field: "proof.packets[1].cid" });
    });

    it("names a misspelt field as one the format does not have", async () => {
      const { artifact } = await artifactOf();
      const { executor, ...job } = copy(artifact).job;
      const report = await verifyJobArtifact(encode({ ...copy(artifact), job: { ...job, executer: executor } }));
      expect(report.firstFailure).to.include({ check: "artifact.format" });
      expect(["job.executor", "job.executer"]).to.include(report.firstFailure?.field);
    });

    it("re-signed by another key: valid under that key, but the packets' signatures blame the embedded key", async () => {
      const { artifact } = await artifactOf();
      const thief = signerFromSeed(artifact.signature.keyId, new Uint8Array(32).fill(7));
      const { signature: _signature, ...unsigned } = artifact;
      const forged = await signArtifact(unsigned, thief);
      const report = await verifyJobArtifact(canonicalArtifactBytes(forged));
      expect(status(report, "artifact.signature")).to.equal("pass");
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure).to.include({ check: "packets.signature", field: "signature.publicKey" });
    });

    it("is caught whatever byte of the file changes, and the failure is named", async () => {
      const { bytes } = await artifactOf({
        commits: [
          { status: "committed", txHash: `0x${"ab".repeat(32)}`, blockNumber: "12", explorerUrl: "http://x/tx/1" },
        ],
      });
      expect((await verifyJobArtifact(bytes)).verdict).to.equal("valid");
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, delta) => {
          const changed = bytes.slice();
          changed[at] = ((changed[at] as number) + delta) % 256;
          // A trailing newline in place of the last byte would be a deleted byte, not a changed one: still caught.
          const report = await verifyJobArtifact(changed);
          expect(report.verdict, `byte ${at}`).to.equal("invalid");
          expect(report.firstFailure?.check).to.be.a("string");
          expect(report.firstFailure?.message).to.have.length.greaterThan(0);
        }),
        { seed: 20260127, numRuns: 300 },
      );
    });

    it("is caught whatever value is changed, even when re-encoded in RFC 8785 form", async () => {
      const { artifact } = await artifactOf({ completed: true });
      const leaves: (string | number)[][] = [];
      const walk = (value: unknown, path: (string | number)[]) => {
        if (typeof value === "object" && value !== null)
          for (const [key, child] of Object.entries(value))
            walk(child, [...path, Array.isArray(value) ? Number(key) : key]);
        else leaves.push(path);
      };
      walk(artifact, []);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...leaves), async (path) => {
          const changed = copy(artifact) as unknown as Record<string | number, unknown>;
          let parent = changed;
          for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
          const last = path.at(-1) as string | number;
          const value = parent[last];
          parent[last] =
            typeof value === "string"
              ? `${value}0`
              : typeof value === "number"
                ? value + 1
                : value === null
                  ? 0
                  : !value;
          const report = await verifyJobArtifact(encode(changed));
          expect(report.verdict, path.join(".")).to.equal("invalid");
        }),
        { seed: 20260127, numRuns: 120 },
      );
    });
  });
});
