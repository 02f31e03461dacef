/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), applied on
 * the server the way the API server does it (merge of parallel lists on, unmatched nulls
 * dropped):
 *
 * - maps merge recursively; `null` deletes a key;
 * - lists whose field has patch strategy `merge` merge: lists of objects by the patch
 *   merge key (`containers` by `name`), lists of scalars as a union; all other lists are
 *   replaced (Node `spec.taints` has no strategy, so `kubectl taint` replaces the list);
 * - fields with patch strategy `replace` are replaced whole;
 * - directives: `$patch: replace | delete | merge` in a map, `{"$patch": "replace"}` and
 *   `{"<key>": ..., "$patch": "delete"}` items in merge lists, `$setElementOrder/<list>`,
 *   `$retainKeys` and `$deleteFromPrimitiveList/<list>`;
 * - order of merged lists: items named by the patch come in the patch's (or
 *   `$setElementOrder`'s) order, items only on the server keep their relative order and are
 *   interleaved using the live order, exactly as the Kubernetes implementation does (so a
 *   new item without `$setElementOrder` lands before the server-only items).
 *
 * With no PatchMeta (unknown type) maps merge and lists are replaced.
 */
import { StatusError } from '../errors';
import type { PatchMeta } from '../patch-meta';
import { cloneJson, describe, getOwn, hasOwn, isJsonObject, jsonEqual, setOwn, type JsonObject } from './json-values';
import { hasPatchStrategy } from './meta-rules';

export const PATCH_DIRECTIVE = '$patch';
export const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
export const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder/';
export const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList/';

type ItemKind = 'map' | 'scalar';

function badRequest(msg: string): StatusError {
  return StatusError.badRequest(msg);
}

function unprocessable(msg: string): StatusError {
  return new StatusError(422, 'Invalid', msg);
}

/**
 * Applies a strategic merge patch to `doc` and returns the result; neither argument is
 * mutated. `meta` describes the type of `doc` (undefined for an unknown type).
 * Throws StatusError 400/422 for malformed patches.
 */
export function applyStrategicMergePatch<T = unknown>(doc: T, patch: unknown, meta: PatchMeta | undefined): T {
  if (!isJsonObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch} into Go value of type map[string]interface {}: a strategic merge patch must be a JSON object`);
  }
  const original: JsonObject = isJsonObject(doc) ? cloneJson(doc) : {};
  return mergeMap(original, cloneJson(patch), meta) as T;
}

/** Merges `patch` into `original`. Both are private copies and may be mutated. */
function mergeMap(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined): JsonObject {
  if (hasOwn(patch, PATCH_DIRECTIVE)) {
    const directive = patch[PATCH_DIRECTIVE];
    if (directive === 'replace') {
      delete patch[PATCH_DIRECTIVE];
      return newMap(patch, meta);
    }
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw badRequest(`Unknown patch type: ${describe(directive)} in map: ${describe(patch)}`);
    delete patch[PATCH_DIRECTIVE];
  }

  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, meta);

  const deletionLists: string[] = [];
  for (const key of Object.keys(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      deletionLists.push(key);
      continue;
    }
    const pv = patch[key];
    if (pv === undefined) continue;
    if (pv === null) {
      delete original[key];
      continue;
    }
    const fm = meta?.field(key);
    const ov = getOwn(original, key);
    if (ov === undefined || ov === null || kindOf(ov) !== kindOf(pv)) {
      const nv = newValue(pv, fm);
      if (nv === undefined) delete original[key];
      else setOwn(original, key, nv);
      continue;
    }
    if (isJsonObject(ov) && isJsonObject(pv)) {
      setOwn(original, key, hasPatchStrategy(fm, 'replace') ? newMap(pv, fm) : mergeMap(ov, pv, fm));
    } else if (Array.isArray(ov) && Array.isArray(pv)) {
      setOwn(original, key, mergeListField(ov, pv, fm, false));
    } else {
      setOwn(original, key, pv);
    }
  }

  for (const key of deletionLists) {
    const listKey = key.slice(DELETE_FROM_PRIMITIVE_LIST_PREFIX.length);
    const toDelete = patch[key];
    if (listKey === '' || !Array.isArray(toDelete)) throw badRequest('invalid patch format of primitive list');
    const ov = getOwn(original, listKey);
    if (Array.isArray(ov)) setOwn(original, listKey, mergeListField(ov, toDelete, meta?.field(listKey), true));
  }
  return original;
}

function kindOf(v: unknown): 'object' | 'array' | 'scalar' {
  return Array.isArray(v) ? 'array' : isJsonObject(v) ? 'object' : 'scalar';
}

/**
 * The value a patch puts where the original has nothing: directives are applied against
 * an empty original and nulls dropped. Undefined means "nothing" (a `$patch: delete` map).
 */
function newValue(pv: unknown, meta: PatchMeta | undefined): unknown {
  if (isJsonObject(pv)) {
    if (getOwn(pv, PATCH_DIRECTIVE) === 'delete') return undefined;
    return mergeMap({}, pv, meta);
  }
  if (Array.isArray(pv)) return mergeListField([], pv, meta, false);
  return pv;
}

function newMap(patch: JsonObject, meta: PatchMeta | undefined): JsonObject {
  return mergeMap({}, patch, meta);
}

/** Merges or replaces a list according to the field's patch strategy. */
function mergeListField(original: unknown[], patch: unknown[], meta: PatchMeta | undefined, isDeleteList: boolean): unknown[] {
  if (hasPatchStrategy(meta, 'merge') || isDeleteList) return mergeList(original, patch, meta, isDeleteList);
  const itemMeta = meta?.items();
  const out: unknown[] = [];
  for (const item of patch) {
    const nv = isJsonObject(item) || Array.isArray(item) ? newValue(item, itemMeta) : item;
    if (nv !== undefined) out.push(nv);
  }
  return out;
}

/** The kind of the items of some lists, checking they agree (Kubernetes rejects mixed lists and lists of lists). */
function itemKind(...lists: unknown[][]): ItemKind | undefined {
  let kind: ItemKind | undefined;
  for (const list of lists) {
    for (const item of list) {
      if (Array.isArray(item)) throw unprocessable('lists of lists are not supported');
      const k: ItemKind = isJsonObject(item) ? 'map' : 'scalar';
      if (kind === undefined) kind = k;
      else if (kind !== k) throw badRequest(`list element types are not identical: ${describe(lists)}`);
    }
  }
  return kind;
}

function mergeList(original: unknown[], patch: unknown[], meta: PatchMeta | undefined, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = itemKind(original, patch);

  if (kind !== 'map') {
    if (isDeleteList) return original.filter((x) => !patch.some((d) => jsonEqual(d, x)));
    const merged = dedupe([...original, ...patch]);
    const [patchItems, serverOnly] = partitionByPresence(merged, patch, '', 'scalar');
    return normalizeElementOrder(patchItems, serverOnly, patch, original, '', 'scalar');
  }

  if (isDeleteList) {
    // A deletion list of objects makes no sense; delete equal items.
    return original.filter((x) => !patch.some((d) => jsonEqual(d, x)));
  }
  const mergeKey = meta?.patchMergeKey;
  if (!mergeKey) throw badRequest(`cannot merge lists without merge key: ${describe(patch)}`);
  const itemMeta = meta?.items();
  const [orig, items] = applyListItemDirectives(original, patch, mergeKey, itemMeta);
  const merged = mergeItemsByKey(orig, items, mergeKey, itemMeta);
  const [patchItems, serverOnly] = partitionByPresence(merged, items, mergeKey, 'map');
  return normalizeElementOrder(patchItems, serverOnly, items, orig, mergeKey, 'map');
}

function dedupe(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of list) if (!out.some((y) => jsonEqual(x, y))) out.push(x);
  return out;
}

function mergeKeyOf(item: unknown, mergeKey: string): { found: boolean; value: unknown } {
  if (!isJsonObject(item)) throw badRequest(`expected a map in a merging list, got ${describe(item)}`);
  return hasOwn(item, mergeKey) ? { found: true, value: item[mergeKey] } : { found: false, value: undefined };
}

function requireMergeKey(item: unknown, mergeKey: string): unknown {
  const k = mergeKeyOf(item, mergeKey);
  if (!k.found) throw badRequest(`map: ${describe(item)} does not contain declared merge key: ${mergeKey}`);
  return k.value;
}

/**
 * Handles `$patch` items of a merge list: `delete` items remove the matching originals,
 * a `replace` item makes the rest of the patch list the new list.
 * Returns the updated original and the patch items without directives.
 */
function applyListItemDirectives(original: unknown[], patch: unknown[], mergeKey: string, itemMeta: PatchMeta | undefined): [unknown[], unknown[]] {
  let orig = original;
  const items: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!hasOwn(item, PATCH_DIRECTIVE)) {
      items.push(item);
      continue;
    }
    const directive = item[PATCH_DIRECTIVE];
    if (directive === 'delete') {
      const key = requireMergeKey(item, mergeKey);
      orig = orig.filter((o) => {
        const k = mergeKeyOf(o, mergeKey);
        return !(k.found && jsonEqual(k.value, key));
      });
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      // The default for an item; drop the directive, keep an item that names something.
      const rest: JsonObject = { ...item };
      delete rest[PATCH_DIRECTIVE];
      if (Object.keys(rest).length > 0) items.push(rest);
    } else {
      throw badRequest(`Unknown patch type: ${describe(directive)} in map: ${describe(item)}`);
    }
  }
  if (replace) {
    const fresh: unknown[] = [];
    for (const item of items) {
      const nv = newValue(item, itemMeta);
      if (nv !== undefined) fresh.push(nv);
    }
    return [fresh, []];
  }
  return [orig, items];
}

function mergeItemsByKey(original: unknown[], patch: unknown[], mergeKey: string, itemMeta: PatchMeta | undefined): unknown[] {
  const merged = original.slice();
  for (const v of patch) {
    const key = requireMergeKey(v, mergeKey);
    const idx = merged.findIndex((o) => {
      const k = mergeKeyOf(o, mergeKey);
      return k.found && jsonEqual(k.value, key);
    });
    if (idx >= 0) {
      merged[idx] = mergeMap(merged[idx] as JsonObject, v as JsonObject, itemMeta);
    } else {
      const nv = newValue(v, itemMeta);
      if (nv !== undefined) merged.push(nv);
    }
  }
  return merged;
}

/** Position of `item` in `list`, by merge key for maps and by value otherwise; -1 if absent. */
function indexIn(list: unknown[], item: unknown, mergeKey: string, kind: ItemKind): number {
  if (kind === 'map' && mergeKey) {
    const k = mergeKeyOf(item, mergeKey);
    return list.findIndex((x) => {
      if (!isJsonObject(x) || !hasOwn(x, mergeKey)) return false;
      return k.found && jsonEqual(x[mergeKey], k.value);
    });
  }
  return list.findIndex((x) => jsonEqual(x, item));
}

/** Splits `list` into the items present in `by` and the others, keeping order. */
function partitionByPresence(list: unknown[], by: unknown[], mergeKey: string, kind: ItemKind): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const item of list) {
    if (kind === 'map' && mergeKey) requireMergeKey(item, mergeKey);
    (indexIn(by, item, mergeKey, kind) >= 0 ? inBy : rest).push(item);
  }
  return [inBy, rest];
}

/** Stable sort of `toSort` by position in `order`; items missing from `order` keep their place after the others. */
function sortByOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: ItemKind): unknown[] {
  if (kind === 'map' && mergeKey) {
    for (const item of toSort) requireMergeKey(item, mergeKey);
    for (const item of order) requireMergeKey(item, mergeKey);
  }
  const indexed = toSort.map((item, i) => ({ item, i, at: indexIn(order, item, mergeKey, kind) }));
  indexed.sort((a, b) => {
    if (a.at >= 0 && b.at >= 0) return a.at - b.at || a.i - b.i;
    if (a.at >= 0) return -1;
    if (b.at >= 0) return 1;
    return a.i - b.i;
  });
  return indexed.map((x) => x.item);
}

/**
 * Sorts the patch items by `patchOrder` and the server-only items by `serverOrder`, then
 * interleaves them: a server-only item goes before a patch item only when both are in
 * the live list and it came first there.
 */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, kind: ItemKind): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) {
      out.push(right[j++]);
    } else if (j >= right.length) {
      out.push(left[i++]);
    } else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** `$retainKeys`: drop every original key not listed; the patch may only set listed keys. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retain = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retain)) throw badRequest('invalid patch format of retainKeys');
  const keep = new Set(retain.filter((k): k is string => typeof k === 'string'));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) || k.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    if (!keep.has(k)) throw unprocessable(`patch content doesn't match retainKeys list: "${k}" is not in ${describe(retain)}`);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** Checks that the patch list's items appear in the `$setElementOrder` list in the same relative order. */
function validateWithOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey
    ? patchList.filter((x) => {
      if (!isJsonObject(x)) throw badRequest(`expected a map in a merging list, got ${describe(x)}`);
      return getOwn(x, PATCH_DIRECTIVE) !== 'delete';
    })
    : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < order.length) {
    const item = nonDelete[p];
    if (isJsonObject(item) && hasOwn(item, PATCH_DIRECTIVE)) {
      p++;
      continue;
    }
    const equal = mergeKey ? jsonEqual(requireMergeKey(item, mergeKey), requireMergeKey(order[s], mergeKey)) : jsonEqual(item, order[s]);
    if (equal) p++;
    s++;
  }
  if (p < nonDelete.length) {
    throw badRequest(`The order in patch list:\n${describe(patchList)}\n doesn't match $setElementOrder list:\n${describe(order)}`);
  }
}

/** Processes every `$setElementOrder/<list>` of this map together with its list. */
function applySetElementOrder(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const order = patch[key];
    delete patch[key];
    const listKey = key.slice(SET_ELEMENT_ORDER_PREFIX.length);
    if (listKey === '' || !Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
    const fm = meta?.field(listKey);
    const mergeKey = fm?.patchMergeKey ?? '';
    const ov = getOwn(original, listKey);
    const pv = getOwn(patch, listKey);
    const foundOriginal = ov !== undefined && ov !== null;
    const foundPatch = pv !== undefined && pv !== null;
    if (foundOriginal && !Array.isArray(ov)) throw badRequest(`invalid original for $setElementOrder/${listKey}: expected a list, got ${describe(ov)}`);
    if (foundPatch && !Array.isArray(pv)) throw badRequest(`invalid patch for $setElementOrder/${listKey}: expected a list, got ${describe(pv)}`);
    const originalList = foundOriginal ? (ov as unknown[]) : [];
    const patchList = foundPatch ? (pv as unknown[]) : [];
    validateWithOrderList(patchList, order, mergeKey);

    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = mergeListField([], patchList, fm, false);
    else if (foundOriginal && foundPatch) merged = mergeListField(originalList, patchList, fm, false);
    else continue;

    const kind = itemKind(merged) ?? 'scalar';
    const [patchItems, serverOnly] = partitionByPresence(merged, order, mergeKey, kind);
    setOwn(original, listKey, normalizeElementOrder(patchItems, serverOnly, order, originalList, mergeKey, kind));
    delete patch[listKey];
  }
}
