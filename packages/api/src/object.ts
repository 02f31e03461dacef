import type { ObjectMeta } from 'kubernetes-types/meta/v1';

/** Any Kubernetes object as it travels through the API: typed metadata, the rest open. */
/** kubernetes-types marks server-owned fields readonly; the server itself must write them. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type KObjectMeta = Mutable<ObjectMeta>;

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: KObjectMeta;
  [field: string]: unknown;
}

export type JsonObject = { [k: string]: unknown };

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of JSON data; cached objects are never mutated in place. */
export function deepCopy<T>(v: T): T {
  return structuredClone(v);
}

/** Structural equality for JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}
