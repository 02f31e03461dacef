/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`), after the
 * structured-merge-diff algorithm of Kubernetes:
 *
 * 1. The applied configuration is merged into the live object (maps by field, list maps
 *    by key, sets by value, atomic values replaced).
 * 2. The manager now owns exactly the fields of its configuration.
 * 3. Fields it applied last time but not this time are removed, unless another manager
 *    (applier or updater) owns them.
 * 4. Fields that change value and belong to another manager are conflicts: a 409 unless
 *    `force`, in which case the other managers lose them. Setting a field to the value it
 *    already has is not a conflict; both managers then share it.
 * 5. Removed fields leave every manager.
 *
 * A live object without managed fields first gets a `before-first-apply` Update manager
 * owning all its fields, as in Kubernetes.
 */
import { StatusError, fieldErr } from '../errors';
import type { KObject } from '../object';
import type { PatchMeta } from '../patch-meta';
import { FieldSet, pathToString, type FieldPath } from './field-set';
import { cloneJson, getOwn, isJsonObject, jsonEqual, withoutNulls, type JsonObject } from './json-values';
import {
  BEFORE_FIRST_APPLY_MANAGER,
  capUpdateManagers,
  decodeManagedFields,
  describeManager,
  encodeManagedFields,
  fieldNamePaths,
  filterComparison,
  formatTime,
  managerIdentity,
  recordUpdate,
  stripServerFields,
  withManagedFields,
  withoutManagedFields,
  type ManagedFieldsEntry,
  type ManagerFields,
  type ManagerMap,
} from './managed-fields';
import { compareValues, fieldsToSet, mergeValues, removeFields } from './typed-value';

export interface ServerSideApplyOptions {
  /** The stored object, or undefined when the apply creates it. */
  live: KObject | undefined;
  /** The applied configuration (the request body, parsed from YAML or JSON). */
  applied: unknown;
  /** The `fieldManager` query parameter; required. */
  manager: string;
  /** The `force` query parameter: take conflicting fields from their managers. */
  force?: boolean;
  meta: PatchMeta | undefined;
  /** Defaults to the current time. */
  now?: Date | string;
  /** `status`, `scale`...; empty for the main resource. */
  subresource?: string;
  /** Fields this endpoint resets and nobody can own through it, as field-name paths: `[['status']]` for the main resource. */
  ignoredFields?: readonly (readonly string[])[];
  /** The group/version of the request URL (`apps/v1`); the configuration must use it. Defaults to the live object's. */
  apiVersion?: string;
  /** The kind served at the URL; the configuration must use it. Defaults to the live object's. */
  kind?: string;
}

export interface ServerSideApplyResult {
  /** The merged object, with the new `metadata.managedFields`. */
  object: KObject;
  managedFields: ManagedFieldsEntry[];
  /** False when the object (apart from managed fields) is unchanged. */
  changed: boolean;
}

/** One field that another manager owns and the apply would change. */
export interface ApplyConflict {
  manager: ManagerFields;
  path: string[];
}

/** The 409 Kubernetes answers with: `Apply failed with 1 conflict: conflict with "x" using apps/v1: .spec.replicas`. */
export function applyConflictError(conflicts: ApplyConflict[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathToString(c.path),
  }));
  let message: string;
  const only = conflicts[0];
  if (conflicts.length === 1 && only) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(only.manager)}: ${pathToString(only.path)}`;
  } else {
    const byManager = new Map<string, ApplyConflict[]>();
    for (const c of conflicts) {
      const id = managerIdentity(c.manager);
      const list = byManager.get(id) ?? [];
      list.push(c);
      byManager.set(id, list);
    }
    const lines: string[] = [];
    for (const id of [...byManager.keys()].sort()) {
      const list = byManager.get(id) as ApplyConflict[];
      lines.push(`conflicts with ${describeManager((list[0] as ApplyConflict).manager)}:`);
      for (const c of list) lines.push(`- ${pathToString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

function validateApplied(applied: unknown, live: KObject | undefined, manager: string, expectedVersion: string | undefined, expectedKind: string | undefined): JsonObject {
  if (!manager) {
    throw StatusError.invalid('PatchOptions', '', [fieldErr.required('fieldManager', 'is required for apply patch')], 'meta.k8s.io');
  }
  if (!isJsonObject(applied)) {
    throw StatusError.badRequest('error decoding YAML: the applied configuration must be an object');
  }
  const md = getOwn(applied, 'metadata');
  if (md !== undefined && md !== null && !isJsonObject(md)) throw StatusError.badRequest('metadata must be an object');
  if (isJsonObject(md) && getOwn(md, 'managedFields') !== undefined && getOwn(md, 'managedFields') !== null) {
    throw StatusError.badRequest('metadata.managedFields must be nil');
  }
  const version = getOwn(applied, 'apiVersion');
  const expected = expectedVersion ?? live?.apiVersion;
  if (typeof version !== 'string' || version === '' || (expected !== undefined && version !== expected)) {
    throw StatusError.badRequest(`Incorrect version specified in apply patch. Specified patch version: ${typeof version === 'string' ? version : ''}, expected: ${expected ?? '<apiVersion of the resource>'}`);
  }
  const kind = getOwn(applied, 'kind');
  const expectedKindOrLive = expectedKind ?? live?.kind;
  if (typeof kind !== 'string' || kind === '' || (expectedKindOrLive !== undefined && kind !== expectedKindOrLive)) {
    throw StatusError.badRequest(`Incorrect kind specified in apply patch. Specified patch kind: ${typeof kind === 'string' ? kind : ''}, expected: ${expectedKindOrLive ?? '<kind of the resource>'}`);
  }
  return applied;
}

function unionOfManagers(managers: ManagerMap): FieldSet {
  let all = new FieldSet();
  for (const m of managers.values()) all = all.union(m.set);
  return all;
}

/**
 * Removes what the manager applied last time and no longer applies, unless someone else
 * (or its new configuration) owns it.
 */
function prune(merged: unknown, managers: ManagerMap, lastSet: FieldSet | undefined, meta: PatchMeta | undefined): unknown {
  if (!lastSet || lastSet.isEmpty()) return merged;
  const last = lastSet.ensureNamedFieldsAreMembers();
  const pruned = removeFields(merged, last, meta);
  const managed = unionOfManagers(managers).ensureNamedFieldsAreMembers();
  const mergedSet = fieldsToSet(merged, meta, false).ensureNamedFieldsAreMembers();
  const prunedSet = fieldsToSet(pruned, meta, false).ensureNamedFieldsAreMembers();
  const ownedBack = removeFields(merged, mergedSet.difference(prunedSet.union(managed)), meta);
  const ownedBackSet = fieldsToSet(ownedBack, meta, false).ensureNamedFieldsAreMembers();
  return removeFields(merged, mergedSet.difference(ownedBackSet).intersection(last), meta);
}

/** The manager name `kubectl apply --server-side` uses; Kubernetes gives it the client-side apply upgrade path. */
export const KUBECTL_APPLY_MANAGER = 'kubectl';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Kubernetes' limit on the total size of an object's annotations. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

type Attempt =
  | { ok: true; object: JsonObject; managers: ManagerMap; selfId: string; previousTime: string | undefined }
  | { ok: false; conflicts: ApplyConflict[] };

interface ApplyContext {
  live: KObject | undefined;
  liveValue: JsonObject;
  applied: JsonObject;
  manager: string;
  apiVersion: string;
  subresource: string | undefined;
  meta: PatchMeta | undefined;
  now: string;
  ignored: FieldSet;
}

function attemptApply(ctx: ApplyContext, force: boolean): Attempt {
  const { live, liveValue, applied, meta, now, ignored } = ctx;
  let managers: ManagerMap;
  try {
    managers = decodeManagedFields(live?.metadata?.managedFields);
  } catch (e) {
    throw StatusError.internal(`failed to decode managed fields: ${(e as Error).message}`);
  }
  const sub = ctx.subresource ? { subresource: ctx.subresource } : {};
  if (live && managers.size === 0) {
    recordUpdate(managers, {}, liveValue, { manager: BEFORE_FIRST_APPLY_MANAGER, apiVersion: live.apiVersion ?? ctx.apiVersion, ...sub }, meta, now, ignored);
    capUpdateManagers(managers);
  }

  const self: ManagerFields = { manager: ctx.manager, operation: 'Apply', apiVersion: ctx.apiVersion, set: new FieldSet(), ...sub };
  const selfId = managerIdentity(self);
  const previous = managers.get(selfId);

  self.set = fieldsToSet(applied, meta).recursiveDifference(ignored);
  const merged = mergeValues(liveValue, applied, meta);
  managers.set(selfId, self);
  const result = prune(merged, managers, previous?.set, meta);

  const c = filterComparison(compareValues(liveValue, result, meta), ignored);
  const changedFields = c.modified.union(c.added);
  const conflicts: ApplyConflict[] = [];
  const conflictSets = new Map<string, FieldSet>();
  for (const [id, m] of managers) {
    if (id === selfId) continue;
    const clash = m.set.intersection(changedFields);
    if (clash.isEmpty()) continue;
    conflictSets.set(id, clash);
    for (const path of clash.paths()) conflicts.push({ manager: m, path });
  }
  if (conflicts.length > 0 && !force) return { ok: false, conflicts };
  for (const [id, clash] of conflictSets) {
    const m = managers.get(id) as ManagerFields;
    m.set = m.set.difference(clash);
  }
  for (const [id, m] of managers) {
    if (id === selfId) continue;
    m.set = m.set.difference(c.removed);
    if (m.set.isEmpty()) managers.delete(id);
  }
  stripServerFields(managers);
  return { ok: true, object: isJsonObject(result) ? result : {}, managers, selfId, previousTime: previous?.time };
}

function annotationsOf(obj: unknown): JsonObject | undefined {
  if (!isJsonObject(obj)) return undefined;
  const md = getOwn(obj, 'metadata');
  if (!isJsonObject(md)) return undefined;
  const a = getOwn(md, 'annotations');
  return isJsonObject(a) ? a : undefined;
}

/**
 * Fields whose conflicts `kubectl apply --server-side` may override: those of the
 * last-applied annotation that still have the value it records (the user applied them
 * client-side and nobody changed them since). Undefined when there is no usable annotation.
 */
function fieldsStillAsLastApplied(ctx: ApplyContext): FieldSet | undefined {
  const raw = annotationsOf(ctx.liveValue)?.[LAST_APPLIED_ANNOTATION];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const lastApplied: unknown = JSON.parse(raw);
    if (!isJsonObject(lastApplied) || getOwn(lastApplied, 'apiVersion') !== (ctx.live?.apiVersion ?? ctx.apiVersion)) return undefined;
    const c = compareValues(lastApplied, ctx.liveValue, ctx.meta);
    return fieldsToSet(lastApplied, ctx.meta, false).difference(c.modified).difference(c.added).difference(c.removed);
  } catch {
    return undefined;
  }
}

/** JSON with sorted keys and Go's HTML escaping, as Kubernetes encodes the last-applied annotation. */
function goJson(v: unknown): string {
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (isJsonObject(x)) {
      const out: JsonObject = {};
      for (const k of Object.keys(x).sort()) Object.defineProperty(out, k, { value: sortKeys(x[k]), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return x;
  };
  return JSON.stringify(sortKeys(v))
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Keeps an existing last-applied annotation in sync with what `kubectl` applies server-side. */
function syncLastApplied(object: JsonObject, applied: JsonObject): void {
  const annotations = annotationsOf(object);
  if (!annotations || typeof annotations[LAST_APPLIED_ANNOTATION] !== 'string') return;
  const config = cloneJson(applied);
  const configAnnotations = annotationsOf(config);
  if (configAnnotations) delete configAnnotations[LAST_APPLIED_ANNOTATION];
  annotations[LAST_APPLIED_ANNOTATION] = goJson(config);
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) delete annotations[LAST_APPLIED_ANNOTATION];
}

/**
 * Applies `applied` for `manager`. Returns the new object and managed fields, or throws a
 * StatusError: 409 Conflict (fields owned by other managers would change and `force` is
 * not set), 400 BadRequest (bad configuration), 422 Invalid (no field manager).
 *
 * Like Kubernetes, the manager `kubectl` gets the client-side apply upgrade path: its
 * conflicts on fields that still hold the value of the object's last-applied annotation
 * are overridden, and an existing last-applied annotation is rewritten to the new
 * configuration.
 */
export function serverSideApply(opts: ServerSideApplyOptions): ServerSideApplyResult {
  const { live, manager, meta } = opts;
  const applied = validateApplied(opts.applied, live, manager, opts.apiVersion, opts.kind);
  const ctx: ApplyContext = {
    live,
    liveValue: live ? withoutNulls(withoutManagedFields(live) as JsonObject) : {},
    applied,
    manager,
    apiVersion: applied.apiVersion as string,
    subresource: opts.subresource || undefined,
    meta,
    now: formatTime(opts.now),
    ignored: fieldNamePaths(opts.ignoredFields),
  };

  let attempt = attemptApply(ctx, !!opts.force);
  if (!attempt.ok && manager === KUBECTL_APPLY_MANAGER) {
    const allowed = fieldsStillAsLastApplied(ctx);
    if (allowed) {
      const remaining = attempt.conflicts.filter((c) => !allowed.has(c.path));
      if (remaining.length > 0) throw applyConflictError(remaining);
      attempt = attemptApply(ctx, true);
    }
  }
  if (!attempt.ok) throw applyConflictError(attempt.conflicts);

  const { managers, selfId, previousTime } = attempt;
  const object = withoutNulls(attempt.object);
  if (manager === KUBECTL_APPLY_MANAGER) syncLastApplied(object, applied);
  const changed = !jsonEqual(object, ctx.liveValue);
  const mine = managers.get(selfId);
  if (mine) mine.time = changed || !previousTime ? ctx.now : previousTime;
  capUpdateManagers(managers);
  const managedFields = encodeManagedFields(managers);
  return { object: withManagedFields(object, managedFields) as KObject, managedFields, changed };
}

/** The paths of a set, as Kubernetes prints them (`.spec.replicas`). */
export function describePaths(set: FieldSet): string[] {
  return set.paths().map((p: FieldPath) => pathToString(p));
}

