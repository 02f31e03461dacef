import type { ResourceInfo } from '@skiff/api';
import type { Printer } from './types';
import { NAME_COLUMN, column, nameOf } from './columns';
import { FIELD_DOCS } from './field-docs';
import { parseTime } from './duration';
import { podPrinter } from './pod';
import {
  configMapPrinter, endpointsPrinter, eventPrinter, namespacePrinter, nodePrinter, persistentVolumeClaimPrinter,
  persistentVolumePrinter, resourceQuotaPrinter, secretPrinter, serviceAccountPrinter, servicePrinter,
} from './core-printers';
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter, statefulSetPrinter } from './apps-printers';
import { cronJobPrinter, jobPrinter } from './batch-printers';
import {
  clusterRoleBindingPrinter, endpointSlicePrinter, horizontalPodAutoscalerPrinter, leasePrinter,
  podDisruptionBudgetPrinter, roleBindingPrinter,
} from './api-group-printers';
import { priorityClassPrinter } from './scheduling-printers';

/** Printers by `group/Kind` (core group: `/Kind`), for the kinds the API server has printers for. */
const PRINTERS: ReadonlyMap<string, Printer> = new Map([
  ['/Pod', podPrinter],
  ['/Service', servicePrinter],
  ['/Endpoints', endpointsPrinter],
  ['/ConfigMap', configMapPrinter],
  ['/Secret', secretPrinter],
  ['/Node', nodePrinter],
  ['/Namespace', namespacePrinter],
  ['/Event', eventPrinter],
  ['/ServiceAccount', serviceAccountPrinter],
  ['/ResourceQuota', resourceQuotaPrinter],
  ['/PersistentVolume', persistentVolumePrinter],
  ['/PersistentVolumeClaim', persistentVolumeClaimPrinter],
  ['apps/Deployment', deploymentPrinter],
  ['apps/ReplicaSet', replicaSetPrinter],
  ['apps/DaemonSet', daemonSetPrinter],
  ['apps/StatefulSet', statefulSetPrinter],
  ['apps/ControllerRevision', controllerRevisionPrinter],
  ['batch/Job', jobPrinter],
  ['batch/CronJob', cronJobPrinter],
  ['coordination.k8s.io/Lease', leasePrinter],
  ['discovery.k8s.io/EndpointSlice', endpointSlicePrinter],
  ['policy/PodDisruptionBudget', podDisruptionBudgetPrinter],
  ['autoscaling/HorizontalPodAutoscaler', horizontalPodAutoscalerPrinter],
  ['scheduling.k8s.io/PriorityClass', priorityClassPrinter],
  ['rbac.authorization.k8s.io/RoleBinding', roleBindingPrinter],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', clusterRoleBindingPrinter],
]);

/** RFC 3339 in UTC to the second, as Go formats time.RFC3339 (the zero time when unset). */
function rfc3339(value: unknown): string {
  const t = parseTime(value) ?? Date.parse('0001-01-01T00:00:00Z');
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The API server's default table convertor, used for kinds without a printer (LimitRange, Role,
 * ClusterRole, anything unknown): NAME and CREATED AT, the latter an RFC 3339 date.
 */
export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'date', FIELD_DOCS.metaCreationTimestamp)],
  cells: (obj) => [nameOf(obj), rfc3339(obj.metadata.creationTimestamp)],
};

/** The printer for a resource: its own, or the default NAME / CREATED AT one. */
export function printerFor(info: Pick<ResourceInfo, 'group' | 'kind'>): Printer {
  return PRINTERS.get(`${info.group}/${info.kind}`) ?? defaultPrinter;
}
