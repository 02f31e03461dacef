/**
 * Small accessors for defaulting untyped JSON in place. They only ever touch plain
 * objects: a field holding the wrong type is left alone for validation to report.
 */
import { isPlainObject, type JsonObject } from '../object';

export type { JsonObject };

/** The plain object under `key`, or undefined (never creates). */
export function child(o: JsonObject, key: string): JsonObject | undefined {
  const v = o[key];
  return isPlainObject(v) ? v : undefined;
}

/** The plain object under `key`, created when absent or null; undefined when it holds something else. */
export function ensureChild(o: JsonObject, key: string): JsonObject | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    const created: JsonObject = {};
    o[key] = created;
    return created;
  }
  return isPlainObject(v) ? v : undefined;
}

/** The plain objects of the array under `key` (other elements are skipped). */
export function items(o: JsonObject, key: string): JsonObject[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}

const unset = (v: unknown): boolean => v === undefined || v === null;

/** Defaults a pointer field: set when absent or null. */
export function defaultValue(o: JsonObject, key: string, value: unknown): void {
  if (unset(o[key])) o[key] = value;
}

/** Defaults a Go string field: set when absent, null or "". */
export function defaultString(o: JsonObject, key: string, value: string): void {
  if (unset(o[key]) || o[key] === '') o[key] = value;
}

/** Defaults a Go non-pointer integer field: set when absent, null or 0. */
export function defaultNumber(o: JsonObject, key: string, value: number): void {
  if (unset(o[key]) || o[key] === 0) o[key] = value;
}

export function isUnset(v: unknown): boolean {
  return unset(v);
}
