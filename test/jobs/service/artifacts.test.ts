import { expect } from "chai";
import type { Database } from "../../../src/db/database.ts";
import type { ArtifactAnchor } from "../../../src/jobs/artifact/format.ts";
import { verifyJobArtifact } from "../../../src/jobs/artifact/verify.ts";
import { sharedPgliteTarget } from "../../helpers/databases.ts";
import { apiKey, call, jobBodies, OTHER_TENANT, type Running, startService, TENANT } from "./harness.ts";

const ANCHOR: ArtifactAnchor = {
  chain: { id: 31337, name: "Base (local stand-in)" },
  registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  txHash: `0x${"cd".repeat(32)}`,
  blockNumber: "42",
  tenantId: TENANT,
  chainId: "0b6f4f8e-3d2a-4f51-9c3e-2f1d7a9b8c01",
  chainscriptCid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
};

describe("receipts service: artifacts (pglite)", function () {
  this.timeout(60_000);
  let db: Database;
  let running: Running;
  let key: string;
  let jobId: string;
  let anchored: string | undefined;
  let file: string;
  before(async () => {
    db = await sharedPgliteTarget.open();
    running = await startService(db, {
      anchorLookup: async (_sql, id) => (id === anchored ? ANCHOR : null),
    });
    key = await apiKey(db);
    const bodies = await jobBodies({ seed: 31n });
    jobId = bodies.jobId;
    await call(running.url, "/api/jobs/submit?wait=commit", { key, body: bodies.submit });
    await call(running.url, "/api/jobs/complete?wait=commit", { key, body: bodies.complete });
    const response = await fetch(`${running.url}/api/artifacts/download/${jobId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    file = await response.text();
  });
  after(async () => {
    await running.close();
    await db.close();
  });

  describe("GET /api/artifacts/download/:jobId", () => {
    it("answers the job's signed artifact as its exact RFC 8785 bytes, with both packets and their Numbers commits", async () => {
      const response = await fetch(`${running.url}/api/artifacts/download/${jobId}`, {
        headers: { "x-api-key": key },
      });
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.match(/^application\/json/);
      expect(response.headers.get("content-disposition")).to.include(`${jobId}.pop-artifact.json`);
      const artifact = JSON.parse(file);
      expect(artifact.job.jobId).to.equal(jobId);
      expect(artifact.results.status).to.equal("succeeded");
      expect(artifact.proof.anchor).to.equal(null);
      expect(artifact.proof.packets).to.have.length(2);
      for (const packet of artifact.proof.packets) {
        expect(packet.numbers).to.include({ status: "committed", nid: packet.cid, nidMatchesCid: true });
        expect(packet.numbers.txHash).to.match(/^0x[0-9a-f]{64}$/);
      }
      const report = await verifyJobArtifact(new TextEncoder().encode(file));
      expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
      expect(report.keyId).to.equal("fleet-north-2026");
    });

    it("carries the Base anchor once the job has one", async () => {
      anchored = jobId;
      try {
        const answer = await call(running.url, `/api/artifacts/download/${jobId}`, { key });
        expect(answer.body.proof.anchor).to.deep.equal(ANCHOR);
        const report = await verifyJobArtifact(answer.body);
        expect(report.verdict).to.equal("valid");
        expect(report.anchored).to.equal(true);
        expect(report.notes.join(" ")).to.match(/Base anchor was not verified: give a Base RPC/);
      } finally {
        anchored = undefined;
      }
    });

    it("answers 404 for an unknown job, 403 for another tenant's, 401 without a key", async () => {
      const unknown = await call(running.url, "/api/artifacts/download/no-such-job", { key });
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error).to.include({ code: "unknown_job", field: "jobId" });
      const other = await call(running.url, `/api/artifacts/download/${jobId}`, {
        key: await apiKey(db, OTHER_TENANT),
      });
      expect(other.status).to.equal(403);
      expect((await call(running.url, `/api/artifacts/download/${jobId}`)).status).to.equal(401);
    });
  });

  describe("POST /api/artifacts/verify-c2pa and /api/artifacts/verify", () => {
    it("verifies the file's text (every byte) or its parsed object, naming each check", async () => {
      for (const artifactContent of [file, JSON.parse(file)]) {
        const answer = await call(running.url, "/api/artifacts/verify-c2pa", { key, body: { artifactContent } });
        expect(answer.status).to.equal(200);
        expect(answer.body.verdict).to.equal("valid");
        expect(answer.body.checks.map((check: { id: string }) => check.id)).to.include.members([
          "artifact.format",
          "packets.integrity",
          "artifact.signature",
        ]);
      }
    });

    it("answers a changed artifact's verdict with the field it names (the alias path too)", async () => {
      const changed = file.replace('"status":"succeeded"', '"status":"failed"');
      expect(changed).to.not.equal(file);
      const answer = await call(running.url, "/api/artifacts/verify", { key, body: { artifactContent: changed } });
      expect(answer.status).to.equal(200);
      expect(answer.body.verdict).to.equal("invalid");
      expect(answer.body.firstFailure).to.include({ check: "artifact.summary", field: "results.status" });
    });

    it("refuses a body without artifactContent with 400 naming it, and no key with 401", async () => {
      const answer = await call(running.url, "/api/artifacts/verify", { key, body: { artifact: file } });
      expect(answer.status).to.equal(400);
      expect(answer.body.error.field).to.be.oneOf(["artifactContent", "artifact"]);
      expect((await call(running.url, "/api/artifacts/verify", { body: { artifactContent: file } })).status).to.equal(
        401,
      );
    });
  });
});
