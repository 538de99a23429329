/**
 * The Store one request reads through: each read is refused once the
 * request's deadline has passed, and a read that ends after it is answered
 * 503 rather than used. On PGlite, where a statement cannot be interrupted,
 * this is the statement timeout (deadline.ts); on Postgres the server also
 * cancels the statement itself.
 */
import type { Deadline } from "./deadline.ts";
import type { Store } from "./store.ts";

export function boundedStore(store: Store, deadline: Deadline): Store {
  const bound =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      deadline.check();
      const result = await read(...args);
      deadline.check();
      return result;
    };
  return {
    anchor: bound(store.anchor.bind(store)),
    tenant: bound(store.tenant.bind(store)),
    tenantNames: bound(store.tenantNames.bind(store)),
    anchorCounts: bound(store.anchorCounts.bind(store)),
    assetEntries: bound(store.assetEntries.bind(store)),
    jobCommits: bound(store.jobCommits.bind(store)),
    packets: bound(store.packets.bind(store)),
    anchorByCertificate: bound(store.anchorByCertificate.bind(store)),
  };
}
