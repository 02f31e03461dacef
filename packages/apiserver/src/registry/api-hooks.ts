/**
 * The registry's bridge to the pure logic in @skiff/api: selectors, defaulting, validation,
 * schema checks, patches and managed fields, called with the resource's catalogue entry.
 */
import {
  apiVersionOf, KObject, ResourceInfo, StatusError, FieldError, isPlainObject, findByKind,
  checkFields as schemaCheckFields, patchMetaFor, openApiV3Root, openApiV3Document,
  applyDefaults as apiApplyDefaults, validateCreate as apiValidateCreate, validateUpdate as apiValidateUpdate,
  labelSelectorToString,
  parseLabelSelector, fieldSelectorMatcher, labelSelectorAsMatcher,
  applyJsonPatch, applyMergePatch, applyStrategicMergePatch, serverSideApply, updateManagedFields,
} from '@skiff/api';
import type { Registry } from './store';


export function checkFields(info: ResourceInfo, obj: unknown): { unknown: string[]; typeErrors: FieldError[] } {
  return schemaCheckFields(apiVersionOf(info), info.kind, obj);
}

export function openApiRoot(): unknown {
  return openApiV3Root();
}

export function openApiDocument(group: string, version: string): unknown {
  return openApiV3Document(group, version);
}

/** A predicate for list/watch, or undefined when no selector narrows the result. Bad selectors are 400s. */
export function compileSelectors(info: ResourceInfo, labelSelector?: string, fieldSelector?: string): ((obj: KObject) => boolean) | undefined {
  const preds: ((obj: KObject) => boolean)[] = [];
  if (labelSelector && labelSelector.trim()) {
    let sel;
    try {
      sel = parseLabelSelector(labelSelector);
    } catch (e) {
      throw StatusError.badRequest((e as Error).message);
    }
    preds.push((o) => sel.matches(o.metadata.labels ?? {}));
  }
  if (fieldSelector && fieldSelector.trim()) {
    let pred: (obj: unknown) => boolean;
    try {
      pred = fieldSelectorMatcher(info.kind, fieldSelector);
    } catch (e) {
      throw StatusError.badRequest((e as Error).message);
    }
    preds.push(pred);
  }
  if (!preds.length) return undefined;
  return (o) => preds.every((p) => p(o));
}

export function selectorString(selector: unknown): string {
  if (!isPlainObject(selector)) return '';
  try {
    return labelSelectorToString(selector);
  } catch {
    return '';
  }
}

export function labelSelectorMatcher(selector: unknown): ((labels: Record<string, string>) => boolean) | undefined {
  if (!isPlainObject(selector)) return undefined;
  const m = labelSelectorAsMatcher(selector);
  return (labels) => m.matches(labels);
}

/** What create resets before defaults: status belongs to controllers and agents. */
export function prepareForCreate(info: ResourceInfo, obj: KObject): void {
  switch (info.kind) {
    case 'Pod':
      obj.status = { phase: 'Pending' };
      return;
    case 'Namespace':
      obj.status = { phase: 'Active' };
      return;
    case 'Service':
      obj.status = { loadBalancer: {} };
      return;
    case 'Node':
    case 'PersistentVolume':
    case 'PersistentVolumeClaim':
    case 'Event':
    case 'Lease':
      return;
    default:
      if (info.subresources.some((s) => s.name === 'status')) obj.status = {};
  }
}

export function applyDefaults(info: ResourceInfo, obj: KObject): void {
  apiApplyDefaults(info.kind, apiVersionOf(info), obj);
}

export function validateCreate(info: ResourceInfo, obj: KObject): FieldError[] {
  return apiValidateCreate(info, obj);
}

export function validateUpdate(info: ResourceInfo, obj: KObject, old: KObject): FieldError[] {
  return apiValidateUpdate(info, obj, old);
}

export function jsonPatch(obj: KObject, ops: unknown): KObject {
  if (!Array.isArray(ops)) throw StatusError.badRequest('the JSON patch must be a list of operations');
  return applyJsonPatch(obj, ops) as KObject;
}

export function mergePatch(obj: KObject, patch: unknown): KObject {
  return applyMergePatch(obj, patch) as KObject;
}

export function strategicPatch(info: ResourceInfo, obj: KObject, patch: unknown): KObject {
  return applyStrategicMergePatch(obj, patch, patchMetaFor(apiVersionOf(info), info.kind)) as KObject;
}

/** Server-side apply; `live` undefined creates. */
export function applyPatch(info: ResourceInfo, live: KObject | undefined, applied: unknown, manager: string, force: boolean): KObject {
  if (!isPlainObject(applied)) throw StatusError.badRequest('the apply patch must be an object');
  const av = applied.apiVersion;
  const kind = applied.kind;
  if (av === undefined || kind === undefined) {
    throw StatusError.badRequest('apiVersion and kind must be set in an apply patch');
  }
  if (av !== apiVersionOf(info) || kind !== info.kind) {
    const target = findByKind(String(av), String(kind));
    if (!target || target !== info) throw StatusError.badRequest(`the API version in the data (${String(av)}) does not match the expected API version (${apiVersionOf(info)})`);
  }
  const r = serverSideApply({
    live, applied, manager, force, meta: patchMetaFor(apiVersionOf(info), info.kind), now: new Date(),
    ignoredFields: info.subresources.some((x) => x.name === 'status') ? [['status']] : [],
  });
  return r.object as KObject;
}

/** Gives the fields an ordinary write changed to its manager in metadata.managedFields. */
export function trackManagedFields(info: ResourceInfo, before: KObject | undefined, after: KObject, manager: string, operation: 'Update'): void {
  const r = updateManagedFields({
    before, after, manager, operation, apiVersion: apiVersionOf(info),
    meta: patchMetaFor(apiVersionOf(info), info.kind), now: new Date(),
    ignoredFields: info.subresources.some((x) => x.name === 'status') ? [['status']] : [],
  });
  if (r.managedFields.length) after.metadata.managedFields = r.managedFields as KObject['metadata']['managedFields'];
  else delete after.metadata.managedFields;
}

/**
 * Eviction admission: a PodDisruptionBudget that allows no disruption refuses with 429;
 * otherwise the budget's `disruptionsAllowed` is decremented and the pod recorded in
 * `disruptedPods` by a compare-and-swap status write, so concurrent evictions cannot all
 * pass on the same budget (as Kubernetes' eviction REST handler does).
 */
export async function checkEviction(registry: Registry, namespace: string, name: string): Promise<void> {
  const podInfo = findByKind('v1', 'Pod')!;
  const pdbInfo = findByKind('policy/v1', 'PodDisruptionBudget')!;
  for (let attempt = 0; ; attempt++) {
    const pod = await registry.get(podInfo, namespace, name);
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') return;
    const pdbs = (await registry.list(pdbInfo, namespace, {})).items.filter((pdb) => {
      const match = labelSelectorMatcher((pdb.spec as { selector?: unknown } | undefined)?.selector);
      return !!match && match(pod.metadata.labels ?? {});
    });
    if (pdbs.length === 0) return;
    if (pdbs.length > 1) {
      throw new StatusError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    }
    const pdb = pdbs[0]!;
    const status = (pdb.status ?? {}) as { disruptionsAllowed?: number; disruptedPods?: Record<string, string> };
    const allowed = status.disruptionsAllowed ?? 0;
    if (allowed <= 0) {
      throw StatusError.tooManyRequests(`Cannot evict pod as it would violate the pod's disruption budget.`, 10);
    }
    const next: KObject = {
      ...pdb,
      status: { ...status, disruptionsAllowed: allowed - 1, disruptedPods: { ...(status.disruptedPods ?? {}), [name]: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } },
    };
    try {
      await registry.update(pdbInfo, namespace, pdb.metadata.name!, next, { subresource: 'status' });
      return;
    } catch (e) {
      if (e instanceof StatusError && e.code === 409 && attempt < 10) continue;
      throw e;
    }
  }
}

interface PriorityClassFields { value?: number; globalDefault?: boolean; preemptionPolicy?: string }

/**
 * Create-time admission that needs other objects (Kubernetes' Priority admission plugin),
 * run before defaulting: a Pod's `spec.priorityClassName` (or the global default class) is
 * resolved to `spec.priority` and `spec.preemptionPolicy`; a PriorityClass may be the global
 * default only if no other is.
 */
export async function admitCreate(registry: Registry, info: ResourceInfo, obj: KObject): Promise<void> {
  if (info.group === '' && info.kind === 'Pod') await admitPodPriority(registry, obj);
  else if (info.group === 'scheduling.k8s.io' && info.kind === 'PriorityClass') await admitPriorityClass(registry, obj);
}

/**
 * "No PriorityClass is the global default" remembered per registry for a short while, so the
 * common pod create (no priorityClassName, no default class) makes no extra etcd read. Any
 * PriorityClass written through this registry forgets it at once (a generation counter keeps
 * a list that raced with the write from bringing it back); deletions can only keep it true.
 * Only a default class created through another master can go unseen, for at most the TTL.
 */
const NO_DEFAULT_TTL_MS = 2000;
interface DefaultClassState { generation: number; noDefaultUntil: number }
const defaultClassStates = new WeakMap<Registry, DefaultClassState>();

function defaultClassState(registry: Registry): DefaultClassState {
  let st = defaultClassStates.get(registry);
  if (!st) {
    const created: DefaultClassState = { generation: 0, noDefaultUntil: 0 };
    st = created;
    defaultClassStates.set(registry, created);
    registry.onWrite((info) => {
      if (info.group === 'scheduling.k8s.io' && info.kind === 'PriorityClass') {
        created.generation++;
        created.noDefaultUntil = 0;
      }
    });
  }
  return st;
}

function noGlobalDefault(registry: Registry): boolean {
  return defaultClassState(registry).noDefaultUntil > Date.now();
}

function rememberNoGlobalDefault(registry: Registry, generation: number): void {
  const st = defaultClassState(registry);
  if (st.generation === generation) st.noDefaultUntil = Date.now() + NO_DEFAULT_TTL_MS;
}

async function admitPodPriority(registry: Registry, pod: KObject): Promise<void> {
  if (!isPlainObject(pod.spec)) return;
  const spec = pod.spec as { priorityClassName?: unknown; priority?: unknown; preemptionPolicy?: unknown };
  const pcInfo = findByKind('scheduling.k8s.io/v1', 'PriorityClass')!;
  const name = pod.metadata.name ?? '';
  const forbid = (msg: string): StatusError => new StatusError(403, 'Forbidden', `pods "${name}" is forbidden: ${msg}`, { name, kind: 'pods' });
  let className = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  let cls: PriorityClassFields | undefined;
  if (className === '' && noGlobalDefault(registry)) {
    // Without a class only a global default class matters, and none exists: no read.
  } else if (className === '') {
    const gen = defaultClassState(registry).generation;
    const defaults = (await registry.list(pcInfo, undefined, {})).items.filter((c) => (c as PriorityClassFields).globalDefault === true);
    if (defaults.length === 0) rememberNoGlobalDefault(registry, gen);
    const lowest = defaults.sort((a, b) => ((a as PriorityClassFields).value ?? 0) - ((b as PriorityClassFields).value ?? 0))[0];
    if (lowest) {
      className = lowest.metadata.name ?? '';
      cls = lowest as PriorityClassFields;
    }
  } else {
    const found = await registry.tryGet(pcInfo, undefined, className);
    if (!found) throw forbid(`no PriorityClass with name ${className} was found`);
    cls = found as PriorityClassFields;
  }
  const value = cls?.value ?? 0;
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
    throw forbid(`the integer value of priority (${String(spec.priority)}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
  }
  const policy = cls?.preemptionPolicy ?? 'PreemptLowerPriority';
  if (cls && spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
    throw forbid(`the string value of PreemptionPolicy (${String(spec.preemptionPolicy)}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
  }
  if (className) spec.priorityClassName = className;
  spec.priority = value;
  if (cls || spec.preemptionPolicy === undefined || spec.preemptionPolicy === null) spec.preemptionPolicy = policy;
}

async function admitPriorityClass(registry: Registry, pc: KObject): Promise<void> {
  if ((pc as PriorityClassFields).globalDefault !== true) return;
  const pcInfo = findByKind('scheduling.k8s.io/v1', 'PriorityClass')!;
  const other = (await registry.list(pcInfo, undefined, {})).items.find((c) => (c as PriorityClassFields).globalDefault === true && c.metadata.name !== pc.metadata.name);
  if (other) {
    const name = pc.metadata.name ?? '';
    throw new StatusError(403, 'Forbidden', `priorityclasses.scheduling.k8s.io "${name}" is forbidden: PriorityClass ${other.metadata.name ?? ''} is already marked as default. Only one default can exist`,
      { name, group: 'scheduling.k8s.io', kind: 'priorityclasses' });
  }
}
