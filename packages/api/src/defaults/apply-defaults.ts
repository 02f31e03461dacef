/**
 * `applyDefaults(kind, apiVersion, obj)`: fills in, in place, what Kubernetes' SetDefaults_*
 * functions (and, for Pods, create-time admission) would, for the kinds Skiff serves.
 * Anything that is not a plain object, and any kind or version it does not know, is left as is.
 */
import { isPlainObject } from '../object';
import type { JsonObject } from './fields';
import { defaultPod } from './pod-defaults';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultStatefulSet } from './apps-defaults';
import { defaultCronJob, defaultJob } from './batch-defaults';
import { defaultEndpoints, defaultLimitRange, defaultNamespace, defaultNode, defaultSecret, defaultService } from './core-defaults';
import { defaultPersistentVolume, defaultPersistentVolumeClaim } from './storage-defaults';
import { defaultEndpointSlice, defaultHorizontalPodAutoscaler, defaultRoleBinding } from './group-defaults';

type Defaulter = (o: JsonObject) => void;
const none: Defaulter = () => undefined;

/** Keyed by `apiVersion/kind`. */
const DEFAULTERS: Readonly<Record<string, Defaulter>> = {
  'v1/Pod': defaultPod,
  'v1/Service': defaultService,
  'v1/Secret': defaultSecret,
  'v1/Namespace': defaultNamespace,
  'v1/Node': defaultNode,
  'v1/Endpoints': defaultEndpoints,
  'v1/LimitRange': defaultLimitRange,
  'v1/PersistentVolume': defaultPersistentVolume,
  'v1/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  'v1/ConfigMap': none,
  'v1/Event': none,
  'v1/ServiceAccount': none,
  'v1/ResourceQuota': none,
  'apps/v1/Deployment': defaultDeployment,
  'apps/v1/ReplicaSet': defaultReplicaSet,
  'apps/v1/DaemonSet': defaultDaemonSet,
  'apps/v1/StatefulSet': defaultStatefulSet,
  'apps/v1/ControllerRevision': none,
  'batch/v1/Job': defaultJob,
  'batch/v1/CronJob': defaultCronJob,
  'autoscaling/v2/HorizontalPodAutoscaler': defaultHorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': none,
  'coordination.k8s.io/v1/Lease': none,
  'scheduling.k8s.io/v1/PriorityClass': (o) => { if (o.preemptionPolicy === undefined || o.preemptionPolicy === null) o.preemptionPolicy = 'PreemptLowerPriority'; },
  'discovery.k8s.io/v1/EndpointSlice': defaultEndpointSlice,
  'rbac.authorization.k8s.io/v1/Role': none,
  'rbac.authorization.k8s.io/v1/ClusterRole': none,
  'rbac.authorization.k8s.io/v1/RoleBinding': defaultRoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': defaultRoleBinding,
};

/** True when applyDefaults knows this kind at this version (even if it has no defaults). */
export function hasDefaults(kind: string, apiVersion: string): boolean {
  return `${apiVersion}/${kind}` in DEFAULTERS;
}

/** Mutates `obj` (pass a copy of anything cached) and returns it. Never throws on odd input. */
export function applyDefaults<T>(kind: string, apiVersion: string, obj: T): T {
  if (!isPlainObject(obj)) return obj;
  const fn = DEFAULTERS[`${apiVersion}/${kind}`];
  if (fn) fn(obj);
  return obj;
}
