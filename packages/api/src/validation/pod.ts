/** Pod create and update validation (ValidatePodCreate / ValidatePodUpdate). */
import { deepEqual, isPlainObject, type JsonObject } from '../object';
import { childPath, forbidden, indexPath, invalid, required } from './field-errors';
import { inclusiveRangeError, nameIsDNSSubdomain } from './name-rules';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { validatePodSpec, validateTolerations } from './pod-spec';
import { peek, type Reader } from './typed-read';

const MAX_INT32 = 2147483647;

export const POD_UPDATE_FORBIDDEN = 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function validatePodMetadataAndSpec(r: Reader, pod: JsonObject): void {
  validateObjectMeta(r, pod.metadata, 'metadata', nameIsDNSSubdomain);
  validatePodSpec(r, pod.spec, 'spec');
}

export function validatePodCreate(r: Reader, pod: JsonObject): void {
  validatePodMetadataAndSpec(r, pod);
  const spec = peek.obj(pod.spec) ?? {};
  if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
    r.add(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  }
  const gates = peek.arr(spec.schedulingGates) ?? [];
  if (peek.str(spec.nodeName) && gates.length > 0) r.add(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
}

/** The paths (below `spec`) where two specs differ, for the update error's detail. */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 5 || deepEqual(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => differences(x, b[i], indexPath(path, i), out));
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) differences(a[k], b[k], childPath(path, k), out);
    return;
  }
  out.push(path);
}

function containerUpdates(r: Reader, now: unknown, before: unknown, path: string): boolean {
  const a = peek.arr(now) ?? [];
  const b = peek.arr(before) ?? [];
  if (a.length !== b.length) {
    r.add(forbidden(path, 'pod updates may not add or remove containers'));
    return false;
  }
  a.forEach((c, i) => {
    const image = peek.str(peek.obj(c)?.image) ?? '';
    if (image.length === 0) r.add(required(childPath(indexPath(path, i), 'image')));
    if (image.trim().length !== image.length) r.add(invalid(childPath(indexPath(path, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return true;
}

function onlyAddedTolerations(r: Reader, now: unknown, before: unknown): void {
  const a = peek.objs(now);
  for (const old of peek.objs(before)) {
    const found = a.some((t) => deepEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) {
      r.add(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      return;
    }
  }
  validateTolerations(r, now, 'spec.tolerations');
}

export function validatePodUpdate(r: Reader, pod: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, pod.metadata, old.metadata, 'metadata');
  validatePodMetadataAndSpec(r, pod);
  const spec = peek.obj(pod.spec) ?? {};
  const oldSpec = peek.obj(old.spec) ?? {};
  if (!containerUpdates(r, spec.containers, oldSpec.containers, 'spec.containers')) return;
  if (!containerUpdates(r, spec.initContainers, oldSpec.initContainers, 'spec.initContainers')) return;

  const deadline = peek.int(spec.activeDeadlineSeconds);
  const oldDeadline = peek.int(oldSpec.activeDeadlineSeconds);
  if (deadline !== undefined) {
    if (deadline < 0 || deadline > MAX_INT32) {
      r.add(invalid('spec.activeDeadlineSeconds', deadline, inclusiveRangeError(0, MAX_INT32)));
      return;
    }
    if (oldDeadline !== undefined && oldDeadline < deadline) {
      r.add(invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value'));
      return;
    }
  } else if (oldDeadline !== undefined) {
    r.add(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }

  onlyAddedTolerations(r, spec.tolerations, oldSpec.tolerations);

  const oldGates = new Set(peek.objs(oldSpec.schedulingGates).map((g) => peek.str(g.name)));
  peek.objs(spec.schedulingGates).forEach((g, i) => {
    const name = peek.str(g.name);
    if (!oldGates.has(name)) r.add(forbidden(indexPath('spec.schedulingGates', i), `only deletion is allowed, but found new scheduling gate '${name ?? ''}'`));
  });

  if (deepEqual(spec, oldSpec)) return;
  const munged: JsonObject = structuredClone(spec);
  for (const key of ['containers', 'initContainers']) {
    const list = peek.arr(munged[key]);
    const oldList = peek.arr(oldSpec[key]) ?? [];
    list?.forEach((c, i) => {
      const oldC = peek.obj(oldList[i]);
      if (isPlainObject(c) && oldC) {
        if (oldC.image === undefined) delete c.image; else c.image = oldC.image;
      }
    });
  }
  for (const key of ['activeDeadlineSeconds', 'tolerations', 'schedulingGates']) {
    if (oldSpec[key] === undefined) delete munged[key]; else munged[key] = oldSpec[key];
  }
  const oldGrace = peek.int(oldSpec.terminationGracePeriodSeconds);
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (!deepEqual(munged, oldSpec)) {
    const diff: string[] = [];
    differences(oldSpec, munged, 'spec', diff);
    r.add(forbidden('spec', `${POD_UPDATE_FORBIDDEN}\n  changed: ${diff.join(', ')}`));
  }
}
