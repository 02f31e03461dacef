/**
 * The entry points: `validateCreate(info, obj)` and `validateUpdate(info, obj, old)` return
 * the field errors Kubernetes would report, with its paths and wording. They never throw:
 * input of the wrong shape becomes field errors too. Objects are expected to have been
 * defaulted first (see ../defaults), as the apiserver does before validating.
 */
import { isPlainObject, type JsonObject } from '../object';
import type { ResourceInfo } from '../resources';
import type { FieldError } from './field-errors';
import { typeInvalid } from './field-errors';
import { nameIsDNSSubdomain } from './name-rules';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { validatePodCreate, validatePodUpdate } from './pod';
import { validateService, validateServiceUpdate, type ServiceValidationOptions } from './service';
import {
  validateControllerRevision, validateControllerRevisionUpdate, validateDaemonSet, validateDaemonSetUpdate, validateDeployment,
  validateDeploymentUpdate, validateReplicaSet, validateReplicaSetUpdate, validateStatefulSet, validateStatefulSetUpdate,
} from './apps';
import { validateCronJob, validateCronJobUpdate, validateJob, validateJobUpdate } from './batch';
import { validateConfigMap, validateConfigMapUpdate, validateSecret, validateSecretUpdate } from './config';
import { validateNamespace, validateNamespaceUpdate, validateNode, validateNodeUpdate } from './cluster';
import {
  validateEndpoints, validateEndpointsUpdate, validateEndpointSlice, validateEndpointSliceUpdate, type NetworkingValidationOptions,
} from './networking';
import {
  validatePersistentVolume, validatePersistentVolumeClaim, validatePersistentVolumeClaimUpdate, validatePersistentVolumeUpdate,
} from './storage';
import {
  validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerUpdate, validatePodDisruptionBudget, validatePodDisruptionBudgetUpdate,
} from './policy-autoscaling';
import { validateRole, validateRoleBinding, validateRoleBindingUpdate, validateRoleUpdate } from './rbac';
import { validateEvent, validateLease, validateLimitRange, validateResourceQuota, validateServiceAccount } from './small-kinds';
import { Reader } from './typed-read';
import { validatePriorityClass, validatePriorityClassUpdate } from './scheduling';

export interface ValidationOptions extends ServiceValidationOptions, NetworkingValidationOptions {}

type Create = (r: Reader, obj: JsonObject, opts: ValidationOptions) => void;
type Update = (r: Reader, obj: JsonObject, old: JsonObject, opts: ValidationOptions) => void;

/** Kinds whose update rules are the create rules plus unchanged identity metadata. */
function sameAsCreate(create: Create): Update {
  return (r, obj, old, opts) => {
    validateObjectMetaUpdate(r, obj.metadata, old.metadata, 'metadata');
    create(r, obj, opts);
  };
}

const RULES: Readonly<Record<string, { create: Create; update: Update }>> = {
  '/Pod': { create: (r, o) => validatePodCreate(r, o), update: (r, o, old) => validatePodUpdate(r, o, old) },
  '/Service': { create: (r, o, x) => validateService(r, o, x), update: (r, o, old, x) => validateServiceUpdate(r, o, old, x) },
  '/ConfigMap': { create: (r, o) => validateConfigMap(r, o), update: (r, o, old) => validateConfigMapUpdate(r, o, old) },
  '/Secret': { create: (r, o) => validateSecret(r, o), update: (r, o, old) => validateSecretUpdate(r, o, old) },
  '/Namespace': { create: (r, o) => validateNamespace(r, o), update: (r, o, old) => validateNamespaceUpdate(r, o, old) },
  '/Node': { create: (r, o) => validateNode(r, o), update: (r, o, old) => validateNodeUpdate(r, o, old) },
  '/Endpoints': { create: (r, o, x) => validateEndpoints(r, o, x), update: (r, o, old, x) => validateEndpointsUpdate(r, o, old, x) },
  '/Event': { create: (r, o) => validateEvent(r, o), update: (r, o) => validateEvent(r, o) },
  '/ServiceAccount': { create: (r, o) => validateServiceAccount(r, o), update: sameAsCreate((r, o) => validateServiceAccount(r, o)) },
  '/LimitRange': { create: (r, o) => validateLimitRange(r, o), update: sameAsCreate((r, o) => validateLimitRange(r, o)) },
  '/ResourceQuota': { create: (r, o) => validateResourceQuota(r, o), update: sameAsCreate((r, o) => validateResourceQuota(r, o)) },
  '/PersistentVolume': { create: (r, o) => validatePersistentVolume(r, o), update: (r, o, old) => validatePersistentVolumeUpdate(r, o, old) },
  '/PersistentVolumeClaim': { create: (r, o) => validatePersistentVolumeClaim(r, o), update: (r, o, old) => validatePersistentVolumeClaimUpdate(r, o, old) },
  'apps/Deployment': { create: (r, o) => validateDeployment(r, o), update: (r, o, old) => validateDeploymentUpdate(r, o, old) },
  'apps/ReplicaSet': { create: (r, o) => validateReplicaSet(r, o), update: (r, o, old) => validateReplicaSetUpdate(r, o, old) },
  'apps/DaemonSet': { create: (r, o) => validateDaemonSet(r, o), update: (r, o, old) => validateDaemonSetUpdate(r, o, old) },
  'apps/StatefulSet': { create: (r, o) => validateStatefulSet(r, o), update: (r, o, old) => validateStatefulSetUpdate(r, o, old) },
  'apps/ControllerRevision': { create: (r, o) => validateControllerRevision(r, o), update: (r, o, old) => validateControllerRevisionUpdate(r, o, old) },
  'batch/Job': { create: (r, o) => validateJob(r, o), update: (r, o, old) => validateJobUpdate(r, o, old) },
  'batch/CronJob': { create: (r, o) => validateCronJob(r, o), update: (r, o, old) => validateCronJobUpdate(r, o, old) },
  'coordination.k8s.io/Lease': { create: (r, o) => validateLease(r, o), update: sameAsCreate((r, o) => validateLease(r, o)) },
  'discovery.k8s.io/EndpointSlice': { create: (r, o, x) => validateEndpointSlice(r, o, x), update: (r, o, old, x) => validateEndpointSliceUpdate(r, o, old, x) },
  'policy/PodDisruptionBudget': { create: (r, o) => validatePodDisruptionBudget(r, o), update: (r, o, old) => validatePodDisruptionBudgetUpdate(r, o, old) },
  'scheduling.k8s.io/PriorityClass': { create: (r, o) => validatePriorityClass(r, o), update: (r, o, old) => validatePriorityClassUpdate(r, o, old) },
  'autoscaling/HorizontalPodAutoscaler': { create: (r, o) => validateHorizontalPodAutoscaler(r, o), update: (r, o, old) => validateHorizontalPodAutoscalerUpdate(r, o, old) },
  'rbac.authorization.k8s.io/Role': { create: (r, o) => validateRole(r, o, true), update: (r, o, old) => validateRoleUpdate(r, o, old, true) },
  'rbac.authorization.k8s.io/ClusterRole': { create: (r, o) => validateRole(r, o, false), update: (r, o, old) => validateRoleUpdate(r, o, old, false) },
  'rbac.authorization.k8s.io/RoleBinding': { create: (r, o) => validateRoleBinding(r, o, true), update: (r, o, old) => validateRoleBindingUpdate(r, o, old, true) },
  'rbac.authorization.k8s.io/ClusterRoleBinding': { create: (r, o) => validateRoleBinding(r, o, false), update: (r, o, old) => validateRoleBindingUpdate(r, o, old, false) },
};

const GENERIC = {
  create: ((r, o) => validateObjectMeta(r, o.metadata, 'metadata', nameIsDNSSubdomain)) as Create,
  update: ((r, o, old) => {
    validateObjectMetaUpdate(r, o.metadata, old.metadata, 'metadata');
    validateObjectMeta(r, o.metadata, 'metadata', nameIsDNSSubdomain);
  }) as Update,
};

function rulesFor(info: Pick<ResourceInfo, 'group' | 'kind'>): { create: Create; update: Update } {
  return RULES[`${info.group}/${info.kind}`] ?? GENERIC;
}

/** Kubernetes reports some errors twice (create rules re-run on update); keep the first of each. */
function unique(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.type}\u0000${e.field}\u0000${e.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function run(fn: (r: Reader) => void): FieldError[] {
  const r = new Reader();
  try {
    fn(r);
  } catch (e) {
    // A rule that trips over input we did not foresee must not take the server down.
    r.add({ type: 'InternalError', field: '', detail: `Internal error: ${e instanceof Error ? e.message : String(e)}` });
  }
  return unique(r.errs);
}

export function validateCreate(info: Pick<ResourceInfo, 'group' | 'kind'>, obj: unknown, opts: ValidationOptions = {}): FieldError[] {
  if (!isPlainObject(obj)) return [typeInvalid('', obj, 'must be of type object')];
  return run((r) => rulesFor(info).create(r, obj, opts));
}

export function validateUpdate(info: Pick<ResourceInfo, 'group' | 'kind'>, obj: unknown, old: unknown, opts: ValidationOptions = {}): FieldError[] {
  if (!isPlainObject(obj)) return [typeInvalid('', obj, 'must be of type object')];
  const before = isPlainObject(old) ? old : {};
  return run((r) => rulesFor(info).update(r, obj, before, opts));
}
