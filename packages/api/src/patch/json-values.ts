/**
 * Small helpers for plain JSON values shared by every patch flavour.
 *
 * Patch bodies come from the network, so keys such as `__proto__` must be treated as
 * ordinary data: reads go through `getOwn` and writes through `setOwn`, never through
 * the prototype chain.
 */
import type { JsonObject } from '../object';

export type { JsonObject };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** The own property `key` of `o`, or undefined. */
export function getOwn(o: JsonObject, key: string): unknown {
  return hasOwn(o, key) ? o[key] : undefined;
}

/** Sets an own, enumerable property, even for keys like `__proto__`. */
export function setOwn(o: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    o[key] = value;
  }
}

/** Deep copy of a JSON value (objects, arrays, scalars). `undefined` members are dropped. */
export function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => cloneJson(x)) as unknown as T;
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x !== undefined) setOwn(out, k, cloneJson(x));
    }
    return out as T;
  }
  return v;
}

/** Structural equality of JSON values (own keys only, `undefined` members ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** A copy without `null` members of objects, recursively (also inside list items). */
export function withoutNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => withoutNulls(x)) as unknown as T;
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x !== null && x !== undefined) setOwn(out, k, withoutNulls(x));
    }
    return out as T;
  }
  return v;
}

/** A short JSON rendering of a value for error messages. */
export function describe(v: unknown, max = 200): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? 'undefined';
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
