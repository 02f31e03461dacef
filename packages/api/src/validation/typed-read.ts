/**
 * Reading untyped JSON without ever throwing: each accessor returns the value when it has
 * the expected type, treats absent/null as absent (Go's zero value), and otherwise records
 * a field error (where Kubernetes would have failed to decode the body) and returns absent.
 */
import { isPlainObject, type JsonObject } from '../object';
import { indexPath, keyPath, typeInvalid, type FieldError } from './field-errors';

export type { JsonObject };

export class Reader {
  readonly errs: FieldError[] = [];

  add(...errs: FieldError[]): void {
    this.errs.push(...errs);
  }

  private wrong(path: string, value: unknown, type: string): undefined {
    this.errs.push(typeInvalid(path, value, `must be of type ${type}`));
    return undefined;
  }

  obj(v: unknown, path: string): JsonObject | undefined {
    if (v === undefined || v === null) return undefined;
    return isPlainObject(v) ? v : this.wrong(path, v, 'object');
  }

  arr(v: unknown, path: string): unknown[] | undefined {
    if (v === undefined || v === null) return undefined;
    return Array.isArray(v) ? v : this.wrong(path, v, 'array');
  }

  str(v: unknown, path: string): string | undefined {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : this.wrong(path, v, 'string');
  }

  int(v: unknown, path: string): number | undefined {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'number' && Number.isInteger(v) ? v : this.wrong(path, v, 'integer');
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'boolean' ? v : this.wrong(path, v, 'boolean');
  }

  /** An int-or-string field (ports, maxSurge). */
  intOrStr(v: unknown, path: string): number | string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    return this.wrong(path, v, 'integer or string');
  }

  /** A map of strings (labels, annotations, selectors); non-string values are reported and dropped. */
  strMap(v: unknown, path: string): Record<string, string> | undefined {
    const o = this.obj(v, path);
    if (!o) return undefined;
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) {
      if (typeof val === 'string') out[k] = val;
      else if (val !== undefined && val !== null) this.wrong(keyPath(path, k), val, 'string');
    }
    return out;
  }

  /** A list of strings; non-string elements are reported and dropped. */
  strList(v: unknown, path: string): string[] | undefined {
    const a = this.arr(v, path);
    if (!a) return undefined;
    const out: string[] = [];
    a.forEach((x, i) => {
      if (typeof x === 'string') out.push(x);
      else this.wrong(indexPath(path, i), x, 'string');
    });
    return out;
  }

  /** A list of objects with their paths; other elements are reported and skipped. */
  objList(v: unknown, path: string): { item: JsonObject; path: string; index: number }[] {
    const a = this.arr(v, path);
    if (!a) return [];
    const out: { item: JsonObject; path: string; index: number }[] = [];
    a.forEach((x, i) => {
      const p = indexPath(path, i);
      if (isPlainObject(x)) out.push({ item: x, path: p, index: i });
      else this.wrong(p, x, 'object');
    });
    return out;
  }
}

/** Non-reporting peeks, for a second look at a field already read (and reported) elsewhere. */
export const peek = {
  obj: (v: unknown): JsonObject | undefined => (isPlainObject(v) ? v : undefined),
  str: (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined),
  int: (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined),
  arr: (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined),
  objs: (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isPlainObject) : []),
  strMap: (v: unknown): Record<string, string> | undefined => {
    if (!isPlainObject(v)) return undefined;
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
    return out;
  },
};
