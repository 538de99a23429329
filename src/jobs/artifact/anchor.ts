/**
 * Where a job's packets were anchored on Base, for its artifact. The anchoring of
 * completed jobs (issue 12 item 7) is being built apart: until it is merged no
 * job is anchored and this answers null ("not anchored yet"). It is the one read
 * the artifact makes of anchoring, to be wired to the anchoring tables then.
 */
import type { Sql } from "../../db/database.ts";
import type { ArtifactAnchor } from "./format.ts";

/** Looks up a job's Base anchor: null while it has none. */
export type JobAnchorLookup = (sql: Sql, jobId: string) => Promise<ArtifactAnchor | null>;

/** The service's lookup: no job is anchored yet (see the module's comment). */
export const readJobAnchor: JobAnchorLookup = async () => null;
