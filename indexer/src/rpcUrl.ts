/**
 * RPC URLs as Ponder is given them. Ponder 0.16 warns "Detected public RPC
 * URL. Most apps require an RPC URL with a higher rate limit." whenever a
 * chain's RPC URL is, character for character, viem's default for that chain
 * id; for the local chain 31337 that default is http://127.0.0.1:8545 (viem's
 * hardhat, anvil and foundry chains), the node `npm start` runs, which has no
 * rate limit and is nobody's public endpoint. A node on this machine or a
 * private network is given to Ponder in its canonical form (the URL's href,
 * "http://127.0.0.1:8545/"): the very same HTTP request, but not the string
 * Ponder compares, so the warning stays for the public endpoints it is meant for.
 */
import { BlockList, isIP } from "node:net";

const PRIVATE = new BlockList();
PRIVATE.addSubnet("127.0.0.0", 8, "ipv4"); // loopback
PRIVATE.addSubnet("10.0.0.0", 8, "ipv4"); // RFC 1918
PRIVATE.addSubnet("172.16.0.0", 12, "ipv4");
PRIVATE.addSubnet("192.168.0.0", 16, "ipv4");
PRIVATE.addSubnet("169.254.0.0", 16, "ipv4"); // link-local
PRIVATE.addAddress("::1", "ipv6"); // loopback
PRIVATE.addSubnet("fc00::", 7, "ipv6"); // unique local
PRIVATE.addSubnet("fe80::", 10, "ipv6"); // link-local

/**
 * Whether `url` names this machine or a private network: localhost (and
 * *.localhost, RFC 6761), 127.0.0.0/8, ::1, the RFC 1918 ranges, link-local
 * and unique local IPv6 addresses. False for anything that does not parse.
 */
export function isPrivateRpcUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const address = host.replace(/^\[(.*)\]$/, "$1");
  const family = isIP(address);
  return family !== 0 && PRIVATE.check(address, family === 6 ? "ipv6" : "ipv4");
}

/** The URL to give Ponder for `url` (see the file's comment): a private one canonical, any other as given. */
export function ponderRpcUrl(url: string): string {
  return isPrivateRpcUrl(url) ? new URL(url).href : url;
}
