import { expect } from "chai";
import { PATHS } from "../../../src/jobs/service/app.ts";
import { freshDatabaseEach, sharedPgliteTarget } from "../../helpers/databases.ts";
import { call, type Running, startService } from "./harness.ts";

describe("receipts service: OpenAPI document", function () {
  this.timeout(30_000);
  const db = freshDatabaseEach(sharedPgliteTarget);
  let running: Running;
  beforeEach(async () => {
    running = await startService(db(), { worker: false });
  });
  afterEach(() => running.close());

  it("is served at /api/openapi.json without a key and lists every route with its methods and answers", async () => {
    const answer = await call(running.url, "/api/openapi.json");
    expect(answer.status).to.equal(200);
    const doc = answer.body;
    expect(doc.openapi).to.match(/^3\./);
    expect(doc.info.title).to.be.a("string");
    const documented = Object.keys(doc.paths);
    expect(documented).to.have.members(PATHS.filter((path) => path !== "/api/openapi.json"));
    expect(Object.keys(doc.paths["/api/jobs/submit"])).to.deep.equal(["post"]);
    expect(Object.keys(doc.paths["/api/jobs/complete"])).to.deep.equal(["post"]);
    expect(Object.keys(doc.paths["/api/jobs/list"])).to.deep.equal(["get"]);
    expect(Object.keys(doc.paths["/api/jobs/timeline/{jobId}"])).to.deep.equal(["get"]);
    const submit = doc.paths["/api/jobs/submit"].post;
    expect(Object.keys(submit.responses)).to.include.members(["202", "400", "401", "403", "409", "413", "429"]);
    expect(Object.keys(doc.paths["/api/jobs/complete"].post.responses)).to.include("404");
    expect(submit.security).to.deep.equal([{ bearer: [] }, { apiKey: [] }]);
    expect(Object.keys(doc.components.securitySchemes)).to.have.members(["bearer", "apiKey"]);
  });

  it("describes the bodies with the schemas that validate them", async () => {
    const doc = (await call(running.url, "/api/openapi.json")).body;
    const submit = doc.components.schemas.SubmitJob;
    expect(submit.required).to.include.members(["taskType", "executor", "gpu", "modelId"]);
    expect(submit.properties.taskType.enum).to.include("image-generation");
    expect(doc.components.schemas.CompleteJob.required).to.include("jobId");
    expect(doc.components.schemas.Receipt.properties).to.include.keys("packetCid", "nid", "packetHash", "status");
    const listParameters = doc.paths["/api/jobs/list"].get.parameters.map((p: { name: string }) => p.name);
    expect(listParameters).to.have.members(["status", "taskType", "executor", "limit", "cursor"]);
    // Every $ref points at a schema the document defines.
    for (const [, name] of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([^"]+)"/g))
      expect(doc.components.schemas, name).to.have.property(name as string);
  });
});
