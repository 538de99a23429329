/**
 * The local Numbers chain in a process of its own, for the receipts bench: the
 * service under test shares no event loop with the chain it commits to (a real
 * Numbers RPC is a network away). Prints `{ url, commitRegister }` as one JSON
 * line once the CommitRegister is deployed; stops when its stdin closes.
 */
import { startLocalNumbers } from "../../test/helpers/localChain.ts";

const chain = await startLocalNumbers();
process.stdout.write(`${JSON.stringify({ url: chain.url, commitRegister: chain.commitRegister })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void chain.close().finally(() => process.exit(0));
});
