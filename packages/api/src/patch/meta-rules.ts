/**
 * How patch logic reads a PatchMeta: strategic merge patch strategies, and the list and
 * map types server-side apply derives from them when the schema has no explicit
 * x-kubernetes-list-type (the same rule the Kubernetes schema converter uses).
 */
import type { PatchMeta } from '../patch-meta';

/** `x-kubernetes-patch-strategy` split on commas: `merge,retainKeys` -> [merge, retainKeys]. */
export function patchStrategies(meta: PatchMeta | undefined): string[] {
  const s = meta?.patchStrategy;
  if (!s) return [];
  return s.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

export function hasPatchStrategy(meta: PatchMeta | undefined, strategy: string): boolean {
  return patchStrategies(meta).includes(strategy);
}

/** How server-side apply treats a list. */
export type ApplyListKind =
  | { kind: 'atomic' }
  | { kind: 'set' }
  | { kind: 'map'; keys: string[] };

export function applyListKind(meta: PatchMeta | undefined): ApplyListKind {
  if (!meta || meta.type === 'any') return { kind: 'atomic' };
  switch (meta.listType) {
    case 'atomic':
      return { kind: 'atomic' };
    case 'set':
      return { kind: 'set' };
    case 'map': {
      const keys = meta.listMapKeys && meta.listMapKeys.length > 0 ? [...meta.listMapKeys] : meta.patchMergeKey ? [meta.patchMergeKey] : [];
      return keys.length > 0 ? { kind: 'map', keys } : { kind: 'atomic' };
    }
    default:
      break;
  }
  if (hasPatchStrategy(meta, 'merge')) {
    return meta.patchMergeKey ? { kind: 'map', keys: [meta.patchMergeKey] } : { kind: 'set' };
  }
  return { kind: 'atomic' };
}

/** True when server-side apply treats an object as one value (x-kubernetes-map-type: atomic). */
export function isAtomicMap(meta: PatchMeta | undefined): boolean {
  return meta?.mapType === 'atomic';
}

/**
 * True when the keys of this object are not declared fields (unknown schema or
 * free-form content): server-side apply then records every key as owned on its own.
 */
export function isDeducedMap(meta: PatchMeta | undefined): boolean {
  return !meta || meta.type === 'any';
}

/**
 * Values used for list-map key fields the applied configuration leaves out. Kubernetes
 * takes them from the schema's `default`; PatchMeta has no defaults, and the only
 * defaulted key field of the built-in types is `protocol` (container, service and
 * endpoint ports), which defaults to TCP.
 */
export const LIST_MAP_KEY_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };
