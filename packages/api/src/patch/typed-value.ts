/**
 * Schema-aware operations on objects that server-side apply is built from, after the
 * structured-merge-diff library Kubernetes uses:
 * - `fieldsToSet`: the set of fields a value sets (what an applier owns),
 * - `compareValues`: the fields added, modified and removed between two values,
 * - `mergeValues`: the applied configuration merged into the live object,
 * - `removeFields`: a value without the fields (and list items) of a set.
 *
 * Lists are atomic, sets (items by value) or maps (items by key) as `applyListKind` says;
 * objects are merged field by field unless `x-kubernetes-map-type: atomic`.
 */
import { StatusError } from '../errors';
import type { PatchMeta } from '../patch-meta';
import { FieldSet, fieldElement, indexElement, keyElement, pathToString, valueElement, type FieldPath } from './field-set';
import { cloneJson, describe, getOwn, hasOwn, isJsonObject, jsonEqual, setOwn, type JsonObject } from './json-values';
import { LIST_MAP_KEY_DEFAULTS, applyListKind, isAtomicMap, isDeducedMap, type ApplyListKind } from './meta-rules';

function shapeOf(v: unknown): 'object' | 'array' | 'scalar' {
  return Array.isArray(v) ? 'array' : isJsonObject(v) ? 'object' : 'scalar';
}

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isJsonObject(v)) return Object.keys(v).length === 0;
  return false;
}

function where(path: FieldPath): string {
  return path.length === 0 ? '' : `${pathToString(path)}: `;
}

/** The path element of a list item. Throws a 400 StatusError when an item of a list map has no key. */
export function listItemElement(item: unknown, index: number, kind: ApplyListKind, path: FieldPath = []): string {
  switch (kind.kind) {
    case 'map': {
      if (!isJsonObject(item)) {
        throw StatusError.badRequest(`${where(path)}element ${index}: associative list with keys has an element that is not a map: ${describe(item)}`);
      }
      const keys: Record<string, unknown> = {};
      let found = false;
      for (const k of kind.keys) {
        const v = getOwn(item, k);
        if (v !== undefined && v !== null) {
          keys[k] = v;
          found = true;
        } else if (hasOwn(LIST_MAP_KEY_DEFAULTS, k)) {
          keys[k] = LIST_MAP_KEY_DEFAULTS[k];
        }
      }
      if (!found) {
        throw StatusError.badRequest(`${where(path)}element ${index}: associative list with keys has an element that omits all key fields ${JSON.stringify(kind.keys)}`);
      }
      return keyElement(keys);
    }
    case 'set':
      return valueElement(item);
    default:
      return indexElement(index);
  }
}

interface IndexedList {
  /** Path elements in list order; duplicates of a live list get a unique `dup:` element that matches nothing. */
  order: string[];
  items: Map<string, unknown>;
}

const DUPLICATE_PREFIX = 'dup:';

/**
 * Indexes a list by path element. In a configuration (`strict`) duplicates are an error;
 * in a live object later duplicates are kept as items that nothing matches.
 */
function indexList(list: unknown[], kind: ApplyListKind, path: FieldPath, strict: boolean): IndexedList {
  const order: string[] = [];
  const items = new Map<string, unknown>();
  list.forEach((item, i) => {
    let pe = listItemElement(item, i, kind, path);
    if (items.has(pe)) {
      if (strict) throw StatusError.badRequest(`${where(path)}duplicate entries for key ${pathToString([pe])}`);
      pe = `${DUPLICATE_PREFIX}${i}`;
    }
    order.push(pe);
    items.set(pe, item);
  });
  return { order, items };
}

// ---------------------------------------------------------------------------------------
// Field sets

/**
 * The set of fields `obj` sets, as server-side apply records it for an applier: every
 * scalar, every list item (`k:`/`v:`), atomic lists and maps as one field, empty objects
 * and nulls. With `strict` (the default, for applied configurations) duplicate list keys
 * are a 400 StatusError; otherwise (stored objects) later duplicates are left out.
 */
export function fieldsToSet(obj: unknown, meta: PatchMeta | undefined, strict = true): FieldSet {
  const set = new FieldSet();
  walkToSet(obj, meta, [], set, strict);
  return set;
}

function walkToSet(v: unknown, meta: PatchMeta | undefined, path: string[], set: FieldSet, strict: boolean): void {
  if (isJsonObject(v)) {
    if (isAtomicMap(meta)) {
      set.insert(path);
      return;
    }
    const deduced = isDeducedMap(meta);
    for (const k of Object.keys(v)) {
      const child = v[k];
      if (child === undefined) continue;
      const cp = [...path, fieldElement(k)];
      walkToSet(child, meta?.field(k), cp, set, strict);
      if (child === null || (isJsonObject(child) && Object.keys(child).length === 0) || deduced) set.insert(cp);
    }
    return;
  }
  if (Array.isArray(v)) {
    const kind = applyListKind(meta);
    if (kind.kind === 'atomic') {
      set.insert(path);
      return;
    }
    const { order, items } = indexList(v, kind, path, strict);
    const itemMeta = meta?.items();
    for (const pe of order) {
      if (pe.startsWith(DUPLICATE_PREFIX)) continue;
      const cp = [...path, pe];
      walkToSet(items.get(pe), itemMeta, cp, set, strict);
      set.insert(cp);
    }
    return;
  }
  set.insert(path);
}

// ---------------------------------------------------------------------------------------
// Comparison

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * Fields added, modified and removed from `lhs` to `rhs`. Scalars and atomic values are
 * compared as a whole; an object, list or list item that appears or disappears is itself
 * added or removed along with everything under it. `undefined` is absent; `null` is a
 * value (setting a field to null modifies it).
 */
export function compareValues(lhs: unknown, rhs: unknown, meta: PatchMeta | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(lhs, rhs, meta, [], c);
  return c;
}

function walkCompare(l: unknown, r: unknown, meta: PatchMeta | undefined, path: string[], c: Comparison): void {
  if (l === undefined && r === undefined) return;
  const leaf = (): void => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!jsonEqual(l, r)) c.modified.insert(path);
  };
  if (l !== undefined && r !== undefined && shapeOf(l) !== shapeOf(r)) {
    c.modified.insert(path);
    return;
  }
  const shape = shapeOf(r !== undefined ? r : l);
  if (shape === 'object') {
    if (isAtomicMap(meta) || (isEmptyContainer(l) && isEmptyContainer(r))) {
      leaf();
      return;
    }
    const lo = l as JsonObject | undefined;
    const ro = r as JsonObject | undefined;
    const keys = new Set<string>([...Object.keys(lo ?? {}), ...Object.keys(ro ?? {})]);
    for (const k of keys) {
      walkCompare(lo ? getOwn(lo, k) : undefined, ro ? getOwn(ro, k) : undefined, meta?.field(k), [...path, fieldElement(k)], c);
    }
  } else if (shape === 'array') {
    const kind = applyListKind(meta);
    if (kind.kind === 'atomic' || (isEmptyContainer(l) && isEmptyContainer(r))) {
      leaf();
      return;
    }
    const li = indexList((l as unknown[] | undefined) ?? [], kind, path, false);
    const ri = indexList((r as unknown[] | undefined) ?? [], kind, path, false);
    const itemMeta = meta?.items();
    const seen = new Set<string>();
    for (const pe of [...li.order, ...ri.order]) {
      if (seen.has(pe) || pe.startsWith(DUPLICATE_PREFIX)) continue;
      seen.add(pe);
      walkCompare(li.items.get(pe), ri.items.get(pe), itemMeta, [...path, pe], c);
    }
  } else {
    leaf();
    return;
  }
  if (path.length === 0) return;
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
}

// ---------------------------------------------------------------------------------------
// Merge

/**
 * The applied configuration `rhs` merged into the live value `lhs`: objects field by
 * field, list maps and sets item by item, everything else (scalars, atomic values)
 * replaced by `rhs`. Neither input is mutated. Nulls of `rhs` are kept, as Kubernetes
 * keeps them until the object is decoded: drop them with `withoutNulls` before storing.
 */
export function mergeValues(lhs: unknown, rhs: unknown, meta: PatchMeta | undefined): unknown {
  return mergeNode(lhs, rhs, meta, []);
}

function mergeNode(l: unknown, r: unknown, meta: PatchMeta | undefined, path: string[]): unknown {
  if (r === undefined) return cloneJson(l);
  if (l === undefined || l === null || r === null || shapeOf(l) !== shapeOf(r)) return cloneJson(r);
  if (isJsonObject(l) && isJsonObject(r)) {
    if (isAtomicMap(meta) || (isEmptyContainer(l) && isEmptyContainer(r))) return cloneJson(r);
    const out: JsonObject = {};
    for (const k of Object.keys(l)) {
      const v = mergeNode(l[k], getOwn(r, k), meta?.field(k), [...path, fieldElement(k)]);
      if (v !== undefined) setOwn(out, k, v);
    }
    for (const k of Object.keys(r)) {
      if (hasOwn(l, k)) continue;
      const v = mergeNode(undefined, r[k], meta?.field(k), [...path, fieldElement(k)]);
      if (v !== undefined) setOwn(out, k, v);
    }
    return out;
  }
  if (Array.isArray(l) && Array.isArray(r)) {
    const kind = applyListKind(meta);
    if (kind.kind === 'atomic' || (l.length === 0 && r.length === 0)) return cloneJson(r);
    return mergeList(l, r, kind, meta?.items(), path);
  }
  return cloneJson(r);
}

/**
 * Merges two list maps or sets. Items of both lists follow the order of the applied
 * list; live-only items stay where they were relative to them; applied-only items come
 * where the applied list puts them.
 */
function mergeList(l: unknown[], r: unknown[], kind: ApplyListKind, itemMeta: PatchMeta | undefined, path: string[]): unknown[] {
  const li = indexList(l, kind, path, false);
  const ri = indexList(r, kind, path, true);
  const shared = ri.order.filter((pe) => li.items.has(pe));
  let sharedAt = 0;
  const nextShared = (): string | undefined => shared[sharedAt];
  const mergedRhs = new Set<string>();
  const out: unknown[] = [];
  const emit = (pe: string, lv: unknown, rv: unknown): void => {
    const v = mergeNode(lv, rv, itemMeta, [...path, pe]);
    if (v !== undefined) out.push(v);
  };
  let lI = 0;
  let rI = 0;
  while (lI < li.order.length || rI < ri.order.length) {
    if (lI < li.order.length && rI < ri.order.length) {
      const pe = li.order[lI] as string;
      if (pe === ri.order[rI]) {
        mergedRhs.add(pe);
        emit(pe, li.items.get(pe), ri.items.get(pe));
        lI++;
        rI++;
        sharedAt++;
        continue;
      }
      const next = nextShared();
      if (ri.items.has(pe) && next !== undefined && next !== pe) {
        lI++;
        continue;
      }
    }
    if (lI < li.order.length) {
      const pe = li.order[lI] as string;
      if (!ri.items.has(pe)) {
        emit(pe, li.items.get(pe), undefined);
        lI++;
        continue;
      }
      if (mergedRhs.has(pe)) {
        lI++;
        continue;
      }
    }
    if (rI < ri.order.length) {
      const pe = ri.order[rI] as string;
      mergedRhs.add(pe);
      emit(pe, li.items.get(pe), ri.items.get(pe));
      rI++;
      if (nextShared() === pe) sharedAt++;
    } else {
      // Only live items that were already merged remain.
      lI++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Removal

/**
 * `value` without the fields and list items that are members of `set` (a member removes
 * everything under it). Objects and lists emptied by the removal disappear.
 */
export function removeFields(value: unknown, set: FieldSet, meta: PatchMeta | undefined): unknown {
  if (set.isEmpty()) return cloneJson(value);
  const out = removeNode(value, set, meta, []);
  return out === undefined && isJsonObject(value) ? {} : out;
}

/** Returns undefined for a value that was emptied by the removal. */
function removeNode(v: unknown, set: FieldSet, meta: PatchMeta | undefined, path: string[]): unknown {
  if (isJsonObject(v)) {
    if (Object.keys(v).length === 0 || isAtomicMap(meta)) return undefined;
    const out: JsonObject = {};
    let kept = 0;
    for (const k of Object.keys(v)) {
      const pe = fieldElement(k);
      if (set.members.has(pe)) continue;
      const sub = set.child(pe);
      const val = sub && !sub.isEmpty() ? removeNode(v[k], sub, meta?.field(k), [...path, pe]) : cloneJson(v[k]);
      kept++;
      if (val !== undefined) setOwn(out, k, val);
    }
    return kept === 0 ? undefined : out;
  }
  if (Array.isArray(v)) {
    const kind = applyListKind(meta);
    if (v.length === 0 || kind.kind === 'atomic') return undefined;
    const itemMeta = meta?.items();
    const out: unknown[] = [];
    const seen = new Set<string>();
    v.forEach((item, i) => {
      let pe: string;
      try {
        pe = listItemElement(item, i, kind, path);
      } catch {
        out.push(cloneJson(item));
        return;
      }
      const duplicate = seen.has(pe);
      seen.add(pe);
      if (!duplicate && set.members.has(pe)) return;
      const sub = duplicate ? undefined : set.child(pe);
      const val = sub && !sub.isEmpty() ? removeNode(item, sub, itemMeta, [...path, pe]) : cloneJson(item);
      if (val !== undefined) out.push(val);
    });
    return out.length === 0 ? undefined : out;
  }
  return cloneJson(v);
}
