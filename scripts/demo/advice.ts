/**
 * What `npm start` prints once the example is verified: the commands to try
 * next, with the URLs the chains and the gateway actually listen on, or, after
 * `--exit`, that those are gone and how to keep them.
 */
import { DEV_KEYS } from "./accounts.ts";

export interface AdviceContext {
  readonly tenantId: string;
  readonly chainId: string;
  readonly keyId: string;
  readonly urls: { readonly base: string; readonly numbers: string; readonly gateway: string };
  /** Paths as the user should type them (relative to the working directory). */
  readonly paths: {
    readonly runDir: string;
    readonly asset: string;
    readonly key: string;
    readonly state: string;
    readonly store: string;
  };
  /** The passphrase to show in the anchor command ("…" when it is the user's own). */
  readonly passphraseShown: string;
}

/** The lines printed after the verification; `exit` when the chains stop with the script. */
export function nextSteps(context: AdviceContext, exit: boolean): string {
  if (exit)
    return [
      "The local chains and the gateway have stopped (--exit), and with them the anchor above: run `npm start`",
      "without --exit to keep them running and get the commands to verify, anchor another run and index.",
    ].join("\n");
  const { urls, paths } = context;
  const where = `--rpc ${urls.base} --gateway ${urls.gateway}`;
  const ids = `--tenant ${context.tenantId} --chain-id ${context.chainId}`;
  return `Try, in another terminal while this runs:
  npx pop verify ${ids} ${where}
  npx pop verify-asset ${paths.asset} ${ids} ${where}
  npx pop tenant show ${context.tenantId} --rpc ${urls.base} --key-id ${context.keyId}
Anchor another run: copy ${paths.runDir}, change its outputs and manifest, then
  POP_KEY_PASSPHRASE='${context.passphraseShown}' \\
  POP_ANCHOR_SIGNER_PRIVATE_KEY=${DEV_KEYS[2]} \\
  POP_RELAYER_PRIVATE_KEY=${DEV_KEYS[3]} \\
  POP_STATE_DIR=${paths.state} POP_STORE_DIR=${paths.store} \\
  npx pop anchor <your manifest.jsonl> --key ${paths.key} --network local --rpc ${urls.base}
(the anchor signer's and the relayer's keys: Hardhat's public development keys, for the local chain only.)
Index both chains into the audit API (GraphQL and REST on :42069), on a fresh database:
  rm -rf indexer/.ponder && PONDER_RPC_URL_31337=${urls.base} PONDER_RPC_URL_31338=${urls.numbers} \\
  POP_GATEWAYS=${urls.gateway} npm run indexer

The local chains and the gateway keep running; Ctrl-C stops them.`;
}
