/**
 * Signing contexts: every signature covers one of these ASCII prefixes and a
 * zero byte, so a signature made for one purpose is never valid for another
 * (a packet signature can never pass as an entry or chain signature).
 */
const context = (label: string): Uint8Array => new TextEncoder().encode(`${label}\0`);

export const PACKET_CONTEXT = context("POP-PACKET-V1");
export const ENTRY_CONTEXT = context("POP-ENTRY-V1");
export const CHAIN_CONTEXT = context("POP-CHAIN-V1");
/** A job artifact's signature (src/jobs/artifact): over the JSON (RFC 8785) of the artifact without its signature value. */
export const ARTIFACT_CONTEXT = context("POP-ARTIFACT-V1");
