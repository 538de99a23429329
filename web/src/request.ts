/**
 * What the verify form asks for, read and checked before anything is fetched: each problem is a sentence
 * naming the field, shown next to it.
 */
import { type Address, getAddress, isAddress } from "viem";

export interface VerifyRequest {
  readonly tenant: string;
  readonly chain: string;
  readonly rpcUrl: string;
  readonly gateways: readonly string[];
  readonly registry: Address;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `text` is an http(s) URL: the only kind a browser verifier can ask. */
function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** The request the form's fields make, or the problems by field name. */
export function readVerifyForm(data: FormData): { request?: VerifyRequest; errors: Map<string, string> } {
  const text = (name: string) => String(data.get(name) ?? "").trim();
  const errors = new Map<string, string>();
  const tenant = text("tenant");
  const chain = text("chain");
  const rpcUrl = text("rpc");
  const gateways = text("gateways")
    .split(/\s+/)
    .filter((line) => line.length > 0);
  const registry = text("registry");
  if (tenant.length === 0) errors.set("tenant", "Tenant: give the tenant's id.");
  if (!UUID.test(chain))
    errors.set("chain", "Chain id: give the chainscript's UUID, lower-case (8-4-4-4-12 hexadecimal digits).");
  if (!isHttpUrl(rpcUrl)) errors.set("rpc", "Base RPC URL: give an http:// or https:// URL.");
  if (gateways.length === 0) errors.set("gateways", "IPFS gateways: give at least one gateway URL.");
  else if (!gateways.every(isHttpUrl))
    errors.set("gateways", "IPFS gateways: each line must be an http:// or https:// URL.");
  if (!isAddress(registry, { strict: false }))
    errors.set("registry", "Registry contract address: give a 0x address of 40 hexadecimal digits.");
  if (errors.size > 0) return { errors };
  return { request: { tenant, chain, rpcUrl, gateways, registry: getAddress(registry) }, errors };
}

/** A link to this page that verifies `request` when opened. */
export function verifyLink(request: VerifyRequest): string {
  const params = new URLSearchParams({ tenant: request.tenant, chain: request.chain, rpc: request.rpcUrl });
  for (const gateway of request.gateways) params.append("gateway", gateway);
  params.set("registry", request.registry);
  return `#/verify?${params.toString()}`;
}
