import type { Container } from 'kubernetes-types/core/v1';

/**
 * A hash of a container's spec without its resources, like the kubelet's
 * HashContainer: a running container whose hash differs is restarted.
 */
export function containerHash(c: Container): string {
  const { resources: _r, ...rest } = c;
  return fnv32a(stableStringify(rest)).toString(16).padStart(8, '0');
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
