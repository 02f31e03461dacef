/** Namespace and Node validation. */
import { deepEqual, type JsonObject } from '../object';
import { childPath, duplicateRaw, forbidden, indexPath, invalid, keyPath, notSupported, required } from './field-errors';
import { goQuote } from './go-format';
import { isQualifiedName, isValidCIDR, isValidLabelValue, nameIsDNSLabel, nameIsDNSSubdomain } from './name-rules';
import { validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { quantityField } from './pod-spec';
import { peek, type Reader } from './typed-read';

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateNamespace(r: Reader, ns: JsonObject): void {
  validateObjectMeta(r, ns.metadata, 'metadata', nameIsDNSLabel);
  const spec = r.obj(ns.spec, 'spec') ?? {};
  for (const f of r.strList(spec.finalizers, 'spec.finalizers') ?? []) {
    for (const m of isQualifiedName(f)) r.add(invalid('spec.finalizers', f, m));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) r.add(invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
}

export function validateNamespaceUpdate(r: Reader, ns: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, ns.metadata, old.metadata, 'metadata');
  validateNamespace(r, ns);
}

function validateTaints(r: Reader, value: unknown, path: string): void {
  const seen = new Map<string, Set<string>>();
  for (const { item, path: p } of r.objList(value, path)) {
    const key = r.str(item.key, childPath(p, 'key')) ?? '';
    const val = r.str(item.value, childPath(p, 'value')) ?? '';
    const effect = r.str(item.effect, childPath(p, 'effect')) ?? '';
    validateLabelName(r, key, childPath(p, 'key'));
    const errs = isValidLabelValue(val);
    if (errs.length) r.add(invalid(childPath(p, 'value'), val, errs.join(';')));
    if (!effect) r.add(required(childPath(p, 'effect')));
    else if (!TAINT_EFFECTS.includes(effect)) r.add(notSupported(childPath(p, 'effect'), effect, TAINT_EFFECTS));
    const keys = seen.get(effect) ?? new Set<string>();
    if (keys.has(key)) {
      const timeAdded = peek.str(item.timeAdded);
      r.add(duplicateRaw(p, `core.Taint{Key:${goQuote(key)}, Value:${goQuote(val)}, Effect:${goQuote(effect)}, TimeAdded:${timeAdded ? '<time>' : '<nil>'}}`, 'taints must be unique by key and effect pair'));
      continue;
    }
    keys.add(key);
    seen.set(effect, keys);
  }
}

function validateResourceList(r: Reader, value: unknown, path: string): void {
  const list = r.obj(value, path);
  for (const [name, q] of Object.entries(list ?? {})) {
    const p = keyPath(path, name);
    for (const m of isQualifiedName(name)) r.add(invalid(p, name, m));
    const parsed = quantityField(r, q, p);
    if (parsed && parsed.sign() < 0) r.add(invalid(p, parsed.toString(), 'must be greater than or equal to 0'));
  }
}

export function validateNode(r: Reader, node: JsonObject): void {
  validateObjectMeta(r, node.metadata, 'metadata', nameIsDNSSubdomain);
  const spec = r.obj(node.spec, 'spec') ?? {};
  validateTaints(r, spec.taints, 'spec.taints');
  r.bool(spec.unschedulable, 'spec.unschedulable');
  r.str(spec.providerID, 'spec.providerID');
  const podCIDR = r.str(spec.podCIDR, 'spec.podCIDR') ?? '';
  const podCIDRs = r.strList(spec.podCIDRs, 'spec.podCIDRs') ?? [];
  podCIDRs.forEach((c, i) => { for (const m of isValidCIDR(c)) r.add(invalid(indexPath('spec.podCIDRs', i), c, m)); });
  if (podCIDR && podCIDRs.length === 0) for (const m of isValidCIDR(podCIDR)) r.add(invalid('spec.podCIDR', podCIDR, m));
  if (podCIDRs.length > 2) r.add(invalid('spec.podCIDRs', podCIDRs, 'may specify no more than one CIDR for each IP family'));
  const status = r.obj(node.status, 'status');
  if (status) {
    validateResourceList(r, status.capacity, 'status.capacity');
    validateResourceList(r, status.allocatable, 'status.allocatable');
  }
}

export const NODE_UPDATE_FORBIDDEN = 'node updates may only change labels, taints, or capacity (or configSource, if the DynamicKubeletConfig feature gate is enabled)';

export function validateNodeUpdate(r: Reader, node: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, node.metadata, old.metadata, 'metadata');
  validateNode(r, node);
  const spec = peek.obj(node.spec) ?? {};
  const oldSpec = peek.obj(old.spec) ?? {};
  const oldCIDRs = peek.arr(oldSpec.podCIDRs) ?? [];
  const oldCIDR = peek.str(oldSpec.podCIDR) ?? '';
  if ((oldCIDRs.length > 0 && !deepEqual(spec.podCIDRs ?? [], oldCIDRs)) || (oldCIDR && (peek.str(spec.podCIDR) ?? '') !== oldCIDR)) {
    r.add(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldProvider = peek.str(oldSpec.providerID) ?? '';
  if (oldProvider && (peek.str(spec.providerID) ?? '') !== oldProvider) {
    r.add(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  const mutable = ['unschedulable', 'taints', 'configSource', 'externalID', 'podCIDR', 'podCIDRs', 'providerID'];
  const strip = (s: JsonObject): JsonObject => {
    const c: JsonObject = { ...s };
    for (const k of mutable) delete c[k];
    return c;
  };
  const a = strip(spec);
  const b = strip(oldSpec);
  if (!deepEqual(a, b)) r.add(forbidden('[]', NODE_UPDATE_FORBIDDEN));
}
