import { deepEqual, KObject } from '@skiff/api';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH = 'pod-template-hash';

/** Deployment annotations that are not copied to its replica sets. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: unknown;
  [k: string]: unknown;
}

/** JSON with sorted keys, so equal templates hash equally. */
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
  const bytes = Buffer.from(s, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** The pod-template-hash: FNV-32a of the template (and collision count), in Kubernetes' safe alphabet. */
export function computeHash(template: PodTemplate, collisionCount?: number): string {
  let s = stableStringify(withoutHash(template));
  if (collisionCount !== undefined && collisionCount !== null) s += String(collisionCount);
  const digits = String(fnv32a(s));
  let out = '';
  for (const ch of digits) out += SAFE[Number(ch) % SAFE.length];
  // Kubernetes renders the uint32 in decimal and maps each digit through the alphabet.
  return out;
}

/**
 * Drops null-valued fields: clients send `creationTimestamp: null` inside templates (kubectl
 * rollout undo copies it from the replica set), which must not make templates differ.
 */
export function dropNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(dropNulls) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
    return out as T;
  }
  return v;
}

function withoutHash(t: PodTemplate | undefined): PodTemplate {
  const c = dropNulls(structuredClone(t ?? {}));
  if (c.metadata?.labels) {
    delete c.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  if (c.metadata && Object.keys(c.metadata).length === 0) delete c.metadata;
  return c;
}

/** Templates equal apart from the pod-template-hash label. */
export function templatesEqualIgnoringHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return deepEqual(withoutHash(a), withoutHash(b));
}

export function revisionOf(obj: KObject): number {
  const v = Number(obj.metadata.annotations?.[REVISION] ?? '0');
  return Number.isInteger(v) && v > 0 ? v : 0;
}

/** Copies the deployment's user annotations onto a replica set's; true when something changed. */
export function copyAnnotations(from: KObject, to: KObject): boolean {
  const ann = { ...(to.metadata.annotations ?? {}) };
  let changed = false;
  for (const [k, v] of Object.entries(from.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  if (changed) to.metadata.annotations = ann;
  return changed;
}

export function creationMillis(o: KObject): number {
  return Date.parse(o.metadata.creationTimestamp ?? '') || 0;
}
