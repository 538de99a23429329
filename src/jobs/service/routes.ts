/** The routes as OpenAPI definitions: paths, parameters, bodies and answers (app.ts attaches the handlers). */
import { createRoute, z } from "@hono/zod-openapi";
import {
  ArtifactReport,
  CompleteBody,
  DuplicateBody,
  ErrorBody,
  Health,
  JobArtifactSchema,
  JobId,
  JobList,
  ListQuery,
  Receipt,
  SimulateBody,
  SubmitBody,
  Timeline,
  VerifyArtifactBody,
  WaitQuery,
} from "./schemas.ts";

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string) => json(ErrorBody, description);
const security = [{ bearer: [] }, { apiKey: [] }];
const authErrors = {
  400: error("A parameter or field is invalid; `field` names it."),
  401: error("No API key, or one this service does not know."),
  403: error("The API key was revoked, or the job is another tenant's."),
  429: error("The API key is over its rate limit; see Retry-After."),
};
const eventAnswers = {
  200: json(Receipt, "With `?wait=commit`: recorded, stored and committed (the receipt has the transaction)."),
  202: json(Receipt, "Recorded and signed; storage and the commit follow. The receipt carries the NID already."),
  ...authErrors,
  409: json(DuplicateBody, "The event was recorded before: `receipt` is the original receipt."),
  413: error("The body is larger than the service accepts."),
  415: error("The body is not JSON."),
  503: error("The service holds no signing key for the API key's tenant."),
};

export const healthRoute = createRoute({
  method: "get",
  path: "/api/health",
  summary: "Each dependency's status: database, Base and Numbers chains, storage, committer, signer.",
  responses: { 200: json(Health, "Up (possibly degraded)."), 503: json(Health, "Down: events cannot be recorded.") },
});

export const submitRoute = createRoute({
  method: "post",
  path: "/api/jobs/submit",
  summary: "Record a JobSubmitted event: a signed evidence packet, stored and committed on Numbers.",
  security,
  request: {
    query: WaitQuery,
    body: { required: true, content: { "application/json": { schema: SubmitBody } } },
  },
  responses: eventAnswers,
});

export const completeRoute = createRoute({
  method: "post",
  path: "/api/jobs/complete",
  summary: "Record a JobCompleted event of a submitted job.",
  security,
  request: {
    query: WaitQuery,
    body: { required: true, content: { "application/json": { schema: CompleteBody } } },
  },
  responses: { ...eventAnswers, 404: error("The job was never submitted.") },
});

export const simulateRoute = createRoute({
  method: "post",
  path: "/api/jobs/simulate",
  summary:
    "Demos only (off unless the service has a simulator time scale): run a simulated job in the service; its JobSubmitted is recorded now, its JobCompleted after the scaled duration.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: SimulateBody } } } },
  responses: {
    202: json(Receipt, "The simulated job's JobSubmitted receipt: `jobId` names the job to follow."),
    ...authErrors,
    404: error("The simulator is off on this service."),
    413: error("The body is larger than the service accepts."),
    415: error("The body is not JSON."),
    503: error("The service holds no signing key for the API key's tenant."),
  },
});

export const listRoute = createRoute({
  method: "get",
  path: "/api/jobs/list",
  summary: "The API key's tenant's jobs, newest first, a page at a time.",
  security,
  request: { query: ListQuery },
  responses: { 200: json(JobList, "One page; `nextCursor` fetches the next (null on the last)."), ...authErrors },
});

export const timelineRoute = createRoute({
  method: "get",
  path: "/api/jobs/timeline/{jobId}",
  summary: "A job's events, oldest first, each with its receipt.",
  security,
  request: { params: z.object({ jobId: JobId.openapi({ param: { name: "jobId", in: "path" } }) }) },
  responses: { 200: json(Timeline, "The job's events."), ...authErrors, 404: error("No such job.") },
});

export const downloadRoute = createRoute({
  method: "get",
  path: "/api/artifacts/download/{jobId}",
  summary:
    "The job's artifact: its results and whole proof (packets, Numbers commits, Base anchor), signed by the tenant's key over its RFC 8785 bytes.",
  security,
  request: { params: z.object({ jobId: JobId.openapi({ param: { name: "jobId", in: "path" } }) }) },
  responses: {
    200: json(JobArtifactSchema, "The artifact, served as its exact RFC 8785 bytes (the signed form)."),
    ...authErrors,
    404: error("No such job."),
    503: error("The service holds no signing key for the job's tenant."),
  },
});

const verifyDefinition = (path: string, summary: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    security,
    request: { body: { required: true, content: { "application/json": { schema: VerifyArtifactBody } } } },
    responses: {
      200: json(ArtifactReport, "The verification ran: `verdict` says valid, invalid or incomplete."),
      ...authErrors,
      413: error("The body is larger than the service accepts."),
      415: error("The body is not JSON."),
    },
  });

export const verifyArtifactRoute = verifyDefinition(
  "/api/artifacts/verify-c2pa",
  "Verify a job artifact: offline, then against the service's configured chains; every check is named.",
);
export const verifyArtifactAliasRoute = verifyDefinition(
  "/api/artifacts/verify",
  "Alias of /api/artifacts/verify-c2pa.",
);

export const ROUTES = [
  healthRoute,
  submitRoute,
  completeRoute,
  simulateRoute,
  listRoute,
  timelineRoute,
  downloadRoute,
  verifyArtifactRoute,
  verifyArtifactAliasRoute,
];
