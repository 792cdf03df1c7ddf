/**
 * Which IP addresses are inside: the server's own machine and the networks around it, which a school's
 * webhook must not reach (server-side request forgery). A school lead sets the URL; only the
 * administrator may send a webhook into the school's network, by listing the address itself in
 * XINQING_WEBHOOK_HOSTS (webhook.ts).
 */
import { BlockList, isIP } from "node:net";

/** Special-purpose ranges (RFC 6890 and the IANA registries): nothing in them is a public receiver. */
const INTERNAL_V4: readonly [string, number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private (RFC 1918)
  ["100.64.0.0", 10], // carrier-grade NAT (RFC 6598)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, where cloud metadata services answer
  ["172.16.0.0", 12], // private (RFC 1918)
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation (TEST-NET-1)
  ["192.168.0.0", 16], // private (RFC 1918)
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation (TEST-NET-2)
  ["203.0.113.0", 24], // documentation (TEST-NET-3)
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
];
const INTERNAL_V6: readonly [string, number][] = [
  ["::", 96], // unspecified, loopback and the deprecated IPv4-compatible addresses
  ["64:ff9b:1::", 48], // local-use NAT64 (the well-known 64:ff9b::/96 never translates to private IPv4, RFC 6052)
  ["100::", 64], // discard-only
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4, deprecated: it tunnels to any IPv4 address
  ["fc00::", 7], // unique-local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local, deprecated
  ["ff00::", 8], // multicast
];

const internal = new BlockList();
for (const [net, prefix] of INTERNAL_V4) internal.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of INTERNAL_V6) internal.addSubnet(net, prefix, "ipv6");

/**
 * Whether `ip` is an internal address. IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, ::ffff:a00:1) count
 * as the IPv4 address they carry (BlockList maps them). Anything that is not an IP address counts as
 * internal: the caller must not connect to what it cannot classify.
 */
export function isInternalAddress(ip: string): boolean {
  // An address with a zone (fe80::1%eth0) is scoped to one of this machine's interfaces.
  if (ip.includes("%")) return true;
  const family = isIP(ip);
  if (family === 0) return true;
  return internal.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/** The IP address a URL's hostname is written as ("10.0.0.5", "[::1]" → "::1"), or null for a name. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? null : bare;
}
