/** PriorityClass (scheduling.k8s.io/v1) validation, and the built-in system classes. */
import type { JsonObject } from '../object';
import { forbidden, invalid, notSupported } from './field-errors';
import { nameIsDNSSubdomain } from './name-rules';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { peek, type Reader } from './typed-read';

/** The highest value a user-defined PriorityClass may have. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';

/** The classes every cluster has, created by the master at bootstrap (and no others may be `system-`). */
export const SYSTEM_PRIORITY_CLASSES: readonly { name: string; value: number; description: string }[] = [
  { name: 'system-node-critical', value: 2_000_001_000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2_000_000_000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

function knownSystemClassError(name: string, value: number | undefined, globalDefault: boolean): string | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!known) return `name ${name} is not a known system priority class`;
  if (value !== known.value) return `value of ${name} PriorityClass must be ${known.value}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function validatePriorityClass(r: Reader, pc: JsonObject): void {
  validateObjectMeta(r, pc.metadata, 'metadata', nameIsDNSSubdomain);
  const name = peek.str(peek.obj(pc.metadata)?.name) ?? '';
  const value = r.int(pc.value, 'value');
  const globalDefault = r.bool(pc.globalDefault, 'globalDefault') ?? false;
  r.str(pc.description, 'description');
  if (value !== undefined && (value < -2147483648 || value > 2147483647)) r.add(invalid('value', value, 'must be a 32-bit integer'));
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const err = knownSystemClassError(name, value, globalDefault);
    if (err) r.add(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${err}`));
  } else if (value !== undefined && value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    r.add(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const policy = r.str(pc.preemptionPolicy, 'preemptionPolicy');
  if (policy !== undefined && !PREEMPTION_POLICIES.includes(policy)) r.add(notSupported('preemptionPolicy', policy, PREEMPTION_POLICIES));
}

export function validatePriorityClassUpdate(r: Reader, pc: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, pc.metadata, old.metadata, 'metadata');
  validatePriorityClass(r, pc);
  if (peek.int(pc.value) !== peek.int(old.value)) r.add(forbidden('value', 'may not be changed in an update.'));
  if ((peek.str(pc.preemptionPolicy) ?? '') !== (peek.str(old.preemptionPolicy) ?? '')) r.add(invalid('preemptionPolicy', pc.preemptionPolicy, 'field is immutable'));
}
