/**
 * Strategic merge patch creation, ported from k8s.io/apimachinery/pkg/util/strategicpatch
 * (diffMaps / diffLists / mergeMap as CreateTwoWayMergePatch and CreateThreeWayMergePatch use
 * them). Patch metadata (merge keys, strategies) comes from @skiff/api's PatchMeta; a missing
 * meta means "no strategy": maps are diffed, lists replaced.
 */
import type { patchMetaFor } from '@skiff/api';

type PatchMeta = NonNullable<ReturnType<typeof patchMetaFor>>;

type JMap = Record<string, unknown>;

interface DiffOptions {
  ignoreChangesAndAdditions?: boolean;
  ignoreDeletions?: boolean;
  setElementOrder?: boolean;
  buildRetainKeysDirective?: boolean;
}

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList';

function isMap(v: unknown): v is JMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  return typeof v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeOf(a) !== typeOf(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  if (isMap(a)) {
    const bm = b as JMap;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(bm).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(bm, k) && deepEqual(a[k], bm[k]));
  }
  return false;
}

/** Go's fmt %v for JSON scalars (as the sort and compare helpers use). */
function fmtV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e21) {
      const s = String(v);
      // %v of a float64 uses %g: exponent once it has more than 21 digits, shortest repr
      return Math.abs(v) >= 1e21 ? v.toExponential() : s;
    }
    return String(v);
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function strategies(meta: PatchMeta | undefined): { retainKeys: boolean; strategy: string } {
  const parts = (meta?.patchStrategy ?? '').split(',').filter((p: string) => p !== '');
  const retainKeys = parts.includes('retainKeys');
  const rest = parts.filter((p) => p !== 'retainKeys');
  return { retainKeys, strategy: rest[0] ?? '' };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortScalars(l: unknown[]): unknown[] {
  return [...l].sort((a, b) => cmp(fmtV(a), fmtV(b)));
}

function dedupScalars(l: unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of l) {
    const k = typeOf(v) + fmtV(v);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}

function diffMaps(original: JMap, modified: JMap, meta: PatchMeta | undefined, o: DiffOptions): JMap {
  const patch: JMap = {};
  const retainKeysList: string[] = [];
  for (const [key, modifiedValue] of Object.entries(modified)) {
    if (o.buildRetainKeysDirective && modifiedValue !== null && modifiedValue !== undefined) retainKeysList.push(key);
    if (!Object.prototype.hasOwnProperty.call(original, key)) {
      if (!o.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    const originalValue = original[key];
    if (key === DIRECTIVE && typeof originalValue === 'string' && typeof modifiedValue === 'string') {
      if (originalValue !== modifiedValue) patch[key] = modifiedValue;
      continue;
    }
    if (typeOf(originalValue) !== typeOf(modifiedValue)) {
      if (!o.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    if (isMap(originalValue)) {
      handleMapDiff(key, originalValue, modifiedValue as JMap, patch, meta, o);
    } else if (Array.isArray(originalValue)) {
      handleSliceDiff(key, originalValue, modifiedValue as unknown[], patch, meta, o);
    } else if (!o.ignoreChangesAndAdditions && !deepEqual(originalValue, modifiedValue)) {
      patch[key] = modifiedValue;
    }
  }
  if (!o.ignoreDeletions) {
    for (const key of Object.keys(original)) if (!Object.prototype.hasOwnProperty.call(modified, key)) patch[key] = null;
  }
  if (retainKeysList.length > 0 && (Object.keys(patch).length > 0 || Object.keys(modified).some((k) => !(k in original)))) {
    patch[RETAIN_KEYS] = sortScalars(retainKeysList);
  }
  return patch;
}

function handleMapDiff(key: string, original: JMap, modified: JMap, patch: JMap, meta: PatchMeta | undefined, o: DiffOptions): void {
  const sub = meta?.field(key);
  const { retainKeys, strategy } = strategies(sub);
  if (strategy === 'replace') {
    if (!o.ignoreChangesAndAdditions) patch[key] = modified;
    return;
  }
  const pv = diffMaps(original, modified, sub, { ...o, buildRetainKeysDirective: retainKeys });
  if (Object.keys(pv).length > 0) patch[key] = pv;
}

function handleSliceDiff(key: string, original: unknown[], modified: unknown[], patch: JMap, meta: PatchMeta | undefined, o: DiffOptions): void {
  const sub = meta?.field(key);
  const { retainKeys, strategy } = strategies(sub);
  if (strategy === 'merge') {
    const { add, del, order } = diffLists(original, modified, sub?.items(), sub?.patchMergeKey ?? '', { ...o, buildRetainKeysDirective: retainKeys });
    if (add.length > 0) patch[key] = add;
    if (del.length > 0) patch[`${DELETE_PRIMITIVE}/${key}`] = del;
    if (order.length > 0) patch[`${SET_ORDER}/${key}`] = order;
    return;
  }
  if (!o.ignoreChangesAndAdditions && !deepEqual(original, modified)) patch[key] = modified;
}

function keyOf(v: unknown, mergeKey: string): string {
  return fmtV(isMap(v) ? v[mergeKey] : v);
}

function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, maps: boolean): unknown[] {
  const idx = new Map<string, number>();
  order.forEach((v, i) => { const k = maps ? keyOf(v, mergeKey) : fmtV(v); if (!idx.has(k)) idx.set(k, i); });
  const pos = (v: unknown): number => idx.get(maps ? keyOf(v, mergeKey) : fmtV(v)) ?? -1;
  return [...toSort].sort((a, b) => pos(a) - pos(b));
}

function diffLists(original: unknown[], modified: unknown[], itemMeta: PatchMeta | undefined, mergeKey: string, o: DiffOptions): { add: unknown[]; del: unknown[]; order: unknown[] } {
  if (original.length === 0) {
    if (modified.length === 0 || o.ignoreChangesAndAdditions) return { add: [], del: [], order: [] };
    return { add: modified, del: [], order: [] };
  }
  const sample = original[0] ?? modified[0];
  if (isMap(sample)) {
    const { patch, del } = diffListsOfMaps(original, modified, itemMeta, mergeKey, o);
    let add = normalizeSliceOrder(patch, modified, mergeKey, true);
    const origKeys = original.map((v) => keyOf(v, mergeKey));
    const modKeys = modified.map((v) => keyOf(v, mergeKey));
    const orderSame = origKeys.length === modKeys.length ? origKeys.every((k, i) => k === modKeys[i]) : isSubsequenceOrder(origKeys, modKeys);
    add = [...add, ...del];
    let order: unknown[] = [];
    if (o.setElementOrder && ((!o.ignoreChangesAndAdditions && (add.length > 0 || !orderSame)) || (!o.ignoreDeletions && add.length > 0))) {
      order = modified.map((v) => ({ [mergeKey]: isMap(v) ? v[mergeKey] : undefined }));
    }
    return { add, del: [], order };
  }
  const { add: a, del } = diffListsOfScalars(original, modified, o);
  const add = normalizeSliceOrder(a, modified, mergeKey, false);
  let order: unknown[] = [];
  if (o.setElementOrder && ((!o.ignoreDeletions && del.length > 0) || (!o.ignoreChangesAndAdditions && !deepEqual(original, modified)))) order = modified;
  return { add, del, order };
}

/** isOrderSame for lists of different length: the common keys appear in the same order. */
function isSubsequenceOrder(a: string[], b: string[]): boolean {
  const inB = a.filter((k) => b.includes(k));
  const inA = b.filter((k) => a.includes(k));
  return inA.length === inB.length && inA.every((k, i) => k === inB[i]);
}

function diffListsOfScalars(original: unknown[], modified: unknown[], o: DiffOptions): { add: unknown[]; del: unknown[] } {
  const os = sortScalars(original);
  const ms = sortScalars(modified);
  let i = 0;
  let j = 0;
  const add: unknown[] = [];
  const del: unknown[] = [];
  while (i < os.length || j < ms.length) {
    const oi = i < os.length;
    const mj = j < ms.length;
    const a = oi ? fmtV(os[i]) : '';
    const b = mj ? fmtV(ms[j]) : '';
    if (oi && mj && a === b) { i++; j++; }
    else if (!oi || (oi && mj && a > b)) { if (!o.ignoreChangesAndAdditions) add.push(b); j++; }
    else { if (!o.ignoreDeletions) del.push(a); i++; }
  }
  // Go compares (and returns) the %v strings of the scalars
  return { add: add.map((s) => ms.find((v) => fmtV(v) === s)), del: dedupScalars(del.map((s) => os.find((v) => fmtV(v) === s))) };
}

function diffListsOfMaps(original: unknown[], modified: unknown[], itemMeta: PatchMeta | undefined, mergeKey: string, o: DiffOptions): { patch: unknown[]; del: unknown[] } {
  const sortBy = (l: unknown[]): JMap[] => (l.filter(isMap)).sort((a, b) => cmp(keyOf(a, mergeKey), keyOf(b, mergeKey)));
  const os = sortBy(original);
  const ms = sortBy(modified);
  const patch: unknown[] = [];
  const del: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < os.length || j < ms.length) {
    const oi = i < os.length;
    const mj = j < ms.length;
    const oe = os[i];
    const me = ms[j];
    const a = oi ? keyOf(oe, mergeKey) : '';
    const b = mj ? keyOf(me, mergeKey) : '';
    if (oi && mj && a === b) {
      const pv = diffMaps(oe as JMap, me as JMap, itemMeta, o);
      if (Object.keys(pv).length > 0) {
        pv[mergeKey] = (me as JMap)[mergeKey];
        patch.push(pv);
      }
      i++; j++;
    } else if (!oi || (oi && mj && a > b)) {
      if (!o.ignoreChangesAndAdditions) patch.push(me);
      j++;
    } else {
      if (!o.ignoreDeletions) del.push({ [DIRECTIVE]: 'delete', [mergeKey]: (oe as JMap)[mergeKey] });
      i++;
    }
  }
  return { patch, del };
}

/** mergeMap(deletions, delta) as CreateThreeWayMergePatch uses it (both are patches). */
function mergePatches(original: JMap, patch: JMap, meta: PatchMeta | undefined): JMap {
  const out: JMap = { ...original };
  for (const [k, pv] of Object.entries(patch)) {
    if (k === RETAIN_KEYS || k.startsWith(`${SET_ORDER}/`)) {
      if (!(k in out)) out[k] = pv;
      continue;
    }
    if (pv === null || !(k in out)) { out[k] = pv; continue; }
    const ov = out[k];
    if (typeOf(ov) !== typeOf(pv)) { out[k] = pv; continue; }
    if (isMap(ov)) {
      const sub = meta?.field(k);
      out[k] = strategies(sub).strategy === 'replace' ? pv : mergePatches(ov, pv as JMap, sub);
    } else if (Array.isArray(ov)) {
      const sub = meta?.field(k);
      const mk = sub?.patchMergeKey ?? '';
      const pl = pv as unknown[];
      if (strategies(sub).strategy !== 'merge') { out[k] = pv; continue; }
      if (!isMap(ov[0] ?? pl[0])) { out[k] = dedupScalars([...pl, ...ov]); continue; }
      const merged: unknown[] = pl.map((p) => {
        const m = ov.find((x) => isMap(x) && isMap(p) && keyOf(x, mk) === keyOf(p, mk) && x[DIRECTIVE] === undefined);
        return m && isMap(p) ? mergePatches(m as JMap, p, sub?.items()) : p;
      });
      for (const x of ov) if (!pl.some((p) => keyOf(p, mk) === keyOf(x, mk) && !(isMap(x) && x[DIRECTIVE] !== undefined))) merged.push(x);
      out[k] = merged;
    } else out[k] = pv;
  }
  return out;
}

export function twoWayMergePatch(original: JMap, modified: JMap, meta: PatchMeta | undefined): JMap {
  return diffMaps(original, modified, meta, { setElementOrder: true });
}

export function threeWayMergePatch(original: JMap, modified: JMap, current: JMap, meta: PatchMeta | undefined): JMap {
  const delta = diffMaps(current, modified, meta, { ignoreDeletions: true, setElementOrder: true });
  const deletions = diffMaps(original, modified, meta, { setElementOrder: true, ignoreChangesAndAdditions: true });
  return mergePatches(deletions, delta, meta);
}

/** RFC 7386 merge patch from original to modified (CreateMergePatch). */
export function jsonMergePatch(original: unknown, modified: unknown): unknown {
  if (!isMap(original) || !isMap(modified)) return modified;
  const patch: JMap = {};
  for (const k of Object.keys(original)) if (!(k in modified)) patch[k] = null;
  for (const [k, v] of Object.entries(modified)) {
    if (!(k in original)) patch[k] = v;
    else if (isMap(v) && isMap(original[k])) {
      const sub = jsonMergePatch(original[k], v) as JMap;
      if (Object.keys(sub).length) patch[k] = sub;
    } else if (!deepEqual(original[k], v)) patch[k] = v;
  }
  return patch;
}

/** PatchMeta for a kind from @skiff/api (loaded lazily: the schemas are large). */
export function patchMeta(apiVersion: string | undefined, kind: string | undefined): PatchMeta | undefined {
  if (!apiVersion || !kind) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const api = require('@skiff/api') as typeof import('@skiff/api');
  try {
    return api.patchMetaFor(apiVersion, kind);
  } catch {
    return undefined;
  }
}
