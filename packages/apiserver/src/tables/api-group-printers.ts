/** Printers for the smaller API groups: coordination, discovery, policy, autoscaling and rbac. */
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2';
import type { RoleBinding, Subject } from 'kubernetes-types/rbac/v1';
import type { KObject } from '@skiff/api';
import type { Printer } from './types';
import { AGE_COLUMN, NAME_COLUMN, ageOf, column, nameOf, wide } from './columns';
import { FIELD_DOCS as D } from './field-docs';
import { formatQuantity } from './quantity';

const as = <T>(obj: KObject): T => obj as unknown as T;

/** `listWithMoreString`: at most `max` entries, then ` + N more...`; `<unset>` when empty. */
function listWithMore(list: string[], total: number, max: number): string {
  const ret = list.slice(0, max).join(',');
  if (total > max) return `${ret} + ${total - max} more...`;
  return ret || '<unset>';
}

// ---- Lease ----

export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, column('Holder', 'string', D.leaseHolder), AGE_COLUMN],
  cells: (obj, now) => [nameOf(obj), as<Lease>(obj).spec?.holderIdentity ?? '', ageOf(obj, now)],
};

// ---- EndpointSlice ----

export function formatDiscoveryPorts(ports: EndpointPort[] | undefined | null): string {
  const list = (ports ?? []).map((p) =>
    p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined && p.name !== null ? p.name : '*');
  return listWithMore(list, list.length, 3);
}

export function formatDiscoveryEndpoints(endpoints: Endpoint[] | undefined): string {
  const list = (endpoints ?? []).flatMap((e) => e.addresses ?? []);
  return listWithMore(list, list.length, 3);
}

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', D.esAddressType),
    column('Ports', 'string', D.esPorts),
    column('Endpoints', 'string', D.esEndpoints),
    AGE_COLUMN,
  ],
  cells(obj, now) {
    const es = as<EndpointSlice>(obj);
    return [nameOf(obj), es.addressType ?? '', formatDiscoveryPorts(es.ports), formatDiscoveryEndpoints(es.endpoints), ageOf(obj, now)];
  },
};

// ---- PodDisruptionBudget ----

function intOrString(v: number | string | undefined | null): string {
  return v === undefined || v === null ? 'N/A' : String(v);
}

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  cells(obj, now) {
    const pdb = as<PodDisruptionBudget>(obj);
    return [
      nameOf(obj), intOrString(pdb.spec?.minAvailable), intOrString(pdb.spec?.maxUnavailable),
      pdb.status?.disruptionsAllowed ?? 0, ageOf(obj, now),
    ];
  },
};

// ---- HorizontalPodAutoscaler ----

/** Go's `(*Quantity).String()`, which prints `<nil>` for a nil pointer. */
function q(v: string | number | undefined | null): string {
  return v === undefined || v === null ? '<nil>' : formatQuantity(v);
}

function metricText(spec: MetricSpec, status: MetricStatus | undefined): string {
  switch (spec.type) {
    case 'External':
    case 'Object': {
      const target = spec.type === 'External' ? spec.external?.target : spec.object?.target;
      const current = spec.type === 'External' ? status?.external?.current : status?.object?.current;
      if (target?.averageValue !== undefined && target.averageValue !== null) {
        const cur = current?.averageValue !== undefined && current.averageValue !== null ? q(current.averageValue) : '<unknown>';
        return `${cur}/${q(target.averageValue)} (avg)`;
      }
      const cur = current ? q(current.value) : '<unknown>';
      return `${cur}/${q(target?.value)}`;
    }
    case 'Pods': {
      const cur = status?.pods ? q(status.pods.current?.averageValue) : '<unknown>';
      return `${cur}/${q(spec.pods?.target?.averageValue)}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const st = spec.type === 'Resource' ? status?.resource : status?.containerResource;
      const name = src?.name ?? '';
      const target = src?.target;
      if (target?.averageValue !== undefined && target.averageValue !== null) {
        const cur = st ? q(st.current?.averageValue) : '<unknown>';
        return `${name}: ${cur}/${q(target.averageValue)}`;
      }
      const util = st?.current?.averageUtilization;
      const cur = util !== undefined && util !== null ? `${util}%` : '<unknown>';
      const tgt = target?.averageUtilization !== undefined && target.averageUtilization !== null
        ? `${target.averageUtilization}%` : '<auto>';
      return `${name}: ${cur}/${tgt}`;
    }
    default:
      return '<unknown type>';
  }
}

export function formatHPAMetrics(specs: MetricSpec[] | undefined, statuses: MetricStatus[] | undefined): string {
  if (!specs || specs.length === 0) return '<none>';
  const list = specs.map((s, i) => metricText(s, statuses?.[i]));
  const max = 2;
  const ret = list.slice(0, max).join(', ');
  return list.length > max ? `${ret} + ${list.length - max} more...` : ret;
}

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Reference', 'string', D.hpaScaleTargetRef),
    column('Targets', 'string', D.hpaMetrics),
    column('MinPods', 'string', D.hpaMinReplicas),
    column('MaxPods', 'string', D.hpaMaxReplicas),
    column('Replicas', 'string', D.hpaCurrentReplicas),
    AGE_COLUMN,
  ],
  cells(obj, now) {
    const hpa = as<HorizontalPodAutoscaler>(obj);
    const ref = hpa.spec?.scaleTargetRef;
    const min = hpa.spec?.minReplicas;
    return [
      nameOf(obj), `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
      formatHPAMetrics(hpa.spec?.metrics, hpa.status?.currentMetrics),
      min !== undefined && min !== null ? String(min) : '<unset>',
      hpa.spec?.maxReplicas ?? 0, hpa.status?.currentReplicas ?? 0, ageOf(obj, now),
    ];
  },
};

// ---- RoleBinding, ClusterRoleBinding ----

/** `rbac.SubjectsStrings`: users, groups and `namespace/name` service accounts. */
export function subjectsStrings(subjects: Subject[] | undefined): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of subjects ?? []) {
    if (s.kind === 'ServiceAccount') serviceAccounts.push(`${s.namespace ?? ''}/${s.name}`);
    else if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
  }
  return { users, groups, serviceAccounts };
}

function bindingPrinter(roleRefDoc: string, noun: string): Printer {
  return {
    columns: [
      NAME_COLUMN,
      column('Role', 'string', roleRefDoc),
      AGE_COLUMN,
      wide('Users', 'string', `Users in the ${noun}`),
      wide('Groups', 'string', `Groups in the ${noun}`),
      wide('ServiceAccounts', 'string', `ServiceAccounts in the ${noun}`),
    ],
    cells(obj, now) {
      const rb = as<RoleBinding>(obj);
      const s = subjectsStrings(rb.subjects);
      return [
        nameOf(obj), `${rb.roleRef?.kind ?? ''}/${rb.roleRef?.name ?? ''}`, ageOf(obj, now),
        s.users.join(', '), s.groups.join(', '), s.serviceAccounts.join(', '),
      ];
    },
  };
}

export const roleBindingPrinter = bindingPrinter(D.rbRoleRef, 'roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter(D.crbRoleRef, 'clusterRoleBinding');
