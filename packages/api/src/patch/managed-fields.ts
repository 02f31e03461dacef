/**
 * `metadata.managedFields`: who owns which fields, in the Kubernetes format, and how
 * ordinary writes (create, update, patch with a `fieldManager`) change it.
 *
 * A manager is identified by name, operation (`Apply` or `Update`), subresource and, for
 * `Update` only, the API version: `kubectl-client-side-apply` updating apps/v1 and the
 * same name applying are two entries. An ordinary write gives the fields it added or
 * changed to its manager and takes them from every other manager (so a later apply of a
 * different value conflicts with it); fields it removed are removed from everyone.
 */
import type { PatchMeta } from '../patch-meta';
import { FieldSet, fieldElement, type FieldPath, type FieldsV1 } from './field-set';
import { cloneJson, getOwn, isJsonObject, withoutNulls, type JsonObject } from './json-values';
import { compareValues, type Comparison } from './typed-value';

export type ManagedFieldsOperation = 'Apply' | 'Update';

/** One `metadata.managedFields` item, fields in the order Kubernetes writes them. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsV1;
  subresource?: string;
}

/** Decoded managed fields of one manager. */
export interface ManagerFields {
  manager: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** Kubernetes keeps at most this many `Update` entries; older ones merge into `ancient-changes`. */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';

/** Fields nobody owns: type and identity metadata, maintained by the server. */
const STRIPPED_PATHS: FieldPath[] = [
  ['apiVersion'], ['kind'], ['metadata'], ['metadata', 'name'], ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'], ['metadata', 'selfLink'], ['metadata', 'uid'],
  ['metadata', 'clusterName'], ['metadata', 'generation'], ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
].map((p) => p.map(fieldElement));
const STRIPPED = FieldSet.fromPaths(STRIPPED_PATHS);

/**
 * The identity of a manager as Kubernetes encodes it (JSON of manager, operation,
 * apiVersion for Update, subresource). Conflict messages are sorted by it.
 */
export function managerIdentity(m: Pick<ManagerFields, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const id: Record<string, string> = {};
  if (m.manager) id.manager = m.manager;
  id.operation = m.operation;
  if (m.operation === 'Update' && m.apiVersion) id.apiVersion = m.apiVersion;
  if (m.subresource) id.subresource = m.subresource;
  return JSON.stringify(id);
}

/** How Kubernetes names a manager in conflict messages: `"kubectl"`, `"kube-controller-manager" using apps/v1`. */
export function describeManager(m: Pick<ManagerFields, 'manager' | 'operation' | 'apiVersion'>): string {
  const name = JSON.stringify(m.manager);
  return m.operation === 'Update' ? `${name} using ${m.apiVersion}` : name;
}

export type ManagerMap = Map<string, ManagerFields>;

/** Decodes `metadata.managedFields`. Throws an Error when an entry is malformed. */
export function decodeManagedFields(entries: unknown): ManagerMap {
  const out: ManagerMap = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error('metadata.managedFields must be a list');
  entries.forEach((raw, i) => {
    if (!isJsonObject(raw)) throw new Error(`managedFields[${i}] must be an object`);
    const manager = getOwn(raw, 'manager') ?? '';
    const operation = getOwn(raw, 'operation');
    const apiVersion = getOwn(raw, 'apiVersion') ?? '';
    const time = getOwn(raw, 'time');
    const fieldsType = getOwn(raw, 'fieldsType');
    const subresource = getOwn(raw, 'subresource') ?? '';
    if (typeof manager !== 'string') throw new Error(`managedFields[${i}].manager must be a string`);
    if (operation !== 'Apply' && operation !== 'Update') throw new Error(`managedFields[${i}].operation must be Apply or Update, got ${JSON.stringify(operation)}`);
    if (typeof apiVersion !== 'string') throw new Error(`managedFields[${i}].apiVersion must be a string`);
    if (fieldsType !== undefined && fieldsType !== 'FieldsV1') throw new Error(`managedFields[${i}].fieldsType must be FieldsV1, got ${JSON.stringify(fieldsType)}`);
    if (typeof subresource !== 'string') throw new Error(`managedFields[${i}].subresource must be a string`);
    const fieldsV1 = getOwn(raw, 'fieldsV1');
    const set = fieldsV1 === undefined || fieldsV1 === null ? new FieldSet() : FieldSet.fromFieldsV1(fieldsV1);
    const m: ManagerFields = { manager, operation, apiVersion, set };
    if (subresource) m.subresource = subresource;
    if (typeof time === 'string') m.time = time;
    const id = managerIdentity(m);
    const prev = out.get(id);
    if (prev) {
      prev.set = prev.set.union(set);
      if (m.time && (!prev.time || m.time > prev.time)) prev.time = m.time;
      if (operation === 'Apply') prev.apiVersion = apiVersion;
    } else {
      out.set(id, m);
    }
  });
  return out;
}

function timeSeconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Encodes managers as `metadata.managedFields`, sorted like Kubernetes (Apply first, then by time, manager, apiVersion). Empty sets are left out. */
export function encodeManagedFields(managers: ManagerMap): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => !m.set.isEmpty());
  list.sort((p, q) => {
    if (p.operation !== q.operation) return cmp(p.operation, q.operation);
    const ps = timeSeconds(p.time);
    const qs = timeSeconds(q.time);
    if (ps !== qs) return ps - qs;
    return cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource ?? '', q.subresource ?? '');
  });
  return list.map((m) => {
    const e: ManagedFieldsEntry = {
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: m.set.toFieldsV1(),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    };
    return e;
  });
}

/** RFC 3339 with seconds, as Kubernetes writes `metav1.Time`. */
export function formatTime(now: Date | string | undefined): string {
  if (typeof now === 'string') return now;
  return (now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A set of plain field-name paths (`[['status']]`) as a FieldSet of `f:` elements. */
export function fieldNamePaths(paths: readonly (readonly string[])[] | undefined): FieldSet {
  return FieldSet.fromPaths((paths ?? []).map((p) => p.map(fieldElement)));
}

/** A copy of an object without `metadata.managedFields`. */
export function withoutManagedFields(obj: unknown): unknown {
  if (!isJsonObject(obj)) return obj;
  const copy = cloneJson(obj);
  const md = getOwn(copy, 'metadata');
  if (isJsonObject(md)) delete md.managedFields;
  return copy;
}

/** Removes the server-maintained fields from every manager and drops managers left with nothing. */
export function stripServerFields(managers: ManagerMap): void {
  for (const [id, m] of managers) {
    m.set = m.set.difference(STRIPPED);
    if (m.set.isEmpty()) managers.delete(id);
  }
}

export function filterComparison(c: Comparison, ignored: FieldSet): Comparison {
  if (ignored.isEmpty()) return c;
  return {
    added: c.added.recursiveDifference(ignored),
    modified: c.modified.recursiveDifference(ignored),
    removed: c.removed.recursiveDifference(ignored),
  };
}

/** Merges the oldest Update managers into `ancient-changes` entries (one per API version) until at most `max` remain. */
export function capUpdateManagers(managers: ManagerMap, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= max) return;
  updaters.sort(([ia, a], [ib, b]) => timeSeconds(a.time) - timeSeconds(b.time) || cmp(ia, ib));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [id, m] of updaters) {
    if (length <= max) break;
    const version = m.apiVersion;
    const bucket: ManagerFields = { manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion: version, set: new FieldSet() };
    const bucketId = managerIdentity(bucket);
    const first = firstOfVersion.get(version);
    if (first === undefined) {
      firstOfVersion.set(version, id);
      continue;
    }
    if (!managers.has(bucketId)) {
      const firstManager = managers.get(first);
      managers.delete(first);
      if (firstManager) bucket.set = firstManager.set;
      managers.set(bucketId, bucket);
    }
    const b = managers.get(bucketId) as ManagerFields;
    b.set = m.set.union(b.set);
    if (m.time) b.time = m.time;
    managers.delete(id);
    length--;
  }
}

/**
 * The core of an ordinary write: fields added or changed from `before` to `after` go to
 * the manager and are taken from everyone else; removed fields are dropped everywhere.
 * Mutates `managers`. Returns whether the manager gained fields.
 */
export function recordUpdate(
  managers: ManagerMap,
  before: unknown,
  after: unknown,
  who: { manager: string; apiVersion: string; subresource?: string },
  meta: PatchMeta | undefined,
  now: string,
  ignored: FieldSet,
): boolean {
  const c = filterComparison(compareValues(before, after, meta), ignored);
  const changed = c.modified.union(c.added);
  for (const [id, m] of managers) {
    m.set = m.set.difference(changed).difference(c.removed);
    if (m.set.isEmpty()) managers.delete(id);
  }
  const gained = changed.recursiveDifference(ignored).difference(STRIPPED);
  stripServerFields(managers);
  if (gained.isEmpty()) return false;
  const self: ManagerFields = { manager: who.manager, operation: 'Update', apiVersion: who.apiVersion, set: gained, time: now };
  if (who.subresource) self.subresource = who.subresource;
  const id = managerIdentity(self);
  const prev = managers.get(id);
  if (prev) self.set = prev.set.union(gained);
  managers.set(id, self);
  return true;
}

export interface UpdateManagedFieldsOptions<T extends JsonObject = JsonObject> {
  /** The object before the write; undefined for a create. */
  before: JsonObject | undefined;
  /** The object about to be stored. Its own `metadata.managedFields`, when set, replace the old ones (`[{}]` clears them). */
  after: T;
  /** The `fieldManager` of the request. */
  manager: string;
  operation?: 'Update';
  /** apiVersion of the request, e.g. `apps/v1`. */
  apiVersion: string;
  meta: PatchMeta | undefined;
  /** Defaults to the current time. */
  now?: Date | string;
  /** `status`, `scale`...; empty for the main resource. */
  subresource?: string;
  /** Fields this endpoint resets and nobody can own through it, as field-name paths: `[['status']]` for the main resource. */
  ignoredFields?: readonly (readonly string[])[];
}

export interface ManagedFieldsResult<T extends JsonObject = JsonObject> {
  /** A copy of `after` with the new `metadata.managedFields` (left out when empty). */
  object: T;
  managedFields: ManagedFieldsEntry[];
}

function isResetRequest(v: unknown): boolean {
  return Array.isArray(v) && v.length === 1 && isJsonObject(v[0]) && Object.keys(v[0]).length === 0;
}

/** `object` with `metadata.managedFields` set to `entries` (removed when there are none). */
export function withManagedFields<T extends JsonObject>(object: T, entries: ManagedFieldsEntry[]): T {
  const copy: JsonObject = cloneJson(object);
  let md = getOwn(copy, 'metadata');
  if (!isJsonObject(md)) {
    if (entries.length === 0) return copy as T;
    md = {};
    copy.metadata = md;
  }
  const metadata = md as JsonObject;
  if (entries.length > 0) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return copy as T;
}

/**
 * Managed fields after an ordinary write (create, update, or a JSON/merge/strategic
 * patch) by `manager`. Like Kubernetes, an existing object that has no managed fields is
 * not tracked, and a failure to compute them (e.g. an invalid list) clears them rather
 * than failing the write.
 */
export function updateManagedFields<T extends JsonObject>(opts: UpdateManagedFieldsOptions<T>): ManagedFieldsResult<T> {
  const { before, after, manager, apiVersion, meta } = opts;
  const now = formatTime(opts.now);
  const done = (entries: ManagedFieldsEntry[]): ManagedFieldsResult<T> => ({ object: withManagedFields(after, entries), managedFields: entries });
  try {
    const beforeEntries = before ? getOwn((getOwn(before, 'metadata') ?? {}) as JsonObject, 'managedFields') : undefined;
    const afterEntries = getOwn((getOwn(after, 'metadata') ?? {}) as JsonObject, 'managedFields');
    let managers: ManagerMap;
    if (opts.subresource) {
      managers = decodeManagedFields(beforeEntries);
    } else if (isResetRequest(afterEntries)) {
      managers = new Map();
    } else {
      let fromAfter: ManagerMap = new Map();
      try {
        fromAfter = decodeManagedFields(afterEntries);
      } catch {
        fromAfter = new Map();
      }
      managers = fromAfter.size > 0 ? fromAfter : decodeManagedFields(beforeEntries);
    }
    if (managers.size === 0 && before !== undefined) return done([]);
    const who = { manager, apiVersion, ...(opts.subresource ? { subresource: opts.subresource } : {}) };
    recordUpdate(managers, withoutNulls(withoutManagedFields(before ?? {})), withoutNulls(withoutManagedFields(after)), who, meta, now, fieldNamePaths(opts.ignoredFields));
    capUpdateManagers(managers);
    return done(encodeManagedFields(managers));
  } catch {
    return done([]);
  }
}
