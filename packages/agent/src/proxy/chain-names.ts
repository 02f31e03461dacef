import { createHash } from 'node:crypto';

/** Skiff's chains; everything Skiff writes is under the SKIFF- prefix and nothing else is. */
export const CHAIN_PREFIX = 'SKIFF-';
export const SERVICES_CHAIN = 'SKIFF-SERVICES';
export const NODEPORTS_CHAIN = 'SKIFF-NODEPORTS';
export const POSTROUTING_CHAIN = 'SKIFF-POSTROUTING';
export const MARK_MASQ_CHAIN = 'SKIFF-MARK-MASQ';
export const EXTERNAL_SERVICES_CHAIN = 'SKIFF-EXTERNAL-SERVICES';
export const FORWARD_CHAIN = 'SKIFF-FORWARD';
/** Filter: rejects packets to the service range that no rule translated. */
export const GUARD_CHAIN = 'SKIFF-PROXY-GUARD';

const TOP_CHAINS: ReadonlySet<string> = new Set([SERVICES_CHAIN, NODEPORTS_CHAIN, POSTROUTING_CHAIN, MARK_MASQ_CHAIN, EXTERNAL_SERVICES_CHAIN, FORWARD_CHAIN, GUARD_CHAIN]);
const PER_SERVICE_CHAIN = /^SKIFF-(SVC|SVL|EXT|SEP)-[A-Z0-9]{16}$/;

/**
 * One of the proxy's own chains: the fixed top-level ones or a hashed
 * per-service one. Other SKIFF- chains (the lab's SKIFF-LAB-*, say) are not
 * the proxy's to flush, delete or unhook.
 */
export function isProxyChain(name: string | undefined): boolean {
  return !!name && (TOP_CHAINS.has(name) || PER_SERVICE_CHAIN.test(name));
}

/** The mark bit that asks SKIFF-POSTROUTING to masquerade (kube-proxy's 0x4000). */
export const MASQ_MARK = '0x4000';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (no padding). */
export function base32(buf: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** Chain names recur on every sync: remember them (bounded; cleared when full). */
const hashCache = new Map<string, string>();
const HASH_CACHE_MAX = 200_000;

function hash16(s: string): string {
  let h = hashCache.get(s);
  if (h === undefined) {
    h = base32(createHash('sha256').update(s).digest()).slice(0, 16);
    if (hashCache.size >= HASH_CACHE_MAX) hashCache.clear();
    hashCache.set(s, h);
  }
  return h;
}

/** kube-proxy's portProtoHash: base32(sha256(servicePortName + protocol))[:16]. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol);
}

export function serviceChain(servicePortName: string, protocol: string): string {
  return `SKIFF-SVC-${portProtoHash(servicePortName, protocol)}`;
}

/** Local endpoints only (internal/external traffic policy Local). */
export function serviceLocalChain(servicePortName: string, protocol: string): string {
  return `SKIFF-SVL-${portProtoHash(servicePortName, protocol)}`;
}

/** Node ports and external IPs enter here. */
export function externalChain(servicePortName: string, protocol: string): string {
  return `SKIFF-EXT-${portProtoHash(servicePortName, protocol)}`;
}

/** kube-proxy's servicePortEndpointChainName: sha256(servicePortName + protocol + "ip:port"). */
export function endpointChain(servicePortName: string, protocol: string, endpoint: string): string {
  return `SKIFF-SEP-${hash16(servicePortName + protocol + endpoint)}`;
}
