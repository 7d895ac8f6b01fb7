import { lookup } from "node:dns/promises";
import { createRequire } from "node:module";
import { isIP } from "node:net";

// A CommonJS module with `export =` typings: required, as ESM sees only its default.
const ipaddr = createRequire(import.meta.url)("ipaddr.js") as typeof import("ipaddr.js");

/**
 * Whether an address is one a webhook may reach: only global unicast, so an
 * endpoint cannot be aimed at the host itself (loopback), cloud metadata
 * (link-local 169.254.169.254), the internal network (private, unique-local,
 * carrier-grade NAT) or anything reserved — unless the operator allows it.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as import("ipaddr.js").IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() === "unicast";
}

/** Every address a host name resolves to (or the literal itself). */
export async function resolveAll(host: string): Promise<string[]> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIP(bare)) return [bare];
  return (await lookup(bare, { all: true, verbatim: true })).map((entry) => entry.address);
}
